import { Attr, Compression, batch, isBatchCrcValid, setBaseOffset, setMaxTimestamp } from './batch';
import {
  buildBatch,
  buildControlBatch,
  ControlRecordType,
  controlRecordType,
  decodeBatches,
  decodeRecords,
  markerCoordinatorEpoch,
  walkRecordChunks,
  walkRecords,
  type BuildRecord,
  type RecordView,
} from './record';
import { ErrorCode, KafkaError } from '../errors';
import { ALL_CODECS } from './__tests__/codecs';

const T0 = 1_700_000_000_000;

const sample: BuildRecord[] = [
  { key: 'k1', value: 'v1', timestamp: T0 },
  { key: null, value: Buffer.from([0, 1, 2, 255]), timestamp: T0 + 5 },
  { key: Buffer.alloc(0), value: null, timestamp: T0 - 3, headers: [{ key: 'h', value: 'x' }] },
  {
    key: 'ü-ключ',
    value: 'x'.repeat(300),
    timestamp: T0 + 1000,
    headers: [
      { key: 'a', value: null },
      { key: '', value: Buffer.alloc(0) },
      { key: 'a', value: 'dup' },
    ],
  },
];

function bytes(v: Buffer | string | null): Buffer | null {
  return v === null ? null : Buffer.from(v);
}

