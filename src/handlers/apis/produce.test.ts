// The Produce handler over the legacy versions (v0-v2) against a real replica manager and log: legacy message sets
// (magic 0 and 1, plain or in gzip/snappy/lz4 wrappers) are converted to one v2 batch and appended, and read back as
// v2 batches; the rules of the append path then hold for them as for any batch (compacted-topic keys,
// max.message.bytes, LogAppendTime topics); errors are per partition; responses are encoded at the request's
// version by the generated codec. Requests are encoded and decoded by the generated codec too, as the dispatcher
// would take them off the wire.

import { BrokerConfig } from '../../config/broker-config';
import { Controller } from '../../kraft/controller/controller';
import { MetadataImage } from '../../kraft/metadata/image';
import { ReplicaManager } from '../../isr/replica-manager';
import { cleanupTmp, openManager, tmpDir } from '../../log/__tests__/helpers';
import type { LogManager } from '../../log/log-manager';
import { ErrorCode } from '../../wire/errors';
import { ProduceApi } from '../../wire/generated/apis';
import type { ProduceRequest } from '../../wire/generated/messages/ProduceRequest';
import type { ProduceResponse, ProduceResponsePartitionProduceResponse } from '../../wire/generated/messages/ProduceResponse';
import { Reader, Writer } from '../../wire/primitives';
import { Compression, batch as batchHeader } from '../../wire/records/batch';
import { buildBatch, decodeBatches, type DecodedBatch } from '../../wire/records/record';
import { entry, message, messageSet, wrapper } from '../../wire/records/__tests__/legacy-sets';
import { MemoryCommitter, brokerContext, requestContext } from './__tests__/broker-fixture';
import { produceHandler } from './produce';

const silent = { info() {}, warn() {}, error() {}, debug() {} };

interface Fixture {
  logs: LogManager;
  replicas: ReplicaManager;
  /** The handler's answer to a request encoded and decoded at `version`. */
  handle(version: number, topicData: ProduceRequest['topicData'], acks?: number): Promise<ProduceResponse | null>;
  /** handle, then the response encoded and decoded at `version`, as the client gets it. */
  produce(version: number, topicData: ProduceRequest['topicData'], acks?: number): Promise<ProduceResponse>;
  read(topic: string, partition?: number): DecodedBatch[];
}

let open: LogManager | null = null;
afterEach(async () => {
  await open?.close();
  open = null;
  cleanupTmp();
});

async function setup(topics: { name: string; partitions?: number; configs?: Record<string, string> }[]): Promise<Fixture> {
  const config = BrokerConfig.load({ values: {} });
  const image = new MetadataImage();
  const committer = new MemoryCommitter(image);
  const logs = (open = await openManager(tmpDir()));
  const replicas = new ReplicaManager(1, logs, config, silent);
  committer.replicas = replicas;
  const controller = new Controller(image, committer, { numPartitions: 1, defaultReplicationFactor: 1, deleteTopicEnable: true, validateBrokerConfig: () => null });
  await controller.registerBroker({ brokerId: 1, incarnationId: 'AAAAAAAAAAAAAAAAAAAAAA', endpoints: [], rack: null, fenced: false });
  const created = await controller.createTopics(
    topics.map((t) => ({
      name: t.name,
      numPartitions: t.partitions ?? 1,
      replicationFactor: 1,
      assignments: [],
      configs: Object.entries(t.configs ?? {}).map(([name, value]) => ({ name, value })),
    })),
    false,
  );
  expect(created.map((c) => c.errorCode)).toEqual(topics.map(() => ErrorCode.NONE));
  const broker = brokerContext({ clusterId: 'c', config, image, controller, replicas, groups: null });

  const handle = async (version: number, topicData: ProduceRequest['topicData'], acks = 1) => {
    const w = new Writer();
    ProduceApi.encodeRequest(w, version, { transactionalId: null, acks, timeoutMs: 1000, topicData });
    const req = produceHandler.decode(new Reader(w.toBuffer()), version);
    return produceHandler.handle(req, requestContext(broker, version, { apiKey: 0 }));
  };
  const produce = async (version: number, topicData: ProduceRequest['topicData'], acks = 1): Promise<ProduceResponse> => {
    const res = await handle(version, topicData, acks);
    expect(res).not.toBeNull();
    const out = new Writer();
    produceHandler.encode(out, version, res!);
    return ProduceApi.decodeResponse(new Reader(out.toBuffer()), version);
  };
  const read = (topic: string, partition = 0) => {
    const r = replicas.read(topic, partition, 0, 1 << 20, true);
    expect(r.errorCode).toBe(ErrorCode.NONE);
    return decodeBatches(Buffer.concat(r.records));
  };
  return { logs, replicas, handle, produce, read };
}

const one = (name: string, records: Buffer, index = 0) => [{ name, partitionData: [{ index, records }] }];
const partitionOf = (res: ProduceResponse, t = 0, p = 0): ProduceResponsePartitionProduceResponse => res.responses[t]!.partitionResponses[p]!;
const values = (batches: DecodedBatch[]) => batches.flatMap((b) => b.records.map((r) => (r.value === null ? null : r.value.toString())));

