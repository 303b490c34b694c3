// Cross-checks the generated codecs against an independent implementation: kafkajs's hand-written request encoders
// and response decoders (kafkajs is a devDependency). Requests encoded by kafkajs must decode with ours to the
// same field values, and responses encoded by ours must decode with kafkajs.

import { decodeRequestHeader } from './header';
import * as msg from './generated/messages';
import { Reader, Writer } from './primitives';

interface KafkajsRequest {
  apiKey: number;
  apiVersion: number;
  encode(): Promise<{ buffer: Buffer }>;
}
type RequestFactory = (args: Record<string, unknown>) => KafkajsRequest;
interface ResponseModule {
  decode(raw: Buffer): Promise<Record<string, any>>;
}

const KJS = 'kafkajs/src/protocol';
const request = (api: string, v: number): RequestFactory => require(`${KJS}/requests/${api}/v${v}/request`);
const response = (api: string, v: number): ResponseModule => require(`${KJS}/requests/${api}/v${v}/response`);

/** Encodes with kafkajs and decodes the body with ours; checks the API key/version and that all bytes were read. */
async function viaKafkajs<T>(
  api: string,
  v: number,
  args: Record<string, unknown>,
  decode: (r: Reader, version: number) => T,
  apiKey: number,
): Promise<T> {
  const req = request(api, v)(args);
  expect(req.apiKey).toBe(apiKey);
  expect(req.apiVersion).toBe(v);
  const body = (await req.encode()).buffer;
  const r = new Reader(body);
  const out = decode(r, v);
  expect(r.remaining).toBe(0);
  return out;
}

function encodeOurs<T>(encode: (w: Writer, v: number, m: T) => void, v: number, m: T): Buffer {
  const w = new Writer();
  encode(w, v, m);
  return w.toBuffer();
}

const produceArgs = (transactionalId: string | null) => ({
  acks: -1,
  timeout: 30000,
  transactionalId,
  producerId: 77,
  producerEpoch: 3,
  topicData: [
    {
      topic: 'orders',
      partitions: [
        { partition: 0, firstSequence: 0, messages: [{ key: 'k1', value: 'v1', timestamp: 1700000000000 }] },
        { partition: 4, firstSequence: 0, messages: [{ key: null, value: 'v2' }, { key: 'k3', value: 'v3' }] },
      ],
    },
  ],
});

