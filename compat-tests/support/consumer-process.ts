// Runs group consumers (a kafkajs child process, or kcat -G) and collects what they report.

import { ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';

export interface ConsumedMessage {
  partition: number;
  offset: number;
  value: string;
}

export interface GroupConsumer {
  readonly proc: ChildProcess;
  readonly messages: ConsumedMessage[];
  /** The partitions of the latest assignment this member reported. */
  assignment: number[] | null;
  assignments: number;
  stop(): Promise<void>;
  kill(): Promise<void>;
}

function lines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let buf = '';
  stream.on('data', (c: Buffer) => {
    buf += c.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      onLine(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
  });
}

function wrap(proc: ChildProcess, self: Omit<GroupConsumer, 'proc' | 'stop' | 'kill'>): GroupConsumer {
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  return Object.assign(self, {
    proc,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      await exited;
    },
    async kill() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
    },
  }) as GroupConsumer;
}

export function kafkajsConsumer(bootstrap: string, groupId: string, topic: string, sessionTimeoutMs = 6000): GroupConsumer {
  const proc = spawn(process.execPath, [path.join(__dirname, 'kafkajs-consumer-child.js'), bootstrap, groupId, topic, String(sessionTimeoutMs)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const self = { messages: [] as ConsumedMessage[], assignment: null as number[] | null, assignments: 0 };
  lines(proc.stdout!, (line) => {
    const e = JSON.parse(line) as { event: string; partition: number; offset: number; value: string; partitions: number[] };
    if (e.event === 'message') self.messages.push({ partition: e.partition, offset: e.offset, value: e.value });
    if (e.event === 'assigned') {
      self.assignment = e.partitions;
      self.assignments++;
    }
  });
  return wrap(proc, self);
}

/** kcat's balanced consumer (librdkafka's KafkaConsumer with the group protocol). */
export function kcatConsumer(bootstrap: string, groupId: string, topic: string, sessionTimeoutMs = 6000): GroupConsumer {
  const proc = spawn(
    'kcat',
    [
      '-b', bootstrap, '-G', groupId, '-J', '-u', '-X', 'auto.offset.reset=earliest',
      '-X', `session.timeout.ms=${sessionTimeoutMs}`, '-X', 'heartbeat.interval.ms=500', '-X', 'auto.commit.interval.ms=200',
      topic,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const self = { messages: [] as ConsumedMessage[], assignment: null as number[] | null, assignments: 0 };
  lines(proc.stdout!, (line) => {
    if (!line.startsWith('{')) return;
    const m = JSON.parse(line) as { partition: number; offset: number; payload: string };
    self.messages.push({ partition: m.partition, offset: m.offset, value: m.payload });
  });
  // kcat reports rebalances on stderr: "% Group g rebalanced (memberid ...): assigned: t [0], t [3]"
  lines(proc.stderr!, (line) => {
    const m = /rebalanced .*: (assigned|revoked): ?(.*)$/.exec(line);
    if (!m) return;
    if (m[1] === 'revoked') {
      self.assignment = [];
      return;
    }
    const parts = [...m[2]!.matchAll(/\[(\d+)\]/g)].map((x) => Number(x[1])).sort((a, b) => a - b);
    self.assignment = parts;
    self.assignments++;
  });
  return wrap(proc, self);
}

export async function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<number> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return Date.now() - start;
}