describe('buildBatch → decodeRecords', () => {
  for (const [name, compression] of ALL_CODECS) {
    test(`round trip (${name})`, () => {
      const buf = buildBatch({ baseOffset: 100, compression, records: sample });
      expect(isBatchCrcValid(buf)).toBe(true);
      expect(batch.magic(buf)).toBe(2);
      expect(batch.compression(buf)).toBe(compression);
      expect(batch.totalSize(buf)).toBe(buf.length);
      expect(batch.recordCount(buf)).toBe(4);
      expect(batch.lastOffsetDelta(buf)).toBe(3);
      expect(batch.baseTimestamp(buf)).toBe(T0);
      expect(batch.maxTimestamp(buf)).toBe(T0 + 1000);
      expect(batch.producerId(buf)).toBe(-1);
      expect(batch.producerEpoch(buf)).toBe(-1);
      expect(batch.baseSequence(buf)).toBe(-1);
      expect(batch.partitionLeaderEpoch(buf)).toBe(-1);
      const recs = decodeRecords(buf);
      expect(recs.map((r) => r.offset)).toEqual([100, 101, 102, 103]);
      expect(recs.map((r) => r.timestamp)).toEqual([T0, T0 + 5, T0 - 3, T0 + 1000]);
      recs.forEach((r, i) => {
        expect(r.key).toEqual(bytes(sample[i]!.key));
        expect(r.value).toEqual(bytes(sample[i]!.value));
        expect(r.headers).toEqual((sample[i]!.headers ?? []).map((h) => ({ key: h.key, value: bytes(h.value) })));
      });
    });
  }

  test('header fields and attributes', () => {
    const buf = buildBatch({
      baseOffset: 2 ** 40,
      partitionLeaderEpoch: 7,
      producerId: 123456789012,
      producerEpoch: 3,
      baseSequence: 42,
      transactional: true,
      records: [{ key: 'a', value: 'b', timestamp: T0 }],
    });
    expect(batch.baseOffset(buf)).toBe(2 ** 40);
    expect(batch.partitionLeaderEpoch(buf)).toBe(7);
    expect(batch.producerId(buf)).toBe(123456789012);
    expect(batch.producerEpoch(buf)).toBe(3);
    expect(batch.baseSequence(buf)).toBe(42);
    expect(batch.isTransactional(buf)).toBe(true);
    expect(batch.isControl(buf)).toBe(false);
    expect(isBatchCrcValid(buf)).toBe(true);
  });

  test('logAppend time: records take the batch max timestamp', () => {
    const buf = buildBatch({ timestampType: 'logAppend', maxTimestamp: T0 + 99, records: sample });
    expect(batch.attributes(buf) & Attr.logAppendTime).toBe(Attr.logAppendTime);
    expect(decodeRecords(buf).every((r) => r.timestamp === T0 + 99)).toBe(true);
  });

  test('default timestamps are the build time', () => {
    const before = Date.now();
    const buf = buildBatch({ records: [{ key: null, value: 'v' }, { key: null, value: 'w' }] });
    const ts = decodeRecords(buf).map((r) => r.timestamp);
    expect(ts[0]).toBeGreaterThanOrEqual(before);
    expect(ts[0]).toBe(ts[1]);
    expect(batch.maxTimestamp(buf)).toBe(ts[0]);
  });

  test('compaction output: sparse offset deltas, delete horizon, explicit lastOffsetDelta', () => {
    const buf = buildBatch({
      baseOffset: 50,
      deleteHorizonMs: T0 + 86_400_000,
      lastOffsetDelta: 9,
      records: [
        { key: 'a', value: 'x', offsetDelta: 2, timestamp: T0 },
        { key: 'b', value: null, offsetDelta: 7, timestamp: T0 + 1 },
      ],
    });
    expect(batch.attributes(buf) & Attr.hasDeleteHorizon).toBe(Attr.hasDeleteHorizon);
    expect(batch.baseTimestamp(buf)).toBe(T0 + 86_400_000);
    expect(batch.lastOffset(buf)).toBe(59);
    expect(batch.recordCount(buf)).toBe(2);
    const recs = decodeRecords(buf);
    expect(recs.map((r) => r.offset)).toEqual([52, 57]);
    expect(recs.map((r) => r.timestamp)).toEqual([T0, T0 + 1]);
  });

  test('empty batch (cleaner keeps one for producer state)', () => {
    const buf = buildBatch({ baseOffset: 10, lastOffsetDelta: 4, producerId: 5, producerEpoch: 0, records: [] });
    expect(batch.recordCount(buf)).toBe(0);
    expect(batch.lastOffset(buf)).toBe(14);
    expect(batch.maxTimestamp(buf)).toBe(-1);
    expect(decodeRecords(buf)).toEqual([]);
  });

  test('decodeBatches reads a record set and ignores a trailing partial batch', () => {
    const a = buildBatch({ baseOffset: 0, records: [{ key: 'a', value: '1', timestamp: T0 }] });
    const b = buildBatch({ baseOffset: 1, compression: Compression.gzip, records: [{ key: 'b', value: '2', timestamp: T0 }] });
    const c = buildBatch({ baseOffset: 2, records: [{ key: 'c', value: '3', timestamp: T0 }] });
    const set = Buffer.concat([a, b, c.subarray(0, c.length - 1)]);
    const out = decodeBatches(set);
    expect(out).toHaveLength(2);
    expect(out[1]!.compression).toBe(Compression.gzip);
    expect(out.flatMap((x) => x.records.map((r) => `${r.offset}:${r.key}=${r.value}`))).toEqual(['0:a=1', '1:b=2']);
  });

  test('offset patching keeps the batch decodable and the CRC valid', () => {
    const buf = buildBatch({ records: sample });
    setBaseOffset(buf, 0, 1000);
    setMaxTimestamp(buf, 0, T0 + 5000);
    expect(isBatchCrcValid(buf)).toBe(true);
    expect(decodeRecords(buf)[3]!.offset).toBe(1003);
  });

  test('large values and many records', () => {
    const records = Array.from({ length: 2000 }, (_, i) => ({ key: `key-${i}`, value: Buffer.alloc(i % 500, i), timestamp: T0 + i }));
    for (const compression of [Compression.none, Compression.zstd]) {
      const buf = buildBatch({ compression, records });
      const recs = decodeRecords(buf);
      expect(recs).toHaveLength(2000);
      expect(recs[1999]!.value!.length).toBe(1999 % 500);
      expect(recs[1234]!.key!.toString()).toBe('key-1234');
      expect(recs[1999]!.timestamp).toBe(T0 + 1999);
    }
  });
});

