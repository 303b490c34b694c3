// Unit tests of the admin handlers against a real MetadataImage and Controller whose metadata log is an in-memory
// committer (records round-trip through their stored form, as the real metadata log does). Requests are built
// from the generated defaults; every response is also encoded at the version it was asked for.

import { BrokerConfig, validateValue, configDef } from '../../config/broker-config';
import { Controller, newUuid } from '../../kraft/controller/controller';
import { MetadataImage, ResourceType } from '../../kraft/metadata/image';
import type { ReplicaManager } from '../../isr/replica-manager';
import type { ApiDef } from '../../wire/generated/apis';
import {
  AlterConfigsApi,
  CreatePartitionsApi,
  CreateTopicsApi,
  DeleteRecordsApi,
  DeleteTopicsApi,
  DescribeClusterApi,
  DescribeConfigsApi,
  IncrementalAlterConfigsApi,
} from '../../wire/generated/apis';
import { ErrorCode, KafkaError } from '../../wire/errors';
import { Reader, Writer, ZERO_UUID } from '../../wire/primitives';
import { TOPIC_CONFIGS, ConfigSource } from '../../config/topic-configs';
import { BROKER_CONFIGS } from '../../config/definitions';
import { CLUSTER_OPERATIONS, OPERATIONS_NOT_REQUESTED } from '../../security/acl-operations';
import type { ApiHandler, BrokerContext, RequestContext } from '../types';
import { ADMIN_HANDLERS } from './admin';
import { createTopicsHandler } from './create-topics';
import { deleteTopicsHandler } from './delete-topics';
import { createPartitionsHandler } from './create-partitions';
import { describeConfigsHandler } from './describe-configs';
import { alterConfigsHandler } from './alter-configs';
import { incrementalAlterConfigsHandler, ConfigOp } from './incremental-alter-configs';
import { describeClusterHandler } from './describe-cluster';
import { deleteRecordsHandler } from './delete-records';
import type { CreateTopicsRequest, CreateTopicsRequestCreatableTopic } from '../../wire/generated/messages/CreateTopicsRequest';
import { defaultCreateTopicsRequest, defaultCreateTopicsRequestCreatableTopic } from '../../wire/generated/messages/CreateTopicsRequest';
import { defaultDeleteTopicsRequest } from '../../wire/generated/messages/DeleteTopicsRequest';
import { defaultCreatePartitionsRequest, defaultCreatePartitionsRequestCreatePartitionsTopic } from '../../wire/generated/messages/CreatePartitionsRequest';
import type { DescribeConfigsRequestDescribeConfigsResource } from '../../wire/generated/messages/DescribeConfigsRequest';
import { defaultDescribeConfigsRequest } from '../../wire/generated/messages/DescribeConfigsRequest';
import type { DescribeConfigsResponseDescribeConfigsResourceResult } from '../../wire/generated/messages/DescribeConfigsResponse';
import { defaultAlterConfigsRequest } from '../../wire/generated/messages/AlterConfigsRequest';
import { defaultIncrementalAlterConfigsRequest } from '../../wire/generated/messages/IncrementalAlterConfigsRequest';
import { defaultDescribeClusterRequest } from '../../wire/generated/messages/DescribeClusterRequest';
import { defaultDeleteRecordsRequest } from '../../wire/generated/messages/DeleteRecordsRequest';
import { Partition } from '../../isr/partition';
import { cleanupTmp, makeBatch, openManager, tmpDir } from '../../log/__tests__/helpers';
import { MemoryCommitter, TEST_CONNECTION, brokerContext, registerBrokers, requestContext } from './__tests__/broker-fixture';

// ---------------------------------------------------------------------------------------------------------------
// Fixture

/** A partition as the replica manager would hand it out, reduced to what DeleteRecords reads. */
interface FakePartition {
  isLeader: boolean;
  highWatermark: number;
  log: {
    logStartOffset: number;
    logEndOffset: number;
    config: { cleanupPolicy: { delete: boolean; compact: boolean } };
    deleteRecordsBefore(offset: number): Promise<void>;
  };
}

function fakePartition(opts: { start?: number; end: number; hw?: number; leader?: boolean; compact?: boolean }): FakePartition {
  const log = {
    logStartOffset: opts.start ?? 0,
    logEndOffset: opts.end,
    config: { cleanupPolicy: { delete: !opts.compact, compact: !!opts.compact } },
    deleteRecordsBefore(offset: number): Promise<void> {
      if (offset > log.logEndOffset || offset < 0) throw new KafkaError(ErrorCode.OFFSET_OUT_OF_RANGE, 'beyond end');
      if (offset > log.logStartOffset) log.logStartOffset = offset;
      return Promise.resolve();
    },
  };
  return { isLeader: opts.leader ?? true, highWatermark: opts.hw ?? opts.end, log };
}

interface Fixture {
  broker: BrokerContext;
  image: MetadataImage;
  controller: Controller;
  partitions: Map<string, FakePartition>;
  ctx(apiVersion: number, listenerName?: string): RequestContext;
}

async function setup(values: Record<string, string> = {}, brokers = 1): Promise<Fixture> {
  const config = BrokerConfig.load({ values });
  const image = new MetadataImage();
  const controller = new Controller(image, new MemoryCommitter(image), {
    numPartitions: config.num('num.partitions'),
    defaultReplicationFactor: config.num('default.replication.factor'),
    deleteTopicEnable: config.bool('delete.topic.enable'),
    validateBrokerConfig: (name, value) => {
      const def = configDef(name);
      if (!def || !def.dynamic) return `Cannot update ${name} dynamically`;
      return value === null ? null : validateValue(def, value);
    },
  });
  await registerBrokers(controller, brokers);
  const partitions = new Map<string, FakePartition>();
  const replicas = { getPartition: (topic: string, p: number) => partitions.get(`${topic}-${p}`) } as unknown as ReplicaManager;
  const broker = brokerContext({ clusterId: 'test-cluster-id', config, image, controller, replicas, groups: null });
  const ctx = (apiVersion: number, listenerName = 'PLAINTEXT'): RequestContext =>
    requestContext(broker, apiVersion, { connection: { ...TEST_CONNECTION, listenerName } });
  return { broker, image, controller, partitions, ctx };
}

