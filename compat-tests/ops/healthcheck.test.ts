// The container health check script against a real broker process: exit 0 while the broker serves, 1 once it is
// gone. And the --log-level flag, which the image's users reach for first.

import { spawn, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { startBroker, tempDir } from '../support/broker-process';
import { freePort } from '../support/prometheus';

jest.setTimeout(60_000);

const HEALTHCHECK = path.resolve(__dirname, '../../dist/src/healthcheck.js');
const CLI = path.resolve(__dirname, '../../dist/src/cli.js');

function healthcheck(address: string): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, [HEALTHCHECK, address, '3000'], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout + r.stderr };
}

test('healthy while the broker serves, unhealthy after it stopped', async () => {
  const broker = await startBroker();
  let stopped = false;
  try {
    const up = healthcheck(broker.bootstrap);
    expect(up.out).toMatch(/^healthy: .* answered ApiVersions \(\d+ APIs\)/);
    expect(up.code).toBe(0);
    expect(await broker.stop()).toBe(0);
    stopped = true;
    const down = healthcheck(broker.bootstrap);
    expect(down.code).toBe(1);
    expect(down.out).toMatch(/^unhealthy: /);
  } finally {
    if (!stopped) await broker.stop();
  }
});

test('--log-level overrides log.level from --override', async () => {
  const port = await freePort();
  const proc = spawn(
    process.execPath,
    [CLI, 'start', '--override', `log.dirs=${tempDir()}`, '--override', `listeners=PLAINTEXT://127.0.0.1:${port}`, '--override', 'log.level=debug', '--log-level', 'warn'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const out: string[] = [];
  proc.stdout!.on('data', (c: Buffer) => out.push(c.toString()));
  proc.stderr!.on('data', (c: Buffer) => out.push(c.toString()));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  try {
    // No "broker started" line at warn level: wait until the broker answers instead.
    const deadline = Date.now() + 20_000;
    while (healthcheck(`127.0.0.1:${port}`).code !== 0) {
      if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`broker did not come up:\n${out.join('')}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    proc.kill('SIGTERM');
  }
  expect(await exited).toBe(0);
  const levels = out
    .join('')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => (JSON.parse(l) as { level: number }).level);
  expect(levels.every((l) => l >= 40)).toBe(true);
});
