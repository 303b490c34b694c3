// Validation of the record set a client sends in a Produce request for one partition, following Kafka's rules in the
// order Kafka applies them, so clients see the same error codes:
//
// 1. ProduceRequest.validateRecords — the set must hold a batch; the batch must be magic v2 (for Produce v3+; the
//    legacy message sets of v0-v2 arrive here converted to a v2 batch by legacy.ts); zstd needs Produce v7+; there
//    must be exactly one batch. The batch iterator itself fails with CORRUPT_MESSAGE on a batch length below the v0
//    minimum (14) or a magic outside 0..2.
// 2. UnifiedLog.analyzeAndValidateRecords — baseOffset must be 0; the batch must fit max.message.bytes
//    (MESSAGE_TOO_LARGE); its CRC-32C must match (CORRUPT_MESSAGE).
// 3. LogValidator.validateBatch — lastOffsetDelta + 1 must equal the record count and both be positive; no control
//    batches from clients; an idempotent batch (producerId >= 0) needs a baseSequence >= 0 (all INVALID_RECORD).
// 4. The records — they must parse exactly and number as many as declared (INVALID_RECORD); per record, a
//    compacted topic needs keys (INVALID_RECORD) and timestamps must be in range (INVALID_TIMESTAMP), collected
//    as record errors for the Produce response.
//
// The uncompressed path reads the request buffer in place: no copies, one small walk per request.

import { Attr, BATCH_OVERHEAD, Compression, LOG_OVERHEAD, Off, batch, computeBatchCrc } from './batch';
import { decompressionLimit } from './compression';
import { type RecordView, recordChunks, walkRecordChunks, walkRecords } from './record';
import { ErrorCode, KafkaError } from '../errors';

export interface ValidateOptions {
  /** The topic's max.message.bytes: the largest batch accepted. */
  maxMessageBytes: number;
  /** The Produce request version the set arrived in. */
  produceVersion: number;
  /** The topic is compacted: every record needs a key. */
  requireKeys?: boolean;
  /**
   * The topic's message.timestamp.type. Record timestamps are only checked when this is given (Kafka always has
   * one; it defaults to create).
   */
  timestampType?: 'create' | 'logAppend';
  /** message.timestamp.before.max.ms / after.max.ms; unlimited when absent. */
  timestampBeforeMaxMs?: number;
  timestampAfterMaxMs?: number;
  /** The broker's clock, for timestamp checks (defaults to Date.now()). */
  now?: number;
  /** Decompression output limit; defaults to decompressionLimit(maxMessageBytes). */
  maxUncompressedBytes?: number;
}

export interface RecordSetInfo {
  batchCount: number;
  recordCount: number;
  /** Timestamp of the first record. */
  firstTimestamp: number;
  /**
   * Largest record timestamp (for a LogAppendTime batch, its header's). Kafka stores this in the batch header for
   * CreateTime batches; when it differs from the header's value, patch it with setMaxTimestamp before appending.
   */
  maxTimestamp: number;
  /** The maxTimestamp the producer wrote in the header. */
  headerMaxTimestamp: number;
  compression: number;
  /** The batch's own timestamp type attribute. */
  timestampType: 'create' | 'logAppend';
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  lastOffsetDelta: number;
  isTransactional: boolean;
  isControl: boolean;
  batches: { pos: number; size: number }[];
}

/** Per-record failures, as Produce v8+ reports them (`record_errors`: index within the batch and a message). */
export interface RecordError {
  batchIndex: number;
  message: string;
}

/** INVALID_RECORD or INVALID_TIMESTAMP with the records at fault (Kafka's RecordValidationException). */
export class RecordValidationError extends KafkaError {
  constructor(
    code: number,
    message: string,
    readonly recordErrors: RecordError[],
  ) {
    super(code, message);
  }
}

/** Kafka's smallest record overhead (magic v0); a smaller batch length fails the batch iterator itself. */
const MIN_BATCH_LENGTH = 14;
const HEADER_UP_TO_MAGIC = Off.magic + 1;

function invalid(message: string): KafkaError {
  return new KafkaError(ErrorCode.INVALID_RECORD, message);
}

