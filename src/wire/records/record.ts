// Records inside a v2 batch: walking them (validation, on the produce hot path), decoding them (internal topics,
// tests) and encoding whole batches (internal topics, compaction output, control markers, tests).
//
// Record layout (all varints zig-zag):
//   length varint (bytes after it) | attributes int8 | timestampDelta varlong | offsetDelta varint
//   keyLength varint (-1 = null) | key | valueLength varint (-1 = null) | value
//   headerCount varint | headers: keyLength varint | key (UTF-8) | valueLength varint (-1 = null) | value

import {
  Attr,
  BATCH_OVERHEAD,
  Compression,
  type CompressionCodec,
  LOG_OVERHEAD,
  Off,
  batch,
  forEachBatch,
  rewriteBatchCrc,
  writeInt64,
} from './batch';
import { compress, decompress, decompressChunks, DEFAULT_MAX_DECOMPRESSED_BYTES } from './compression';
import { ErrorCode, KafkaError } from '../errors';
import { cursor, readVarint, readVarlong, sizeOfVarint, sizeOfVarlong, writeVarint, writeVarlong } from './varint';

// ---------------------------------------------------------------------------------------------------------------
// Walking

/**
 * One record as seen by walkRecords: positions into the walked buffer, no copies. The same object is passed for
 * every record of a walk, so a callback must copy what it keeps.
 */
export interface RecordView {
  index: number;
  /** First byte of the record (its length varint) and the byte after it. */
  start: number;
  end: number;
  attributes: number;
  timestampDelta: number;
  offsetDelta: number;
  keyStart: number;
  /** -1 for a null key. */
  keyLength: number;
  valueStart: number;
  /** -1 for a null value. */
  valueLength: number;
  headersStart: number;
  headerCount: number;
}

export interface WalkResult {
  /** Records read in full (and accepted by the callback). */
  count: number;
  /** Where the walk stopped. */
  pos: number;
  /** Every record was well formed and the last one ended exactly at `end`. */
  exact: boolean;
  /** Why a record was malformed; null when none was. */
  error: string | null;
  /** The callback returned false. */
  stopped: boolean;
}

/**
 * Walks the records in buf[start, end) without allocating per record, checking their structure as Kafka's record
 * reader does (a length that overruns, fields that do not fill the length exactly, negative header counts or header
 * key lengths are malformed). `fn` may return false to stop.
 */
export function walkRecords(
  buf: Buffer,
  start: number,
  end: number,
  fn?: (r: RecordView) => boolean | void,
): WalkResult {
  const r = newRecordView();
  let pos = start;
  let count = 0;
  let error: string | null = null;
  let stopped = false;
  while (pos < end) {
    error = readRecord(buf, pos, end, r);
    if (error !== null) break;
    r.index = count;
    if (fn !== undefined && fn(r) === false) {
      stopped = true;
      break;
    }
    count++;
    pos = r.end;
  }
  return { count, pos, exact: error === null && !stopped && pos === end, error, stopped };
}

function newRecordView(): RecordView {
  return {
    index: 0,
    start: 0,
    end: 0,
    attributes: 0,
    timestampDelta: 0,
    offsetDelta: 0,
    keyStart: 0,
    keyLength: -1,
    valueStart: 0,
    valueLength: -1,
    headersStart: 0,
    headerCount: 0,
  };
}

/**
 * walkRecords over records that lie in consecutive buffers (the blocks a decompressor produced), so they need not
 * be joined into one first: joining would copy every decompressed byte once more on the produce path. A record cut
 * by a block boundary is copied alone into a buffer of its own. The view's positions are therefore not positions in
 * any buffer the caller has: callbacks of this walk may read only its other fields.
 */
