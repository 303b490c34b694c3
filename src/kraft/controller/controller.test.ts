import { Controller, MetadataCommitter, MetadataRecordOut } from './controller';
import { MetadataImage, emptyDelta, ResourceType } from '../metadata/image';
import { decodeMetadataRecord, encodeMetadataRecord } from '../metadata/record-serde';
import { ErrorCode } from '../../wire/errors';
import { placeReplicas } from './placement';

/** Commits by round-tripping records through their stored form and applying them, as the metadata log does. */
class MemoryCommitter implements MetadataCommitter {
  readonly written: MetadataRecordOut[] = [];
  constructor(private readonly image: MetadataImage) {}
  async commit(records: MetadataRecordOut[]): Promise<void> {
    const delta = emptyDelta();
    for (const r of records) {
      this.written.push(r);
      const { apiKey, data } = decodeMetadataRecord(encodeMetadataRecord(r.apiKey, r.version, r.data));
      this.image.apply(apiKey, data, delta);
    }
  }
}

async function setup(brokers = 1) {
  const image = new MetadataImage();
  const log = new MemoryCommitter(image);
  const controller = new Controller(image, log, {
    numPartitions: 2,
    defaultReplicationFactor: 1,
    deleteTopicEnable: true,
    validateBrokerConfig: () => null,
  });
  for (let id = 1; id <= brokers; id++) {
    await controller.registerBroker({
      brokerId: id,
      incarnationId: 'AAAAAAAAAAAAAAAAAAAAAA',
      endpoints: [{ name: 'PLAINTEXT', host: 'localhost', port: 9091 + id, securityProtocol: 0 }],
      rack: null,
      fenced: false,
    });
  }
  return { image, log, controller };
}

const topic = (name: string, numPartitions = -1, replicationFactor = -1) => ({ name, numPartitions, replicationFactor, assignments: [], configs: [] });

test('creates topics with defaults and writes them through the log', async () => {
  const { image, controller } = await setup();
  const [r] = await controller.createTopics([topic('orders')], false);
  expect(r).toMatchObject({ name: 'orders', errorCode: 0, numPartitions: 2, replicationFactor: 1 });
  const t = image.topics.get('orders')!;
  expect(t.id).toBe(r!.topicId);
  expect([...t.partitions.values()].map((p) => [p.partition, p.leader, p.replicas])).toEqual([
    [0, 1, [1]],
    [1, 1, [1]],
  ]);
});

test('refuses invalid names, duplicates, bad counts and configs with Kafka codes', async () => {
  const { controller, image } = await setup();
  await controller.createTopics([topic('exists')], false);
  const res = await controller.createTopics(
    [
      topic('bad/name'),
      topic('.'),
      topic('x'.repeat(250)),
      topic('exists'),
      topic('zero', 0),
      topic('rf', 1, 2),
      { ...topic('cfg'), configs: [{ name: 'retention.ms', value: 'x' }] },
      { ...topic('cfg2'), configs: [{ name: 'no.such', value: '1' }] },
      topic('dup'),
      topic('dup'),
      topic('ex.ists'),
      topic('ex_ists'),
    ],
    false,
  );
  expect(res.map((r) => r.errorCode)).toEqual([
    ErrorCode.INVALID_TOPIC_EXCEPTION,
    ErrorCode.INVALID_TOPIC_EXCEPTION,
    ErrorCode.INVALID_TOPIC_EXCEPTION,
    ErrorCode.TOPIC_ALREADY_EXISTS,
    ErrorCode.INVALID_PARTITIONS,
    ErrorCode.INVALID_REPLICATION_FACTOR,
    ErrorCode.INVALID_CONFIG,
    ErrorCode.INVALID_CONFIG,
    ErrorCode.INVALID_REQUEST,
    ErrorCode.INVALID_REQUEST,
    ErrorCode.NONE,
    ErrorCode.INVALID_TOPIC_EXCEPTION,
  ]);
  expect(image.topics.has('ex.ists')).toBe(true);
  expect(image.topics.has('ex_ists')).toBe(false);
});