test('the handler advertises Produce v0-v11', () => {
  expect([produceHandler.minVersion, produceHandler.maxVersion]).toEqual([0, 11]);
});

test('Produce v0 (magic 0), v1 (magic 0) and v2 (magic 1) append and are read back as v2 batches', async () => {
  const f = await setup([{ name: 't' }]);
  const v0 = await f.produce(0, one('t', messageSet([{ magic: 0, key: 'k0', value: 'from v0' }, { magic: 0, key: null, value: null }])));
  expect(partitionOf(v0)).toMatchObject({ index: 0, errorCode: ErrorCode.NONE, baseOffset: 0 });
  // v0 and v1 responses carry no append time: the decoder's default.
  expect(partitionOf(v0).logAppendTimeMs).toBe(-1);

  const v1 = await f.produce(1, one('t', messageSet([{ magic: 0, key: 'k1', value: 'from v1' }])));
  expect(partitionOf(v1)).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 2 });
  expect(v1.throttleTimeMs).toBe(0);

  const ts = 1_700_000_000_000 + 42;
  const v2 = await f.produce(2, one('t', messageSet([{ magic: 1, key: 'k2', value: 'from v2', timestamp: ts }, { magic: 1, key: 'k3', value: 'also v2', timestamp: ts + 1 }])));
  expect(partitionOf(v2)).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 3, logAppendTimeMs: -1 });

  const batches = f.read('t');
  expect(batches.map((b) => [b.baseOffset, b.lastOffset, b.compression, b.timestampType, b.producerId, b.partitionLeaderEpoch])).toEqual([
    [0, 1, Compression.none, 'create', -1, 0],
    [2, 2, Compression.none, 'create', -1, 0],
    [3, 4, Compression.none, 'create', -1, 0],
  ]);
  expect(batches.flatMap((b) => b.records.map((r) => [r.offset, r.key?.toString() ?? null, r.value?.toString() ?? null, r.timestamp]))).toEqual([
    [0, 'k0', 'from v0', -1],
    [1, null, null, -1],
    [2, 'k1', 'from v1', -1],
    [3, 'k2', 'from v2', ts],
    [4, 'k3', 'also v2', ts + 1],
  ]);
});

test.each([
  ['gzip', Compression.gzip],
  ['snappy', Compression.snappy],
  ['lz4', Compression.lz4],
])('%s wrappers are stored as batches of that codec (magic 0 in v0, magic 1 in v2)', async (_name, codec) => {
  const f = await setup([{ name: 'c' }]);
  const inner0 = messageSet([{ magic: 0, key: 'a', value: 'zero-a' }, { magic: 0, key: 'b', value: 'zero-b' }]);
  expect(partitionOf(await f.produce(0, one('c', wrapper(0, codec, inner0, { offset: 1 }))))).toMatchObject({ errorCode: 0, baseOffset: 0 });
  const inner1 = messageSet([
    { magic: 1, key: 'c', value: 'one-c', timestamp: 1_700_000_000_001 },
    { magic: 1, key: null, value: 'one-d', timestamp: 1_700_000_000_002 },
    { magic: 1, key: 'e', value: null, timestamp: 1_700_000_000_003 },
  ]);
  expect(partitionOf(await f.produce(2, one('c', wrapper(1, codec, inner1, { offset: 2 }))))).toMatchObject({ errorCode: 0, baseOffset: 2 });
  const batches = f.read('c');
  expect(batches.map((b) => [b.baseOffset, b.compression, b.records.length])).toEqual([
    [0, codec, 2],
    [2, codec, 3],
  ]);
  expect(values(batches)).toEqual(['zero-a', 'zero-b', 'one-c', 'one-d', null]);
  expect(batches[1]!.records.map((r) => r.timestamp)).toEqual([1_700_000_000_001, 1_700_000_000_002, 1_700_000_000_003]);
  expect(batches[1]!.maxTimestamp).toBe(1_700_000_000_003);
});

test('errors are per partition: a bad CRC is CORRUPT_MESSAGE while the other partition appends', async () => {
  const f = await setup([{ name: 'p', partitions: 2 }]);
  const bad = messageSet([{ magic: 1, value: 'damaged', timestamp: 1 }]);
  bad[bad.length - 1] ^= 0xff;
  const res = await f.produce(2, [
    {
      name: 'p',
      partitionData: [
        { index: 0, records: bad },
        { index: 1, records: messageSet([{ magic: 1, value: 'fine', timestamp: 1 }]) },
      ],
    },
  ]);
  expect(partitionOf(res, 0, 0)).toMatchObject({ index: 0, errorCode: ErrorCode.CORRUPT_MESSAGE, baseOffset: -1 });
  expect(partitionOf(res, 0, 1)).toMatchObject({ index: 1, errorCode: ErrorCode.NONE, baseOffset: 0 });
  expect(f.replicas.getPartition('p', 0)!.log.logEndOffset).toBe(0);
  expect(values(f.read('p', 1))).toEqual(['fine']);
});

