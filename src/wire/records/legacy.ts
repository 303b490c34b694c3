// Legacy message sets (magic 0 and 1, carried by Produce v0-v2) converted to one record batch v2, the only format
// this broker stores, as Kafka 3.x converts them to the log's format on append.
//
// Message set: repeated [offset int64][size int32][message]. Message:
//   crc uint32 (CRC-32 IEEE of magic..end) | magic int8 | attributes int8 | timestamp int64 (magic 1 only)
//   key bytes (int32 length, negative = null) | value bytes
// Attributes: bits 0-2 the codec (0 none, 1 gzip, 2 snappy, 3 lz4), bit 3 the timestamp type (magic 1: LogAppendTime).
// A compressed message is a wrapper whose value is a compressed message set of uncompressed inner messages (magic 1
// inner offsets relative 0..n-1, magic 0 absolute); every incoming offset is dropped, the log assigns its own.
//
// Errors follow Kafka 3.x (LogValidator, AbstractLegacyRecordBatch): a CRC mismatch, a message smaller than its
// fixed fields, sizes or lengths that overrun, a corrupt compressed payload → CORRUPT_MESSAGE; a wrapper with nested
// compression, an inner magic other than the wrapper's, a null or empty wrapper value, a v1 wrapper offset below its
// last inner offset, zstd (which only exists for v2 batches) → INVALID_RECORD; an unknown codec id →
// UNSUPPORTED_COMPRESSION_TYPE. Where Kafka silently ignores a trailing partial message, we refuse it
// (CORRUPT_MESSAGE), as validate.ts does for v2 batches.
//
// The batch: baseOffset 0, no producer (id -1, epoch -1, sequence -1), no partition leader epoch, records with
// offset deltas 0..n-1, keys and values byte for byte and no headers, compressed with the codec of the last
// compressed wrapper in the set (Kafka's "producer" compression: the source codec), CRC-32C computed. Timestamps:
// magic 1 records keep theirs (inside a LogAppendTime wrapper, the wrapper's, as Kafka reads them); magic 0 records
// have none (-1, Kafka's NO_TIMESTAMP). A LogAppendTime wrapper or message makes the batch LogAppendTime with
// maxTimestamp the largest of those timestamps; the append path then applies Kafka's rules to it as to any batch.

import { crc32 } from '@node-rs/crc32';
import { Compression, type CompressionCodec, LOG_OVERHEAD, readInt64 } from './batch';
import { compressionName, decompress, DEFAULT_MAX_DECOMPRESSED_BYTES } from './compression';
import { buildBatch, type BuildRecord } from './record';
import { ErrorCode, KafkaError } from '../errors';

/** crc + magic + attributes + key length + value length: Kafka's RECORD_OVERHEAD_V0. */
export const MESSAGE_OVERHEAD_V0 = 14;
/** With the magic 1 timestamp: RECORD_OVERHEAD_V1. */
export const MESSAGE_OVERHEAD_V1 = 22;
/** Position of the magic byte in a message set entry (after offset, size and crc); the same as in a v2 batch. */
export const LEGACY_MAGIC_OFFSET = LOG_OVERHEAD + 4;

const CODEC_MASK = 0x07;
const TIMESTAMP_TYPE_LOG_APPEND = 0x08;

export interface LegacyConvertOptions {
  /** Output limit for decompressing wrappers, over the whole set (see compression.ts). */
  maxUncompressedBytes?: number;
}

/** The magic of the first entry of a record set (0, 1: a legacy message set; 2: a batch), or -1 if too short. */
export function recordSetMagic(buf: Buffer): number {
  return buf.length > LEGACY_MAGIC_OFFSET ? buf.readInt8(LEGACY_MAGIC_OFFSET) : -1;
}

export function isLegacyMessageSet(buf: Buffer | null): boolean {
  if (buf === null) return false;
  const magic = recordSetMagic(buf);
  return magic === 0 || magic === 1;
}

function corrupt(message: string): KafkaError {
  return new KafkaError(ErrorCode.CORRUPT_MESSAGE, message);
}

function invalid(message: string): KafkaError {
  return new KafkaError(ErrorCode.INVALID_RECORD, message);
}

/** A message read from a set: its fields as views of the set's buffer. */
interface Message {
  offset: number;
  magic: number;
  codec: number;
  logAppendTime: boolean;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
}

/**
 * Reads the message set entry at `pos` (whole, within [pos, end)), checking sizes and the CRC. Returns the message
 * and where the next entry starts.
 */