export function walkRecordChunks(chunks: readonly Buffer[], fn?: (r: RecordView) => boolean | void): WalkResult {
  const r = newRecordView();
  let count = 0;
  let error: string | null = null;
  let stopped = false;
  let consumed = 0; // bytes before chunk i
  let i = 0;
  let pos = 0;
  for (;;) {
    while (i < chunks.length && pos >= chunks[i]!.length) {
      pos -= chunks[i]!.length;
      consumed += chunks[i]!.length;
      i++;
    }
    if (i >= chunks.length) break;
    const buf = chunks[i]!;
    const len = readVarint(buf, pos, buf.length);
    let next: number;
    if (cursor.pos >= 0 && cursor.pos + len <= buf.length) {
      error = readRecord(buf, pos, buf.length, r);
      next = r.end;
    } else {
      // Cut by a boundary (or malformed): the record alone, joined from the chunks it spans.
      const joined = joinRecord(chunks, i, pos);
      error = readRecord(joined, 0, joined.length, r);
      next = pos + joined.length;
    }
    if (error !== null) {
      error = `${error} (record ${count}, at byte ${consumed + pos} of the decompressed records)`;
      break;
    }
    r.index = count;
    if (fn !== undefined && fn(r) === false) {
      stopped = true;
      break;
    }
    count++;
    pos = next;
  }
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const at = Math.min(total, consumed + pos);
  return { count, pos: at, exact: error === null && !stopped && at === total, error, stopped };
}

/**
 * The record starting at chunks[i][pos] as one buffer: its length varint and as many of the bytes it announces as
 * the chunks hold (fewer when they end first, which readRecord then reports as a truncation).
 */
function joinRecord(chunks: readonly Buffer[], i: number, pos: number): Buffer {
  const head = gather(chunks, i, pos, 5);
  const len = readVarint(head, 0, head.length);
  if (cursor.pos < 0) return head; // the chunks end inside the length: readRecord reports it
  return gather(chunks, i, pos, cursor.pos + Math.max(0, len));
}

/** Up to `n` bytes starting at chunks[i][pos], copied into one buffer (no larger than what the chunks hold). */
function gather(chunks: readonly Buffer[], i: number, pos: number, want: number): Buffer {
  let left = -pos;
  for (let c = i; c < chunks.length && left < want; c++) left += chunks[c]!.length;
  const n = Math.min(want, left);
  const out = Buffer.allocUnsafe(n);
  let filled = 0;
  for (let c = i, p = pos; c < chunks.length && filled < n; c++, p = 0) {
    filled += chunks[c]!.copy(out, filled, p, Math.min(chunks[c]!.length, p + n - filled));
  }
  return filled === n ? out : out.subarray(0, filled);
}

/** Parses the record at pos into r; returns null, or why it is malformed. */
function readRecord(buf: Buffer, pos: number, end: number, r: RecordView): string | null {
  r.start = pos;
  const len = readVarint(buf, pos, end);
  if (cursor.pos < 0) return `truncated record length at ${pos}`;
  const body = cursor.pos;
  const bodyEnd = body + len;
  if (len < 1 || bodyEnd > end) return `invalid record size ${len} at ${pos} (${end - body} bytes remain)`;
  r.end = bodyEnd;
  r.attributes = buf[body]!;
  r.timestampDelta = readVarlong(buf, body + 1, bodyEnd);
  if (cursor.pos < 0) return `truncated timestamp delta in record at ${pos}`;
  r.offsetDelta = readVarint(buf, cursor.pos, bodyEnd);
  if (cursor.pos < 0) return `truncated offset delta in record at ${pos}`;
  // Kafka reads any negative key or value length as null.
  let p = readSized(buf, cursor.pos, bodyEnd);
  if (p < 0) return `invalid key in record at ${pos}`;
  r.keyLength = sizedLength;
  r.keyStart = p - Math.max(0, sizedLength);
  p = readSized(buf, p, bodyEnd);
  if (p < 0) return `invalid value in record at ${pos}`;
  r.valueLength = sizedLength;
  r.valueStart = p - Math.max(0, sizedLength);
  const headerCount = readVarint(buf, p, bodyEnd);
  if (cursor.pos < 0 || headerCount < 0) return `invalid header count in record at ${pos}`;
  p = cursor.pos;
  r.headersStart = p;
  r.headerCount = headerCount;
  for (let h = 0; h < headerCount; h++) {
    const keyLen = readVarint(buf, p, bodyEnd);
    if (cursor.pos < 0 || keyLen < 0 || cursor.pos + keyLen > bodyEnd) return `invalid header key in record at ${pos}`;
    p = readSized(buf, cursor.pos + keyLen, bodyEnd);
    if (p < 0) return `invalid header value in record at ${pos}`;
  }
  if (p !== bodyEnd) return `record at ${pos} declares ${len} bytes but its fields use ${p - body}`;
  return null;
}