describe('decodeRecords failures', () => {
  test('count mismatch', () => {
    const buf = buildBatch({ records: sample });
    buf.writeInt32BE(5, 57);
    expect(() => decodeRecords(buf)).toThrow(KafkaError);
  });
  test('truncated batch', () => {
    const buf = buildBatch({ records: sample });
    let err: unknown;
    try {
      decodeRecords(buf.subarray(0, buf.length - 1));
    } catch (e) {
      err = e;
    }
    expect((err as KafkaError).code).toBe(ErrorCode.CORRUPT_MESSAGE);
  });
  test('wrong magic', () => {
    const buf = buildBatch({ records: sample });
    buf.writeInt8(1, 16);
    expect(() => decodeRecords(buf)).toThrow(KafkaError);
  });
});

describe('walkRecords', () => {
  const buf = buildBatch({ records: sample });

  test('counts and reports positions', () => {
    const seen: { offsetDelta: number; keyLength: number; valueLength: number; headerCount: number }[] = [];
    const res = walkRecords(buf, 61, buf.length, (r) => {
      seen.push({ offsetDelta: r.offsetDelta, keyLength: r.keyLength, valueLength: r.valueLength, headerCount: r.headerCount });
    });
    expect(res).toEqual({ count: 4, pos: buf.length, exact: true, error: null, stopped: false });
    expect(seen).toEqual([
      { offsetDelta: 0, keyLength: 2, valueLength: 2, headerCount: 0 },
      { offsetDelta: 1, keyLength: -1, valueLength: 4, headerCount: 0 },
      { offsetDelta: 2, keyLength: 0, valueLength: -1, headerCount: 1 },
      { offsetDelta: 3, keyLength: Buffer.byteLength('ü-ключ'), valueLength: 300, headerCount: 3 },
    ]);
  });

  test('stops when asked', () => {
    const res = walkRecords(buf, 61, buf.length, (r) => r.index < 1);
    expect(res.count).toBe(1);
    expect(res.stopped).toBe(true);
    expect(res.exact).toBe(false);
  });

  test('detects a record that overruns the end', () => {
    const res = walkRecords(buf, 61, buf.length - 1);
    expect(res.count).toBe(3);
    expect(res.exact).toBe(false);
    expect(res.error).toMatch(/invalid record size/);
  });

  test('detects a record whose fields do not fill its length', () => {
    // one record: length 7 but the fields use 6 (attributes, ts 0, offset 0, null key, null value, 0 headers) + 1 junk
    const rec = Buffer.from([7 * 2, 0, 0, 0, 1, 1, 0, 0]);
    const res = walkRecords(rec, 0, rec.length);
    expect(res.error).toMatch(/declares 7 bytes/);
  });

  test('detects negative header count and negative header key length', () => {
    expect(walkRecords(Buffer.from([6 * 2, 0, 0, 0, 1, 1, 1]), 0, 7).error).toMatch(/header count/);
    expect(walkRecords(Buffer.from([8 * 2, 0, 0, 0, 1, 1, 2, 1, 1]), 0, 9).error).toMatch(/header key/);
  });

  test('truncated varint', () => {
    expect(walkRecords(Buffer.from([0x80]), 0, 1).error).toMatch(/truncated/);
    expect(walkRecords(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), 0, 6).error).toMatch(/truncated/);
  });

  test('empty range is exact with no records', () => {
    expect(walkRecords(buf, 10, 10)).toEqual({ count: 0, pos: 10, exact: true, error: null, stopped: false });
  });
});

