// Cross-check against an independent implementation: kafkajs's record batch encoder and decoder (kafkajs ships
// gzip only, so the comparison covers none and gzip).

import { Compression, batch, isBatchCrcValid } from './batch';
import { buildBatch, decodeRecords, type BuildRecord } from './record';
import { validateRecordSet } from './validate';

/* eslint-disable @typescript-eslint/no-require-imports */
type KjsEncoder = { buffer: Buffer };
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0') as {
  RecordBatch: (opts: Record<string, unknown>) => Promise<KjsEncoder>;
};
const KjsRecord = require('kafkajs/src/protocol/recordBatch/record/v0') as (opts: Record<string, unknown>) => KjsEncoder;
const decodeKjsBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder') as (d: unknown) => Promise<KjsBatch>;
const KjsDecoder = require('kafkajs/src/protocol/decoder') as new (b: Buffer) => unknown;

interface KjsRecordOut {
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | Buffer[]>;
}
interface KjsBatch {
  firstOffset: string;
  lastOffsetDelta: number;
  producerId: string;
  producerEpoch: number;
  firstSequence: number;
  inTransaction: boolean;
  records: KjsRecordOut[];
}

const T0 = 1_650_000_000_000;

// kafkajs cannot encode null header values, so the shared sample has none.
const sample = [
  { key: Buffer.from('key-0'), value: Buffer.from('value-0'), ts: T0, headers: {} as Record<string, Buffer> },
  { key: null, value: Buffer.from('no key'), ts: T0 + 7, headers: { trace: Buffer.from('abc') } },
  { key: Buffer.from('k2'), value: null, ts: T0 + 3, headers: { a: Buffer.from('1'), b: Buffer.alloc(0) } },
  { key: Buffer.from('big'), value: Buffer.alloc(20_000, 'z'), ts: T0 + 100, headers: {} },
];

async function kafkajsBatch(compression: number, producer = { id: -1, epoch: 0, seq: 0 }): Promise<Buffer> {
  const records = sample.map((r, i) =>
    KjsRecord({ offsetDelta: i, timestampDelta: r.ts - T0, key: r.key, value: r.value, headers: r.headers }),
  );
  const enc = await RecordBatch({
    compression,
    firstTimestamp: T0,
    maxTimestamp: T0 + 100,
    lastOffsetDelta: sample.length - 1,
    producerId: producer.id,
    producerEpoch: producer.epoch,
    firstSequence: producer.seq,
    records,
  });
  return enc.buffer;
}

describe('batches built by kafkajs', () => {
  for (const [name, compression] of [
    ['none', Compression.none],
    ['gzip', Compression.gzip],
  ] as const) {
    test(`validate and decode identically (${name})`, async () => {
      const buf = await kafkajsBatch(compression, { id: 4000, epoch: 1, seq: 17 });
      expect(isBatchCrcValid(buf)).toBe(true);
      const info = validateRecordSet(buf, { maxMessageBytes: 1 << 20, produceVersion: 7, requireKeys: false });
      expect(info.recordCount).toBe(4);
      expect(info.compression).toBe(compression);
      expect(info.producerId).toBe(4000);
      expect(info.baseSequence).toBe(17);
      expect(info.maxTimestamp).toBe(T0 + 100);

      const ours = decodeRecords(buf);
      const theirs = (await decodeKjsBatch(new KjsDecoder(buf))).records;
      expect(ours).toHaveLength(theirs.length);
      ours.forEach((r, i) => {
        const t = theirs[i]!;
        expect(String(r.offset)).toBe(t.offset);
        expect(String(r.timestamp)).toBe(t.timestamp);
        expect(r.key).toEqual(t.key);
        expect(r.value).toEqual(t.value);
        expect(Object.fromEntries(r.headers.map((h) => [h.key, h.value]))).toEqual(t.headers);
        expect(r.timestamp).toBe(sample[i]!.ts);
      });
    });
  }
});

describe('batches we build', () => {
  for (const [name, compression] of [
    ['none', Compression.none],
    ['gzip', Compression.gzip],
  ] as const) {
    test(`decode with kafkajs (${name})`, async () => {
      const records: BuildRecord[] = sample.map((r) => ({
        key: r.key,
        value: r.value,
        timestamp: r.ts,
        headers: Object.entries(r.headers).map(([key, value]) => ({ key, value })),
      }));
      const buf = buildBatch({ baseOffset: 1234, compression, producerId: 99, producerEpoch: 2, baseSequence: 8, records });
      const decoded = await decodeKjsBatch(new KjsDecoder(buf));
      expect(decoded.firstOffset).toBe('1234');
      expect(decoded.lastOffsetDelta).toBe(3);
      expect(decoded.producerId).toBe('99');
      expect(decoded.producerEpoch).toBe(2);
      expect(decoded.firstSequence).toBe(8);
      expect(decoded.inTransaction).toBe(false);
      decoded.records.forEach((t, i) => {
        expect(t.offset).toBe(String(1234 + i));
        expect(t.timestamp).toBe(String(sample[i]!.ts));
        expect(t.key).toEqual(sample[i]!.key);
        expect(t.value).toEqual(sample[i]!.value);
        expect(t.headers).toEqual(sample[i]!.headers);
      });
    });
  }

  test('byte-identical to kafkajs for the same uncompressed input', async () => {
    const theirs = await kafkajsBatch(Compression.none, { id: 7, epoch: 0, seq: 0 });
    const ours = buildBatch({
      partitionLeaderEpoch: 0,
      producerId: 7,
      producerEpoch: 0,
      baseSequence: 0,
      baseTimestamp: T0,
      maxTimestamp: T0 + 100,
      records: sample.map((r) => ({
        key: r.key,
        value: r.value,
        timestamp: r.ts,
        headers: Object.entries(r.headers).map(([key, value]) => ({ key, value })),
      })),
    });
    expect(batch.crc(ours)).toBe(batch.crc(theirs));
    expect(ours.equals(theirs)).toBe(true);
  });
});