test('validateOnly creates nothing', async () => {
  const { controller, image, log } = await setup();
  const before = log.written.length;
  const [r] = await controller.createTopics([topic('dry')], true);
  expect(r!.errorCode).toBe(0);
  expect(image.topics.has('dry')).toBe(false);
  expect(log.written.length).toBe(before);
});

test('deletes by name and by id', async () => {
  const { controller, image } = await setup();
  const [a, b] = await controller.createTopics([topic('a'), topic('b')], false);
  const res = await controller.deleteTopics([
    { name: 'a', topicId: 'AAAAAAAAAAAAAAAAAAAAAA' },
    { name: null, topicId: b!.topicId },
    { name: 'missing', topicId: 'AAAAAAAAAAAAAAAAAAAAAA' },
    { name: null, topicId: 'AAAAAAAAAAAAAAAAAAAAAQ' },
  ]);
  expect(res.map((r) => r.errorCode)).toEqual([0, 0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.UNKNOWN_TOPIC_ID]);
  expect(res[1]!.name).toBe('b');
  expect(image.topics.size).toBe(0);
  expect(image.topicsById.has(a!.topicId)).toBe(false);
});

test('creates partitions and refuses to shrink', async () => {
  const { controller, image } = await setup();
  await controller.createTopics([topic('grow', 1)], false);
  const res = await controller.createPartitions(
    [
      { name: 'grow', count: 3, assignments: null },
      { name: 'missing', count: 3, assignments: null },
    ],
    false,
  );
  expect(res.map((r) => r.errorCode)).toEqual([0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
  expect(image.topics.get('grow')!.partitions.size).toBe(3);
  const [shrink] = await controller.createPartitions([{ name: 'grow', count: 2, assignments: null }], false);
  expect(shrink!.errorCode).toBe(ErrorCode.INVALID_PARTITIONS);
});

test('alter configs: replace and incremental semantics', async () => {
  const { controller, image } = await setup();
  await controller.createTopics([{ ...topic('c'), configs: [{ name: 'retention.ms', value: '1000' }] }], false);
  await controller.alterConfigs([{ resourceType: ResourceType.TOPIC, resourceName: 'c', changes: [{ name: 'cleanup.policy', value: 'compact', op: 0 }] }], false, false);
  expect(Object.fromEntries(image.topicConfig('c'))).toEqual({ 'retention.ms': '1000', 'cleanup.policy': 'compact' });
  await controller.alterConfigs([{ resourceType: ResourceType.TOPIC, resourceName: 'c', changes: [{ name: 'cleanup.policy', value: 'delete', op: 2 }] }], false, false);
  expect(image.topicConfig('c').get('cleanup.policy')).toBe('compact,delete');
  await controller.alterConfigs([{ resourceType: ResourceType.TOPIC, resourceName: 'c', changes: [{ name: 'segment.bytes', value: '2000', op: 0 }] }], true, false);
  expect(Object.fromEntries(image.topicConfig('c'))).toEqual({ 'segment.bytes': '2000' });
  const [bad] = await controller.alterConfigs([{ resourceType: ResourceType.TOPIC, resourceName: 'c', changes: [{ name: 'segment.bytes', value: '-5', op: 0 }] }], false, false);
  expect(bad!.errorCode).toBe(ErrorCode.INVALID_CONFIG);
});

test('placement spreads leaders and never repeats a broker within a partition', () => {
  const brokers = [1, 2, 3, 4].map((id) => ({ id, rack: null }));
  const a = placeReplicas(brokers, 8, 3, 0, () => 0);
  const leaders = a.map((r) => r[0]);
  expect(new Set(leaders).size).toBe(4);
  for (const r of a) expect(new Set(r).size).toBe(3);
  const racked = placeReplicas(
    [
      { id: 1, rack: 'a' },
      { id: 2, rack: 'a' },
      { id: 3, rack: 'b' },
      { id: 4, rack: 'b' },
    ],
    4,
    2,
    0,
    () => 0,
  );
  // With two racks and RF 2, each partition has one replica in each rack.
  for (const r of racked) expect(new Set(r.map((id) => (id <= 2 ? 'a' : 'b'))).size).toBe(2);
});
