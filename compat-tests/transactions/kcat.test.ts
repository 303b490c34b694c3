// Transactions with librdkafka (kcat) against a broker process:
//   (2) kcat's transactional producer (-X transactional.id=..., committing when stdin closes) is read back whole by
//       `kcat -C -X isolation.level=read_committed`; a read_committed kcat consumer waiting at the end of a
//       partition does not see a kafkajs transaction until it commits, and never sees an aborted one.

import { spawn } from 'node:child_process';
import { Kafka, logLevel } from 'kafkajs';
import { BrokerProcess, startBroker } from '../support/broker-process';
import { kcat } from '../support/kcat';
import { readValues, waitUntil } from '../support/txn';

jest.setTimeout(120_000);

let broker: BrokerProcess;

beforeAll(async () => {
  broker = await startBroker({
    overrides: {
      'transaction.state.log.num.partitions': 3,
      'transaction.state.log.replication.factor': 1,
      'transaction.state.log.min.isr': 1,
    },
  });
});

afterAll(async () => {
  if (broker) expect(await broker.stop()).toBe(0);
});

test('(2) a kcat transactional producer commits on stdin close; read_committed readers see the whole transaction', async () => {
  const topic = 'txn-kcat';
  const lines = Array.from({ length: 3000 }, (_, i) => `kc-${i}`);
  const r = await kcat(
    ['-b', broker.bootstrap, '-P', '-t', topic, '-p', '0', '-X', 'transactional.id=kcat-txn-1', '-X', 'linger.ms=5'],
    lines.join('\n') + '\n',
    60_000,
  );
  expect(r.code).toBe(0);
  expect(r.stderr).toMatch(/Transaction successfully committed/);
  expect(await readValues(broker.bootstrap, topic, 0, 'read_committed')).toEqual(lines);

  // A second session of the same transactional id continues after the first.
  const more = await kcat(['-b', broker.bootstrap, '-P', '-t', topic, '-p', '0', '-X', 'transactional.id=kcat-txn-1'], 'kc-last\n');
  expect(more.code).toBe(0);
  expect(await readValues(broker.bootstrap, topic, 0, 'read_committed')).toEqual([...lines, 'kc-last']);
});

test('(2) a waiting read_committed kcat consumer sees a transaction only once it commits, an aborted one never', async () => {
  const topic = 'txn-kcat-live';
  const kafka = new Kafka({ clientId: 'txn-kcat', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
  await admin.disconnect();

  const consumer = spawn('kcat', ['-b', broker.bootstrap, '-C', '-u', '-t', topic, '-p', '0', '-o', 'beginning', '-q', '-X', 'isolation.level=read_committed', '-f', '%s\\n'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const seen: string[] = [];
  let buf = '';
  consumer.stdout.on('data', (c: Buffer) => {
    buf += c.toString();
    const parts = buf.split('\n');
    buf = parts.pop()!;
    seen.push(...parts.filter((l) => l !== ''));
  });
  const exited = new Promise((r) => consumer.once('exit', r));
  try {
    const producer = kafka.producer({ transactionalId: 'kjs-for-kcat', maxInFlightRequests: 1, idempotent: true });
    await producer.connect();
    const aborted = await producer.transaction();
    await aborted.send({ topic, messages: [{ value: 'never' }] });
    await aborted.abort();
    const txn = await producer.transaction();
    await txn.send({ topic, messages: [{ value: 'pending-1' }, { value: 'pending-2' }] });
    await new Promise((r) => setTimeout(r, 1500));
    expect(seen).toEqual([]);
    await txn.commit();
    await waitUntil(async () => seen.length >= 2, 20_000, 'the committed transaction to reach the consumer');
    await producer.disconnect();
    await new Promise((r) => setTimeout(r, 500));
    expect(seen).toEqual(['pending-1', 'pending-2']);
  } finally {
    consumer.kill('SIGTERM');
    await exited;
  }
});