describe('walkRecordChunks', () => {
  // Many records of varied sizes (some longer than the pieces), so boundaries fall inside length varints,
  // inside fields and between records.
  let seed = 7;
  const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
  const records: BuildRecord[] = Array.from({ length: 200 }, (_, i) => ({
    key: i % 7 === 0 ? null : `key-${i}`,
    value: 'v'.repeat(rnd(i % 20 === 0 ? 3000 : 200)),
    timestamp: T0 + i,
    headers: i % 5 === 0 ? [{ key: 'h', value: `${i}` }] : [],
  }));
  const section = buildBatch({ records }).subarray(61);
  const fields = (r: RecordView) => [r.index, r.offsetDelta, r.timestampDelta, r.keyLength, r.valueLength, r.headerCount];
  const whole: number[][] = [];
  walkRecords(section, 0, section.length, (r) => void whole.push(fields(r)));

  function split(buf: Buffer, sizes: () => number): Buffer[] {
    const out: Buffer[] = [];
    for (let p = 0; p < buf.length; ) {
      const n = Math.max(1, sizes());
      out.push(buf.subarray(p, p + n));
      p += n;
    }
    return out;
  }

  test('sees the same records as walkRecords over the joined bytes, wherever the pieces are cut', () => {
    for (const sizes of [() => 1, () => 2, () => 1 + rnd(7), () => 1 + rnd(500), () => 64 * 1024, () => 1 + rnd(4000)]) {
      const seen: number[][] = [];
      const res = walkRecordChunks(split(section, sizes), (r) => void seen.push(fields(r)));
      expect(res).toEqual({ count: 200, pos: section.length, exact: true, error: null, stopped: false });
      expect(seen).toEqual(whole);
    }
  });

  test('stops when asked; no pieces is exact with no records', () => {
    const res = walkRecordChunks(split(section, () => 100), (r) => r.index < 10);
    expect(res).toMatchObject({ count: 10, stopped: true, exact: false });
    expect(walkRecordChunks([])).toEqual({ count: 0, pos: 0, exact: true, error: null, stopped: false });
  });

  test('a record cut short by the end of the last piece is an error, as in one buffer', () => {
    for (const cut of [1, 3, 50]) {
      const res = walkRecordChunks(split(section.subarray(0, section.length - cut), () => 1 + rnd(300)));
      expect(res.count).toBe(199);
      expect(res.exact).toBe(false);
      expect(res.error).toMatch(/record 199/);
    }
  });

  test('a record announcing more bytes than exist fails without allocating them', () => {
    // length varint 2^30, then a few bytes: the join is bounded by what the pieces hold.
    const bogus = Buffer.from([0x80, 0x80, 0x80, 0x80, 0x08, 0, 0, 0]);
    const res = walkRecordChunks([bogus.subarray(0, 2), bogus.subarray(2, 6), bogus.subarray(6)]);
    expect(res.count).toBe(0);
    expect(res.error).toMatch(/invalid record size/);
  });
});

describe('control batches', () => {
  test('COMMIT marker', () => {
    const buf = buildControlBatch({
      type: ControlRecordType.COMMIT,
      producerId: 77,
      producerEpoch: 4,
      coordinatorEpoch: 12,
      baseOffset: 500,
      partitionLeaderEpoch: 3,
      timestamp: T0,
    });
    expect(isBatchCrcValid(buf)).toBe(true);
    expect(batch.isControl(buf)).toBe(true);
    expect(batch.isTransactional(buf)).toBe(true);
    expect(batch.producerId(buf)).toBe(77);
    expect(batch.producerEpoch(buf)).toBe(4);
    expect(batch.baseSequence(buf)).toBe(-1);
    expect(batch.baseOffset(buf)).toBe(500);
    expect(batch.partitionLeaderEpoch(buf)).toBe(3);
    const [rec] = decodeRecords(buf);
    expect(rec!.key).toEqual(Buffer.from([0, 0, 0, 1]));
    expect(rec!.value).toEqual(Buffer.from([0, 0, 0, 0, 0, 12]));
    expect(rec!.timestamp).toBe(T0);
    expect(controlRecordType(rec!.key)).toBe(ControlRecordType.COMMIT);
    expect(markerCoordinatorEpoch(rec!.value)).toBe(12);
  });

  test('ABORT marker and a non-transactional control type', () => {
    const abort = buildControlBatch({ type: ControlRecordType.ABORT, producerId: 1, producerEpoch: 0, coordinatorEpoch: 0 });
    expect(controlRecordType(decodeRecords(abort)[0]!.key)).toBe(ControlRecordType.ABORT);
    const leader = buildControlBatch({ type: ControlRecordType.LEADER_CHANGE, value: Buffer.from([1, 2, 3]) });
    expect(batch.isTransactional(leader)).toBe(false);
    expect(batch.isControl(leader)).toBe(true);
    expect(decodeRecords(leader)[0]!.value).toEqual(Buffer.from([1, 2, 3]));
  });
});