describe('requests encoded by kafkajs decode with the generated codecs', () => {
  test.each([3, 7])('Produce v%i', async (v) => {
    const m = await viaKafkajs('produce', v, produceArgs(v === 7 ? 'tx-1' : null), msg.decodeProduceRequest, 0);
    expect(m.transactionalId).toBe(v === 7 ? 'tx-1' : null);
    expect(m.acks).toBe(-1);
    expect(m.timeoutMs).toBe(30000);
    expect(m.topicData.map((t) => t.name)).toEqual(['orders']);
    const parts = m.topicData[0]!.partitionData;
    expect(parts.map((p) => p.index)).toEqual([0, 4]);
    for (const p of parts) {
      const batch = p.records as Buffer;
      // A single magic-v2 batch: batchLength covers everything after the first 12 bytes.
      expect(batch.readInt32BE(8) + 12).toBe(batch.length);
      expect(batch[16]).toBe(2);
    }
    expect((parts[1]!.records as Buffer).readInt32BE(57)).toBe(2); // record count
  });

  test('Fetch v4', async () => {
    const m = await viaKafkajs(
      'fetch',
      4,
      {
        replicaId: -1,
        maxWaitTime: 500,
        minBytes: 1,
        maxBytes: 10485760,
        isolationLevel: 1,
        topics: [{ topic: 'a', partitions: [{ partition: 2, fetchOffset: '5000000000', maxBytes: 1048576 }] }],
      },
      msg.decodeFetchRequest,
      1,
    );
    expect(m).toMatchObject({ replicaId: -1, maxWaitMs: 500, minBytes: 1, maxBytes: 10485760, isolationLevel: 1 });
    expect(m.topics).toEqual([
      {
        topic: 'a',
        topicId: 'AAAAAAAAAAAAAAAAAAAAAA',
        partitions: [
          {
            partition: 2,
            currentLeaderEpoch: -1,
            fetchOffset: 5000000000,
            lastFetchedEpoch: -1,
            logStartOffset: -1,
            partitionMaxBytes: 1048576,
            replicaDirectoryId: 'AAAAAAAAAAAAAAAAAAAAAA',
          },
        ],
      },
    ]);
    // Fields that v4 lacks take their schema defaults.
    expect(m.sessionEpoch).toBe(-1);
    expect(m.rackId).toBe('');
  });

  test('Fetch v11', async () => {
    const m = await viaKafkajs(
      'fetch',
      11,
      {
        replicaId: -1,
        maxWaitTime: 100,
        minBytes: 1,
        maxBytes: 1000,
        isolationLevel: 0,
        sessionId: 42,
        sessionEpoch: 7,
        rackId: 'rack-a',
        topics: [
          {
            topic: 't',
            partitions: [{ partition: 1, currentLeaderEpoch: 9, fetchOffset: '12', logStartOffset: '3', maxBytes: 99 }],
          },
        ],
        forgottenTopics: [{ topic: 'old', partitions: [0, 5] }],
      },
      msg.decodeFetchRequest,
      1,
    );
    expect(m).toMatchObject({ sessionId: 42, sessionEpoch: 7, rackId: 'rack-a', isolationLevel: 0 });
    expect(m.topics[0]!.partitions[0]).toMatchObject({
      partition: 1,
      currentLeaderEpoch: 9,
      fetchOffset: 12,
      logStartOffset: 3,
      partitionMaxBytes: 99,
    });
    expect(m.forgottenTopicsData).toEqual([{ topic: 'old', topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitions: [0, 5] }]);
  });

  test('Metadata v1 (list and null = all topics)', async () => {
    const some = await viaKafkajs('metadata', 1, { topics: ['a', 'b'] }, msg.decodeMetadataRequest, 3);
    expect(some.topics!.map((t) => t.name)).toEqual(['a', 'b']);
    // kafkajs writes an empty list as length -1 (null: all topics).
    const all = await viaKafkajs('metadata', 1, { topics: [] }, msg.decodeMetadataRequest, 3);
    expect(all.topics).toBeNull();
  });

  test('Metadata v6', async () => {
    const m = await viaKafkajs(
      'metadata',
      6,
      { topics: ['x'], allowAutoTopicCreation: false },
      msg.decodeMetadataRequest,
      3,
    );
    expect(m.topics).toEqual([{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: 'x' }]);
    expect(m.allowAutoTopicCreation).toBe(false);
  });

  test.each([0, 1, 2])('ApiVersions v%i (with the request header)', async (v) => {
    const req = request('apiVersions', v)({});
    const frameEncoder = require(`${KJS}/request`);
    const frame: Buffer = (await frameEncoder({ correlationId: 99, clientId: 'my-client', request: req })).buffer;
    expect(frame.readInt32BE(0)).toBe(frame.length - 4);
    const r = new Reader(frame, 4);
    const h = decodeRequestHeader(r);
    expect(h).toEqual({
      apiKey: 18,
      apiVersion: v,
      correlationId: 99,
      clientId: 'my-client',
      headerVersion: 1,
      supported: true,
    });
    const m = msg.decodeApiVersionsRequest(r, v);
    expect(r.remaining).toBe(0);
    expect(m).toEqual(msg.defaultApiVersionsRequest());
  });

  test('JoinGroup v5', async () => {
    const metadata = Buffer.from([0, 1, 2, 3]);
    const m = await viaKafkajs(
      'joinGroup',
      5,
      {
        groupId: 'g1',
        sessionTimeout: 30000,
        rebalanceTimeout: 60000,
        memberId: '',
        groupInstanceId: null,
        protocolType: 'consumer',
        groupProtocols: [{ name: 'RoundRobinAssigner', metadata }],
      },
      msg.decodeJoinGroupRequest,
      11,
    );
    expect(m).toMatchObject({
      groupId: 'g1',
      sessionTimeoutMs: 30000,
      rebalanceTimeoutMs: 60000,
      memberId: '',
      groupInstanceId: null,
      protocolType: 'consumer',
    });
    expect(m.protocols).toEqual([{ name: 'RoundRobinAssigner', metadata }]);
  });

  test('OffsetCommit v5', async () => {
    const m = await viaKafkajs(
      'offsetCommit',
      5,
      {
        groupId: 'g',
        groupGenerationId: 4,
        memberId: 'member-1',
        topics: [{ topic: 't', partitions: [{ partition: 0, offset: '123' }, { partition: 1, offset: '7', metadata: 'm' }] }],
      },
      msg.decodeOffsetCommitRequest,
      8,
    );
    expect(m).toMatchObject({ groupId: 'g', generationIdOrMemberEpoch: 4, memberId: 'member-1' });
    expect(m.topics[0]!.name).toBe('t');
    expect(m.topics[0]!.partitions.map((p) => [p.partitionIndex, p.committedOffset, p.committedMetadata])).toEqual([
      [0, 123, null],
      [1, 7, 'm'],
    ]);
  });

  test('ListOffsets v2', async () => {
    const m = await viaKafkajs(
      'listOffsets',
      2,
      { replicaId: -1, isolationLevel: 1, topics: [{ topic: 't', partitions: [{ partition: 3, timestamp: -2 }] }] },
      msg.decodeListOffsetsRequest,
      2,
    );
    expect(m.replicaId).toBe(-1);
    expect(m.isolationLevel).toBe(1);
    expect(m.topics).toEqual([
      { name: 't', partitions: [{ partitionIndex: 3, currentLeaderEpoch: -1, timestamp: -2, maxNumOffsets: 1 }] },
    ]);
  });

  test('CreateTopics v3', async () => {
    const m = await viaKafkajs(
      'createTopics',
      3,
      {
        topics: [
          {
            topic: 'new-topic',
            numPartitions: 6,
            replicationFactor: 3,
            configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
          },
          { topic: 'assigned', replicaAssignment: [{ partition: 0, replicas: [1, 2] }] },
        ],
        validateOnly: true,
        timeout: 15000,
      },
      msg.decodeCreateTopicsRequest,
      19,
    );
    expect(m.timeoutMs).toBe(15000);
    expect(m.validateOnly).toBe(true);
    expect(m.topics[0]).toEqual({
      name: 'new-topic',
      numPartitions: 6,
      replicationFactor: 3,
      assignments: [],
      configs: [{ name: 'cleanup.policy', value: 'compact' }],
    });
    expect(m.topics[1]).toMatchObject({ name: 'assigned', numPartitions: -1, replicationFactor: -1 });
    expect(m.topics[1]!.assignments).toEqual([{ partitionIndex: 0, brokerIds: [1, 2] }]);
  });
});

