// Transactions with kafkajs 2.x against a broker process:
//   (1) committed transactions are visible to a read_committed kafkajs consumer and aborted ones are not, while
//       kcat with isolation.level=read_uncommitted sees both; an open transaction holds read_committed readers
//       (and ListOffsets with read_committed) at its first offset;
//   (3) consume-transform-produce with transaction.sendOffsets: the consumed offsets become the group's committed
//       offsets only when the transaction commits (UNSTABLE_OFFSET_COMMIT for require_stable fetches before), are
//       dropped on abort, and a consumer of the group resumes after them;
//   (4) a second producer with the same transactional id fences the first, whose open transaction is aborted and
//       whose next send and commit fail.

import { Kafka, logLevel, type Producer } from 'kafkajs';
import { BrokerProcess, startBroker } from '../support/broker-process';
import { fetchStableOffset, latestOffset, readValues, waitUntil } from '../support/txn';

jest.setTimeout(120_000);

let broker: BrokerProcess;
let kafka: Kafka;
const producers: Producer[] = [];

const UNSTABLE_OFFSET_COMMIT = 88;

beforeAll(async () => {
  broker = await startBroker({
    overrides: {
      'transaction.state.log.num.partitions': 3,
      'transaction.state.log.replication.factor': 1,
      'transaction.state.log.min.isr': 1,
    },
  });
  kafka = new Kafka({ clientId: 'txn-compat', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } });
});

afterAll(async () => {
  for (const p of producers) await p.disconnect().catch(() => undefined);
  if (broker) expect(await broker.stop()).toBe(0);
});

async function createTopics(...topics: string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: topics.map((topic) => ({ topic, numPartitions: 1 })) });
  await admin.disconnect();
}

async function transactionalProducer(transactionalId: string): Promise<Producer> {
  const p = kafka.producer({ transactionalId, maxInFlightRequests: 1, idempotent: true });
  producers.push(p);
  await p.connect();
  return p;
}

/** What a read_committed kafkajs consumer in a fresh group reads from the start, after `quietMs` without news. */
async function consumeCommitted(topic: string, groupId: string, expectAtLeast: number, quietMs = 1500): Promise<string[]> {
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const seen: string[] = [];
  let last = Date.now();
  await consumer.run({
    eachMessage: async ({ message }) => {
      seen.push(message.value!.toString());
      last = Date.now();
    },
  });
  const deadline = Date.now() + 30_000;
  while ((seen.length < expectAtLeast || Date.now() - last < quietMs) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
  }
  await consumer.disconnect();
  return seen;
}

test('(1) committed transactions are visible to read_committed readers, aborted ones only to read_uncommitted', async () => {
  const topic = 'txn-visibility';
  await createTopics(topic);
  const producer = await transactionalProducer('kjs-visibility');

  let txn = await producer.transaction();
  await txn.send({ topic, messages: [{ value: 'c1' }, { value: 'c2' }] });
  await txn.commit();
  txn = await producer.transaction();
  await txn.send({ topic, messages: [{ value: 'a1' }, { value: 'a2' }] });
  await txn.abort();
  txn = await producer.transaction();
  await txn.send({ topic, messages: [{ value: 'c3' }] });
  await txn.commit();

  // An open transaction: read_committed readers stop before it; read_uncommitted ones do not.
  const open = await producer.transaction();
  await open.send({ topic, messages: [{ value: 'o1' }] });
  const hw = await latestOffset(broker.port, topic, 0, 'read_uncommitted');
  const lso = await latestOffset(broker.port, topic, 0, 'read_committed');
  expect(lso).toBeLessThan(hw);
  expect(await readValues(broker.bootstrap, topic, 0, 'read_committed')).toEqual(['c1', 'c2', 'c3']);
  expect(await readValues(broker.bootstrap, topic, 0, 'read_uncommitted')).toEqual(['c1', 'c2', 'a1', 'a2', 'c3', 'o1']);
  await open.abort();
  expect(await latestOffset(broker.port, topic, 0, 'read_committed')).toBe(await latestOffset(broker.port, topic, 0, 'read_uncommitted'));

  // kafkajs consumers read committed data by default.
  expect(await consumeCommitted(topic, 'txn-visibility-reader', 3)).toEqual(['c1', 'c2', 'c3']);
  expect(await readValues(broker.bootstrap, topic, 0, 'read_committed')).toEqual(['c1', 'c2', 'c3']);
});