/** Length read by the last readSized (-1 for null). Module-level to keep the walker allocation-free. */
let sizedLength = -1;

/** Reads a varint length and skips that many bytes; returns the position after them, or -1 if they overrun. */
function readSized(buf: Buffer, pos: number, limit: number): number {
  const n = readVarint(buf, pos, limit);
  if (cursor.pos < 0) return -1;
  if (n < 0) {
    sizedLength = -1;
    return cursor.pos;
  }
  if (cursor.pos + n > limit) return -1;
  sizedLength = n;
  return cursor.pos + n;
}

// ---------------------------------------------------------------------------------------------------------------
// Decoding

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

export interface DecodedRecord {
  offset: number;
  timestamp: number;
  /** Views into the batch (or into its decompressed records); copy them to keep them beyond the buffer's life. */
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

export interface DecodedBatch {
  baseOffset: number;
  lastOffset: number;
  partitionLeaderEpoch: number;
  compression: number;
  timestampType: 'create' | 'logAppend';
  baseTimestamp: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  isTransactional: boolean;
  isControl: boolean;
  records: DecodedRecord[];
}

export interface DecodeOptions {
  /** Output limit for decompression (see compression.ts). */
  maxUncompressedBytes?: number;
}

/**
 * The records section of the batch at pos, decompressed when needed: bytes [start, end) of `data`. For an
 * uncompressed batch `data` is `buf` itself (no copy).
 */
export function recordsSection(
  buf: Buffer,
  pos = 0,
  maxUncompressedBytes = DEFAULT_MAX_DECOMPRESSED_BYTES,
): { data: Buffer; start: number; end: number } {
  const end = pos + batch.totalSize(buf, pos);
  const codec = batch.compression(buf, pos);
  if (codec === Compression.none) return { data: buf, start: pos + BATCH_OVERHEAD, end };
  const data = decompress(codec, buf.subarray(pos + BATCH_OVERHEAD, end), maxUncompressedBytes);
  return { data, start: 0, end: data.length };
}

/** The records section of the batch at `pos` as walkRecordChunks takes it: decompressed in the codec's pieces. */
export function recordChunks(buf: Buffer, pos = 0, maxUncompressedBytes = DEFAULT_MAX_DECOMPRESSED_BYTES): Buffer[] {
  const end = pos + batch.totalSize(buf, pos);
  const codec = batch.compression(buf, pos);
  if (codec === Compression.none) return [buf.subarray(pos + BATCH_OVERHEAD, end)];
  return decompressChunks(codec, buf.subarray(pos + BATCH_OVERHEAD, end), maxUncompressedBytes);
}

function checkBatchBounds(buf: Buffer, pos: number): void {
  if (pos + BATCH_OVERHEAD > buf.length) throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, 'truncated batch header');
  const size = batch.totalSize(buf, pos);
  if (size < BATCH_OVERHEAD || pos + size > buf.length)
    throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, `batch size ${size} does not fit in ${buf.length - pos} bytes`);
  const magic = batch.magic(buf, pos);
  if (magic !== 2) throw new KafkaError(ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT, `record batch magic ${magic}`);
}

/**
 * Decodes the records of the v2 batch at `pos` (decompressing as needed). Does not check the CRC (see
 * validate.ts / isBatchCrcValid). Throws KafkaError(CORRUPT_MESSAGE) for malformed records or a record count that
 * differs from the header's.
 */
