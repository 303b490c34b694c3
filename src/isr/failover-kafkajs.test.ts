// Unmodified kafkajs clients against the in-process three-broker cluster: a replicated topic created through the
// admin API, acks=all produce, a consumer group reading, the leader of a partition (and with it possibly the
// group coordinator) stopped mid-stream: clients follow the new leaders and no acknowledged record is lost.

import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import { ClusterHarness, waitFor } from './__tests__/cluster-harness';

let h: ClusterHarness | null = null;
let producer: Producer | null = null;
let consumer: Consumer | null = null;
afterEach(async () => {
  await consumer?.disconnect().catch(() => undefined);
  await producer?.disconnect().catch(() => undefined);
  await h?.stop();
  h = null;
  producer = null;
  consumer = null;
});

test('kafkajs: acks=all records survive the loss of a partition leader; the consumer group continues', async () => {
  const c = (h = await ClusterHarness.start());
  const kafka = new Kafka({
    clientId: 'failover',
    brokers: c.bootstrap(),
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1000,
    requestTimeout: 5000,
    retry: { retries: 20, initialRetryTime: 100, maxRetryTime: 1000 },
  });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 3, replicationFactor: 3 }], waitForLeaders: true });
  await admin.disconnect();
  const info = c.partitionInfo('orders', 0);
  expect(info.replicas).toHaveLength(3);
  expect(info.isr).toHaveLength(3);

  producer = kafka.producer();
  await producer.connect();
  const acked = new Set<string>();
  const send = async (from: number, to: number) => {
    for (let i = from; i < to; i += 10) {
      const messages = Array.from({ length: 10 }, (_, k) => ({ key: `k${i + k}`, value: `v${i + k}` }));
      await producer!.send({ topic: 'orders', acks: -1, messages });
      for (const m of messages) acked.add(m.value);
    }
  };
  await send(0, 100);

  const seen = new Set<string>();
  // Few retries: kafkajs keeps retrying a gone coordinator before it crashes, restarts and looks it up again.
  consumer = kafka.consumer({ groupId: 'g', sessionTimeout: 6000, heartbeatInterval: 500, maxWaitTimeInMs: 200, retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 300 } });
  await consumer.connect();
  await consumer.subscribe({ topic: 'orders', fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void seen.add(message.value!.toString()) });
  await waitFor('the first records consumed', () => seen.size >= 100, 20_000);

  // Stop the group's coordinator, which also leads a partition of the topic (each broker leads one): the
  // controller fences it and elects other ISR members, the coordinator moves with its __consumer_offsets partition.
  const offsetsPartition = c.node(1).groups!.coordinator.partitionFor('g');
  const victim = c.partitionInfo('__consumer_offsets', offsetsPartition).leader;
  const led = [0, 1, 2].find((p) => c.partitionInfo('orders', p).leader === victim)!;
  expect(led).toBeDefined();
  await c.stopBroker(victim);
  for (const [topic, p] of [['orders', led], ['__consumer_offsets', offsetsPartition]] as const) {
    const after = c.partitionInfo(topic, p);
    expect(after.leader).not.toBe(victim);
    expect(after.leader).toBeGreaterThan(0);
    expect(after.isr).not.toContain(victim);
  }

  await send(100, 200);
  await waitFor('every acknowledged record consumed', () => [...acked].every((v) => seen.has(v)), 30_000);
  expect(acked.size).toBe(200);
}, 60_000);
