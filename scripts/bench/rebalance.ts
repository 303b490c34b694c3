// Measures consumer-group rebalance time with kafkajs consumers against a broker process:
//   join:  all N members start together → every member holds an assignment of the same generation;
//   leave: one member leaves (LeaveGroup) → every remaining member holds the next generation's assignment.
// usage: node dist/scripts/bench/rebalance.js [members...]   (default: 3 30)

import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Consumer, Kafka, logLevel } from 'kafkajs';

const HEARTBEAT_MS = 500;
const FETCH_WAIT_MS = 100;

async function startBrokerProcess(): Promise<{ bootstrap: string; stop(): void }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nk-rebalance-'));
  const cli = path.resolve(__dirname, '../../src/cli.js');
  const proc = spawn(process.execPath, [cli, 'start', '--override', `log.dirs=${dir}`, '--override', 'listeners=PLAINTEXT://127.0.0.1:0', '--override', 'group.initial.rebalance.delay.ms=0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let buf = '';
    proc.stdout!.on('data', (c: Buffer) => {
      buf += c.toString();
      const m = /"broker started".*|"listeners":\["PLAINTEXT:\/\/[^"]*:(\d+)"\]/.exec(buf);
      if (m && m[1]) resolve(Number(m[1]));
    });
    proc.once('exit', () => reject(new Error('broker exited')));
  });
  return {
    bootstrap: `127.0.0.1:${port}`,
    stop: () => {
      proc.kill('SIGTERM');
      proc.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
    },
  };
}

async function measure(bootstrap: string, members: number): Promise<{ joinMs: number; leaveMs: number }> {
  const kafka = new Kafka({ clientId: 'rebalance-bench', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const topic = `rebalance-${members}-${Date.now()}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: members * 2 }] });
  await admin.disconnect();
  const groupId = `${topic}-group`;
  // kafkajs reports each completed join (GROUP_JOIN) but not its generation: count joins per member.
  const joins = new Map<Consumer, number>();
  const consumers = Array.from({ length: members }, () =>
    // kafkajs heartbeats from its fetch loop, so a member notices a rebalance only when its fetch returns: a short
    // fetch wait keeps the client's own latency out of the figure.
    kafka.consumer({ groupId, sessionTimeout: 10_000, rebalanceTimeout: 30_000, heartbeatInterval: HEARTBEAT_MS, maxWaitTimeInMs: FETCH_WAIT_MS }),
  );
  for (const c of consumers) c.on(c.events.GROUP_JOIN, () => joins.set(c, (joins.get(c) ?? 0) + 1));
  const joinedSince = (cs: Consumer[], before: Map<Consumer, number>) => cs.every((c) => (joins.get(c) ?? 0) > (before.get(c) ?? 0));
  const until = async (cond: () => boolean) => {
    while (!cond()) await new Promise((r) => setTimeout(r, 5));
  };

  const t0 = Date.now();
  await Promise.all(
    consumers.map(async (c) => {
      await c.connect();
      await c.subscribe({ topics: [topic] });
      await c.run({ eachMessage: async () => undefined });
    }),
  );
  await until(() => joinedSince(consumers, new Map()));
  const joinMs = Date.now() - t0;

  // Let the group settle (late joiners cause a second round) before measuring the leave.
  await new Promise((r) => setTimeout(r, 3 * HEARTBEAT_MS));
  const before = new Map(joins);
  const leaver = consumers.pop()!;
  // disconnect() first stops the member's fetch loop, then sends LeaveGroup: time from the LeaveGroup on.
  await leaver.stop();
  const t1 = Date.now();
  await leaver.disconnect();
  await until(() => joinedSince(consumers, before));
  const leaveMs = Date.now() - t1;
  await Promise.all(consumers.map((c) => c.disconnect()));
  return { joinMs, leaveMs };
}

async function main(): Promise<void> {
  const sizes = process.argv.slice(2).map(Number);
  const broker = await startBrokerProcess();
  try {
    for (const n of sizes.length > 0 ? sizes : [3, 30]) {
      const r = await measure(broker.bootstrap, n);
      console.log(`members=${n}\tjoin_ms=${r.joinMs}\tleave_rebalance_ms=${r.leaveMs}\theartbeat_ms=${HEARTBEAT_MS}\tfetch_wait_ms=${FETCH_WAIT_MS}`);
    }
  } finally {
    broker.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
