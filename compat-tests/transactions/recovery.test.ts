// Transactions across failures, with kafkajs producers and kcat readers:
//   (5) the broker (and with it the transaction coordinator) is SIGKILLed while transactions are in flight and
//       restarted: afterwards every transaction is either wholly visible to read_committed readers or not at all,
//       every commit that was acknowledged is visible, and a transaction left open is aborted (by its timeout);
//   (6) a transaction its producer abandons is aborted by the coordinator after transaction.timeout.ms: the last
//       stable offset moves on, its records stay invisible, and the producer is fenced.

import { Kafka, logLevel } from 'kafkajs';
import { BrokerProcess, startBroker, tempDir } from '../support/broker-process';
import { latestOffset, readValues, waitUntil } from '../support/txn';

jest.setTimeout(180_000);

const OVERRIDES = {
  'transaction.state.log.num.partitions': 3,
  'transaction.state.log.replication.factor': 1,
  'transaction.state.log.min.isr': 1,
  // Look for expired transactions often, so timeouts of a few seconds are enforced promptly.
  'transaction.abort.timed.out.transaction.cleanup.interval.ms': 500,
};

function client(broker: BrokerProcess): Kafka {
  return new Kafka({ clientId: 'txn-recovery', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 3, initialRetryTime: 100 } });
}

async function createTopic(kafka: Kafka, topic: string, numPartitions: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions }] });
  await admin.disconnect();
}

/** Waits until read_committed readers can read everything written to the partitions (no transaction open). */
async function waitStable(broker: BrokerProcess, topic: string, partitions: number, timeoutMs: number): Promise<void> {
  await waitUntil(
    async () => {
      for (let p = 0; p < partitions; p++) {
        const lso = await latestOffset(broker.port, topic, p, 'read_committed');
        if (lso !== (await latestOffset(broker.port, topic, p, 'read_uncommitted'))) return false;
      }
      return true;
    },
    timeoutMs,
    `${topic} to become stable`,
  );
}

test('(5) after a SIGKILL mid-transaction, every transaction is all-or-nothing for read_committed readers', async () => {
  const dataDir = tempDir('nk-txn-crash-');
  let broker = await startBroker({ dataDir, overrides: OVERRIDES });
  const topic = 'txn-crash';
  const PARTITIONS = 2;
  const PER_TXN = 6;
  let kafka = client(broker);
  await createTopic(kafka, topic, PARTITIONS);

  // A transaction that is open (records written, never ended) when the broker dies.
  const open = kafka.producer({ transactionalId: 'crash-open', maxInFlightRequests: 1, idempotent: true, transactionTimeout: 4000 });
  await open.connect();
  const openTxn = await open.transaction();
  await openTxn.send({ topic, messages: Array.from({ length: PER_TXN }, (_, j) => ({ partition: j % PARTITIONS, value: `open-${j}` })) });

  // A stream of transactions, each spread over both partitions, running when the broker dies.
  const looping = kafka.producer({ transactionalId: 'crash-loop', maxInFlightRequests: 1, idempotent: true, transactionTimeout: 4000 });
  await looping.connect();
  const acknowledged: number[] = [];
  let stop = false;
  const loop = (async () => {
    for (let i = 0; !stop; i++) {
      const txn = await looping.transaction();
      await txn.send({ topic, messages: Array.from({ length: PER_TXN }, (_, j) => ({ partition: j % PARTITIONS, value: `t${i}-${j}` })) });
      if (i % 5 === 4) {
        await txn.abort();
        continue;
      }
      await txn.commit();
      acknowledged.push(i);
    }
  })().catch(() => undefined);
  await waitUntil(async () => acknowledged.length >= 15, 60_000, 'some committed transactions');
  await broker.kill();
  stop = true;
  await loop;
  await Promise.all([open.disconnect(), looping.disconnect()].map((p) => p.catch(() => undefined)));

  broker = await startBroker({ dataDir, overrides: OVERRIDES });
  try {
    kafka = client(broker);
    // The open transaction is aborted by its timeout; anything prepared was completed when the partition loaded.
    await waitStable(broker, topic, PARTITIONS, 60_000);
    const committed: string[] = [];
    const all: string[] = [];
    for (let p = 0; p < PARTITIONS; p++) {
      committed.push(...(await readValues(broker.bootstrap, topic, p, 'read_committed')));
      all.push(...(await readValues(broker.bootstrap, topic, p, 'read_uncommitted')));
    }
    expect(committed.filter((v) => v.startsWith('open-'))).toEqual([]);
    expect(all.filter((v) => v.startsWith('open-')).length).toBe(PER_TXN);
    const perTxn = new Map<string, number>();
    for (const v of committed) {
      const id = v.slice(0, v.indexOf('-'));
      perTxn.set(id, (perTxn.get(id) ?? 0) + 1);
    }
    for (const [id, n] of perTxn) {
      expect([id, n]).toEqual([id, PER_TXN]);
      expect(Number(id.slice(1)) % 5).not.toBe(4); // aborted ones never show
    }
    for (const i of acknowledged) expect(perTxn.get(`t${i}`)).toBe(PER_TXN);

    // The transactional id works again: a new session fences whatever was left and commits.
    const again = kafka.producer({ transactionalId: 'crash-loop', maxInFlightRequests: 1, idempotent: true });
    await again.connect();
    const txn = await again.transaction();
    await txn.send({ topic, messages: [{ partition: 0, value: 'after-restart' }] });
    await txn.commit();
    await again.disconnect();
    expect(await readValues(broker.bootstrap, topic, 0, 'read_committed')).toContain('after-restart');
  } finally {
    expect(await broker.stop()).toBe(0);
  }
});

test('(6) an abandoned transaction is aborted after its timeout and its producer is fenced', async () => {
  const broker = await startBroker({ overrides: OVERRIDES });
  try {
    const kafka = client(broker);
    const topic = 'txn-timeout';
    await createTopic(kafka, topic, 1);
    const abandoned = kafka.producer({ transactionalId: 'abandoner', maxInFlightRequests: 1, idempotent: true, transactionTimeout: 2000 });
    await abandoned.connect();
    const txn = await abandoned.transaction();
    await txn.send({ topic, messages: [{ value: 'ghost-1' }, { value: 'ghost-2' }] });

    const plain = kafka.producer();
    await plain.connect();
    await plain.send({ topic, messages: [{ value: 'after' }] });
    await plain.disconnect();
    // The open transaction holds read_committed readers back.
    expect(await readValues(broker.bootstrap, topic, 0, 'read_committed')).toEqual([]);

    const started = Date.now();
    await waitStable(broker, topic, 1, 30_000);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(await readValues(broker.bootstrap, topic, 0, 'read_committed')).toEqual(['after']);
    expect(await readValues(broker.bootstrap, topic, 0, 'read_uncommitted')).toEqual(['ghost-1', 'ghost-2', 'after']);

    // The coordinator bumped the epoch when it aborted: the producer can neither write nor commit any more.
    await expect(txn.send({ topic, messages: [{ value: 'ghost-3' }] })).rejects.toMatchObject({ type: 'INVALID_PRODUCER_EPOCH' });
    await expect(txn.commit()).rejects.toMatchObject({ type: 'INVALID_PRODUCER_EPOCH' });
    await abandoned.disconnect();
    expect(await readValues(broker.bootstrap, topic, 0, 'read_committed')).toEqual(['after']);
  } finally {
    expect(await broker.stop()).toBe(0);
  }
});
