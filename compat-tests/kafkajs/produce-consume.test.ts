// kafkajs producer and consumer against a broker process: binary keys and values, headers and timestamps come
// back byte for byte, uncompressed and gzip, across partitions, with offsets in order.

import { randomBytes } from 'node:crypto';
import { CompressionTypes, Kafka, logLevel } from 'kafkajs';
import { BrokerProcess, startBroker } from '../support/broker-process';

jest.setTimeout(60_000);
let broker: BrokerProcess;

beforeAll(async () => {
  broker = await startBroker();
});
afterAll(async () => {
  expect(await broker.stop()).toBe(0);
});

interface Sent {
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer>;
  timestamp: string;
  partition: number;
}

test.each([
  ['none', CompressionTypes.None],
  ['gzip', CompressionTypes.GZIP],
])('records round-trip exactly (%s)', async (name, compression) => {
  const topic = `kjs-roundtrip-${name}`;
  const kafka = new Kafka({ clientId: 'roundtrip', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 3 }] });
  await admin.disconnect();

  const base = Date.now() - 60_000;
  const sent: Sent[] = Array.from({ length: 300 }, (_, i): Sent => ({
    key: i % 7 === 0 ? null : randomBytes(1 + (i % 16)),
    value: i % 11 === 0 ? null : randomBytes(i % 200),
    headers: i % 3 === 0 ? ({} as Record<string, Buffer>) : { a: randomBytes(3), 'trace-id': Buffer.from(`t-${i}`), empty: Buffer.alloc(0) },
    timestamp: String(base + i * 10),
    partition: i % 3,
  }));
  const producer = kafka.producer();
  await producer.connect();
  for (let i = 0; i < sent.length; i += 50) {
    await producer.send({ topic, compression, messages: sent.slice(i, i + 50) });
  }
  await producer.disconnect();

  const received = new Map<number, { offset: number; key: Buffer | null; value: Buffer | null; headers: Record<string, Buffer>; timestamp: string }[]>();
  const consumer = kafka.consumer({ groupId: `kjs-roundtrip-${name}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let count = 0;
  const done = new Promise<void>((resolve) => {
    void consumer.run({
      eachMessage: async ({ partition, message }) => {
        const list = received.get(partition) ?? [];
        list.push({
          offset: Number(message.offset),
          key: message.key,
          value: message.value,
          headers: message.headers as Record<string, Buffer>,
          timestamp: message.timestamp,
        });
        received.set(partition, list);
        if (++count === sent.length) resolve();
      },
    });
  });
  await done;
  await consumer.disconnect();

  for (const p of [0, 1, 2]) {
    const expected = sent.filter((s) => s.partition === p);
    const got = received.get(p)!;
    expect(got.map((g) => g.offset)).toEqual(expected.map((_, i) => i));
    got.forEach((g, i) => {
      const e = expected[i]!;
      expect(g.key === null ? null : Buffer.from(g.key)).toEqual(e.key);
      // kafkajs hands a null value through as null
      expect(g.value === null ? null : Buffer.from(g.value)).toEqual(e.value);
      expect(g.timestamp).toBe(e.timestamp);
      expect(Object.keys(g.headers).sort()).toEqual(Object.keys(e.headers).sort());
      for (const [k, v] of Object.entries(e.headers)) expect(Buffer.from(g.headers[k]!)).toEqual(v);
    });
  }
});
