import { crc32c } from '@node-rs/crc32';
import { Compression, batch, rewriteBatchCrc, writeInt64 } from './batch';
import { compress } from './compression';
import { buildBatch, buildControlBatch, ControlRecordType, type BuildBatchOptions, type BuildRecord } from './record';
import { RecordValidationError, validateRecordSet, type ValidateOptions } from './validate';
import { ErrorCode, KafkaError } from '../errors';
import { ALL_CODECS } from './__tests__/codecs';

const T0 = 1_700_000_000_000;
const OPTS: ValidateOptions = { maxMessageBytes: 1 << 20, produceVersion: 9 };

const records: BuildRecord[] = [
  { key: 'a', value: 'one', timestamp: T0 + 10 },
  { key: 'b', value: 'two', timestamp: T0 + 30, headers: [{ key: 'h', value: 'v' }] },
  { key: 'c', value: null, timestamp: T0 + 20 },
];

function make(o: Partial<BuildBatchOptions> = {}): Buffer {
  return buildBatch({ records, ...o });
}

function codeOf(fn: () => unknown): number {
  try {
    fn();
  } catch (e) {
    if (e instanceof KafkaError) return e.code;
    throw e;
  }
  return ErrorCode.NONE;
}

/** Rewrites the records section of an uncompressed batch (fixing lengths and CRC) to craft malformed records. */
function withSection(buf: Buffer, section: Buffer, count?: number, lastOffsetDelta?: number): Buffer {
  const out = Buffer.concat([buf.subarray(0, 61), section]);
  out.writeInt32BE(out.length - 12, 8);
  if (count !== undefined) out.writeInt32BE(count, 57);
  if (lastOffsetDelta !== undefined) out.writeInt32BE(lastOffsetDelta, 23);
  rewriteBatchCrc(out, 0);
  return out;
}

describe('valid record sets', () => {
  for (const [name, compression] of ALL_CODECS) {
    test(`accepts a ${name} batch and describes it`, () => {
      const buf = make({ compression, producerId: 9, producerEpoch: 2, baseSequence: 5 });
      const info = validateRecordSet(buf, { ...OPTS, requireKeys: true });
      expect(info).toEqual({
        batchCount: 1,
        recordCount: 3,
        firstTimestamp: T0 + 10,
        maxTimestamp: T0 + 30,
        headerMaxTimestamp: T0 + 30,
        compression,
        timestampType: 'create',
        producerId: 9,
        producerEpoch: 2,
        baseSequence: 5,
        lastOffsetDelta: 2,
        isTransactional: false,
        isControl: false,
        batches: [{ pos: 0, size: buf.length }],
      });
    });
  }

  test('reports the true max timestamp when the header understates it', () => {
    const buf = make({ maxTimestamp: T0 });
    const info = validateRecordSet(buf, OPTS);
    expect(info.maxTimestamp).toBe(T0 + 30);
    expect(info.headerMaxTimestamp).toBe(T0);
  });

  test('transactional batch', () => {
    const info = validateRecordSet(make({ transactional: true, producerId: 1, producerEpoch: 0, baseSequence: 0 }), OPTS);
    expect(info.isTransactional).toBe(true);
  });

  test('does not copy or modify the buffer', () => {
    const buf = make();
    const before = Buffer.from(buf);
    validateRecordSet(buf, OPTS);
    expect(buf.equals(before)).toBe(true);
  });
});

