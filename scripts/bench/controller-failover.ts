// Controller failover time of a three-node combined-mode cluster (real processes): repeatedly SIGKILL the active
// controller and measure, from the kill,
//   elected: a new leader answers DescribeQuorum on its controller listener;
//   create:  a kafkajs admin bootstrapped on the survivors gets a CreateTopics through.
// The killed node is restarted and must catch up as a follower before the next round.
// usage: npm run build && node dist/scripts/bench/controller-failover.js [rounds=20]

import { Kafka, logLevel } from 'kafkajs';
import { TestCluster } from '../../compat-tests/support/cluster';

function stats(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  return `min ${s[0]} ms, median ${s[Math.floor(s.length / 2)]} ms, max ${s[s.length - 1]} ms`;
}

/** Retries until it succeeds: a client's metadata may still name the dead node for a moment (kafkajs then fails to connect). */
async function createTopic(bootstrap: string[], topic: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await tryCreateTopic(bootstrap, topic);
    } catch (e) {
      if (attempt >= 100 || /already existed/.test((e as Error).message)) throw e;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

async function tryCreateTopic(bootstrap: string[], topic: string): Promise<void> {
  const admin = new Kafka({ clientId: 'failover-bench', brokers: bootstrap, logLevel: logLevel.NOTHING, retry: { retries: 100, initialRetryTime: 50, maxRetryTime: 200 } }).admin();
  await admin.connect();
  try {
    const ok = await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 2 }] });
    if (!ok) throw new Error(`topic ${topic} already existed`);
  } finally {
    await admin.disconnect();
  }
}

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 20);
  const cluster = await TestCluster.start(3);
  const elected: number[] = [];
  const created: number[] = [];
  try {
    for (let i = 0; i < rounds; i++) {
      const before = await TestCluster.waitFor('an active controller', () => cluster.activeController());
      const t0 = Date.now();
      await cluster.kill(before.leaderId);
      const survivors = cluster.bootstrap();
      const [e, c] = await Promise.all([
        TestCluster.waitFor('a new controller', async () => {
          const a = await cluster.activeController();
          return a !== null && a.leaderId !== before.leaderId ? Date.now() - t0 : null;
        }, 15_000, 10),
        createTopic(survivors, `bench-${i}`).then(() => Date.now() - t0),
      ]);
      elected.push(e);
      created.push(c);
      process.stdout.write(`round ${i + 1}: killed ${before.leaderId}; new leader after ${e} ms, CreateTopics after ${c} ms\n`);
      await cluster.startNode(before.leaderId);
    }
  } finally {
    await cluster.stop();
  }
  process.stdout.write(`\n${rounds} controller kills (election timeout 1000 ms)\n`);
  process.stdout.write(`new leader in DescribeQuorum: ${stats(elected)}\n`);
  process.stdout.write(`successful CreateTopics:     ${stats(created)}\n`);
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});
