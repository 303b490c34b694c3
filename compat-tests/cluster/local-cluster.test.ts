// `cluster` command: three combined-mode processes from one command, reachable at the printed bootstrap list,
// stopped together by one SIGINT with exit code 0.

import { spawn } from 'node:child_process';
import * as net from 'node:net';
import { CLI, tempDir } from '../support/broker-process';
import { TestCluster, freePorts } from '../support/cluster';
import { kcat } from '../support/kcat';

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** A base port whose three client ports and three controller ports (+10000) are all free now. */
async function freeBase(): Promise<number> {
  for (const p of await freePorts(20)) {
    if (p + 10_002 > 65535) continue;
    const all = [p, p + 1, p + 2, p + 10_000, p + 10_001, p + 10_002];
    if ((await Promise.all(all.map(portFree))).every(Boolean)) return p;
  }
  throw new Error('no free port range found');
}

test('cluster --nodes 3 starts three brokers, prints the bootstrap list and stops on SIGINT', async () => {
  // Client ports base..base+2 and controller ports base+10000.. must be free: pick a base whose six ports are.
  const base = await freeBase();
  const dir = tempDir('nk-local-cluster-');
  const proc = spawn(process.execPath, [CLI, 'cluster', '--nodes', '3', '--base-port', String(base), '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  try {
    const bootstrap = await new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no bootstrap line in 30s:\n${out}`)), 30_000);
      const check = () => {
        const m = /bootstrap servers: (\S+)/.exec(out);
        if (m) {
          clearTimeout(t);
          resolve(m[1]!);
        }
      };
      proc.stdout.on('data', check);
      void exited.then(() => reject(new Error(`cluster exited early:\n${out}`)));
    });
    expect(bootstrap).toBe([0, 1, 2].map((i) => `127.0.0.1:${base + i}`).join(','));
    // Each node lists the others once their registrations have reached it through the metadata log.
    await TestCluster.waitFor('node 3 to list all three brokers', async () => {
      const md = await kcat(['-L', '-J', '-b', bootstrap.split(',')[2]!]);
      const ids = (JSON.parse(md.stdout) as { brokers: { id: number }[] }).brokers.map((b) => b.id).sort();
      return md.code === 0 && ids.join() === '1,2,3';
    }, 10_000, 200);
  } finally {
    proc.kill('SIGINT');
  }
  expect(await exited).toBe(0);
  expect(out).toContain('cluster stopped');
}, 60_000);