describe('request-level shape (ProduceRequest.validateRecords)', () => {
  test('empty set → INVALID_RECORD', () => {
    expect(codeOf(() => validateRecordSet(Buffer.alloc(0), OPTS))).toBe(ErrorCode.INVALID_RECORD);
  });

  test('two batches in one produce → INVALID_RECORD', () => {
    const two = Buffer.concat([make(), make()]);
    expect(codeOf(() => validateRecordSet(two, OPTS))).toBe(ErrorCode.INVALID_RECORD);
    expect(codeOf(() => validateRecordSet(two, { ...OPTS, produceVersion: 2 }))).toBe(ErrorCode.INVALID_RECORD);
  });

  test('a lone truncated batch is no batch at all → INVALID_RECORD (as Kafka)', () => {
    const buf = make();
    expect(codeOf(() => validateRecordSet(buf.subarray(0, buf.length - 1), OPTS))).toBe(ErrorCode.INVALID_RECORD);
    expect(codeOf(() => validateRecordSet(buf.subarray(0, 20), OPTS))).toBe(ErrorCode.INVALID_RECORD);
  });

  test('trailing partial data after the batch → CORRUPT_MESSAGE', () => {
    const buf = make();
    expect(codeOf(() => validateRecordSet(Buffer.concat([buf, buf.subarray(0, 30)]), OPTS))).toBe(ErrorCode.CORRUPT_MESSAGE);
    expect(codeOf(() => validateRecordSet(Buffer.concat([buf, Buffer.alloc(3)]), OPTS))).toBe(ErrorCode.CORRUPT_MESSAGE);
  });

  test('batch length below the minimum record overhead → CORRUPT_MESSAGE', () => {
    const buf = make();
    buf.writeInt32BE(13, 8);
    expect(codeOf(() => validateRecordSet(buf, OPTS))).toBe(ErrorCode.CORRUPT_MESSAGE);
    buf.writeInt32BE(-5, 8);
    expect(codeOf(() => validateRecordSet(buf, OPTS))).toBe(ErrorCode.CORRUPT_MESSAGE);
  });

  test('wrong magic: v0/v1 → INVALID_RECORD on Produce v3+, unknown magic → CORRUPT_MESSAGE', () => {
    for (const magic of [0, 1]) {
      const buf = make();
      buf.writeInt8(magic, 16);
      expect(codeOf(() => validateRecordSet(buf, OPTS))).toBe(ErrorCode.INVALID_RECORD);
      expect(codeOf(() => validateRecordSet(buf, { ...OPTS, produceVersion: 2 }))).toBe(ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT);
    }
    for (const magic of [3, -1]) {
      const buf = make();
      buf.writeInt8(magic, 16);
      expect(codeOf(() => validateRecordSet(buf, OPTS))).toBe(ErrorCode.CORRUPT_MESSAGE);
    }
  });

  test('zstd needs Produce v7', () => {
    const buf = make({ compression: Compression.zstd });
    expect(codeOf(() => validateRecordSet(buf, { ...OPTS, produceVersion: 6 }))).toBe(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
    expect(codeOf(() => validateRecordSet(buf, { ...OPTS, produceVersion: 7 }))).toBe(ErrorCode.NONE);
    expect(codeOf(() => validateRecordSet(make({ compression: Compression.lz4 }), { ...OPTS, produceVersion: 3 }))).toBe(
      ErrorCode.NONE,
    );
  });
});

describe('batch integrity', () => {
  test('non-zero base offset → INVALID_RECORD', () => {
    expect(codeOf(() => validateRecordSet(make({ baseOffset: 5 }), OPTS))).toBe(ErrorCode.INVALID_RECORD);
  });

  test('batch larger than max.message.bytes → MESSAGE_TOO_LARGE', () => {
    const buf = make();
    expect(codeOf(() => validateRecordSet(buf, { ...OPTS, maxMessageBytes: buf.length - 1 }))).toBe(ErrorCode.MESSAGE_TOO_LARGE);
    expect(codeOf(() => validateRecordSet(buf, { ...OPTS, maxMessageBytes: buf.length }))).toBe(ErrorCode.NONE);
  });

  test('corrupt CRC → CORRUPT_MESSAGE', () => {
    const buf = make();
    buf[buf.length - 1] ^= 0x01;
    expect(codeOf(() => validateRecordSet(buf, OPTS))).toBe(ErrorCode.CORRUPT_MESSAGE);
    const hdr = make();
    hdr.writeUInt32BE((hdr.readUInt32BE(17) + 1) >>> 0, 17);
    expect(codeOf(() => validateRecordSet(hdr, OPTS))).toBe(ErrorCode.CORRUPT_MESSAGE);
  });

  test('batch shorter than its header → CORRUPT_MESSAGE', () => {
    const buf = make().subarray(0, 40);
    buf.writeInt32BE(28, 8);
    expect(codeOf(() => validateRecordSet(buf, OPTS))).toBe(ErrorCode.CORRUPT_MESSAGE);
  });

  test('unknown compression codec → UNSUPPORTED_COMPRESSION_TYPE', () => {
    const buf = make();
    buf.writeInt16BE(6, 21);
    rewriteBatchCrc(buf, 0);
    expect(codeOf(() => validateRecordSet(buf, OPTS))).toBe(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
  });

  test('undecodable compressed payload → CORRUPT_MESSAGE', () => {
    const buf = make({ compression: Compression.gzip });
    buf.fill(0x55, 70, 80);
    rewriteBatchCrc(buf, 0);
    expect(codeOf(() => validateRecordSet(buf, OPTS))).toBe(ErrorCode.CORRUPT_MESSAGE);
  });

  test('an lz4 batch of many blocks is walked across its blocks, and its count still checked', () => {
    // Records of uneven sizes spread over several 64 KiB blocks, so records straddle block boundaries.
    const records = Array.from({ length: 500 }, (_, i) => ({ key: `k${i}`, value: `${i}-`.repeat(50 + (i % 97)), timestamp: T0 + i }));
    const buf = buildBatch({ compression: Compression.lz4, records });
    expect(validateRecordSet(buf, { ...OPTS, requireKeys: true })).toMatchObject({ recordCount: 500, maxTimestamp: T0 + 499 });
    const short = Buffer.from(buf);
    short.writeInt32BE(501, 57);
    short.writeInt32BE(500, 23);
    rewriteBatchCrc(short, 0);
    expect(codeOf(() => validateRecordSet(short, OPTS))).toBe(ErrorCode.INVALID_RECORD);
  });

  test('decompression bomb → CORRUPT_MESSAGE', () => {
    const big = buildBatch({ compression: Compression.zstd, records: [{ key: 'k', value: Buffer.alloc(4 << 20) }] });
    expect(big.length).toBeLessThan(4096);
    expect(codeOf(() => validateRecordSet(big, { ...OPTS, maxUncompressedBytes: 1 << 20 }))).toBe(ErrorCode.CORRUPT_MESSAGE);
    expect(codeOf(() => validateRecordSet(big, OPTS))).toBe(ErrorCode.NONE);
  });
});

describe('batch header consistency (LogValidator.validateBatch)', () => {
  function patched(fn: (b: Buffer) => void, o: Partial<BuildBatchOptions> = {}): Buffer {
    const buf = make(o);
    fn(buf);
    rewriteBatchCrc(buf, 0);
    return buf;
  }

  test('record count larger than the records present → INVALID_RECORD', () => {
    const buf = patched((b) => {
      b.writeInt32BE(4, 57);
      b.writeInt32BE(3, 23);
    });
    expect(codeOf(() => validateRecordSet(buf, OPTS))).toBe(ErrorCode.INVALID_RECORD);
  });

  test('record count smaller than the records present → INVALID_RECORD', () => {
    for (const compression of [Compression.none, Compression.snappy]) {
      const buf = patched(
        (b) => {
          b.writeInt32BE(2, 57);
          b.writeInt32BE(1, 23);
        },
        { compression },
      );
      expect(codeOf(() => validateRecordSet(buf, OPTS))).toBe(ErrorCode.INVALID_RECORD);
    }
  });

  test('lastOffsetDelta inconsistent with the count → INVALID_RECORD', () => {
    expect(codeOf(() => validateRecordSet(patched((b) => b.writeInt32BE(5, 23)), OPTS))).toBe(ErrorCode.INVALID_RECORD);
    expect(codeOf(() => validateRecordSet(patched((b) => b.writeInt32BE(-1, 23)), OPTS))).toBe(ErrorCode.INVALID_RECORD);
  });

  test('zero records → INVALID_RECORD', () => {
    const empty = buildBatch({ records: [], lastOffsetDelta: -1 });
    expect(codeOf(() => validateRecordSet(empty, OPTS))).toBe(ErrorCode.INVALID_RECORD);
    const empty0 = buildBatch({ records: [] });
    expect(codeOf(() => validateRecordSet(empty0, OPTS))).toBe(ErrorCode.INVALID_RECORD);
  });

  test('control batch from a client → INVALID_RECORD', () => {
    const marker = buildControlBatch({ type: ControlRecordType.COMMIT, producerId: 1, producerEpoch: 0, coordinatorEpoch: 0 });
    expect(codeOf(() => validateRecordSet(marker, OPTS))).toBe(ErrorCode.INVALID_RECORD);
  });

  test('idempotent batch without a sequence → INVALID_RECORD', () => {
    expect(codeOf(() => validateRecordSet(make({ producerId: 3, producerEpoch: 0, baseSequence: -1 }), OPTS))).toBe(
      ErrorCode.INVALID_RECORD,
    );
  });
});

describe('records', () => {
  test('offset deltas must be 0..n-1 → INVALID_RECORD', () => {
    for (const compression of [Compression.none, Compression.lz4]) {
      const buf = buildBatch({
        compression,
        lastOffsetDelta: 1,
        records: [
          { key: 'a', value: 'x', offsetDelta: 0 },
          { key: 'b', value: 'y', offsetDelta: 2 },
        ],
      });
      expect(codeOf(() => validateRecordSet(buf, OPTS))).toBe(ErrorCode.INVALID_RECORD);
    }
  });

  test('malformed record structure → INVALID_RECORD', () => {
    const base = make();
    // record length overruns the batch
    expect(codeOf(() => validateRecordSet(withSection(base, Buffer.from([100, 0, 0, 0]), 1, 0), OPTS))).toBe(
      ErrorCode.INVALID_RECORD,
    );
    // fields shorter than the declared length
    expect(codeOf(() => validateRecordSet(withSection(base, Buffer.from([14, 0, 0, 0, 1, 1, 0, 0]), 1, 0), OPTS))).toBe(
      ErrorCode.INVALID_RECORD,
    );
    // a well-formed minimal record is fine
    expect(codeOf(() => validateRecordSet(withSection(base, Buffer.from([12, 0, 0, 0, 1, 1, 0]), 1, 0), OPTS))).toBe(
      ErrorCode.NONE,
    );
  });

  test('compressed records section with trailing garbage → INVALID_RECORD', () => {
    const plain = make();
    const section = Buffer.concat([plain.subarray(61), Buffer.from([1, 2, 3])]);
    const buf = Buffer.concat([plain.subarray(0, 61), compress(Compression.gzip, section)]);
    buf.writeInt32BE(buf.length - 12, 8);
    buf.writeInt16BE(Compression.gzip, 21);
    rewriteBatchCrc(buf, 0);
    expect(codeOf(() => validateRecordSet(buf, OPTS))).toBe(ErrorCode.INVALID_RECORD);
  });

  test('null key on a compacted topic → INVALID_RECORD with record errors', () => {
    const buf = buildBatch({
      compression: Compression.snappy,
      records: [
        { key: 'a', value: '1' },
        { key: null, value: '2' },
        { key: null, value: '3' },
      ],
    });
    expect(codeOf(() => validateRecordSet(buf, OPTS))).toBe(ErrorCode.NONE);
    let err: unknown;
    try {
      validateRecordSet(buf, { ...OPTS, requireKeys: true });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RecordValidationError);
    const rv = err as RecordValidationError;
    expect(rv.code).toBe(ErrorCode.INVALID_RECORD);
    expect(rv.recordErrors.map((e) => e.batchIndex)).toEqual([1, 2]);
  });

  test('an empty (non-null) key is a key', () => {
    const buf = buildBatch({ records: [{ key: '', value: 'v' }] });
    expect(codeOf(() => validateRecordSet(buf, { ...OPTS, requireKeys: true }))).toBe(ErrorCode.NONE);
  });
});

describe('timestamps (only when the topic timestamp type is given)', () => {
  const now = T0 + 1_000_000;

  test('out of range CreateTime → INVALID_TIMESTAMP with record errors', () => {
    const buf = buildBatch({
      records: [
        { key: 'a', value: '1', timestamp: now - 5000 },
        { key: 'b', value: '2', timestamp: now },
        { key: 'c', value: '3', timestamp: now + 5000 },
      ],
    });
    const o = { ...OPTS, timestampType: 'create' as const, now, timestampBeforeMaxMs: 1000, timestampAfterMaxMs: 1000 };
    let err: unknown;
    try {
      validateRecordSet(buf, o);
    } catch (e) {
      err = e;
    }
    expect((err as RecordValidationError).code).toBe(ErrorCode.INVALID_TIMESTAMP);
    expect((err as RecordValidationError).recordErrors.map((e) => e.batchIndex)).toEqual([0, 2]);
    expect(codeOf(() => validateRecordSet(buf, { ...o, timestampBeforeMaxMs: 5000, timestampAfterMaxMs: 5000 }))).toBe(
      ErrorCode.NONE,
    );
    expect(codeOf(() => validateRecordSet(buf, OPTS))).toBe(ErrorCode.NONE);
  });

  test('records without a timestamp (-1) are not range-checked', () => {
    const buf = buildBatch({ records: [{ key: 'a', value: '1', timestamp: -1 }] });
    const o = { ...OPTS, timestampType: 'create' as const, now, timestampBeforeMaxMs: 1000 };
    expect(codeOf(() => validateRecordSet(buf, o))).toBe(ErrorCode.NONE);
  });

  test('a producer may not send LogAppendTime batches to a LogAppendTime topic', () => {
    const buf = buildBatch({ timestampType: 'logAppend', maxTimestamp: now, records: [{ key: 'a', value: '1' }] });
    expect(codeOf(() => validateRecordSet(buf, { ...OPTS, timestampType: 'logAppend', now }))).toBe(ErrorCode.INVALID_TIMESTAMP);
    expect(codeOf(() => validateRecordSet(buf, OPTS))).toBe(ErrorCode.NONE);
  });
});

describe('CRC-32C sanity', () => {
  test('batch CRC is CRC-32C over attributes..end', () => {
    const buf = make();
    expect(batch.crc(buf)).toBe(crc32c(buf.subarray(21)) >>> 0);
    writeInt64(buf, 0, 99); // base offset is outside the CRC
    expect(batch.crc(buf)).toBe(crc32c(buf.subarray(21)) >>> 0);
  });
});