export function decodeRecords(batchBuf: Buffer, pos = 0, opts: DecodeOptions = {}): DecodedRecord[] {
  checkBatchBounds(batchBuf, pos);
  const baseOffset = batch.baseOffset(batchBuf, pos);
  const logAppend = (batch.attributes(batchBuf, pos) & Attr.logAppendTime) !== 0;
  const baseTimestamp = batch.baseTimestamp(batchBuf, pos);
  const maxTimestamp = batch.maxTimestamp(batchBuf, pos);
  const expected = batch.recordCount(batchBuf, pos);
  const { data, start, end } = recordsSection(batchBuf, pos, opts.maxUncompressedBytes);
  const records: DecodedRecord[] = [];
  const res = walkRecords(data, start, end, (r) => {
    records.push({
      offset: baseOffset + r.offsetDelta,
      // With LogAppendTime every record carries the batch's (broker-assigned) max timestamp.
      timestamp: logAppend ? maxTimestamp : baseTimestamp + r.timestampDelta,
      key: r.keyLength < 0 ? null : data.subarray(r.keyStart, r.keyStart + r.keyLength),
      value: r.valueLength < 0 ? null : data.subarray(r.valueStart, r.valueStart + r.valueLength),
      headers: r.headerCount === 0 ? [] : decodeHeaders(data, r.headersStart, r.headerCount),
    });
  });
  if (!res.exact) throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, `malformed record: ${res.error ?? 'trailing bytes'}`);
  if (res.count !== expected)
    throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, `batch declares ${expected} records but holds ${res.count}`);
  return records;
}

/** Headers of a record already checked by the walker. */
function decodeHeaders(buf: Buffer, pos: number, count: number): RecordHeader[] {
  const headers: RecordHeader[] = new Array(count);
  for (let h = 0; h < count; h++) {
    const keyLen = readVarint(buf, pos, buf.length);
    const keyStart = cursor.pos;
    const key = buf.toString('utf8', keyStart, keyStart + keyLen);
    const valueLen = readVarint(buf, keyStart + keyLen, buf.length);
    const valueStart = cursor.pos;
    if (valueLen < 0) {
      headers[h] = { key, value: null };
      pos = valueStart;
    } else {
      headers[h] = { key, value: buf.subarray(valueStart, valueStart + valueLen) };
      pos = valueStart + valueLen;
    }
  }
  return headers;
}

/** Decodes every whole batch in a record set (a trailing partial batch is ignored, as in a fetch response). */
export function decodeBatches(buf: Buffer, opts: DecodeOptions = {}): DecodedBatch[] {
  const out: DecodedBatch[] = [];
  forEachBatch(buf, (pos) => {
    out.push({
      baseOffset: batch.baseOffset(buf, pos),
      lastOffset: batch.lastOffset(buf, pos),
      partitionLeaderEpoch: batch.partitionLeaderEpoch(buf, pos),
      compression: batch.compression(buf, pos),
      timestampType: (batch.attributes(buf, pos) & Attr.logAppendTime) !== 0 ? 'logAppend' : 'create',
      baseTimestamp: batch.baseTimestamp(buf, pos),
      maxTimestamp: batch.maxTimestamp(buf, pos),
      producerId: batch.producerId(buf, pos),
      producerEpoch: batch.producerEpoch(buf, pos),
      baseSequence: batch.baseSequence(buf, pos),
      isTransactional: batch.isTransactional(buf, pos),
      isControl: batch.isControl(buf, pos),
      records: decodeRecords(buf, pos, opts),
    });
  });
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Encoding

type Bytes = Buffer | string | null;

export interface BuildRecord {
  key: Bytes;
  value: Bytes;
  headers?: { key: string; value: Bytes }[];
  /** Defaults to the time of the build. */
  timestamp?: number;
  /** Defaults to the record's index. Compaction output keeps the original deltas. */
  offsetDelta?: number;
}

export interface BuildBatchOptions {
  baseOffset?: number;
  partitionLeaderEpoch?: number;
  compression?: CompressionCodec;
  timestampType?: 'create' | 'logAppend';
  /** Defaults to the first record's timestamp (as Kafka's builder does), or -1 with no records. */
  baseTimestamp?: number;
  /** Defaults to the largest record timestamp; with logAppend, to the time of the build. */
  maxTimestamp?: number;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  transactional?: boolean;
  control?: boolean;
  /** Compaction's delete horizon (KIP-534): sets the attribute bit and stores the horizon as the base timestamp. */
  deleteHorizonMs?: number;
  /** Defaults to the largest offset delta (0 with no records); compaction keeps the original batch's value. */
  lastOffsetDelta?: number;
  records: BuildRecord[];
}

function toBytes(b: Bytes): Buffer | null {
  return b === null ? null : typeof b === 'string' ? Buffer.from(b, 'utf8') : b;
}

function sizeOfBytes(b: Buffer | null): number {
  return b === null ? 1 : sizeOfVarint(b.length) + b.length;
}

function writeBytes(buf: Buffer, pos: number, b: Buffer | null): number {
  if (b === null) return writeVarint(buf, pos, -1);
  pos = writeVarint(buf, pos, b.length);
  b.copy(buf, pos);
  return pos + b.length;
}

interface PreparedRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers: { key: Buffer; value: Buffer | null }[];
  timestampDelta: number;
  offsetDelta: number;
  bodySize: number;
}

