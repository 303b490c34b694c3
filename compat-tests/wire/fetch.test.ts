// Fetch semantics over TCP with exact requests: long polling answered as soon as data lands, max_bytes and the
// whole-first-batch rule (KIP-74), OFFSET_OUT_OF_RANGE, topic ids (v13+), and incremental fetch sessions (KIP-227).

import { BrokerProcess, startBroker } from '../support/broker-process';
import { RawClient } from '../support/raw-client';
import { defaultFetchRequest, FetchRequest } from '../../src/wire/generated/messages/FetchRequest';
import type { FetchResponse } from '../../src/wire/generated/messages/FetchResponse';
import { defaultMetadataRequest } from '../../src/wire/generated/messages/MetadataRequest';
import type { MetadataResponse } from '../../src/wire/generated/messages/MetadataResponse';
import type { ProduceResponse } from '../../src/wire/generated/messages/ProduceResponse';
import { buildBatch, decodeBatches } from '../../src/wire/records/record';

const FETCH = 1;
const METADATA = 3;
const PRODUCE = 0;
let broker: BrokerProcess;
let client: RawClient;
let correlation = 1;

async function call<T>(apiKey: number, version: number, body: unknown): Promise<T> {
  const id = correlation++;
  client.write(RawClient.frame(apiKey, version, id, body));
  const res = RawClient.decode<T>(apiKey, version, (await client.next(10_000))!);
  expect(res.correlationId).toBe(id);
  return res.body;
}

async function createTopic(name: string): Promise<string> {
  const md = await call<MetadataResponse>(METADATA, 12, { ...defaultMetadataRequest(), topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name }], allowAutoTopicCreation: true });
  return md.topics[0]!.topicId;
}

async function produce(topic: string, values: string[]): Promise<number> {
  const batch = buildBatch({ records: values.map((v) => ({ key: null, value: Buffer.from(v) })) });
  const res = await call<ProduceResponse>(PRODUCE, 9, {
    transactionalId: null,
    acks: 1,
    timeoutMs: 5000,
    topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }],
  });
  expect(res.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
  return res.responses[0]!.partitionResponses[0]!.baseOffset;
}

function fetchRequest(topic: string, topicId: string, fetchOffset: number, over: Partial<FetchRequest> = {}, partitionMaxBytes = 1 << 20): FetchRequest {
  return {
    ...defaultFetchRequest(),
    maxWaitMs: 0,
    minBytes: 1,
    maxBytes: 50 << 20,
    sessionEpoch: -1,
    topics: [{ topic, topicId, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes, replicaDirectoryId: 'AAAAAAAAAAAAAAAAAAAAAA' }] }],
    ...over,
  };
}

function values(res: FetchResponse): string[] {
  const out: string[] = [];
  for (const t of res.responses) for (const p of t.partitions) {
    const data = p.records as Buffer | null;
    if (data) for (const b of decodeBatches(data)) for (const r of b.records) out.push(r.value!.toString());
  }
  return out;
}

beforeAll(async () => {
  broker = await startBroker();
  client = await RawClient.connect(broker.port);
});
afterAll(async () => {
  client.close();
  expect(await broker.stop()).toBe(0);
});

test('a waiting fetch is answered as soon as data lands, not at max_wait', async () => {
  const id = await createTopic('lp');
  const started = Date.now();
  const waiting = call<FetchResponse>(FETCH, 11, fetchRequest('lp', id, 0, { maxWaitMs: 5000 }));
  const other = await RawClient.connect(broker.port);
  setTimeout(() => {
    const batch = buildBatch({ records: [{ key: null, value: Buffer.from('wake') }] });
    other.write(RawClient.frame(PRODUCE, 9, 1, { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: 'lp', partitionData: [{ index: 0, records: batch }] }] }));
  }, 200);
  const res = await waiting;
  const elapsed = Date.now() - started;
  other.close();
  expect(values(res)).toEqual(['wake']);
  expect(elapsed).toBeGreaterThanOrEqual(150);
  expect(elapsed).toBeLessThan(2000);
});

test('a fetch with nothing new waits max_wait and returns high watermark and log start offset', async () => {
  const id = await createTopic('idle');
  await produce('idle', ['a', 'b']);
  const started = Date.now();
  const res = await call<FetchResponse>(FETCH, 11, fetchRequest('idle', id, 2, { maxWaitMs: 300 }));
  expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  const p = res.responses[0]!.partitions[0]!;
  expect(p).toMatchObject({ errorCode: 0, highWatermark: 2, lastStableOffset: 2, logStartOffset: 0 });
});

test('the first batch is returned whole even above partition max bytes; the rest respects the limit', async () => {
  const id = await createTopic('big');
  await produce('big', ['x'.repeat(5000)]);
  await produce('big', ['y'.repeat(5000)]);
  const res = await call<FetchResponse>(FETCH, 11, fetchRequest('big', id, 0, {}, 100));
  expect(values(res)).toEqual(['x'.repeat(5000)]);
});

test('OFFSET_OUT_OF_RANGE above the log end', async () => {
  const id = await createTopic('oor');
  await produce('oor', ['only']);
  const res = await call<FetchResponse>(FETCH, 11, fetchRequest('oor', id, 5));
  expect(res.responses[0]!.partitions[0]!.errorCode).toBe(1);
});

test('v13+ addresses topics by id; an unknown id gets UNKNOWN_TOPIC_ID', async () => {
  const id = await createTopic('by-id');
  await produce('by-id', ['one', 'two']);
  const res = await call<FetchResponse>(FETCH, 16, fetchRequest('', id, 0));
  expect(res.responses[0]!.topicId).toBe(id);
  expect(values(res)).toEqual(['one', 'two']);
  const unknown = await call<FetchResponse>(FETCH, 16, fetchRequest('', 'AAAAAAAAAAAAAAAAAAAAAQ', 0));
  expect(unknown.responses[0]!.partitions[0]!.errorCode).toBe(100);
});

test('incremental fetch sessions send only what changed', async () => {
  const id = await createTopic('sess');
  const quiet = await createTopic('sess-quiet');
  await produce('sess', ['s1']);
  const full: FetchRequest = {
    ...fetchRequest('sess', id, 0, { sessionId: 0, sessionEpoch: 0 }),
  };
  full.topics.push({ ...full.topics[0]!, topic: 'sess-quiet', topicId: quiet });
  const first = await call<FetchResponse>(FETCH, 12, full);
  expect(first.sessionId).not.toBe(0);
  expect(first.responses.map((t) => t.topic).sort()).toEqual(['sess', 'sess-quiet']);
  expect(values(first)).toEqual(['s1']);

  // Next: only 'sess' moves (new fetch offset); the quiet partition is left out of the response.
  await produce('sess', ['s2']);
  const second = await call<FetchResponse>(FETCH, 12, fetchRequest('sess', id, 1, { sessionId: first.sessionId, sessionEpoch: 1 }));
  expect(second.sessionId).toBe(first.sessionId);
  expect(second.responses.map((t) => t.topic)).toEqual(['sess']);
  expect(values(second)).toEqual(['s2']);

  // An epoch out of order is refused.
  const stale = await call<FetchResponse>(FETCH, 12, fetchRequest('sess', id, 2, { sessionId: first.sessionId, sessionEpoch: 1 }));
  expect(stale.errorCode).toBe(71);
  const missing = await call<FetchResponse>(FETCH, 12, fetchRequest('sess', id, 2, { sessionId: 12345, sessionEpoch: 3 }));
  expect(missing.errorCode).toBe(70);
});