test('truncated sets and nested wrappers are refused and append nothing', async () => {
  const f = await setup([{ name: 'r' }]);
  const set = messageSet([{ magic: 0, value: 'x' }, { magic: 0, value: 'y' }]);
  expect(partitionOf(await f.produce(0, one('r', set.subarray(0, set.length - 2)))).errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
  const nested = wrapper(1, Compression.gzip, wrapper(1, Compression.gzip, messageSet([{ magic: 1, value: 'deep', timestamp: 1 }])));
  expect(partitionOf(await f.produce(2, one('r', nested))).errorCode).toBe(ErrorCode.INVALID_RECORD);
  expect(f.replicas.getPartition('r', 0)!.log.logEndOffset).toBe(0);
});

test('the append rules hold for converted sets: compacted-topic keys, max.message.bytes', async () => {
  const f = await setup([
    { name: 'compacted', configs: { 'cleanup.policy': 'compact' } },
    { name: 'small', configs: { 'max.message.bytes': '200' } },
  ]);
  const keyless = await f.produce(1, one('compacted', messageSet([{ magic: 0, key: 'k', value: 'v' }, { magic: 0, key: null, value: 'no key' }])));
  expect(partitionOf(keyless).errorCode).toBe(ErrorCode.INVALID_RECORD);
  expect(partitionOf(await f.produce(1, one('compacted', messageSet([{ magic: 0, key: 'k', value: 'v' }])))).errorCode).toBe(ErrorCode.NONE);

  const big = await f.produce(2, one('small', messageSet([{ magic: 1, value: 'z'.repeat(500), timestamp: 1 }])));
  expect(partitionOf(big).errorCode).toBe(ErrorCode.MESSAGE_TOO_LARGE);
  expect(partitionOf(await f.produce(2, one('small', messageSet([{ magic: 1, value: 'ok', timestamp: 1 }])))).errorCode).toBe(ErrorCode.NONE);
  expect(values(f.read('small'))).toEqual(['ok']);
});

test('a LogAppendTime topic stamps converted batches and answers the append time in v2', async () => {
  const f = await setup([{ name: 'lat', configs: { 'message.timestamp.type': 'LogAppendTime' } }]);
  const before = Date.now();
  const res = await f.produce(2, one('lat', messageSet([{ magic: 1, value: 'stamped', timestamp: 5 }])));
  expect(partitionOf(res).errorCode).toBe(ErrorCode.NONE);
  expect(partitionOf(res).logAppendTimeMs).toBeGreaterThanOrEqual(before);
  const [b] = f.read('lat');
  expect(b!.timestampType).toBe('logAppend');
  expect(b!.records[0]!.timestamp).toBe(partitionOf(res).logAppendTimeMs);
});

test('a v2 batch in a v0-v2 request is taken as Kafka takes it; a legacy set in v3+ is INVALID_RECORD', async () => {
  const f = await setup([{ name: 'm' }]);
  const v2batch = buildBatch({ records: [{ key: null, value: 'batch in v2' }] });
  expect(partitionOf(await f.produce(2, one('m', v2batch)))).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 0 });
  const legacy = messageSet([{ magic: 1, value: 'legacy in v3', timestamp: 1 }]);
  for (const v of [3, 7, 11]) expect(partitionOf(await f.produce(v, one('m', legacy))).errorCode).toBe(ErrorCode.INVALID_RECORD);
  expect(values(f.read('m'))).toEqual(['batch in v2']);
});

test('partition errors come before the records are looked at; acks=0 gets no response', async () => {
  const f = await setup([{ name: 'e' }]);
  const bad = messageSet([{ magic: 0, value: 'x' }]);
  bad[bad.length - 1] ^= 1;
  const res = await f.produce(0, one('nope', bad));
  expect(partitionOf(res).errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  expect(partitionOf(await f.produce(0, one('e', bad, 5))).errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);

  // acks=0: appended, no response.
  expect(await f.handle(0, one('e', entry(0, message({ magic: 0, value: 'fire and forget' }))), 0)).toBeNull();
  expect(values(f.read('e'))).toEqual(['fire and forget']);
});

test('a converted batch keeps the header a v2 producer without idempotence writes', async () => {
  const f = await setup([{ name: 'h' }]);
  await f.produce(2, one('h', messageSet([{ magic: 1, value: 'a', timestamp: 10 }, { magic: 1, value: 'b', timestamp: 30 }, { magic: 1, value: 'c', timestamp: 20 }])));
  const r = f.replicas.read('h', 0, 0, 1 << 20, true);
  const stored = Buffer.concat(r.records);
  expect(batchHeader.magic(stored)).toBe(2);
  expect(batchHeader.baseSequence(stored)).toBe(-1);
  expect(batchHeader.producerEpoch(stored)).toBe(-1);
  expect(batchHeader.recordCount(stored)).toBe(3);
  expect(batchHeader.lastOffsetDelta(stored)).toBe(2);
  expect(batchHeader.baseTimestamp(stored)).toBe(10);
  expect(batchHeader.maxTimestamp(stored)).toBe(30);
});