/** Encodes a whole v2 batch with a correct CRC-32C. */
export function buildBatch(opts: BuildBatchOptions): Buffer {
  const now = Date.now();
  const recs = opts.records;
  const timestamps = recs.map((r) => r.timestamp ?? now);
  const logAppend = opts.timestampType === 'logAppend';
  const baseTimestamp = opts.deleteHorizonMs ?? opts.baseTimestamp ?? (recs.length > 0 ? timestamps[0]! : -1);
  let maxTimestamp = opts.maxTimestamp ?? (logAppend ? now : -1);
  if (opts.maxTimestamp === undefined && !logAppend) for (const t of timestamps) if (t > maxTimestamp) maxTimestamp = t;

  let lastOffsetDelta = 0;
  let sectionSize = 0;
  const prepared: PreparedRecord[] = recs.map((r, i) => {
    const p: PreparedRecord = {
      key: toBytes(r.key),
      value: toBytes(r.value),
      headers: (r.headers ?? []).map((h) => ({ key: Buffer.from(h.key, 'utf8'), value: toBytes(h.value) })),
      timestampDelta: timestamps[i]! - baseTimestamp,
      offsetDelta: r.offsetDelta ?? i,
      bodySize: 0,
    };
    let size =
      1 +
      sizeOfVarlong(p.timestampDelta) +
      sizeOfVarint(p.offsetDelta) +
      sizeOfBytes(p.key) +
      sizeOfBytes(p.value) +
      sizeOfVarint(p.headers.length);
    for (const h of p.headers) size += sizeOfBytes(h.key) + sizeOfBytes(h.value);
    p.bodySize = size;
    sectionSize += sizeOfVarint(size) + size;
    if (p.offsetDelta > lastOffsetDelta) lastOffsetDelta = p.offsetDelta;
    return p;
  });

  const codec = opts.compression ?? Compression.none;
  let out: Buffer;
  if (codec === Compression.none) {
    out = Buffer.allocUnsafe(BATCH_OVERHEAD + sectionSize);
    writeRecordsSection(out, BATCH_OVERHEAD, prepared);
  } else {
    const section = Buffer.allocUnsafe(sectionSize);
    writeRecordsSection(section, 0, prepared);
    const compressed = compress(codec, section);
    out = Buffer.allocUnsafe(BATCH_OVERHEAD + compressed.length);
    compressed.copy(out, BATCH_OVERHEAD);
  }

  let attributes: number = codec;
  if (logAppend) attributes |= Attr.logAppendTime;
  if (opts.transactional) attributes |= Attr.transactional;
  if (opts.control) attributes |= Attr.control;
  if (opts.deleteHorizonMs !== undefined) attributes |= Attr.hasDeleteHorizon;

  writeInt64(out, Off.baseOffset, opts.baseOffset ?? 0);
  out.writeInt32BE(out.length - LOG_OVERHEAD, Off.batchLength);
  out.writeInt32BE(opts.partitionLeaderEpoch ?? -1, Off.partitionLeaderEpoch);
  out.writeInt8(2, Off.magic);
  out.writeInt16BE(attributes, Off.attributes);
  out.writeInt32BE(opts.lastOffsetDelta ?? lastOffsetDelta, Off.lastOffsetDelta);
  writeInt64(out, Off.baseTimestamp, baseTimestamp);
  writeInt64(out, Off.maxTimestamp, maxTimestamp);
  writeInt64(out, Off.producerId, opts.producerId ?? -1);
  out.writeInt16BE(opts.producerEpoch ?? -1, Off.producerEpoch);
  out.writeInt32BE(opts.baseSequence ?? -1, Off.baseSequence);
  out.writeInt32BE(recs.length, Off.recordCount);
  rewriteBatchCrc(out, 0);
  return out;
}