/** Handles a request and checks the response encodes and decodes at that version. */
async function call<Req, Res>(api: ApiDef<Req, Res>, h: ApiHandler<Req, Res>, f: Fixture, req: Req, version: number): Promise<Res> {
  expect(version).toBeGreaterThanOrEqual(h.minVersion);
  expect(version).toBeLessThanOrEqual(h.maxVersion);
  const res = (await h.handle(req, { ...f.ctx(version), apiKey: h.apiKey }))!;
  expect(res).not.toBeNull();
  const w = new Writer();
  h.encode(w, version, res);
  api.decodeResponse(new Reader(w.toBuffer()), version);
  return res;
}

function newTopic(name: string, over: Partial<CreateTopicsRequestCreatableTopic> = {}): CreateTopicsRequestCreatableTopic {
  return { ...defaultCreateTopicsRequestCreatableTopic(), name, numPartitions: -1, replicationFactor: -1, ...over };
}

function createReq(topics: CreateTopicsRequestCreatableTopic[], over: Partial<CreateTopicsRequest> = {}): CreateTopicsRequest {
  return { ...defaultCreateTopicsRequest(), topics, timeoutMs: 5000, ...over };
}

async function create(f: Fixture, ...topics: CreateTopicsRequestCreatableTopic[]) {
  const res = await call(CreateTopicsApi, createTopicsHandler, f, createReq(topics), 7);
  for (const t of res.topics) expect(t.errorCode).toBe(ErrorCode.NONE);
  return res;
}

// ---------------------------------------------------------------------------------------------------------------

describe('registry list', () => {
  test('exports every admin handler once, within the schema ranges', () => {
    const keys = ADMIN_HANDLERS.map((h) => [h.apiKey, h.minVersion, h.maxVersion]);
    expect(keys).toEqual(
      expect.arrayContaining([
        [19, 2, 7],
        [20, 1, 6],
        [21, 0, 2],
        [32, 1, 4],
        [33, 0, 2],
        [37, 0, 3],
        [44, 0, 1],
        [60, 0, 1],
      ]),
    );
    expect(new Set(ADMIN_HANDLERS.map((h) => h.apiKey)).size).toBe(ADMIN_HANDLERS.length);
  });
});

