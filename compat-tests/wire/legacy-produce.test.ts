// Produce v0-v2 over TCP against a broker process: legacy message sets (magic 0 in v0, magic 1 in v2, plain and in
// gzip/snappy/lz4 wrappers) sent by a raw client are stored as record batches v2 and read back by librdkafka (kcat),
// which fetches only v2 batches from this broker. The stored batches carry the wrapper's codec.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { BrokerProcess, startBroker } from '../support/broker-process';
import { RawClient } from '../support/raw-client';
import { kcat } from '../support/kcat';
import { defaultMetadataRequest } from '../../src/wire/generated/messages/MetadataRequest';
import type { ProduceResponse } from '../../src/wire/generated/messages/ProduceResponse';
import { Compression, batch, forEachBatch } from '../../src/wire/records/batch';
import { messageSet, wrapper } from '../../src/wire/records/__tests__/legacy-sets';

const PRODUCE = 0;
const METADATA = 3;

let broker: BrokerProcess;
let client: RawClient;
let correlationId = 100;

beforeAll(async () => {
  broker = await startBroker();
  client = await RawClient.connect(broker.port);
});
afterAll(async () => {
  client.close();
  expect(await broker.stop()).toBe(0);
});

async function createTopic(topic: string): Promise<void> {
  client.write(
    RawClient.frame(METADATA, 4, ++correlationId, {
      ...defaultMetadataRequest(),
      topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: topic }],
      allowAutoTopicCreation: true,
    }),
  );
  expect(await client.next()).not.toBeNull();
}

async function produce(version: number, topic: string, records: Buffer): Promise<ProduceResponse> {
  const id = ++correlationId;
  client.write(
    RawClient.frame(PRODUCE, version, id, {
      transactionalId: null,
      acks: 1,
      timeoutMs: 5000,
      topicData: [{ name: topic, partitionData: [{ index: 0, records }] }],
    }),
  );
  const { correlationId: got, body } = RawClient.decode<ProduceResponse>(PRODUCE, version, (await client.next())!);
  expect(got).toBe(id);
  return body;
}

interface KcatMessage {
  offset: number;
  tstype: string;
  ts: number;
  key: string | null;
  payload: string | null;
}

async function consume(topic: string): Promise<KcatMessage[]> {
  const r = await kcat(['-b', broker.bootstrap, '-C', '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-J', '-q']);
  expect(r.code).toBe(0);
  return r.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as KcatMessage);
}

function storedBatches(topic: string): { magic: number; codec: number; count: number }[] {
  const dir = path.join(broker.dataDir, `${topic}-0`);
  const out: { magic: number; codec: number; count: number }[] = [];
  for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.log')).sort()) {
    const seg = fs.readFileSync(path.join(dir, f));
    forEachBatch(seg, (pos) => out.push({ magic: batch.magic(seg, pos), codec: batch.compression(seg, pos), count: batch.recordCount(seg, pos) }));
  }
  return out;
}

test('Produce v0 (magic 0) and v2 (magic 1), uncompressed, are read back by kcat', async () => {
  const topic = 'legacy-plain';
  await createTopic(topic);
  const v0 = await produce(0, topic, messageSet([{ magic: 0, key: 'k0', value: 'v0 first' }, { magic: 0, key: null, value: 'v0 second' }]));
  expect(v0.responses[0]!.partitionResponses[0]).toMatchObject({ index: 0, errorCode: 0, baseOffset: 0 });
  const ts = Date.now() - 60_000;
  const v2 = await produce(2, topic, messageSet([{ magic: 1, key: 'k2', value: 'v2 only', timestamp: ts }]));
  expect(v2.responses[0]!.partitionResponses[0]).toMatchObject({ errorCode: 0, baseOffset: 2, logAppendTimeMs: -1 });

  const msgs = await consume(topic);
  expect(msgs.map((m) => [m.offset, m.key, m.payload])).toEqual([
    [0, 'k0', 'v0 first'],
    [1, null, 'v0 second'],
    [2, 'k2', 'v2 only'],
  ]);
  expect(msgs[2]!.tstype).toBe('create');
  expect(msgs[2]!.ts).toBe(ts);
  expect(storedBatches(topic)).toEqual([
    { magic: 2, codec: Compression.none, count: 2 },
    { magic: 2, codec: Compression.none, count: 1 },
  ]);
});

test.each([
  ['gzip', Compression.gzip],
  ['snappy', Compression.snappy],
  ['lz4', Compression.lz4],
] as const)('%s wrappers in Produce v0 and v2 are stored with that codec and read back by kcat', async (name, codec) => {
  const topic = `legacy-${name}`;
  await createTopic(topic);
  const inner0 = messageSet([{ magic: 0, key: 'a', value: `${name} v0 a` }, { magic: 0, key: 'b', value: `${name} v0 b` }]);
  const v0 = await produce(0, topic, wrapper(0, codec, inner0, { offset: 1 }));
  expect(v0.responses[0]!.partitionResponses[0]).toMatchObject({ errorCode: 0, baseOffset: 0 });
  const lines: string[] = [];
  const specs = [];
  for (let i = 0; i < 50; i++) {
    lines.push(`${name} v2 ${i} ${'r'.repeat(i * 3)}`);
    specs.push({ magic: 1 as const, key: `key-${i % 5}`, value: lines[i]!, timestamp: 1_700_000_000_000 + i });
  }
  const v2 = await produce(2, topic, wrapper(1, codec, messageSet(specs), { offset: 49 }));
  expect(v2.responses[0]!.partitionResponses[0]).toMatchObject({ errorCode: 0, baseOffset: 2 });

  const msgs = await consume(topic);
  expect(msgs.map((m) => [m.offset, m.key, m.payload])).toEqual([
    [0, 'a', `${name} v0 a`],
    [1, 'b', `${name} v0 b`],
    ...lines.map((l, i) => [2 + i, `key-${i % 5}`, l]),
  ]);
  expect(msgs.slice(2).map((m) => m.ts)).toEqual(specs.map((s) => s.timestamp));
  expect(storedBatches(topic)).toEqual([
    { magic: 2, codec, count: 2 },
    { magic: 2, codec, count: 50 },
  ]);
});

test('a corrupt legacy message is refused with CORRUPT_MESSAGE and nothing is stored', async () => {
  const topic = 'legacy-corrupt';
  await createTopic(topic);
  const bad = messageSet([{ magic: 1, value: 'damaged', timestamp: 1 }]);
  bad[bad.length - 1] ^= 0xff;
  const res = await produce(2, topic, bad);
  expect(res.responses[0]!.partitionResponses[0]!.errorCode).toBe(2);
  expect(storedBatches(topic)).toEqual([]);
});
