// SIGKILL a broker of a three-node cluster: the controller fences it once its heartbeats stop, its partitions of a
// replication-factor-3 topic get new leaders from the ISR, and kafkajs and librdkafka (kcat) clients keep producing
// and consuming through the survivors, every acknowledged record readable afterwards.

import { Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
import { TestCluster } from '../support/cluster';
import { kcat } from '../support/kcat';

const TOPIC = 'failover';
const PARTITIONS = 3;

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await TestCluster.start(3);
}, 40_000);

afterAll(async () => {
  await cluster?.stop();
});

function kafka(clientId: string) {
  return new Kafka({ clientId, brokers: cluster.bootstrap(), logLevel: logLevel.NOTHING, retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 500 } });
}

async function leaders(): Promise<Map<number, number>> {
  const a = kafka('failover-md').admin();
  await a.connect();
  try {
    const md = await a.fetchTopicMetadata({ topics: [TOPIC] });
    return new Map(md.topics[0]!.partitions.map((p) => [p.partitionId, p.leader]));
  } finally {
    await a.disconnect();
  }
}

async function produce(p: Producer, prefix: string, n: number): Promise<string[]> {
  const values = Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
  // One message per partition round-robin, each send acknowledged by all in-sync replicas.
  for (let i = 0; i < n; i += 10) {
    await p.send({ topic: TOPIC, acks: -1, messages: values.slice(i, i + 10).map((value, j) => ({ value, partition: (i + j) % PARTITIONS })) });
  }
  return values;
}

test('partitions of a killed broker get new leaders; kafkajs and kcat keep producing and consuming', async () => {
  const admin = kafka('failover-admin').admin();
  await admin.connect();
  expect(await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS, replicationFactor: 3 }], waitForLeaders: true })).toBe(true);
  await admin.disconnect();

  // Idempotent, so a send retried after a timeout under load cannot write a record twice.
  const producer = kafka('failover-producer').producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  const acked = await produce(producer, 'before', 30);

  const before = await leaders();
  const victim = before.get(0)!;
  const killedAt = Date.now();
  await cluster.kill(victim);

  const after = await TestCluster.waitFor('new leaders for the killed broker\'s partitions', async () => {
    const l = await leaders();
    return [...l.values()].every((id) => id !== victim && id >= 0) ? l : null;
  }, 15_000, 200);
  console.log(`broker failover: partitions led by ${victim} moved in ${Date.now() - killedAt} ms (session timeout 1500 ms)`);
  expect([...after.keys()].sort()).toEqual([...before.keys()].sort());

  // kafkajs goes on producing (its metadata refresh finds the new leaders) ...
  acked.push(...(await produce(producer, 'after-kafkajs', 30)));
  await producer.disconnect();
  // ... and so does librdkafka, bootstrapped on the survivors.
  const kcatValues = Array.from({ length: 20 }, (_, i) => `after-kcat-${i}`);
  const put = await kcat(['-P', '-b', cluster.bootstrap().join(','), '-t', TOPIC, '-X', 'acks=all', '-X', 'message.send.max.retries=20'], kcatValues.join('\n') + '\n');
  expect(put.code).toBe(0);
  acked.push(...kcatValues);

  // Everything acknowledged is there, read by both clients from the surviving replicas. kcat's producer is not
  // idempotent (librdkafka 2.0's default), so a retry may legitimately store one of its records twice: compare
  // the distinct values.
  const got = await kcat(['-C', '-b', cluster.bootstrap().join(','), '-t', TOPIC, '-o', 'beginning', '-e', '-q', '-f', '%s\n']);
  expect(got.code).toBe(0);
  const stored = got.stdout.trim().split('\n');
  expect([...new Set(stored)].sort()).toEqual([...acked].sort());
  expect(stored.filter((v) => !v.startsWith('after-kcat-')).length).toBe(acked.length - kcatValues.length);

  const consumer = kafka('failover-consumer').consumer({ groupId: 'failover-group', sessionTimeout: 6000, heartbeatInterval: 500 });
  await consumer.connect();
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
  const seen = new Set<string>();
  await consumer.run({ eachMessage: async ({ message }) => void seen.add(message.value!.toString()) });
  await TestCluster.waitFor('the kafkajs consumer to read every acknowledged record', async () => seen.size >= acked.length, 20_000, 200);
  await consumer.disconnect();
  expect([...seen].sort()).toEqual([...acked].sort());
}, 60_000);