describe('CreateTopics', () => {
  test('creates with broker defaults and returns id, counts and the effective configs with sources (v7)', async () => {
    const f = await setup({ 'num.partitions': '3', 'log.segment.bytes': '2000000' });
    const res = await create(f, newTopic('orders', { configs: [{ name: 'cleanup.policy', value: 'compact' }] }));
    const [t] = res.topics;
    const created = f.image.topics.get('orders')!;
    expect(t).toMatchObject({ name: 'orders', topicId: created.id, numPartitions: 3, replicationFactor: 1, errorMessage: null });
    expect(created.partitions.size).toBe(3);
    expect(f.image.topicConfig('orders').get('cleanup.policy')).toBe('compact');
    const configs = new Map(t!.configs!.map((c) => [c.name, c]));
    expect(configs.size).toBe(TOPIC_CONFIGS.length);
    expect(configs.get('cleanup.policy')).toEqual({ name: 'cleanup.policy', value: 'compact', readOnly: false, configSource: ConfigSource.DYNAMIC_TOPIC_CONFIG, isSensitive: false });
    expect(configs.get('segment.bytes')).toMatchObject({ value: '2000000', configSource: ConfigSource.STATIC_BROKER_CONFIG });
    expect(configs.get('retention.ms')).toMatchObject({ value: '604800000', configSource: ConfigSource.DEFAULT_CONFIG });
  });

  test('encodes at v2 (no ids or configs on the wire)', async () => {
    const f = await setup();
    const res = await call(CreateTopicsApi, createTopicsHandler, f, createReq([newTopic('old', { numPartitions: 2, replicationFactor: 1 })]), 2);
    expect(res.topics[0]).toMatchObject({ name: 'old', errorCode: ErrorCode.NONE });
    expect(f.image.topics.get('old')!.partitions.size).toBe(2);
  });

  test('maps every controller refusal to its Kafka code', async () => {
    const f = await setup();
    await create(f, newTopic('exists'));
    const res = await call(
      CreateTopicsApi,
      createTopicsHandler,
      f,
      createReq([
        newTopic('exists'),
        newTopic('bad/name'),
        newTopic('x'.repeat(250)),
        newTopic('.'),
        newTopic('..'),
        newTopic('zero', { numPartitions: 0 }),
        newTopic('rf', { numPartitions: 1, replicationFactor: 2 }),
        newTopic('unknown-key', { configs: [{ name: 'no.such.key', value: '1' }] }),
        newTopic('bad-value', { configs: [{ name: 'retention.ms', value: 'soon' }] }),
      ]),
      7,
    );
    expect(res.topics.map((t) => [t.name, t.errorCode])).toEqual([
      ['exists', ErrorCode.TOPIC_ALREADY_EXISTS],
      ['bad/name', ErrorCode.INVALID_TOPIC_EXCEPTION],
      ['x'.repeat(250), ErrorCode.INVALID_TOPIC_EXCEPTION],
      ['.', ErrorCode.INVALID_TOPIC_EXCEPTION],
      ['..', ErrorCode.INVALID_TOPIC_EXCEPTION],
      ['zero', ErrorCode.INVALID_PARTITIONS],
      ['rf', ErrorCode.INVALID_REPLICATION_FACTOR],
      ['unknown-key', ErrorCode.INVALID_CONFIG],
      ['bad-value', ErrorCode.INVALID_CONFIG],
    ]);
    for (const t of res.topics) {
      expect(t.errorMessage).toEqual(expect.any(String));
      expect(t).toMatchObject({ topicId: ZERO_UUID, numPartitions: -1, replicationFactor: -1, configs: [] });
    }
    expect([...f.image.topics.keys()]).toEqual(['exists']);
  });

  test('validateOnly checks and reports but creates nothing', async () => {
    const f = await setup();
    const res = await call(CreateTopicsApi, createTopicsHandler, f, createReq([newTopic('dry', { numPartitions: 4 }), newTopic('bad/')], { validateOnly: true }), 7);
    expect(res.topics[0]).toMatchObject({ errorCode: ErrorCode.NONE, topicId: ZERO_UUID, numPartitions: 4, replicationFactor: 1 });
    expect(res.topics[0]!.configs!.length).toBe(TOPIC_CONFIGS.length);
    expect(res.topics[1]!.errorCode).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);
    expect(f.image.topics.size).toBe(0);
  });

  test('manual assignments', async () => {
    const f = await setup({}, 2);
    const res = await call(
      CreateTopicsApi,
      createTopicsHandler,
      f,
      createReq([
        newTopic('manual', { assignments: [{ partitionIndex: 0, brokerIds: [2, 1] }, { partitionIndex: 1, brokerIds: [1, 2] }] }),
        newTopic('nobroker', { assignments: [{ partitionIndex: 0, brokerIds: [7] }] }),
      ]),
      7,
    );
    expect(res.topics.map((t) => t.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.INVALID_REPLICA_ASSIGNMENT]);
    expect(f.image.partition('manual', 0)!.replicas).toEqual([2, 1]);
  });

  test('a timeout that has already expired creates nothing and answers REQUEST_TIMED_OUT', async () => {
    const f = await setup();
    const res = await call(CreateTopicsApi, createTopicsHandler, f, createReq([newTopic('late')], { timeoutMs: 0 }), 7);
    expect(res.topics[0]).toMatchObject({ name: 'late', errorCode: ErrorCode.REQUEST_TIMED_OUT });
    expect(f.image.topics.size).toBe(0);
  });

  test('a controller slower than the timeout answers REQUEST_TIMED_OUT', async () => {
    const f = await setup();
    const slow = { ...f.broker, controller: { createTopics: () => new Promise(() => undefined) } as unknown as Controller };
    const res = await createTopicsHandler.handle(createReq([newTopic('slow')], { timeoutMs: 20 }), { ...f.ctx(7), broker: slow });
    expect(res!.topics[0]!.errorCode).toBe(ErrorCode.REQUEST_TIMED_OUT);
  });

  test('errorResponse fills every topic', async () => {
    const f = await setup();
    const res = createTopicsHandler.errorResponse(createReq([newTopic('a'), newTopic('b')]), ErrorCode.NOT_CONTROLLER, f.ctx(7));
    expect(res.topics.map((t) => [t.name, t.errorCode])).toEqual([
      ['a', ErrorCode.NOT_CONTROLLER],
      ['b', ErrorCode.NOT_CONTROLLER],
    ]);
  });
});