describe('responses encoded by the generated codecs decode with kafkajs', () => {
  test('ApiVersions v2', async () => {
    const m = msg.defaultApiVersionsResponse();
    m.apiKeys = [
      { apiKey: 0, minVersion: 3, maxVersion: 9 },
      { apiKey: 18, minVersion: 0, maxVersion: 3 },
    ];
    m.throttleTimeMs = 5;
    const out = await response('apiVersions', 2).decode(encodeOurs(msg.encodeApiVersionsResponse, 2, m));
    expect(out.errorCode).toBe(0);
    expect(out.apiVersions).toEqual(m.apiKeys);
    expect(out.clientSideThrottleTime).toBe(5);
  });

  test('Metadata v6', async () => {
    const m = msg.defaultMetadataResponse();
    m.brokers = [{ nodeId: 1, host: 'h1', port: 9092, rack: null }];
    m.clusterId = 'cluster';
    m.controllerId = 1;
    const p = msg.defaultMetadataResponsePartition();
    Object.assign(p, { partitionIndex: 0, leaderId: 1, replicaNodes: [1], isrNodes: [1], offlineReplicas: [] });
    const t = msg.defaultMetadataResponseTopic();
    Object.assign(t, { name: 'orders', isInternal: false, partitions: [p] });
    m.topics = [t];
    const out = await response('metadata', 6).decode(encodeOurs(msg.encodeMetadataResponse, 6, m));
    expect(out.brokers).toEqual([{ nodeId: 1, host: 'h1', port: 9092, rack: null }]);
    expect(out.clusterId).toBe('cluster');
    expect(out.controllerId).toBe(1);
    expect(out.topicMetadata).toEqual([
      {
        topicErrorCode: 0,
        topic: 'orders',
        isInternal: false,
        partitionMetadata: [
          { partitionErrorCode: 0, partitionId: 0, leader: 1, replicas: [1], isr: [1], offlineReplicas: [] },
        ],
      },
    ]);
  });

  test('Produce v7', async () => {
    const m = msg.defaultProduceResponse();
    const p = msg.defaultProduceResponsePartitionProduceResponse();
    Object.assign(p, { index: 2, baseOffset: 4000000000, logAppendTimeMs: -1, logStartOffset: 0 });
    const t = msg.defaultProduceResponseTopicProduceResponse();
    Object.assign(t, { name: 'orders', partitionResponses: [p] });
    m.responses = [t];
    const out = await response('produce', 7).decode(encodeOurs(msg.encodeProduceResponse, 7, m));
    expect(out.topics).toEqual([
      {
        topicName: 'orders',
        partitions: [{ partition: 2, errorCode: 0, baseOffset: '4000000000', logAppendTime: '-1', logStartOffset: '0' }],
      },
    ]);
  });
});
