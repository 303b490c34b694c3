// kafkajs 2.x admin client against a broker process: topic creation, listing, metadata, partitions, configs,
// deletion, offsets and record deletion, including the error codes a client sees for bad requests.

import { Kafka, logLevel, Admin } from 'kafkajs';
import { BrokerProcess, startBroker } from '../support/broker-process';

let broker: BrokerProcess;
let admin: Admin;

beforeAll(async () => {
  broker = await startBroker();
  const kafka = new Kafka({ clientId: 'compat-admin', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  admin = kafka.admin();
  await admin.connect();
});

afterAll(async () => {
  await admin.disconnect();
  expect(await broker.stop()).toBe(0);
});

test('createTopics, listTopics and fetchTopicMetadata', async () => {
  expect(await admin.createTopics({ topics: [{ topic: 'admin-a', numPartitions: 3 }] })).toBe(true);
  // An existing topic: kafkajs reports false rather than throwing.
  expect(await admin.createTopics({ topics: [{ topic: 'admin-a', numPartitions: 3 }] })).toBe(false);
  expect(await admin.listTopics()).toContain('admin-a');
  const md = await admin.fetchTopicMetadata({ topics: ['admin-a'] });
  expect(md.topics[0]!.partitions.map((p) => [p.partitionId, p.leader, p.replicas, p.isr]).sort()).toEqual([
    [0, 1, [1], [1]],
    [1, 1, [1], [1]],
    [2, 1, [1], [1]],
  ]);
});

test('invalid topic requests get Kafka error codes', async () => {
  await expect(admin.createTopics({ topics: [{ topic: 'bad/name' }] })).rejects.toMatchObject({
    errors: [expect.objectContaining({ type: 'INVALID_TOPIC_EXCEPTION' })],
  });
  await expect(admin.createTopics({ topics: [{ topic: 'x'.repeat(250) }] })).rejects.toMatchObject({
    errors: [expect.objectContaining({ type: 'INVALID_TOPIC_EXCEPTION' })],
  });
  await expect(admin.createTopics({ topics: [{ topic: 'zero-parts', numPartitions: 0 }] })).rejects.toMatchObject({
    errors: [expect.objectContaining({ type: 'INVALID_PARTITIONS' })],
  });
  await expect(admin.createTopics({ topics: [{ topic: 'rf-three', replicationFactor: 3 }] })).rejects.toMatchObject({
    errors: [expect.objectContaining({ type: 'INVALID_REPLICATION_FACTOR' })],
  });
  await expect(
    admin.createTopics({ topics: [{ topic: 'bad-config', configEntries: [{ name: 'retention.ms', value: 'soon' }] }] }),
  ).rejects.toMatchObject({ errors: [expect.objectContaining({ type: 'INVALID_CONFIG' })] });
});

test('createPartitions grows a topic and refuses to shrink it', async () => {
  await admin.createTopics({ topics: [{ topic: 'admin-grow', numPartitions: 1 }] });
  await admin.createPartitions({ topicPartitions: [{ topic: 'admin-grow', count: 4 }] });
  const md = await admin.fetchTopicMetadata({ topics: ['admin-grow'] });
  expect(md.topics[0]!.partitions).toHaveLength(4);
  await expect(admin.createPartitions({ topicPartitions: [{ topic: 'admin-grow', count: 2 }] })).rejects.toMatchObject({
    type: 'INVALID_PARTITIONS',
  });
});

test('describeConfigs reports defaults and overrides; alterConfigs changes them', async () => {
  await admin.createTopics({
    topics: [{ topic: 'admin-configs', configEntries: [{ name: 'retention.ms', value: '123456' }] }],
  });
  const before = await admin.describeConfigs({ resources: [{ type: 2, name: 'admin-configs' }], includeSynonyms: false });
  const entries = before.resources[0]!.configEntries;
  const retention = entries.find((e) => e.configName === 'retention.ms')!;
  expect(retention.configValue).toBe('123456');
  expect(retention.isDefault).toBe(false);
  const segment = entries.find((e) => e.configName === 'segment.bytes')!;
  expect(segment.configValue).toBe('1073741824');
  expect(segment.isDefault).toBe(true);

  await admin.alterConfigs({
    validateOnly: false,
    resources: [{ type: 2, name: 'admin-configs', configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }],
  });
  const after = await admin.describeConfigs({ resources: [{ type: 2, name: 'admin-configs' }], includeSynonyms: false });
  const byName = new Map(after.resources[0]!.configEntries.map((e) => [e.configName, e]));
  expect(byName.get('cleanup.policy')!.configValue).toBe('compact');
  // AlterConfigs replaces the whole set: the earlier retention override is gone.
  expect(byName.get('retention.ms')!.isDefault).toBe(true);
});

test('deleteTopics removes a topic; deleting an unknown one fails', async () => {
  await admin.createTopics({ topics: [{ topic: 'admin-doomed' }] });
  await admin.deleteTopics({ topics: ['admin-doomed'] });
  expect(await admin.listTopics()).not.toContain('admin-doomed');
  // kafkajs treats UNKNOWN_TOPIC_OR_PARTITION as retriable and wraps it once its retries are spent.
  const impatient = new Kafka({ clientId: 'compat-admin-2', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 1, initialRetryTime: 50 } }).admin();
  await impatient.connect();
  const err = await impatient.deleteTopics({ topics: ['never-existed'] }).then(
    () => null,
    (e: { name: string; cause?: { type?: string } }) => e,
  );
  expect(err?.name).toBe('KafkaJSNumberOfRetriesExceeded');
  expect(err?.cause?.type).toBe('UNKNOWN_TOPIC_OR_PARTITION');
  await impatient.disconnect();
});

test('describeCluster names this broker as controller', async () => {
  const c = await admin.describeCluster();
  expect(c.brokers).toEqual([{ nodeId: 1, host: '127.0.0.1', port: broker.port }]);
  expect(c.controller).toBe(1);
  expect(typeof c.clusterId).toBe('string');
});

test('fetchTopicOffsets, fetchTopicOffsetsByTimestamp and deleteTopicRecords', async () => {
  const kafka = new Kafka({ clientId: 'compat-admin-producer', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  await admin.createTopics({ topics: [{ topic: 'admin-offsets' }] });
  const t0 = Date.now() - 10_000;
  await producer.send({
    topic: 'admin-offsets',
    messages: Array.from({ length: 10 }, (_, i) => ({ value: `m${i}`, timestamp: String(t0 + i * 1000) })),
  });
  await producer.disconnect();
  expect(await admin.fetchTopicOffsets('admin-offsets')).toEqual([
    expect.objectContaining({ partition: 0, offset: '10', low: '0', high: '10' }),
  ]);
  expect(await admin.fetchTopicOffsetsByTimestamp('admin-offsets', t0 + 4500)).toEqual([{ partition: 0, offset: '5' }]);
  await admin.deleteTopicRecords({ topic: 'admin-offsets', partitions: [{ partition: 0, offset: '4' }] });
  expect(await admin.fetchTopicOffsets('admin-offsets')).toEqual([
    expect.objectContaining({ partition: 0, low: '4', high: '10' }),
  ]);
});
