// Durability of acknowledged writes across SIGKILL, with the fsync-on-every-append policy
// (log.flush.interval.messages=1): a stream of acks=all produces from several concurrent producers is cut by
// killing the broker; after a restart on the same data every acknowledged record is found at its offset.

import { Kafka, logLevel, Producer } from 'kafkajs';
import { startBroker, tempDir } from '../support/broker-process';
import { kcat } from '../support/kcat';

jest.setTimeout(120_000);

interface Acked {
  partition: number;
  offset: number;
  value: string;
}

async function produceUntilFailure(producer: Producer, topic: string, partition: number, acked: Acked[], stop: () => boolean): Promise<void> {
  for (let i = 0; !stop(); i++) {
    const value = `p${partition}-${i}-${'x'.repeat(i % 50)}`;
    try {
      const [meta] = await producer.send({ topic, acks: -1, messages: [{ partition, key: `k${i}`, value }] });
      acked.push({ partition, offset: Number(meta!.baseOffset), value });
    } catch {
      return; // the broker is gone: what was not acknowledged may be lost
    }
  }
}

test('every acknowledged record survives SIGKILL under log.flush.interval.messages=1', async () => {
  const dataDir = tempDir('nk-sigkill-');
  const overrides = { 'log.flush.interval.messages': 1 };
  const first = await startBroker({ dataDir, overrides });
  const topic = 'durable';
  const kafka = new Kafka({ clientId: 'sigkill', brokers: [first.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 3 }] });
  await admin.disconnect();

  const producers = await Promise.all(
    [0, 1, 2].map(async () => {
      const p = kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 0 } });
      await p.connect();
      return p;
    }),
  );
  const acked: Acked[] = [];
  let killed = false;
  const loops = producers.map((p, partition) => produceUntilFailure(p, topic, partition, acked, () => killed));
  await new Promise((r) => setTimeout(r, 1500));
  await first.kill();
  killed = true;
  await Promise.all(loops);
  await Promise.all(producers.map((p) => p.disconnect().catch(() => undefined)));
  expect(acked.length).toBeGreaterThan(100);

  const second = await startBroker({ dataDir, overrides });
  try {
    let lost = 0;
    for (const partition of [0, 1, 2]) {
      const r = await kcat(['-b', second.bootstrap, '-C', '-t', topic, '-p', String(partition), '-o', 'beginning', '-e', '-q', '-f', '%o %s\\n']);
      const stored = new Map<number, string>();
      for (const line of r.stdout.split('\n')) {
        const sp = line.indexOf(' ');
        if (sp > 0) stored.set(Number(line.slice(0, sp)), line.slice(sp + 1));
      }
      for (const a of acked.filter((x) => x.partition === partition)) {
        if (stored.get(a.offset) !== a.value) lost++;
      }
    }
    console.log(`sigkill: acknowledged ${acked.length}, lost ${lost}`);
    expect(lost).toBe(0);
  } finally {
    await second.stop();
  }
});