describe('DeleteTopics', () => {
  test('v6 deletes by name and by id; unknown ids, both keys and duplicates are refused', async () => {
    const f = await setup();
    await create(f, newTopic('by-name'), newTopic('by-id'), newTopic('dup'));
    const id = f.image.topics.get('by-id')!.id;
    const missing = newUuid();
    const req = {
      ...defaultDeleteTopicsRequest(),
      timeoutMs: 5000,
      topics: [
        { name: 'by-name', topicId: ZERO_UUID },
        { name: null, topicId: id },
        { name: null, topicId: missing },
        { name: 'by-name', topicId: id },
        { name: 'dup', topicId: ZERO_UUID },
        { name: 'dup', topicId: ZERO_UUID },
        { name: 'nope', topicId: ZERO_UUID },
        { name: null, topicId: ZERO_UUID },
      ],
    };
    const res = await call(DeleteTopicsApi, deleteTopicsHandler, f, req, 6);
    expect(res.responses.map((r) => [r.name, r.errorCode])).toEqual([
      ['by-name', ErrorCode.NONE],
      ['by-id', ErrorCode.NONE],
      [null, ErrorCode.UNKNOWN_TOPIC_ID],
      ['by-name', ErrorCode.INVALID_REQUEST],
      ['dup', ErrorCode.INVALID_REQUEST],
      ['dup', ErrorCode.INVALID_REQUEST],
      ['nope', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      [null, ErrorCode.INVALID_REQUEST],
    ]);
    expect(res.responses[1]!.topicId).toBe(id);
    expect(res.responses[2]!.topicId).toBe(missing);
    expect([...f.image.topics.keys()]).toEqual(['dup']);
  });

  test('v1 deletes by topicNames and answers under the names asked for', async () => {
    const f = await setup();
    await create(f, newTopic('old'));
    const req = { ...defaultDeleteTopicsRequest(), timeoutMs: 5000, topicNames: ['old', 'gone', ''] };
    const res = await call(DeleteTopicsApi, deleteTopicsHandler, f, req, 1);
    expect(res.responses.map((r) => [r.name, r.errorCode])).toEqual([
      ['old', ErrorCode.NONE],
      ['gone', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      ['', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
    ]);
    expect(f.image.topics.size).toBe(0);
  });

  test('deletion refused by configuration, and the expired-timeout answer', async () => {
    const f = await setup({ 'delete.topic.enable': 'false' });
    await create(f, newTopic('kept'));
    const res = await call(DeleteTopicsApi, deleteTopicsHandler, f, { ...defaultDeleteTopicsRequest(), timeoutMs: 5000, topicNames: ['kept'] }, 5);
    expect(res.responses[0]!.errorCode).toBe(ErrorCode.TOPIC_DELETION_DISABLED);
    const late = await call(DeleteTopicsApi, deleteTopicsHandler, f, { ...defaultDeleteTopicsRequest(), timeoutMs: 0, topicNames: ['kept'] }, 5);
    expect(late.responses[0]!.errorCode).toBe(ErrorCode.REQUEST_TIMED_OUT);
    expect(f.image.topics.has('kept')).toBe(true);
  });

  test('errorResponse uses the version-appropriate list', async () => {
    const f = await setup();
    const req = { ...defaultDeleteTopicsRequest(), topicNames: ['a'], topics: [{ name: null, topicId: ZERO_UUID }] };
    expect(deleteTopicsHandler.errorResponse(req, ErrorCode.NOT_CONTROLLER, f.ctx(4)).responses).toEqual([
      { name: 'a', topicId: ZERO_UUID, errorCode: ErrorCode.NOT_CONTROLLER, errorMessage: null },
    ]);
    expect(deleteTopicsHandler.errorResponse(req, ErrorCode.NOT_CONTROLLER, f.ctx(6)).responses[0]!.name).toBeNull();
  });
});

describe('CreatePartitions', () => {
  const topicReq = (name: string, count: number, assignments: { brokerIds: number[] }[] | null = null) => ({
    ...defaultCreatePartitionsRequestCreatePartitionsTopic(),
    name,
    count,
    assignments,
  });

  test('increases; refuses decreases, no-ops, bad assignments and unknown topics', async () => {
    const f = await setup();
    await create(f, newTopic('t', { numPartitions: 2, replicationFactor: 1 }), newTopic('u', { numPartitions: 1, replicationFactor: 1 }));
    const req = {
      ...defaultCreatePartitionsRequest(),
      timeoutMs: 5000,
      topics: [topicReq('t', 5), topicReq('u', 1), topicReq('missing', 3), topicReq('v', 3, [{ brokerIds: [1] }])],
    };
    await create(f, newTopic('v', { numPartitions: 1, replicationFactor: 1 }));
    const res = await call(CreatePartitionsApi, createPartitionsHandler, f, req, 3);
    expect(res.results.map((r) => [r.name, r.errorCode])).toEqual([
      ['t', ErrorCode.NONE],
      ['u', ErrorCode.INVALID_PARTITIONS],
      ['missing', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      ['v', ErrorCode.INVALID_REPLICA_ASSIGNMENT],
    ]);
    expect(f.image.topics.get('t')!.partitions.size).toBe(5);
    const down = await call(CreatePartitionsApi, createPartitionsHandler, f, { ...req, topics: [topicReq('t', 2)] }, 0);
    expect(down.results[0]!.errorCode).toBe(ErrorCode.INVALID_PARTITIONS);
    expect(f.image.topics.get('t')!.partitions.size).toBe(5);
  });

  test('explicit assignments and validateOnly', async () => {
    const f = await setup({}, 2);
    await create(f, newTopic('t', { numPartitions: 1, replicationFactor: 2 }));
    const dry = await call(
      CreatePartitionsApi,
      createPartitionsHandler,
      f,
      { ...defaultCreatePartitionsRequest(), timeoutMs: 5000, validateOnly: true, topics: [topicReq('t', 3)] },
      1,
    );
    expect(dry.results[0]!.errorCode).toBe(ErrorCode.NONE);
    expect(f.image.topics.get('t')!.partitions.size).toBe(1);
    const res = await call(
      CreatePartitionsApi,
      createPartitionsHandler,
      f,
      { ...defaultCreatePartitionsRequest(), timeoutMs: 5000, topics: [topicReq('t', 2, [{ brokerIds: [2, 1] }])] },
      2,
    );
    expect(res.results[0]!.errorCode).toBe(ErrorCode.NONE);
    expect(f.image.partition('t', 1)!.replicas).toEqual([2, 1]);
  });

  test('expired timeout and errorResponse', async () => {
    const f = await setup();
    await create(f, newTopic('t'));
    const req = { ...defaultCreatePartitionsRequest(), timeoutMs: 0, topics: [topicReq('t', 4)] };
    const res = await call(CreatePartitionsApi, createPartitionsHandler, f, req, 3);
    expect(res.results[0]!.errorCode).toBe(ErrorCode.REQUEST_TIMED_OUT);
    expect(f.image.topics.get('t')!.partitions.size).toBe(1);
    expect(createPartitionsHandler.errorResponse(req, ErrorCode.NOT_CONTROLLER, f.ctx(3)).results).toEqual([
      { name: 't', errorCode: ErrorCode.NOT_CONTROLLER, errorMessage: null },
    ]);
  });
});

describe('DescribeConfigs', () => {
  const resource = (resourceType: number, resourceName: string, configurationKeys: string[] | null = null): DescribeConfigsRequestDescribeConfigsResource => ({
    resourceType,
    resourceName,
    configurationKeys,
  });
  const describe1 = async (f: Fixture, r: DescribeConfigsRequestDescribeConfigsResource, version = 4, includeSynonyms = true, includeDocumentation = true) => {
    const res = await call(DescribeConfigsApi, describeConfigsHandler, f, { ...defaultDescribeConfigsRequest(), resources: [r], includeSynonyms, includeDocumentation }, version);
    return res.results[0]!;
  };
  const byName = (configs: DescribeConfigsResponseDescribeConfigsResourceResult[]) => new Map(configs.map((c) => [c.name, c]));

  test('topic: every key with default, static and override sources, synonyms, types and docs', async () => {
    const f = await setup({ 'log.segment.bytes': '2000000' });
    await create(f, newTopic('t', { configs: [{ name: 'retention.ms', value: '1000' }] }));
    const r = await describe1(f, resource(ResourceType.TOPIC, 't'));
    expect(r).toMatchObject({ errorCode: ErrorCode.NONE, errorMessage: null, resourceType: ResourceType.TOPIC, resourceName: 't' });
    const c = byName(r.configs);
    expect(c.size).toBe(TOPIC_CONFIGS.length);
    expect(c.get('retention.ms')).toEqual({
      name: 'retention.ms',
      value: '1000',
      readOnly: false,
      isDefault: false,
      configSource: ConfigSource.DYNAMIC_TOPIC_CONFIG,
      isSensitive: false,
      // Kafka drops less specific broker synonyms (log.retention.hours) when log.retention.ms itself is unset.
      synonyms: [{ name: 'retention.ms', value: '1000', source: ConfigSource.DYNAMIC_TOPIC_CONFIG }],
      configType: 5,
      documentation: expect.any(String),
    });
    expect(c.get('segment.bytes')).toMatchObject({
      value: '2000000',
      configSource: ConfigSource.STATIC_BROKER_CONFIG,
      configType: 3,
      synonyms: [
        { name: 'log.segment.bytes', value: '2000000', source: ConfigSource.STATIC_BROKER_CONFIG },
        { name: 'log.segment.bytes', value: '1073741824', source: ConfigSource.DEFAULT_CONFIG },
      ],
    });
    expect(c.get('cleanup.policy')).toMatchObject({
      value: 'delete',
      configSource: ConfigSource.DEFAULT_CONFIG,
      isDefault: true,
      configType: 7,
      synonyms: [{ name: 'log.cleanup.policy', value: 'delete', source: ConfigSource.DEFAULT_CONFIG }],
    });
    expect(c.get('unclean.leader.election.enable')!.configType).toBe(1);
    expect(c.get('min.cleanable.dirty.ratio')!.configType).toBe(6);
    expect(c.get('message.timestamp.type')!.configType).toBe(2);
    // No broker key backs compression.type here: a default with no synonyms and no text.
    expect(c.get('compression.type')).toMatchObject({ value: 'producer', configSource: ConfigSource.DEFAULT_CONFIG, synonyms: [], documentation: null });
  });

  test('without synonyms or documentation, and with a key filter', async () => {
    const f = await setup();
    await create(f, newTopic('t'));
    const r = await describe1(f, resource(ResourceType.TOPIC, 't', ['retention.ms', 'segment.bytes', 'no.such.key']), 2, false, false);
    expect(r.configs.map((c) => c.name).sort()).toEqual(['retention.ms', 'segment.bytes']);
    for (const c of r.configs) expect(c).toMatchObject({ synonyms: [], documentation: null });
    const all = await describe1(f, resource(ResourceType.TOPIC, 't', []), 1);
    expect(all.configs.length).toBe(TOPIC_CONFIGS.length);
  });

  test('topic errors: unknown and invalid names', async () => {
    const f = await setup();
    expect((await describe1(f, resource(ResourceType.TOPIC, 'missing'))).errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect((await describe1(f, resource(ResourceType.TOPIC, 'bad/name'))).errorCode).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);
  });

  test('broker: every key, static vs default, read-only unless dynamic, dynamic overrides first', async () => {
    const f = await setup({ 'log.retention.hours': '24', 'num.partitions': '3' });
    let r = await describe1(f, resource(ResourceType.BROKER, '1'));
    expect(r.errorCode).toBe(ErrorCode.NONE);
    let c = byName(r.configs);
    expect(c.size).toBe(BROKER_CONFIGS.length);
    expect(c.get('num.partitions')).toMatchObject({
      value: '3',
      configSource: ConfigSource.STATIC_BROKER_CONFIG,
      readOnly: true,
      configType: 3,
      synonyms: [
        { name: 'num.partitions', value: '3', source: ConfigSource.STATIC_BROKER_CONFIG },
        { name: 'num.partitions', value: '1', source: ConfigSource.DEFAULT_CONFIG },
      ],
    });
    expect(c.get('log.cleanup.policy')).toMatchObject({ value: 'delete', configSource: ConfigSource.DEFAULT_CONFIG, readOnly: false });
    expect(c.get('log.retention.ms')).toMatchObject({ value: null, configSource: ConfigSource.DEFAULT_CONFIG, synonyms: [] });
    expect(c.get('log.retention.hours')!.configSource).toBe(ConfigSource.STATIC_BROKER_CONFIG);
    expect(c.get('log.segment.bytes')!.documentation).toBe(BROKER_CONFIGS.find((d) => d.name === 'log.segment.bytes')!.doc);

    const alter = (name: string, key: string, value: string) =>
      call(
        IncrementalAlterConfigsApi,
        incrementalAlterConfigsHandler,
        f,
        { ...defaultIncrementalAlterConfigsRequest(), resources: [{ resourceType: ResourceType.BROKER, resourceName: name, configs: [{ name: key, configOperation: ConfigOp.SET, value }] }] },
        1,
      );
    expect((await alter('', 'log.retention.ms', '5000')).responses[0]!.errorCode).toBe(ErrorCode.NONE);
    expect((await alter('1', 'log.retention.ms', '7000')).responses[0]!.errorCode).toBe(ErrorCode.NONE);
    r = await describe1(f, resource(ResourceType.BROKER, '1', ['log.retention.ms']));
    expect(r.configs).toEqual([
      expect.objectContaining({
        name: 'log.retention.ms',
        value: '7000',
        configSource: ConfigSource.DYNAMIC_BROKER_CONFIG,
        synonyms: [
          { name: 'log.retention.ms', value: '7000', source: ConfigSource.DYNAMIC_BROKER_CONFIG },
          { name: 'log.retention.ms', value: '5000', source: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG },
          { name: 'log.retention.hours', value: '24', source: ConfigSource.STATIC_BROKER_CONFIG },
          { name: 'log.retention.hours', value: '168', source: ConfigSource.DEFAULT_CONFIG },
        ],
      }),
    ]);
    // The cluster-default resource lists only what is set at that level.
    r = await describe1(f, resource(ResourceType.BROKER, ''));
    expect(r.configs).toEqual([
      expect.objectContaining({
        name: 'log.retention.ms',
        value: '5000',
        configSource: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG,
        synonyms: [{ name: 'log.retention.ms', value: '5000', source: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG }],
      }),
    ]);
    c = byName((await describe1(f, resource(ResourceType.BROKER, '1'), 1, false)).configs);
    expect(c.get('log.retention.ms')).toMatchObject({ value: '7000', synonyms: [] });
  });

  test('other brokers, broker loggers and unknown types are invalid requests', async () => {
    const f = await setup();
    for (const r of [resource(ResourceType.BROKER, '2'), resource(ResourceType.BROKER, 'one'), resource(ResourceType.BROKER_LOGGER, '1'), resource(16, 'x')]) {
      const out = await describe1(f, r);
      expect(out).toMatchObject({ errorCode: ErrorCode.INVALID_REQUEST, configs: [], resourceType: r.resourceType, resourceName: r.resourceName });
      expect(out.errorMessage).toEqual(expect.any(String));
    }
  });

  test('errorResponse', async () => {
    const f = await setup();
    const res = describeConfigsHandler.errorResponse(
      { ...defaultDescribeConfigsRequest(), resources: [resource(ResourceType.TOPIC, 't')] },
      ErrorCode.UNKNOWN_SERVER_ERROR,
      f.ctx(4),
    );
    expect(res.results).toEqual([{ errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: null, resourceType: ResourceType.TOPIC, resourceName: 't', configs: [] }]);
  });
});

describe('AlterConfigs', () => {
  const req = (resources: { resourceType: number; resourceName: string; configs: { name: string; value: string | null }[] }[], validateOnly = false) => ({
    ...defaultAlterConfigsRequest(),
    resources,
    validateOnly,
  });

  test('replaces the whole override set', async () => {
    const f = await setup();
    await create(f, newTopic('t', { configs: [{ name: 'retention.ms', value: '1000' }, { name: 'cleanup.policy', value: 'compact' }] }));
    const res = await call(AlterConfigsApi, alterConfigsHandler, f, req([{ resourceType: ResourceType.TOPIC, resourceName: 't', configs: [{ name: 'segment.bytes', value: '100000' }] }]), 2);
    expect(res.responses).toEqual([{ errorCode: ErrorCode.NONE, errorMessage: null, resourceType: ResourceType.TOPIC, resourceName: 't' }]);
    expect(Object.fromEntries(f.image.topicConfig('t'))).toEqual({ 'segment.bytes': '100000' });
  });

  test('validateOnly, invalid values, unknown topics, duplicates', async () => {
    const f = await setup();
    await create(f, newTopic('t', { configs: [{ name: 'retention.ms', value: '1000' }] }));
    const dry = await call(AlterConfigsApi, alterConfigsHandler, f, req([{ resourceType: ResourceType.TOPIC, resourceName: 't', configs: [] }], true), 0);
    expect(dry.responses[0]!.errorCode).toBe(ErrorCode.NONE);
    expect(f.image.topicConfig('t').get('retention.ms')).toBe('1000');
    const res = await call(
      AlterConfigsApi,
      alterConfigsHandler,
      f,
      req([
        { resourceType: ResourceType.TOPIC, resourceName: 't', configs: [{ name: 'retention.ms', value: 'x' }] },
        { resourceType: ResourceType.TOPIC, resourceName: 'missing', configs: [] },
        { resourceType: ResourceType.BROKER, resourceName: '1', configs: [{ name: 'num.partitions', value: '4' }] },
        { resourceType: ResourceType.TOPIC, resourceName: 'twice', configs: [] },
        { resourceType: ResourceType.TOPIC, resourceName: 'twice', configs: [] },
        { resourceType: ResourceType.BROKER_LOGGER, resourceName: '1', configs: [] },
      ]),
      1,
    );
    expect(res.responses.map((r) => [r.resourceName, r.errorCode])).toEqual([
      ['t', ErrorCode.INVALID_CONFIG],
      ['missing', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      ['1', ErrorCode.INVALID_CONFIG],
      ['twice', ErrorCode.INVALID_REQUEST],
      ['twice', ErrorCode.INVALID_REQUEST],
      ['1', ErrorCode.INVALID_REQUEST],
    ]);
    expect(f.image.topicConfig('t').get('retention.ms')).toBe('1000');
    expect(alterConfigsHandler.errorResponse(req([{ resourceType: 2, resourceName: 't', configs: [] }]), ErrorCode.NOT_CONTROLLER, f.ctx(2)).responses[0]!.errorCode).toBe(
      ErrorCode.NOT_CONTROLLER,
    );
  });
});

describe('IncrementalAlterConfigs', () => {
  type Change = { name: string; configOperation: number; value: string | null };
  const req = (resourceName: string, configs: Change[], validateOnly = false, resourceType: number = ResourceType.TOPIC) => ({
    ...defaultIncrementalAlterConfigsRequest(),
    resources: [{ resourceType, resourceName, configs }],
    validateOnly,
  });
  const alter = async (f: Fixture, r: ReturnType<typeof req>) => (await call(IncrementalAlterConfigsApi, incrementalAlterConfigsHandler, f, r, 1)).responses[0]!;

  test('SET, DELETE, APPEND and SUBTRACT change only the named keys', async () => {
    const f = await setup();
    await create(f, newTopic('t', { configs: [{ name: 'retention.ms', value: '1000' }, { name: 'segment.bytes', value: '100000' }] }));
    expect(
      (await alter(f, req('t', [
        { name: 'retention.ms', configOperation: ConfigOp.SET, value: '2000' },
        { name: 'segment.bytes', configOperation: ConfigOp.DELETE, value: null },
        { name: 'cleanup.policy', configOperation: ConfigOp.APPEND, value: 'compact' },
      ]))).errorCode,
    ).toBe(ErrorCode.NONE);
    expect(Object.fromEntries(f.image.topicConfig('t'))).toEqual({ 'retention.ms': '2000', 'cleanup.policy': 'compact' });
    await alter(f, req('t', [{ name: 'cleanup.policy', configOperation: ConfigOp.APPEND, value: 'delete' }]));
    expect(f.image.topicConfig('t').get('cleanup.policy')).toBe('compact,delete');
    await alter(f, req('t', [{ name: 'cleanup.policy', configOperation: ConfigOp.SUBTRACT, value: 'compact' }]));
    expect(f.image.topicConfig('t').get('cleanup.policy')).toBe('delete');
  });

  test('APPEND and SUBTRACT on non-list keys are INVALID_CONFIG; malformed changes INVALID_REQUEST', async () => {
    const f = await setup();
    await create(f, newTopic('t'));
    const cases: [Change[], number][] = [
      [[{ name: 'retention.ms', configOperation: ConfigOp.APPEND, value: '1' }], ErrorCode.INVALID_CONFIG],
      [[{ name: 'retention.ms', configOperation: ConfigOp.SUBTRACT, value: '1' }], ErrorCode.INVALID_CONFIG],
      [[{ name: 'retention.ms', configOperation: ConfigOp.SET, value: null }], ErrorCode.INVALID_REQUEST],
      [[{ name: 'retention.ms', configOperation: ConfigOp.SET, value: '1' }, { name: 'retention.ms', configOperation: ConfigOp.DELETE, value: null }], ErrorCode.INVALID_REQUEST],
      [[{ name: 'retention.ms', configOperation: 9, value: '1' }], ErrorCode.INVALID_REQUEST],
      [[{ name: 'no.such.key', configOperation: ConfigOp.SET, value: '1' }], ErrorCode.INVALID_CONFIG],
      [[{ name: 'retention.ms', configOperation: ConfigOp.SET, value: 'soon' }], ErrorCode.INVALID_CONFIG],
    ];
    for (const [changes, code] of cases) {
      const r = await alter(f, req('t', changes));
      expect([changes, r.errorCode]).toEqual([changes, code]);
      expect(r.errorMessage).toEqual(expect.any(String));
    }
    expect(f.image.topicConfig('t').size).toBe(0);
    const broker = await alter(f, req('1', [{ name: 'log.retention.ms', configOperation: ConfigOp.APPEND, value: '1' }], false, ResourceType.BROKER));
    expect(broker.errorCode).toBe(ErrorCode.INVALID_CONFIG);
  });

  test('validateOnly changes nothing; broker resources store dynamic overrides', async () => {
    const f = await setup();
    await create(f, newTopic('t'));
    expect((await alter(f, req('t', [{ name: 'retention.ms', configOperation: ConfigOp.SET, value: '5' }], true))).errorCode).toBe(ErrorCode.NONE);
    expect(f.image.topicConfig('t').size).toBe(0);
    const b = await alter(f, req('1', [{ name: 'log.cleanup.policy', configOperation: ConfigOp.APPEND, value: 'compact' }], false, ResourceType.BROKER));
    expect(b).toEqual({ errorCode: ErrorCode.NONE, errorMessage: null, resourceType: ResourceType.BROKER, resourceName: '1' });
    expect(f.image.resourceConfig(ResourceType.BROKER, '1').get('log.cleanup.policy')).toBe('compact');
    const ro = await alter(f, req('1', [{ name: 'num.partitions', configOperation: ConfigOp.SET, value: '4' }], false, ResourceType.BROKER));
    expect(ro.errorCode).toBe(ErrorCode.INVALID_CONFIG);
    const r = incrementalAlterConfigsHandler.errorResponse(req('t', []), ErrorCode.NOT_CONTROLLER, f.ctx(1));
    expect(r.responses[0]!.errorCode).toBe(ErrorCode.NOT_CONTROLLER);
  });
});

describe('DescribeCluster', () => {
  test('lists live brokers on the request listener with cluster id, controller and operations', async () => {
    const f = await setup({}, 2);
    const res = await call(DescribeClusterApi, describeClusterHandler, f, { ...defaultDescribeClusterRequest(), includeClusterAuthorizedOperations: true }, 1);
    expect(res).toMatchObject({
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      endpointType: 1,
      clusterId: 'test-cluster-id',
      controllerId: 1,
      clusterAuthorizedOperations: CLUSTER_OPERATIONS,
      brokers: [
        { brokerId: 1, host: 'host1', port: 9091, rack: null },
        { brokerId: 2, host: 'host2', port: 9092, rack: 'rack2' },
      ],
    });
    const ext = (await describeClusterHandler.handle(defaultDescribeClusterRequest(), f.ctx(0, 'EXTERNAL')))!;
    expect(ext.brokers.map((b) => `${b.host}:${b.port}`)).toEqual(['ext1:19091', 'ext2:19092']);
    expect(ext.clusterAuthorizedOperations).toBe(OPERATIONS_NOT_REQUESTED);
  });

  test('controller endpoints are asked of the wrong listener; unknown types are unsupported', async () => {
    const f = await setup();
    const ctrl = await call(DescribeClusterApi, describeClusterHandler, f, { ...defaultDescribeClusterRequest(), endpointType: 2 }, 1);
    expect(ctrl).toMatchObject({ errorCode: ErrorCode.MISMATCHED_ENDPOINT_TYPE, brokers: [] });
    const odd = await call(DescribeClusterApi, describeClusterHandler, f, { ...defaultDescribeClusterRequest(), endpointType: 7 }, 1);
    expect(odd.errorCode).toBe(ErrorCode.UNSUPPORTED_ENDPOINT_TYPE);
    expect(describeClusterHandler.errorResponse(defaultDescribeClusterRequest(), ErrorCode.UNKNOWN_SERVER_ERROR, f.ctx(1)).errorCode).toBe(ErrorCode.UNKNOWN_SERVER_ERROR);
  });
});

describe('DeleteRecords', () => {
  const req = (name: string, partitions: [number, number][]) => ({
    ...defaultDeleteRecordsRequest(),
    timeoutMs: 5000,
    topics: [{ name, partitions: partitions.map(([partitionIndex, offset]) => ({ partitionIndex, offset })) }],
  });

  test('moves the log start offset; -1 means the high watermark', async () => {
    const f = await setup();
    f.partitions.set('t-0', fakePartition({ end: 100, hw: 80 }));
    f.partitions.set('t-1', fakePartition({ end: 50 }));
    f.partitions.set('t-2', fakePartition({ start: 30, end: 50 }));
    const res = await call(DeleteRecordsApi, deleteRecordsHandler, f, req('t', [[0, -1], [1, 20], [2, 10]]), 2);
    expect(res.topics[0]!.partitions).toEqual([
      { partitionIndex: 0, lowWatermark: 80, errorCode: ErrorCode.NONE },
      { partitionIndex: 1, lowWatermark: 20, errorCode: ErrorCode.NONE },
      // Never backwards: an offset below the start leaves it where it is.
      { partitionIndex: 2, lowWatermark: 30, errorCode: ErrorCode.NONE },
    ]);
  });

  test('refusals per partition', async () => {
    const f = await setup();
    f.partitions.set('t-0', fakePartition({ end: 100, hw: 80 }));
    f.partitions.set('t-1', fakePartition({ end: 100, leader: false }));
    f.partitions.set('c-0', fakePartition({ end: 100, compact: true }));
    f.partitions.set('__consumer_offsets-0', fakePartition({ end: 100 }));
    const res = await call(DeleteRecordsApi, deleteRecordsHandler, f, req('t', [[0, 81], [0, -2], [1, 10], [9, 10]]), 0);
    expect(res.topics[0]!.partitions.map((p) => [p.partitionIndex, p.errorCode, p.lowWatermark])).toEqual([
      [0, ErrorCode.OFFSET_OUT_OF_RANGE, -1],
      [0, ErrorCode.OFFSET_OUT_OF_RANGE, -1],
      [1, ErrorCode.NOT_LEADER_OR_FOLLOWER, -1],
      [9, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1],
    ]);
    expect(f.partitions.get('t-0')!.log.logStartOffset).toBe(0);
    expect((await call(DeleteRecordsApi, deleteRecordsHandler, f, req('c', [[0, 10]]), 1)).topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.POLICY_VIOLATION);
    expect((await call(DeleteRecordsApi, deleteRecordsHandler, f, req('__consumer_offsets', [[0, 10]]), 1)).topics[0]!.partitions[0]!.errorCode).toBe(
      ErrorCode.INVALID_TOPIC_EXCEPTION,
    );
  });

  test('a failing log answers KAFKA_STORAGE_ERROR for that partition; errorResponse', async () => {
    const f = await setup();
    const p = fakePartition({ end: 10 });
    p.log.deleteRecordsBefore = () => Promise.reject(new Error('disk gone'));
    f.partitions.set('t-0', p);
    const res = await call(DeleteRecordsApi, deleteRecordsHandler, f, req('t', [[0, 5]]), 2);
    expect(res.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
    expect(deleteRecordsHandler.errorResponse(req('t', [[0, 5]]), ErrorCode.NOT_CONTROLLER, f.ctx(2)).topics[0]!.partitions).toEqual([
      { partitionIndex: 0, lowWatermark: -1, errorCode: ErrorCode.NOT_CONTROLLER },
    ]);
  });

  test('against a real partition log: the start offset moves durably and reads below it fail', async () => {
    const f = await setup();
    const m = await openManager(tmpDir(), { segmentBytes: 2000, fileDeleteDelayMs: 0 });
    try {
      const log = m.createLog('real', 0);
      for (let i = 0; i < 20; i++) log.append(makeBatch(2, { valueSize: 200 }), { leaderEpoch: 0, assignOffsets: true });
      const p = new Partition('real', 0, newUuid(), log, { maxMessageBytes: 1 << 20, logAppendTime: false, requireKeys: false, minInsyncReplicas: 1, syncEveryAppend: false });
      p.isLeader = true;
      p.resetHighWatermark(30);
      f.partitions.set('real-0', p as unknown as FakePartition);
      const res = await call(DeleteRecordsApi, deleteRecordsHandler, f, req('real', [[0, 25]]), 2);
      expect(res.topics[0]!.partitions[0]).toEqual({ partitionIndex: 0, lowWatermark: 25, errorCode: ErrorCode.NONE });
      expect(log.logStartOffset).toBe(25);
      expect(() => log.read(24, 1000, { minOneBatch: true })).toThrow(expect.objectContaining({ code: ErrorCode.OFFSET_OUT_OF_RANGE }));
      const hw = await call(DeleteRecordsApi, deleteRecordsHandler, f, req('real', [[0, -1], [0, 31]]), 2);
      expect(hw.topics[0]!.partitions.map((x) => [x.errorCode, x.lowWatermark])).toEqual([
        [ErrorCode.NONE, 30],
        [ErrorCode.OFFSET_OUT_OF_RANGE, -1],
      ]);
    } finally {
      await m.close();
      cleanupTmp();
    }
  });
});
