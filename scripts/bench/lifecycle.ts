// Start-up, crash recovery and idle memory of a single broker process (the built CLI, as a user runs it):
//   startup:  spawn → "broker started" logged → first ApiVersions answered, on an empty data dir;
//   recovery: 1 GiB produced with the load generator (acks=1, 1 KiB records, 6 partitions), broker SIGKILLed,
//             restarted on the same dir: spawn → accepting connections → ListOffsets shows every record;
//   memory:   resident set size of an idle broker holding 1,000 partitions (10 topics × 100).
// usage: npm run build && node dist/scripts/bench/lifecycle.js [startup|recovery|memory|all] [runs=3] [--cold]
//   --cold drops the page cache (root only) before each recovery restart, so the scan reads from the disk.
// env: KBENCH = path of the load generator (default ../shared/bench/kbench beside the repo; bench.sh builds it).
// Prints name<TAB>value<TAB>unit lines per run, then the medians.

import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RawClient } from '../../compat-tests/support/raw-client';
import { startBroker, tempDir } from '../../compat-tests/support/broker-process';
import type { ListOffsetsResponse } from '../../src/wire/generated/messages/ListOffsetsResponse';

const REPO = path.resolve(__dirname, '../../..');
const KBENCH = process.env.KBENCH ?? path.resolve(REPO, '../shared/bench/kbench');
const PORT = 19392;
const figures = new Map<string, number[]>();

function report(name: string, value: number, unit: string): void {
  console.log(`${name}\t${Number.isInteger(value) ? value : value.toFixed(1)}\t${unit}`);
  figures.set(`${name}\t${unit}`, [...(figures.get(`${name}\t${unit}`) ?? []), value]);
}

function kbench(...args: string[]): string {
  if (!fs.existsSync(KBENCH)) throw new Error(`${KBENCH} not found: build it (../shared/bench/bench.sh does) or set KBENCH`);
  return execFileSync(KBENCH, [...args, '-b', `127.0.0.1:${PORT}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
}

/** Sends ApiVersions until one is answered; resolves with the time it was. */
async function firstAnswer(port: number): Promise<number> {
  for (;;) {
    try {
      const c = await RawClient.connect(port);
      c.write(RawClient.frame(18, 3, 1, { clientSoftwareName: 'bench', clientSoftwareVersion: '1' }));
      const f = await c.next(5000);
      c.close();
      if (f) return performance.now();
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 2));
  }
}

async function latestOffsets(port: number, topic: string, partitions: number): Promise<number | null> {
  const c = await RawClient.connect(port);
  try {
    const body = {
      replicaId: -1,
      isolationLevel: 0,
      timeoutMs: 5000,
      topics: [{ name: topic, partitions: Array.from({ length: partitions }, (_, i) => ({ partitionIndex: i, currentLeaderEpoch: -1, timestamp: -1, maxNumOffsets: 1 })) }],
    };
    c.write(RawClient.frame(2, 7, 1, body));
    const f = await c.next(5000);
    if (!f) return null;
    const res = RawClient.decode<ListOffsetsResponse>(2, 7, f).body;
    let sum = 0;
    for (const p of res.topics[0]!.partitions) {
      if (p.errorCode !== 0) return null;
      sum += p.offset;
    }
    return sum;
  } finally {
    c.close();
  }
}

function dropPageCache(): void {
  spawnSync('sync');
  fs.writeFileSync('/proc/sys/vm/drop_caches', '3');
}

async function startup(): Promise<void> {
  const dataDir = tempDir('nk-bench-');
  const t0 = performance.now();
  const answered = firstAnswer(PORT);
  const b = await startBroker({ dataDir, port: PORT });
  const logged = performance.now();
  const first = await answered;
  report('startup_logged_started', logged - t0, 'ms');
  report('startup_first_answer', first - t0, 'ms');
  await b.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
}

async function recovery(cold: boolean): Promise<void> {
  const dataDir = tempDir('nk-bench-');
  const records = 1 << 20;
  let b = await startBroker({ dataDir, port: PORT });
  kbench('create', '-t', 'recovery', '-p', '6', '-x', 'create');
  const produced = kbench('produce', '-t', 'recovery', '-n', String(records), '-s', '1024', '-a', '1', '-x', 'load');
  if (!/load_undelivered\t0\t/.test(produced)) throw new Error(`load not fully delivered:\n${produced}`);
  await b.kill();
  const onDisk = Number(execFileSync('du', ['-sb', dataDir], { encoding: 'utf8' }).split('\t')[0]);
  report('recovery_data_dir', onDisk / 2 ** 20, 'MiB');
  if (cold) dropPageCache();

  const t0 = performance.now();
  b = await startBroker({ dataDir, port: PORT });
  report('recovery_accepting', performance.now() - t0, 'ms');
  for (;;) {
    const sum = await latestOffsets(PORT, 'recovery', 6);
    if (sum === records) break;
    if (sum !== null && sum > records) throw new Error(`more records (${sum}) than produced (${records})`);
    if (performance.now() - t0 > 60_000) throw new Error(`after 60 s only ${sum} of ${records} records are back`);
    await new Promise((r) => setTimeout(r, 5));
  }
  report('recovery_all_records_served', performance.now() - t0, 'ms');
  const loaded = b.logs.map((l) => /loaded \d+ partition logs in (\d+) ms, (\d+) bytes re-validated/.exec(l)).find((m) => m);
  if (!loaded) throw new Error('the broker did not report a recovery scan after SIGKILL');
  report('recovery_scan', Number(loaded[1]), 'ms');
  report('recovery_scanned', Number(loaded[2]) / 2 ** 20, 'MiB');
  await b.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))!;
  return Number(m[1]) / 1024;
}

async function memory(): Promise<void> {
  const dataDir = tempDir('nk-bench-');
  const b = await startBroker({ dataDir, port: PORT });
  report('memory_rss_empty', rssMiB(b.proc.pid!), 'MiB');
  for (let t = 0; t < 10; t++) kbench('create', '-t', `idle-${t}`, '-p', '100', '-x', 'create');
  // Idle: let timers, GC and the allocator settle as they would on a quiet broker.
  await new Promise((r) => setTimeout(r, 15_000));
  report('memory_rss_1000_partitions_idle', rssMiB(b.proc.pid!), 'MiB');
  await b.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
}

async function main(): Promise<void> {
  const what = process.argv[2] ?? 'all';
  const runs = Number(process.argv[3] ?? 3);
  const cold = process.argv.includes('--cold');
  if (cold && process.getuid?.() !== 0) throw new Error('--cold needs root (it writes /proc/sys/vm/drop_caches)');
  for (let i = 0; i < runs; i++) {
    if (what === 'startup' || what === 'all') await startup();
    if (what === 'recovery' || what === 'all') await recovery(cold);
    if (what === 'memory' || what === 'all') await memory();
  }
  console.log('# medians');
  for (const [key, xs] of figures) {
    const s = [...xs].sort((a, b) => a - b);
    const [name, unit] = key.split('\t');
    console.log(`${name}\t${s[Math.floor(s.length / 2)]!.toFixed(1)}\t${unit}\tmin ${s[0]!.toFixed(1)} max ${s[s.length - 1]!.toFixed(1)}`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
