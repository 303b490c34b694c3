// Legacy message sets (magic 0 and 1) → one record batch v2. The sets are built by hand (__tests__/legacy-sets.ts):
// CRC-32 from a second implementation, compressed payloads from the codec libraries directly.

import * as CRC32 from 'crc-32';
import { Compression, batch, isBatchCrcValid } from './batch';
import { decodeBatches } from './record';
import { convertLegacyMessageSet, isLegacyMessageSet, recordSetMagic } from './legacy';
import { validateRecordSet } from './validate';
import { ErrorCode, KafkaError } from '../errors';
import { type MessageSpec, entry, message, messageSet, wrapper } from './__tests__/legacy-sets';

function convertAndCheck(set: Buffer) {
  const out = convertLegacyMessageSet(set);
  expect(isBatchCrcValid(out)).toBe(true);
  expect(batch.magic(out)).toBe(2);
  expect(batch.baseOffset(out)).toBe(0);
  expect(batch.partitionLeaderEpoch(out)).toBe(-1);
  expect(batch.producerId(out)).toBe(-1);
  expect(batch.producerEpoch(out)).toBe(-1);
  expect(batch.baseSequence(out)).toBe(-1);
  expect(batch.isTransactional(out)).toBe(false);
  // What the append path will see: a valid batch (Produce v2 as the request version).
  const info = validateRecordSet(out, { maxMessageBytes: 1 << 20, produceVersion: 2 });
  const [b] = decodeBatches(out);
  expect(b!.records.map((r) => r.offset)).toEqual([...Array(info.recordCount).keys()]);
  return { out, batch: b!, info };
}

const str = (b: Buffer | null) => (b === null ? null : b.toString());

function expectKafkaError(fn: () => unknown, code: number, message?: RegExp): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(KafkaError);
    expect((e as KafkaError).code).toBe(code);
    if (message) expect((e as Error).message).toMatch(message);
    return;
  }
  throw new Error('expected a KafkaError');
}

const CODECS = [
  ['gzip', Compression.gzip],
  ['snappy', Compression.snappy],
  ['lz4', Compression.lz4],
] as const;

// ---------------------------------------------------------------------------------------------------------------

describe('detection', () => {
  test('the magic byte sits where a v2 batch has its own', () => {
    expect(recordSetMagic(messageSet([{ magic: 0, value: 'a' }]))).toBe(0);
    expect(recordSetMagic(messageSet([{ magic: 1, value: 'a' }]))).toBe(1);
    expect(isLegacyMessageSet(messageSet([{ magic: 1, value: 'a' }]))).toBe(true);
    expect(isLegacyMessageSet(Buffer.alloc(10))).toBe(false);
    expect(isLegacyMessageSet(null)).toBe(false);
    expect(recordSetMagic(Buffer.alloc(0))).toBe(-1);
  });
});