test('(3) consume-transform-produce: offsets sent in a transaction count only when it commits', async () => {
  const input = 'ctp-in';
  const output = 'ctp-out';
  const group = 'ctp-group';
  await createTopics(input, output);
  const plain = kafka.producer();
  await plain.connect();
  await plain.send({ topic: input, messages: ['m0', 'm1', 'm2', 'm3', 'm4'].map((value) => ({ value })) });

  // Read the input as the group's member, without committing.
  const consumer = kafka.consumer({ groupId: group, maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topic: input, fromBeginning: true });
  const consumed: { offset: string; value: string }[] = [];
  await consumer.run({ autoCommit: false, eachMessage: async ({ message }) => void consumed.push({ offset: message.offset, value: message.value!.toString() }) });
  await waitUntil(async () => consumed.length >= 5, 30_000, 'the input consumed');
  await consumer.disconnect();

  const producer = await transactionalProducer('kjs-ctp');
  const txn = await producer.transaction();
  await txn.send({ topic: output, messages: consumed.map((m) => ({ value: m.value.toUpperCase() })) });
  await txn.sendOffsets({ consumerGroupId: group, topics: [{ topic: input, partitions: [{ partition: 0, offset: '5' }] }] });
  // Before the commit: the offset is pending, and the output is invisible to read_committed readers.
  expect(await fetchStableOffset(broker.port, group, input, 0)).toEqual({ errorCode: UNSTABLE_OFFSET_COMMIT, offset: -1 });
  const admin = kafka.admin();
  await admin.connect();
  const before = await admin.fetchOffsets({ groupId: group, topics: [input] });
  expect(before[0]!.partitions[0]!.offset).toBe('-1');
  expect(await readValues(broker.bootstrap, output, 0, 'read_committed')).toEqual([]);
  await txn.commit();

  expect(await fetchStableOffset(broker.port, group, input, 0)).toEqual({ errorCode: 0, offset: 5 });
  expect(await readValues(broker.bootstrap, output, 0, 'read_committed')).toEqual(['M0', 'M1', 'M2', 'M3', 'M4']);

  // An aborted transaction's offsets are dropped: the committed offset stays 5.
  await plain.send({ topic: input, messages: [{ value: 'm5' }] });
  const aborted = await producer.transaction();
  await aborted.send({ topic: output, messages: [{ value: 'M5' }] });
  await aborted.sendOffsets({ consumerGroupId: group, topics: [{ topic: input, partitions: [{ partition: 0, offset: '6' }] }] });
  await aborted.abort();
  expect(await fetchStableOffset(broker.port, group, input, 0)).toEqual({ errorCode: 0, offset: 5 });
  const after = await admin.fetchOffsets({ groupId: group, topics: [input] });
  expect(after[0]!.partitions[0]!.offset).toBe('5');
  await admin.disconnect();
  await plain.disconnect();

  // A member of the group resumes after the committed offset: only m5 is left to read.
  const resumed = kafka.consumer({ groupId: group, maxWaitTimeInMs: 200 });
  await resumed.connect();
  await resumed.subscribe({ topic: input, fromBeginning: true });
  const again: string[] = [];
  await resumed.run({ autoCommit: false, eachMessage: async ({ message }) => void again.push(message.value!.toString()) });
  await waitUntil(async () => again.length >= 1, 30_000, 'the resumed consumer');
  await new Promise((r) => setTimeout(r, 1000));
  await resumed.disconnect();
  expect(again).toEqual(['m5']);
  expect(await readValues(broker.bootstrap, output, 0, 'read_committed')).toEqual(['M0', 'M1', 'M2', 'M3', 'M4']);
});

test('(4) a second producer with the same transactional id fences the first', async () => {
  const topic = 'txn-fencing';
  await createTopics(topic);
  const first = await transactionalProducer('kjs-fenced');
  const firstTxn = await first.transaction();
  await firstTxn.send({ topic, messages: [{ value: 'zombie-1' }] });

  // The new instance's InitProducerId aborts the open transaction and bumps the epoch past it.
  const second = await transactionalProducer('kjs-fenced');
  const secondTxn = await second.transaction();
  await secondTxn.send({ topic, messages: [{ value: 'live-1' }] });

  // The zombie's next send is refused by the partition (its epoch is stale) and its commit by the coordinator.
  await expect(firstTxn.send({ topic, messages: [{ value: 'zombie-2' }] })).rejects.toMatchObject({ type: 'INVALID_PRODUCER_EPOCH' });
  await expect(firstTxn.commit()).rejects.toMatchObject({ type: 'INVALID_PRODUCER_EPOCH' });

  await secondTxn.commit();
  expect(await readValues(broker.bootstrap, topic, 0, 'read_committed')).toEqual(['live-1']);
  expect(await readValues(broker.bootstrap, topic, 0, 'read_uncommitted')).toEqual(['zombie-1', 'live-1']);
});