function readMessage(buf: Buffer, pos: number, end: number, where: string): { msg: Message; next: number } {
  if (end - pos < LOG_OVERHEAD) throw corrupt(`${where}: truncated message header at ${pos} (${end - pos} bytes left)`);
  const offset = readInt64(buf, pos);
  const size = buf.readInt32BE(pos + 8);
  if (size < MESSAGE_OVERHEAD_V0)
    throw corrupt(`${where}: record size ${size} is less than the minimum record overhead (${MESSAGE_OVERHEAD_V0})`);
  const start = pos + LOG_OVERHEAD;
  const msgEnd = start + size;
  if (msgEnd > end) throw corrupt(`${where}: message of ${size} bytes at ${pos} is truncated (${end - start} bytes left)`);
  const magic = buf.readInt8(start + 4);
  if (magic !== 0 && magic !== 1) throw corrupt(`${where}: invalid magic ${magic} in message at ${pos}`);
  if (magic === 1 && size < MESSAGE_OVERHEAD_V1)
    throw corrupt(`${where}: record size ${size} is less than the minimum record overhead (${MESSAGE_OVERHEAD_V1})`);
  const stored = buf.readUInt32BE(start);
  const computed = crc32(buf.subarray(start + 4, msgEnd)) >>> 0;
  if (stored !== computed)
    throw corrupt(`${where}: message at ${pos} is corrupt (stored crc = ${stored}, computed crc = ${computed})`);
  const attributes = buf[start + 5]!;
  let p = start + 6;
  let timestamp = -1;
  if (magic === 1) {
    timestamp = readInt64(buf, p);
    p += 8;
  }
  const keyLen = buf.readInt32BE(p);
  p += 4;
  let key: Buffer | null = null;
  if (keyLen >= 0) {
    if (p + keyLen + 4 > msgEnd) throw corrupt(`${where}: key of ${keyLen} bytes overruns the message at ${pos}`);
    key = buf.subarray(p, p + keyLen);
    p += keyLen;
  }
  const valueLen = buf.readInt32BE(p);
  p += 4;
  let value: Buffer | null = null;
  if (valueLen >= 0) {
    if (p + valueLen > msgEnd) throw corrupt(`${where}: value of ${valueLen} bytes overruns the message at ${pos}`);
    value = buf.subarray(p, p + valueLen);
    p += valueLen;
  }
  if (p !== msgEnd) throw corrupt(`${where}: message at ${pos} declares ${size} bytes but its fields use ${p - start}`);
  return {
    msg: {
      offset,
      magic,
      codec: attributes & CODEC_MASK,
      logAppendTime: magic === 1 && (attributes & TIMESTAMP_TYPE_LOG_APPEND) !== 0,
      timestamp,
      key,
      value,
    },
    next: msgEnd,
  };
}

/**
 * Converts a legacy message set (magic 0 and/or 1, possibly with compressed wrappers) into one v2 record batch.
 * Throws KafkaError (codes in the header comment).
 */
export function convertLegacyMessageSet(buf: Buffer, opts: LegacyConvertOptions = {}): Buffer {
  let budget = opts.maxUncompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES;
  const records: BuildRecord[] = [];
  let codec: CompressionCodec = Compression.none;
  let logAppendTime = false;
  let maxTimestamp = -1;
  const add = (key: Buffer | null, value: Buffer | null, timestamp: number) => {
    records.push({ key, value, timestamp });
    if (timestamp > maxTimestamp) maxTimestamp = timestamp;
  };

  let pos = 0;
  while (pos < buf.length) {
    if (buf.length - pos > LEGACY_MAGIC_OFFSET && buf.readInt8(pos + LEGACY_MAGIC_OFFSET) === 2)
      throw corrupt(`a record batch (magic 2) at ${pos} follows legacy messages in the same message set`);
    const { msg: m, next } = readMessage(buf, pos, buf.length, 'message set');
    pos = next;
    if (m.codec === Compression.none) {
      add(m.key, m.value, m.timestamp);
      if (m.logAppendTime) logAppendTime = true;
      continue;
    }
    if (m.codec === Compression.zstd)
      throw invalid(`compression type zstd is not allowed in message format v${m.magic} (record batches only)`);
    if (m.codec > Compression.zstd)
      throw new KafkaError(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, `unknown compression type id ${m.codec}`);
    if (m.value === null) throw invalid(`found invalid compressed record set with null value (magic = ${m.magic})`);

    // Throws CORRUPT_MESSAGE for a payload the codec cannot read (lz4: frames of magic 0 with Kafka's old, wrong
    // header checksum (KIP-57) are read as well, since the header checksum is not verified).
    const inner = decompress(m.codec, m.value, budget);
    budget -= inner.length;
    const where = `${compressionName(m.codec)} wrapper`;
    const first = records.length;
    let lastInnerOffset = -1;
    let ip = 0;
    while (ip < inner.length) {
      const { msg: im, next: inext } = readMessage(inner, ip, inner.length, where);
      ip = inext;
      if (im.codec !== Compression.none) throw invalid('compressed message sets cannot contain nested compressed messages');
      if (im.magic !== m.magic) throw invalid(`compressed message magic ${im.magic} does not match wrapper magic ${m.magic}`);
      // Inside a LogAppendTime wrapper every v1 message takes the wrapper's timestamp.
      add(im.key, im.value, im.magic === 0 ? -1 : m.logAppendTime ? m.timestamp : im.timestamp);
      lastInnerOffset = im.offset;
    }
    if (records.length === first) throw invalid('found invalid compressed record set with no inner records');
    if (m.magic === 1 && m.offset !== 0 && m.offset < lastInnerOffset)
      throw invalid(
        `found invalid wrapper offset in compressed v1 message set, wrapper offset '${m.offset}' is less than the ` +
          `last inner message offset '${lastInnerOffset}' and it is not zero`,
      );
    codec = m.codec as CompressionCodec;
    if (m.logAppendTime) logAppendTime = true;
  }
  if (records.length === 0) throw corrupt('empty message set');

  return buildBatch({
    baseOffset: 0,
    partitionLeaderEpoch: -1,
    producerId: -1,
    producerEpoch: -1,
    baseSequence: -1,
    compression: codec,
    timestampType: logAppendTime ? 'logAppend' : 'create',
    maxTimestamp,
    records,
  });
}
