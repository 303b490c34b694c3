// The command line as a user meets it: Kafka's server.properties + --override convention, and one clear line
// with exit code 1 for unknown keys, malformed values and unusable data dirs.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startBroker, tempDir } from '../support/broker-process';
import { kcat } from '../support/kcat';

const CLI = path.resolve(__dirname, '../../dist/src/cli.js');

function run(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 20_000 });
  return { code: r.status, stderr: r.stderr.trim(), stdout: r.stdout.trim() };
}

test.each([
  [['start', '--override', 'no.such.key=1'], /^error: unknown configuration key "no.such.key"$/],
  [['start', '--override', 'num.partitions=lots'], /^error: num.partitions must be an integer/],
  [['start', '--override', 'listeners=localhost'], /^error: listener "localhost" is not of the form/],
  [['start', '/nonexistent/server.properties'], /^error: cannot read configuration file/],
])('start %j fails with one line and exit code 1', (args, message) => {
  const r = run(args);
  expect(r.code).toBe(1);
  expect(r.stderr.split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(message);
});

test('an unusable data dir stops the start with one line', () => {
  const file = path.join(tempDir(), 'not-a-dir');
  fs.writeFileSync(file, 'x');
  const r = run(['start', '--override', `log.dirs=${file}/sub`, '--override', 'listeners=PLAINTEXT://127.0.0.1:0']);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/^error: data directory .* is not usable/);
});

test('a properties file plus overrides configures the broker; the override wins', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'server.properties');
  // A stock-style file: comments, a tuning key this broker ignores, Kafka's key names.
  fs.writeFileSync(file, ['# test', 'num.network.threads=3', 'num.partitions=4', 'log.retention.hours=2', ''].join('\n'));
  const broker = await startBroker({ configFile: file, overrides: { 'num.partitions': 2 } });
  try {
    await kcat(['-b', broker.bootstrap, '-P', '-t', 'auto'], 'x\n');
    const md = JSON.parse((await kcat(['-b', broker.bootstrap, '-L', '-J', '-t', 'auto'])).stdout) as { topics: { partitions: unknown[] }[] };
    expect(md.topics[0]!.partitions.length).toBe(2);
    const cfg = await kcat(['-b', broker.bootstrap, '-L', '-J']);
    expect(cfg.code).toBe(0);
    expect(broker.logs.some((l) => l.includes('num.network.threads') && l.includes('ignored'))).toBe(true);
  } finally {
    expect(await broker.stop()).toBe(0);
  }
});

test('format writes meta.properties with the given cluster id', () => {
  const dir = tempDir();
  const r = run(['format', '--override', `log.dirs=${dir}`, '--cluster-id', 'MkU3OEVBNTcwNTJENDM2Qg']);
  expect(r.code).toBe(0);
  const meta = fs.readFileSync(path.join(dir, 'meta.properties'), 'utf8');
  expect(meta).toMatch(/cluster.id=MkU3OEVBNTcwNTJENDM2Qg/);
  expect(meta).toMatch(/node.id=1/);
  const again = run(['format', '--override', `log.dirs=${dir}`, '--cluster-id', 'AAAAAAAAAAAAAAAAAAAAAA']);
  expect(again.code).toBe(1);
  expect(again.stderr).toMatch(/belongs to cluster MkU3OEVBNTcwNTJENDM2Qg/);
});
