import * as fs from 'fs';
import * as path from 'path';
import { batch, forEachBatch } from '../wire/records/batch';
import { captureLogger, cleanupTmp, decodeChunks, makeBatch, openManager, tmpDir, type CapturedLogger } from './__tests__/helpers';
import { CLEAN_SHUTDOWN_FILE, RECOVERY_POINT_CHECKPOINT } from './log-manager';
import type { PartitionLog } from './partition-log';

afterEach(cleanupTmp);

const CFG = { segmentBytes: 6000, indexIntervalBytes: 300 };

interface Fixture {
  dir: string;
  logDir: string;
  values: string[];
  /** [base offset, last offset, segment base, position] of every batch. */
  batches: { base: number; last: number; segment: number; position: number; size: number }[];
}

/** A log of 60 batches of 3 records over several segments, closed cleanly. */
async function buildLog(): Promise<Fixture> {
  const dir = tmpDir();
  const m = await openManager(dir, CFG);
  const log = m.createLog('rec', 0);
  const values: string[] = [];
  for (let i = 0; i < 60; i++) {
    log.append(makeBatch(3, { tag: `b${i}`, valueSize: 120 }), { leaderEpoch: i < 30 ? 1 : 2, assignOffsets: true });
    for (let j = 0; j < 3; j++) values.push(`b${i}-${j}`.padEnd(120, 'x'));
  }
  const batches: Fixture['batches'] = [];
  for (const seg of log.segmentList()) {
    seg.scanHeaders(0, (h) => {
      batches.push({ base: h.baseOffset, last: h.lastOffset, segment: seg.baseOffset, position: h.position, size: h.size });
      return true;
    });
  }
  await m.close();
  return { dir, logDir: path.join(dir, 'rec-0'), values, batches };
}

function crash(f: Fixture, recoveryPoint = 0): void {
  // An unclean shutdown: no marker, and a recovery point that lagged behind.
  fs.rmSync(path.join(f.dir, CLEAN_SHUTDOWN_FILE));
  fs.writeFileSync(path.join(f.dir, RECOVERY_POINT_CHECKPOINT), `0\n1\nrec 0 ${recoveryPoint}\n`);
}

function segFile(f: Fixture, base: number, suffix = '.log'): string {
  return path.join(f.logDir, String(base).padStart(20, '0') + suffix);
}

function readAll(log: PartitionLog): { offset: number; value: string | null }[] {
  const out: { offset: number; value: string | null }[] = [];
  let next = log.logStartOffset;
  while (next < log.logEndOffset) {
    const r = log.read(next, 5000, { minOneBatch: true });
    if (r.size === 0) break;
    out.push(...decodeChunks(r.chunks).filter((x) => x.offset >= next).map((x) => ({ offset: x.offset, value: x.value })));
    for (const c of r.chunks) forEachBatch(c, (p) => (next = batch.lastOffset(c, p) + 1));
  }
  return out;
}

async function reopen(f: Fixture): Promise<{ log: PartitionLog; logger: CapturedLogger; close: () => Promise<void> }> {
  const logger = captureLogger();
  const m = await openManager(f.dir, CFG, { logger });
  return { log: m.getLog('rec', 0)!, logger, close: () => m.close() };
}

function expectPrefix(log: PartitionLog, f: Fixture, upTo: number): void {
  const all = readAll(log);
  expect(all.length).toBe(upTo);
  all.forEach((r, i) => {
    expect(r.offset).toBe(i);
    expect(r.value).toBe(f.values[i]);
  });
}

