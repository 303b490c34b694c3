// The record batch (magic v2) header, read and patched in place. Batches travel through the broker as bytes: the
// broker reads the header fields it needs, checks the CRC and rewrites offsets without decoding the records.
//
// Layout (byte offsets within a batch):
//   0 baseOffset int64 | 8 batchLength int32 (bytes after this field) | 12 partitionLeaderEpoch int32 | 16 magic int8
//   17 crc uint32 (CRC-32C of bytes 21..end) | 21 attributes int16 | 23 lastOffsetDelta int32
//   27 baseTimestamp int64 | 35 maxTimestamp int64 | 43 producerId int64 | 51 producerEpoch int16
//   53 baseSequence int32 | 57 recordCount int32 | 61 records...

import { crc32c } from '@node-rs/crc32';

export const BATCH_OVERHEAD = 61;
/** baseOffset + batchLength: the bytes before the part that batchLength counts. */
export const LOG_OVERHEAD = 12;

export const Off = {
  baseOffset: 0,
  batchLength: 8,
  partitionLeaderEpoch: 12,
  magic: 16,
  crc: 17,
  attributes: 21,
  lastOffsetDelta: 23,
  baseTimestamp: 27,
  maxTimestamp: 35,
  producerId: 43,
  producerEpoch: 51,
  baseSequence: 53,
  recordCount: 57,
  records: 61,
} as const;

export const Compression = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;
export type CompressionCodec = (typeof Compression)[keyof typeof Compression];

export const Attr = {
  compressionMask: 0x07,
  logAppendTime: 0x08,
  transactional: 0x10,
  control: 0x20,
  hasDeleteHorizon: 0x40,
} as const;

const TWO_32 = 4294967296;

export function readInt64(buf: Buffer, at: number): number {
  return buf.readInt32BE(at) * TWO_32 + buf.readUInt32BE(at + 4);
}

export function writeInt64(buf: Buffer, at: number, v: number): void {
  const hi = Math.floor(v / TWO_32);
  buf.writeInt32BE(hi | 0, at);
  buf.writeUInt32BE((v - hi * TWO_32) >>> 0, at + 4);
}

/** Header accessors over a batch starting at `pos` in `buf`. */
export const batch = {
  baseOffset: (b: Buffer, p = 0) => readInt64(b, p + Off.baseOffset),
  batchLength: (b: Buffer, p = 0) => b.readInt32BE(p + Off.batchLength),
  /** Whole size of the batch in bytes, header included. */
  totalSize: (b: Buffer, p = 0) => LOG_OVERHEAD + b.readInt32BE(p + Off.batchLength),
  partitionLeaderEpoch: (b: Buffer, p = 0) => b.readInt32BE(p + Off.partitionLeaderEpoch),
  magic: (b: Buffer, p = 0) => b.readInt8(p + Off.magic),
  crc: (b: Buffer, p = 0) => b.readUInt32BE(p + Off.crc),
  attributes: (b: Buffer, p = 0) => b.readInt16BE(p + Off.attributes),
  compression: (b: Buffer, p = 0) => b.readInt16BE(p + Off.attributes) & Attr.compressionMask,
  isTransactional: (b: Buffer, p = 0) => (b.readInt16BE(p + Off.attributes) & Attr.transactional) !== 0,
  isControl: (b: Buffer, p = 0) => (b.readInt16BE(p + Off.attributes) & Attr.control) !== 0,
  lastOffsetDelta: (b: Buffer, p = 0) => b.readInt32BE(p + Off.lastOffsetDelta),
  lastOffset: (b: Buffer, p = 0) => readInt64(b, p + Off.baseOffset) + b.readInt32BE(p + Off.lastOffsetDelta),
  baseTimestamp: (b: Buffer, p = 0) => readInt64(b, p + Off.baseTimestamp),
  maxTimestamp: (b: Buffer, p = 0) => readInt64(b, p + Off.maxTimestamp),
  producerId: (b: Buffer, p = 0) => readInt64(b, p + Off.producerId),
  producerEpoch: (b: Buffer, p = 0) => b.readInt16BE(p + Off.producerEpoch),
  baseSequence: (b: Buffer, p = 0) => b.readInt32BE(p + Off.baseSequence),
  recordCount: (b: Buffer, p = 0) => b.readInt32BE(p + Off.recordCount),
};

/** CRC-32C over attributes..end of the batch at `pos` (the value stored in the crc field). */
export function computeBatchCrc(buf: Buffer, pos = 0): number {
  const end = pos + LOG_OVERHEAD + buf.readInt32BE(pos + Off.batchLength);
  return crc32c(buf.subarray(pos + Off.attributes, end)) >>> 0;
}

export function isBatchCrcValid(buf: Buffer, pos = 0): boolean {
  return computeBatchCrc(buf, pos) === buf.readUInt32BE(pos + Off.crc);
}

/** Recomputes and stores the CRC after a change to a field it covers (e.g. LogAppendTime). */
export function rewriteBatchCrc(buf: Buffer, pos = 0): void {
  buf.writeUInt32BE(computeBatchCrc(buf, pos), pos + Off.crc);
}

/**
 * Sets the base offset of a batch in place. The CRC does not cover the base offset, so nothing else changes:
 * this is how offsets are assigned on append without re-encoding.
 */
export function setBaseOffset(buf: Buffer, pos: number, baseOffset: number): void {
  writeInt64(buf, pos + Off.baseOffset, baseOffset);
}

/** Sets the partition leader epoch in place (not covered by the CRC either). */
export function setPartitionLeaderEpoch(buf: Buffer, pos: number, epoch: number): void {
  buf.writeInt32BE(epoch, pos + Off.partitionLeaderEpoch);
}

/**
 * Marks a batch as LogAppendTime with the broker's timestamp as its max timestamp, then rewrites the CRC
 * (attributes and maxTimestamp are covered by it).
 */
export function setLogAppendTime(buf: Buffer, pos: number, timestamp: number): void {
  const attrs = buf.readInt16BE(pos + Off.attributes);
  buf.writeInt16BE(attrs | Attr.logAppendTime, pos + Off.attributes);
  writeInt64(buf, pos + Off.maxTimestamp, timestamp);
  rewriteBatchCrc(buf, pos);
}

/**
 * Sets maxTimestamp in place (keeping the timestamp type) and rewrites the CRC. For CreateTime batches the broker
 * stores the largest record timestamp it found while validating, as Kafka does, whatever the producer wrote.
 */
export function setMaxTimestamp(buf: Buffer, pos: number, timestamp: number): void {
  writeInt64(buf, pos + Off.maxTimestamp, timestamp);
  rewriteBatchCrc(buf, pos);
}

/**
 * Walks the batches in a record set without validating them beyond what is needed to find their boundaries.
 * Stops at a partial trailing batch (a fetch may end mid-batch). Calls fn(pos, size) for each whole batch.
 */
export function forEachBatch(buf: Buffer, fn: (pos: number, size: number) => void): number {
  let pos = 0;
  while (pos + LOG_OVERHEAD <= buf.length) {
    const size = LOG_OVERHEAD + buf.readInt32BE(pos + Off.batchLength);
    if (size < BATCH_OVERHEAD || pos + size > buf.length) break;
    fn(pos, size);
    pos += size;
  }
  return pos;
}
