import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { batch, forEachBatch } from '../wire/records/batch';
import { cleanupTmp, decodeChunks, openManager, tmpDir } from './__tests__/helpers';

afterEach(cleanupTmp);

/** Runs the writer until it has printed `want` durable offsets, then SIGKILLs it. Returns the printed offsets. */
function runAndKill(dir: string, want: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(__dirname, '__fixtures__', 'crash-writer.js'), dir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const printed: number[] = [];
    let buf = '';
    let stderr = '';
    let killed = false;
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (/^\d+$/.test(line)) printed.push(Number(line));
      }
      if (!killed && printed.length >= want) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(printed);
      else reject(new Error(`writer exited with ${code}: ${stderr}`));
    });
  });
}

test('every offset acknowledged as durable survives a SIGKILL, twice in a row', async () => {
  const dir = tmpDir();
  const all: number[] = [];
  for (let round = 0; round < 2; round++) {
    const printed = await runAndKill(dir, 1500);
    expect(printed.length).toBeGreaterThanOrEqual(1500);
    all.push(...printed);
    const m = await openManager(dir);
    const log = m.getLog('crash', 0)!;
    const seen = new Map<number, string | null>();
    let next = 0;
    while (next < log.logEndOffset) {
      const r = log.read(next, 64 * 1024, { minOneBatch: true });
      if (r.size === 0) break;
      for (const rec of decodeChunks(r.chunks)) seen.set(rec.offset, rec.value);
      for (const c of r.chunks) forEachBatch(c, (p) => (next = batch.lastOffset(c, p) + 1));
    }
    for (const o of all) {
      expect(seen.has(o)).toBe(true);
      expect(seen.get(o)!.startsWith(`rec-${o}.`)).toBe(true);
    }
    expect(log.segmentList().length).toBeGreaterThan(1);
    // Close uncleanly-restarted log cleanly only in the last round so the next child also recovers from a crash.
    await m.close();
    if (round === 0) {
      fs.rmSync(path.join(dir, '.kafka_cleanshutdown'));
    }
  }
}, 60_000);