describe('uncompressed message sets', () => {
  test('a fixed magic 0 message (null key, null value) with its known CRC 0xA7EC6803', () => {
    const msg = Buffer.from([0xa7, 0xec, 0x68, 0x03, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    expect(message({ magic: 0, key: null, value: null })).toEqual(msg);
    const { batch: b } = convertAndCheck(entry(0, msg));
    expect(b.records.map((r) => [r.key, r.value, r.timestamp])).toEqual([[null, null, -1]]);
  });

  test('magic 0: keys and values byte for byte, null key and null value, no timestamps (-1)', () => {
    const binary = Buffer.from([0, 1, 2, 0xff, 0xfe]);
    const set = messageSet(
      [
        { magic: 0, key: 'k1', value: 'v1' },
        { magic: 0, key: null, value: 'no key' },
        { magic: 0, key: 'tombstone', value: null },
        { magic: 0, key: Buffer.alloc(0), value: binary },
      ],
      // Offsets a legacy producer sends are ignored.
      17,
    );
    const { out, batch: b, info } = convertAndCheck(set);
    expect(b.compression).toBe(Compression.none);
    expect(b.timestampType).toBe('create');
    expect(b.records.map((r) => [str(r.key), str(r.value), r.timestamp, r.headers])).toEqual([
      ['k1', 'v1', -1, []],
      [null, 'no key', -1, []],
      ['tombstone', null, -1, []],
      ['', binary.toString(), -1, []],
    ]);
    expect(b.records[3]!.value).toEqual(binary);
    expect(batch.maxTimestamp(out)).toBe(-1);
    expect(info).toMatchObject({ recordCount: 4, maxTimestamp: -1, producerId: -1 });
  });

  test('magic 1: each message keeps its timestamp; the batch is CreateTime with the largest as max', () => {
    const set = messageSet([
      { magic: 1, key: 'a', value: '1', timestamp: 1_700_000_000_500 },
      { magic: 1, key: null, value: null, timestamp: 1_700_000_000_100 },
      { magic: 1, key: 'c', value: '3', timestamp: 1_700_000_000_900 },
    ]);
    const { out, batch: b } = convertAndCheck(set);
    expect(b.timestampType).toBe('create');
    expect(b.records.map((r) => [str(r.key), str(r.value), r.timestamp])).toEqual([
      ['a', '1', 1_700_000_000_500],
      [null, null, 1_700_000_000_100],
      ['c', '3', 1_700_000_000_900],
    ]);
    expect(batch.baseTimestamp(out)).toBe(1_700_000_000_500);
    expect(batch.maxTimestamp(out)).toBe(1_700_000_000_900);
  });

  test('magic 0 and magic 1 messages in one set (Kafka takes them as they come)', () => {
    const set = messageSet([
      { magic: 0, value: 'old' },
      { magic: 1, value: 'new', timestamp: 1_600_000_000_000 },
    ]);
    const { batch: b } = convertAndCheck(set);
    expect(b.records.map((r) => [str(r.value), r.timestamp])).toEqual([
      ['old', -1],
      ['new', 1_600_000_000_000],
    ]);
  });

  test('a magic 1 message marked LogAppendTime makes the batch LogAppendTime', () => {
    const set = messageSet([{ magic: 1, value: 'x', timestamp: 1_650_000_000_000, logAppendTime: true }]);
    const { out, batch: b } = convertAndCheck(set);
    expect(b.timestampType).toBe('logAppend');
    expect(batch.maxTimestamp(out)).toBe(1_650_000_000_000);
  });
});

describe.each(CODECS)('%s wrapper', (_name, codec) => {
  test('magic 1: inner relative offsets, inner timestamps, same codec in the batch', () => {
    const inner = messageSet([
      { magic: 1, key: 'k0', value: 'v0'.repeat(50), timestamp: 1_700_000_000_001 },
      { magic: 1, key: null, value: 'v1', timestamp: 1_700_000_000_003 },
      { magic: 1, key: 'k2', value: null, timestamp: 1_700_000_000_002 },
    ]);
    // The wrapper carries the last inner offset (or 0, as some librdkafka versions sent it).
    for (const offset of [2, 0, 1000]) {
      const { out, batch: b, info } = convertAndCheck(wrapper(1, codec, inner, { offset, timestamp: 1_700_000_000_003 }));
      expect(b.compression).toBe(codec);
      expect(info.compression).toBe(codec);
      expect(b.timestampType).toBe('create');
      expect(b.records.map((r) => [str(r.key), str(r.value), r.timestamp])).toEqual([
        ['k0', 'v0'.repeat(50), 1_700_000_000_001],
        [null, 'v1', 1_700_000_000_003],
        ['k2', null, 1_700_000_000_002],
      ]);
      expect(batch.maxTimestamp(out)).toBe(1_700_000_000_003);
    }
  });

  test('magic 0: inner absolute offsets, no timestamps', () => {
    const inner = messageSet(
      [
        { magic: 0, key: 'a', value: 'alpha' },
        { magic: 0, key: null, value: 'beta' },
      ],
      40,
    );
    const { batch: b } = convertAndCheck(wrapper(0, codec, inner, { offset: 41 }));
    expect(b.compression).toBe(codec);
    expect(b.records.map((r) => [str(r.key), str(r.value), r.timestamp])).toEqual([
      ['a', 'alpha', -1],
      [null, 'beta', -1],
    ]);
  });

  test('a LogAppendTime wrapper gives its timestamp to every record and makes the batch LogAppendTime', () => {
    const inner = messageSet([
      { magic: 1, value: 'a', timestamp: 5 },
      { magic: 1, value: 'b', timestamp: 6 },
    ]);
    const { out, batch: b } = convertAndCheck(wrapper(1, codec, inner, { offset: 1, timestamp: 1_700_000_123_456, logAppendTime: true }));
    expect(b.timestampType).toBe('logAppend');
    expect(b.records.map((r) => r.timestamp)).toEqual([1_700_000_123_456, 1_700_000_123_456]);
    expect(batch.maxTimestamp(out)).toBe(1_700_000_123_456);
  });

  test('several wrappers and plain messages in one set become one batch', () => {
    const set = Buffer.concat([
      wrapper(1, codec, messageSet([{ magic: 1, value: 'w1-a', timestamp: 1 }, { magic: 1, value: 'w1-b', timestamp: 2 }]), { offset: 1 }),
      entry(2, message({ magic: 1, value: 'plain', timestamp: 3 })),
      wrapper(1, codec, messageSet([{ magic: 1, value: 'w2-a', timestamp: 4 }]), { offset: 3 }),
    ]);
    const { batch: b } = convertAndCheck(set);
    expect(b.compression).toBe(codec);
    expect(b.records.map((r) => [r.offset, str(r.value), r.timestamp])).toEqual([
      [0, 'w1-a', 1],
      [1, 'w1-b', 2],
      [2, 'plain', 3],
      [3, 'w2-a', 4],
    ]);
  });

  test('a bad CRC in an inner message → CORRUPT_MESSAGE', () => {
    const inner = messageSet([{ magic: 1, value: 'good', timestamp: 1 }, { magic: 1, value: 'evil', timestamp: 2 }]);
    inner[inner.length - 1] ^= 0x01;
    expectKafkaError(() => convertLegacyMessageSet(wrapper(1, codec, inner, { offset: 1 })), ErrorCode.CORRUPT_MESSAGE, /crc/);
  });

  test('a truncated inner message set → CORRUPT_MESSAGE', () => {
    const inner = messageSet([{ magic: 1, value: 'one', timestamp: 1 }, { magic: 1, value: 'two', timestamp: 2 }]);
    expectKafkaError(() => convertLegacyMessageSet(wrapper(1, codec, inner.subarray(0, inner.length - 3))), ErrorCode.CORRUPT_MESSAGE, /truncated/);
  });

  test('a payload the codec cannot read → CORRUPT_MESSAGE', () => {
    const bogus = entry(0, message({ magic: 1, codec, value: Buffer.from('not compressed at all, certainly'), timestamp: 1 }));
    expectKafkaError(() => convertLegacyMessageSet(bogus), ErrorCode.CORRUPT_MESSAGE);
  });

  test('a nested wrapper → INVALID_RECORD (as Kafka 3.x)', () => {
    const innermost = messageSet([{ magic: 1, value: 'deep', timestamp: 1 }]);
    const nested = wrapper(1, codec, innermost);
    expectKafkaError(() => convertLegacyMessageSet(wrapper(1, codec, nested)), ErrorCode.INVALID_RECORD, /nested/);
  });

  test('inner magic other than the wrapper magic, empty and null wrapper values → INVALID_RECORD', () => {
    expectKafkaError(
      () => convertLegacyMessageSet(wrapper(1, codec, messageSet([{ magic: 0, value: 'v0 inside v1' }]))),
      ErrorCode.INVALID_RECORD,
      /does not match wrapper magic/,
    );
    expectKafkaError(() => convertLegacyMessageSet(wrapper(1, codec, Buffer.alloc(0))), ErrorCode.INVALID_RECORD, /no inner records/);
    expectKafkaError(
      () => convertLegacyMessageSet(entry(0, message({ magic: 1, codec, value: null, timestamp: 1 }))),
      ErrorCode.INVALID_RECORD,
      /null value/,
    );
  });

  test('a magic 1 wrapper offset below its last inner offset (and not 0) → INVALID_RECORD', () => {
    const inner = messageSet([{ magic: 1, value: 'a', timestamp: 1 }, { magic: 1, value: 'b', timestamp: 1 }, { magic: 1, value: 'c', timestamp: 1 }]);
    expectKafkaError(() => convertLegacyMessageSet(wrapper(1, codec, inner, { offset: 1 })), ErrorCode.INVALID_RECORD, /wrapper offset/);
  });
});

describe('codec framings legacy producers wrote', () => {
  const inner = (magic: 0 | 1) => messageSet([{ magic, key: 'k', value: 'framed', timestamp: 7 }]);

  test('snappy as a raw block (no xerial framing)', () => {
    const { batch: b } = convertAndCheck(wrapper(1, Compression.snappy, inner(1), { variant: 'raw-snappy' }));
    expect(b.records.map((r) => str(r.value))).toEqual(['framed']);
  });

  test('lz4 of magic 0 with the old, wrong frame descriptor checksum (KIP-57)', () => {
    const { batch: b } = convertAndCheck(wrapper(0, Compression.lz4, inner(0), { variant: 'kip57' }));
    expect(b.compression).toBe(Compression.lz4);
    expect(b.records.map((r) => str(r.value))).toEqual(['framed']);
  });

  test('a large inner set (lz4: several frame blocks)', () => {
    const specs: MessageSpec[] = [];
    for (let i = 0; i < 2000; i++) specs.push({ magic: 1, key: `key-${i % 17}`, value: `value-${i}-${'z'.repeat(i % 200)}`, timestamp: 1_000 + i });
    for (const [, codec] of CODECS) {
      const { batch: b } = convertAndCheck(wrapper(1, codec, messageSet(specs), { offset: 1999 }));
      expect(b.records).toHaveLength(2000);
      expect(b.records.map((r) => str(r.value))).toEqual(specs.map((s) => s.value));
    }
  });
});

describe('refused sets', () => {
  const good = () => messageSet([{ magic: 1, key: 'k', value: 'v', timestamp: 1 }, { magic: 0, key: null, value: 'w' }]);

  test('a bad CRC → CORRUPT_MESSAGE', () => {
    // A timestamp byte of the first message; the last value byte of the second.
    for (const at of [20, good().length - 1]) {
      const set = good();
      set[at] ^= 0x10;
      expectKafkaError(() => convertLegacyMessageSet(set), ErrorCode.CORRUPT_MESSAGE, /crc/);
    }
  });

  test('truncated: a partial header, a partial message → CORRUPT_MESSAGE', () => {
    const set = good();
    expectKafkaError(() => convertLegacyMessageSet(set.subarray(0, set.length - 1)), ErrorCode.CORRUPT_MESSAGE, /truncated/);
    const first = entry(0, message({ magic: 1, value: 'v', timestamp: 1 }));
    expectKafkaError(() => convertLegacyMessageSet(Buffer.concat([first, Buffer.alloc(7)])), ErrorCode.CORRUPT_MESSAGE, /truncated/);
  });

  test('a message size below the minimum overhead → CORRUPT_MESSAGE', () => {
    const set = good();
    set.writeInt32BE(13, 8);
    expectKafkaError(() => convertLegacyMessageSet(set), ErrorCode.CORRUPT_MESSAGE, /minimum record overhead/);
    // A magic 1 message too short to hold its timestamp.
    const short = Buffer.concat([Buffer.from([1, 0]), Buffer.alloc(12, 0xff)]);
    const crc = Buffer.alloc(4);
    crc.writeInt32BE(CRC32.buf(short));
    expectKafkaError(() => convertLegacyMessageSet(entry(0, Buffer.concat([crc, short]))), ErrorCode.CORRUPT_MESSAGE, /minimum record overhead \(22\)/);
  });

  test('key or value lengths that overrun the message, or leave bytes over → CORRUPT_MESSAGE', () => {
    const build = (fields: Buffer) => {
      const body = Buffer.concat([Buffer.from([0, 0]), fields]);
      const crc = Buffer.alloc(4);
      crc.writeInt32BE(CRC32.buf(body));
      return entry(0, Buffer.concat([crc, body]));
    };
    const len = (n: number) => {
      const b = Buffer.alloc(4);
      b.writeInt32BE(n);
      return b;
    };
    expectKafkaError(() => convertLegacyMessageSet(build(Buffer.concat([len(50), Buffer.from('key'), len(-1)]))), ErrorCode.CORRUPT_MESSAGE, /key/);
    expectKafkaError(() => convertLegacyMessageSet(build(Buffer.concat([len(-1), len(9), Buffer.from('val')]))), ErrorCode.CORRUPT_MESSAGE, /value/);
    expectKafkaError(() => convertLegacyMessageSet(build(Buffer.concat([len(-1), len(1), Buffer.from('vXX')]))), ErrorCode.CORRUPT_MESSAGE, /fields use/);
  });

  test('a v2 batch after legacy messages, or a magic above 2 → CORRUPT_MESSAGE', () => {
    const v2like = good();
    v2like[16 + v2like.readInt32BE(8) + 12] = 2;
    expectKafkaError(() => convertLegacyMessageSet(v2like), ErrorCode.CORRUPT_MESSAGE, /magic 2/);
    const bad = good();
    bad[16 + bad.readInt32BE(8) + 12] = 5;
    expectKafkaError(() => convertLegacyMessageSet(bad), ErrorCode.CORRUPT_MESSAGE, /invalid magic 5/);
  });

  test('zstd (v2 batches only) → INVALID_RECORD; an unknown codec → UNSUPPORTED_COMPRESSION_TYPE', () => {
    const inner = messageSet([{ magic: 1, value: 'z', timestamp: 1 }]);
    expectKafkaError(
      () => convertLegacyMessageSet(entry(0, message({ magic: 1, codec: Compression.zstd, value: inner, timestamp: 1 }))),
      ErrorCode.INVALID_RECORD,
      /zstd/,
    );
    expectKafkaError(
      () => convertLegacyMessageSet(entry(0, message({ magic: 1, codec: 6, value: inner, timestamp: 1 }))),
      ErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
    );
  });

  test('decompression beyond the limit → CORRUPT_MESSAGE', () => {
    const inner = messageSet([{ magic: 1, value: 'y'.repeat(100_000), timestamp: 1 }]);
    expectKafkaError(() => convertLegacyMessageSet(wrapper(1, Compression.gzip, inner), { maxUncompressedBytes: 10_000 }), ErrorCode.CORRUPT_MESSAGE);
  });
});