function corrupt(message: string): KafkaError {
  return new KafkaError(ErrorCode.CORRUPT_MESSAGE, message);
}

/**
 * Size of the whole batch at pos, or -1 when the bytes left do not hold one (Kafka's batch iterator ends there);
 * throws CORRUPT_MESSAGE where that iterator does.
 */
function nextBatchSize(buf: Buffer, pos: number): number {
  const remaining = buf.length - pos;
  if (remaining < LOG_OVERHEAD) return -1;
  const batchLength = buf.readInt32BE(pos + Off.batchLength);
  if (batchLength < MIN_BATCH_LENGTH)
    throw corrupt(`record size ${batchLength} is less than the minimum record overhead (${MIN_BATCH_LENGTH})`);
  if (remaining < HEADER_UP_TO_MAGIC) return -1;
  const magic = buf.readInt8(pos + Off.magic);
  if (magic < 0 || magic > 2) throw corrupt(`invalid magic found in record: ${magic}`);
  const size = LOG_OVERHEAD + batchLength;
  return remaining < size ? -1 : size;
}

export function validateRecordSet(buf: Buffer, opts: ValidateOptions): RecordSetInfo {
  const version = opts.produceVersion;

  // 1. Request-level shape.
  const size = nextBatchSize(buf, 0);
  if (size < 0) throw invalid(`produce requests with version ${version} must have at least one record batch`);
  const magic = buf.readInt8(Off.magic);
  if (magic !== 2) {
    // Produce v3+ only carries v2 batches. v0-v2 carry legacy message sets, which the Produce handler converts to a
    // v2 batch first (legacy.ts); one that reaches this point unconverted is not stored as it is.
    if (version >= 3)
      throw invalid(`produce requests with version ${version} only allow record batches with magic version 2`);
    throw new KafkaError(ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT, `record batch magic ${magic} is not supported`);
  }
  const attributes = buf.readInt16BE(Off.attributes);
  const codec = attributes & Attr.compressionMask;
  if (codec === Compression.zstd && version < 7)
    throw new KafkaError(
      ErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
      `produce requests with version ${version} are not allowed to use ZStandard compression`,
    );
  if (size < buf.length) {
    if (nextBatchSize(buf, size) > 0)
      throw invalid(`produce requests with version ${version} allow exactly one record batch per partition`);
    // Kafka silently drops a trailing partial batch; we refuse it rather than append part of what was sent.
    throw corrupt(`${buf.length - size} trailing bytes after the record batch`);
  }

  // 2. Batch integrity.
  const baseOffset = batch.baseOffset(buf, 0);
  if (baseOffset !== 0) throw invalid(`the baseOffset of the record batch should be 0, but it is ${baseOffset}`);
  if (size > opts.maxMessageBytes)
    throw new KafkaError(
      ErrorCode.MESSAGE_TOO_LARGE,
      `the record batch size is ${size} bytes which exceeds the maximum configured value of ${opts.maxMessageBytes}`,
    );
  if (size < BATCH_OVERHEAD) throw corrupt(`record batch size ${size} is smaller than its header`);
  const storedCrc = batch.crc(buf, 0);
  if (computeBatchCrc(buf, 0) !== storedCrc) throw corrupt(`record is corrupt (stored crc = ${storedCrc})`);
  if (codec > Compression.zstd)
    throw new KafkaError(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, `unknown compression type id ${codec}`);

  // 3. Batch header consistency.
  const lastOffsetDelta = batch.lastOffsetDelta(buf, 0);
  const count = batch.recordCount(buf, 0);
  if (lastOffsetDelta + 1 <= 0) throw invalid(`batch has an invalid offset range: [0, ${lastOffsetDelta}]`);
  if (count <= 0) throw invalid(`invalid reported count for record batch: ${count}`);
  if (lastOffsetDelta + 1 !== count)
    throw invalid(`inconsistent batch offset range [0, ${lastOffsetDelta}] and count of records ${count}`);
  if ((attributes & Attr.control) !== 0) throw invalid('clients are not allowed to write control records');
  const producerId = batch.producerId(buf, 0);
  const baseSequence = batch.baseSequence(buf, 0);
  if (producerId >= 0 && baseSequence < 0)
    throw invalid(`invalid sequence number ${baseSequence} in record batch with producerId ${producerId}`);

  // 4. Records.
  const logAppend = (attributes & Attr.logAppendTime) !== 0;
  const baseTimestamp = batch.baseTimestamp(buf, 0);
  const headerMaxTimestamp = batch.maxTimestamp(buf, 0);
  const checkTimestamps = opts.timestampType !== undefined;
  const topicCreateTime = opts.timestampType === 'create';
  const now = checkTimestamps ? (opts.now ?? Date.now()) : 0;
  const beforeMax = opts.timestampBeforeMaxMs ?? Infinity;
  const afterMax = opts.timestampAfterMaxMs ?? Infinity;
  const requireKeys = opts.requireKeys === true;

  let firstTimestamp = -1;
  let maxTimestamp = -1;
  let badOffset = -1;
  let recordErrors: RecordError[] | null = null;
  let timestampError = false;

  const chunks = recordChunks(buf, 0, opts.maxUncompressedBytes ?? decompressionLimit(opts.maxMessageBytes));
  const onRecord = (r: RecordView): boolean => {
    if (r.index >= count) return false; // more records than declared: reported below
    if (r.offsetDelta !== r.index) {
      badOffset = r.index;
      return false;
    }
    const timestamp = logAppend ? headerMaxTimestamp : baseTimestamp + r.timestampDelta;
    if (r.index === 0) firstTimestamp = timestamp;
    if (timestamp > maxTimestamp) maxTimestamp = timestamp;
    if (requireKeys && r.keyLength < 0) {
      (recordErrors ??= []).push({
        batchIndex: r.index,
        message: 'Compacted topic cannot accept message without key',
      });
    } else if (checkTimestamps) {
      if (topicCreateTime && timestamp !== -1) {
        if (now - timestamp > beforeMax || timestamp - now > afterMax) {
          timestampError = true;
          (recordErrors ??= []).push({
            batchIndex: r.index,
            message:
              `Timestamp ${timestamp} of message with offset ${r.offsetDelta} is out of range. ` +
              `The timestamp should be within [${now - beforeMax}, ${now + afterMax}]`,
          });
        }
      } else if (logAppend) {
        timestampError = true;
        (recordErrors ??= []).push({
          batchIndex: r.index,
          message: 'Invalid timestamp type in message. Producer should not set timestamp type to LogAppendTime.',
        });
      }
    }
    return true;
  };
  // Uncompressed and most compressed batches are one piece; lz4 comes as its blocks, walked without joining them.
  const walk = chunks.length === 1 ? walkRecords(chunks[0]!, 0, chunks[0]!.length, onRecord) : walkRecordChunks(chunks, onRecord);

  if (walk.error !== null) throw invalid(`invalid record in batch: ${walk.error}`);
  if (badOffset >= 0) throw invalid(`record ${badOffset} in the batch has offset delta that is not ${badOffset}`);
  if (walk.count < count) throw invalid(`incorrect declared batch size: ${count} records declared, ${walk.count} read`);
  if (!walk.exact) throw invalid('incorrect declared batch size, records still remaining');
  if (recordErrors !== null) {
    const errs: RecordError[] = recordErrors;
    if (timestampError)
      throw new RecordValidationError(
        ErrorCode.INVALID_TIMESTAMP,
        'One or more records have been rejected due to invalid timestamp',
        errs,
      );
    throw new RecordValidationError(
      ErrorCode.INVALID_RECORD,
      `One or more records have been rejected due to ${errs.length} record errors in total, and only showing the ` +
        `first three errors at most: ${JSON.stringify(errs.slice(0, 3))}`,
      errs,
    );
  }

  return {
    batchCount: 1,
    recordCount: count,
    firstTimestamp,
    maxTimestamp,
    headerMaxTimestamp,
    compression: codec,
    timestampType: logAppend ? 'logAppend' : 'create',
    producerId,
    producerEpoch: batch.producerEpoch(buf, 0),
    baseSequence,
    lastOffsetDelta,
    isTransactional: (attributes & Attr.transactional) !== 0,
    isControl: false,
    batches: [{ pos: 0, size }],
  };
}