describe('recovery after an unclean shutdown', () => {
  test('truncated mid-batch: the partial batch is cut and logged', async () => {
    const f = await buildLog();
    const last = f.batches[f.batches.length - 1];
    const file = segFile(f, last.segment);
    fs.truncateSync(file, last.position + Math.floor(last.size / 2));
    crash(f);
    const { log, logger, close } = await reopen(f);
    expect(log.logEndOffset).toBe(last.base);
    expectPrefix(log, f, last.base);
    const warn = logger.lines.find((l) => l.level === 'warn' && l.msg.includes('truncated segment'));
    expect(warn?.msg).toContain('rec-0');
    expect(warn?.msg).toContain(String(last.segment).padStart(20, '0'));
    expect(warn?.msg).toContain(`position ${last.position}`);
    expect(warn?.msg).toContain(`${Math.floor(last.size / 2)} bytes`);
    expect(fs.statSync(file).size).toBe(last.position);
    // Appends continue where the valid data ends.
    expect(log.append(makeBatch(1), { leaderEpoch: 3, assignOffsets: true }).firstOffset).toBe(last.base);
    await close();
  });

  test('garbage appended after the last batch is removed', async () => {
    const f = await buildLog();
    const last = f.batches[f.batches.length - 1];
    const file = segFile(f, last.segment);
    const size = fs.statSync(file).size;
    fs.appendFileSync(file, Buffer.from('this is not a record batch, just some garbage bytes.............'));
    crash(f, 150);
    const { log, logger, close } = await reopen(f);
    expect(log.logEndOffset).toBe(180);
    expectPrefix(log, f, 180);
    expect(fs.statSync(file).size).toBe(size);
    expect(logger.lines.some((l) => l.level === 'warn' && l.msg.includes('truncated segment'))).toBe(true);
    await close();
  });

  test('a flipped byte in a middle batch: everything from it on is dropped, later segments deleted', async () => {
    const f = await buildLog();
    const segBases = [...new Set(f.batches.map((b) => b.segment))];
    expect(segBases.length).toBeGreaterThan(3);
    const victimSeg = segBases[1];
    const inSeg = f.batches.filter((b) => b.segment === victimSeg);
    const victim = inSeg[Math.floor(inSeg.length / 2)];
    const file = segFile(f, victimSeg);
    const fd = fs.openSync(file, 'r+');
    const one = Buffer.alloc(1);
    fs.readSync(fd, one, 0, 1, victim.position + 70);
    one[0] ^= 0x40;
    fs.writeSync(fd, one, 0, 1, victim.position + 70);
    fs.closeSync(fd);
    crash(f);
    const { log, logger, close } = await reopen(f);
    expect(log.logEndOffset).toBe(victim.base);
    expectPrefix(log, f, victim.base);
    expect(log.segmentList().map((s) => s.baseOffset)).toEqual(segBases.slice(0, 2));
    for (const b of segBases.slice(2)) expect(fs.existsSync(segFile(f, b))).toBe(false);
    const warns = logger.lines.filter((l) => l.level === 'warn').map((l) => l.msg);
    expect(warns.some((w) => w.includes('CRC mismatch') && w.includes(`position ${victim.position}`))).toBe(true);
    expect(warns.some((w) => w.includes('deleting segment'))).toBe(true);
    // The epoch cache only keeps epochs of surviving data.
    for (const e of log.leaderEpochCache.all) expect(e.startOffset).toBeLessThan(log.logEndOffset);
    await close();
  });

  test('missing and damaged index files are rebuilt', async () => {
    const f = await buildLog();
    const segBases = [...new Set(f.batches.map((b) => b.segment))];
    fs.rmSync(segFile(f, segBases[1], '.index'));
    // Non-monotonic entries in another segment's index (right size, wrong content).
    const idx2 = segFile(f, segBases[2], '.index');
    const content = fs.readFileSync(idx2);
    expect(content.length).toBeGreaterThanOrEqual(16);
    content.writeInt32BE(1_000_000, 0);
    fs.writeFileSync(idx2, content);
    // Wrong size time index.
    fs.appendFileSync(segFile(f, segBases[0], '.timeindex'), Buffer.from([1, 2, 3]));
    const { log, logger, close } = await reopen(f); // clean shutdown: marker present
    expect(fs.existsSync(segFile(f, segBases[1], '.index'))).toBe(true);
    expectPrefix(log, f, 180);
    const warns = logger.lines.filter((l) => l.level === 'warn').map((l) => l.msg);
    expect(warns.filter((w) => w.includes('rebuilding')).length).toBeGreaterThanOrEqual(3);
    expect(fs.statSync(segFile(f, segBases[0], '.timeindex')).size % 12).toBe(0);
    // A random read in the rebuilt segment.
    const target = f.batches.find((b) => b.segment === segBases[2])!.base + 4;
    expect(decodeChunks(log.read(target, 100, { minOneBatch: true }).chunks).some((r) => r.offset === target)).toBe(true);
    await close();
  });

  test('after a clean shutdown segments are not rescanned', async () => {
    const f = await buildLog();
    const segBases = [...new Set(f.batches.map((b) => b.segment))];
    const victim = f.batches.find((b) => b.segment === segBases[1])!;
    const file = segFile(f, segBases[1]);
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, Buffer.from([0xee]), 0, 1, victim.position + 80);
    fs.closeSync(fd);
    const { log, logger, close } = await reopen(f);
    // The damage goes unnoticed (nothing is scanned), the log is whole.
    expect(log.logEndOffset).toBe(180);
    expect(logger.lines.filter((l) => l.level === 'warn')).toEqual([]);
    expect(fs.existsSync(path.join(f.dir, CLEAN_SHUTDOWN_FILE))).toBe(false);
    await close();
  });

  test('a clean marker with a torn active segment still repairs the tail', async () => {
    const f = await buildLog();
    const last = f.batches[f.batches.length - 1];
    fs.truncateSync(segFile(f, last.segment), last.position + 20);
    const { log, logger, close } = await reopen(f);
    expect(log.logEndOffset).toBe(last.base);
    expect(logger.lines.some((l) => l.level === 'warn' && l.msg.includes('truncated segment'))).toBe(true);
    await close();
  });

  test('recovery scan only covers segments from the recovery point', async () => {
    const f = await buildLog();
    const segBases = [...new Set(f.batches.map((b) => b.segment))];
    // Damage an early segment, but claim everything up to the last segment was flushed.
    const victim = f.batches.find((b) => b.segment === segBases[0])!;
    const fd = fs.openSync(segFile(f, segBases[0]), 'r+');
    fs.writeSync(fd, Buffer.from([0xee]), 0, 1, victim.position + 80);
    fs.closeSync(fd);
    crash(f, segBases[segBases.length - 1] + 1);
    const { log, close } = await reopen(f);
    expect(log.logEndOffset).toBe(180);
    await close();
  });
});