function writeRecordsSection(buf: Buffer, pos: number, records: PreparedRecord[]): number {
  for (const r of records) {
    pos = writeVarint(buf, pos, r.bodySize);
    buf[pos++] = 0; // record attributes: unused in v2
    pos = writeVarlong(buf, pos, r.timestampDelta);
    pos = writeVarint(buf, pos, r.offsetDelta);
    pos = writeBytes(buf, pos, r.key);
    pos = writeBytes(buf, pos, r.value);
    pos = writeVarint(buf, pos, r.headers.length);
    for (const h of r.headers) {
      pos = writeBytes(buf, pos, h.key);
      pos = writeBytes(buf, pos, h.value);
    }
  }
  return pos;
}

// ---------------------------------------------------------------------------------------------------------------
// Control batches

/** Control record types (the int16 after the version in a control record's key). */
export const ControlRecordType = {
  ABORT: 0,
  COMMIT: 1,
  LEADER_CHANGE: 2,
  SNAPSHOT_HEADER: 3,
  SNAPSHOT_FOOTER: 4,
  KRAFT_VERSION: 5,
  KRAFT_VOTERS: 6,
} as const;

export interface ControlBatchOptions {
  type: number;
  /** ABORT/COMMIT markers: the transaction's producer and the coordinator epoch written into the marker value. */
  producerId?: number;
  producerEpoch?: number;
  coordinatorEpoch?: number;
  /** The record value for other control types (e.g. a LeaderChangeMessage). */
  value?: Buffer | null;
  baseOffset?: number;
  partitionLeaderEpoch?: number;
  timestamp?: number;
}

/**
 * A control batch holding one control record. Transaction markers (ABORT/COMMIT) are transactional batches of the
 * producer with value = version int16 0, coordinatorEpoch int32; other control types carry `value` as given.
 */
export function buildControlBatch(opts: ControlBatchOptions): Buffer {
  const key = Buffer.allocUnsafe(4);
  key.writeInt16BE(0, 0); // control record key version
  key.writeInt16BE(opts.type, 2);
  const marker = opts.type === ControlRecordType.ABORT || opts.type === ControlRecordType.COMMIT;
  let value: Buffer | null = opts.value ?? null;
  if (marker) {
    value = Buffer.allocUnsafe(6);
    value.writeInt16BE(0, 0); // end transaction marker version
    value.writeInt32BE(opts.coordinatorEpoch ?? 0, 2);
  }
  return buildBatch({
    baseOffset: opts.baseOffset,
    partitionLeaderEpoch: opts.partitionLeaderEpoch,
    producerId: opts.producerId ?? -1,
    producerEpoch: opts.producerEpoch ?? -1,
    transactional: marker,
    control: true,
    records: [{ key, value, timestamp: opts.timestamp }],
  });
}

/** The type of a control record from its key, or -1 when the key is too short to be one. */
export function controlRecordType(key: Buffer | null): number {
  if (key === null || key.length < 4) return -1;
  return key.readInt16BE(2);
}

/** The coordinator epoch of an ABORT/COMMIT marker's value, or -1 when the value is too short to be one. */
export function markerCoordinatorEpoch(value: Buffer | null): number {
  if (value === null || value.length < 6) return -1;
  return value.readInt32BE(2);
}
