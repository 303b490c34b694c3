import * as fs from 'fs';
import * as path from 'path';
import { batch, Compression, forEachBatch, isBatchCrcValid, type CompressionCodec } from '../wire/records/batch';
import { buildControlBatch, ControlRecordType, decodeBatches } from '../wire/records/record';
import { cleanupTmp, decodeChunks, makeBatch, openManager, tmpDir, type SimpleRecord } from './__tests__/helpers';
import type { PartitionLog } from './partition-log';

afterEach(cleanupTmp);

const COMPACT = { cleanupPolicy: { compact: true, delete: false }, segmentBytes: 4000, indexIntervalBytes: 200, fileDeleteDelayMs: 0 };

function readAll(log: PartitionLog): SimpleRecord[] {
  const out: SimpleRecord[] = [];
  let next = log.logStartOffset;
  while (next < log.logEndOffset) {
    const r = log.read(next, 3000, { minOneBatch: true });
    if (r.size === 0) break;
    for (const c of r.chunks) {
      forEachBatch(c, (p) => {
        expect(isBatchCrcValid(c, p)).toBe(true);
        next = batch.lastOffset(c, p) + 1;
      });
    }
    out.push(...decodeChunks(r.chunks).filter((x) => x.offset >= (out.length ? out[out.length - 1].offset + 1 : 0)));
  }
  return out;
}

function latestByKey(records: SimpleRecord[]): Map<string, SimpleRecord> {
  const m = new Map<string, SimpleRecord>();
  for (const r of records) if (r.key !== null) m.set(r.key, r);
  return m;
}

async function fill(log: PartitionLog, keys: number, rounds: number, codec?: CompressionCodec): Promise<SimpleRecord[]> {
  for (let round = 0; round < rounds; round++) {
    const ks = Array.from({ length: keys }, (_, k) => `key-${k}`);
    const vs = ks.map((k) => `${k}@${round}`.padEnd(60, '.'));
    // Five records per batch.
    for (let i = 0; i < keys; i += 5) {
      log.append(makeBatch(5, { keys: ks.slice(i, i + 5), values: vs.slice(i, i + 5), compression: codec }), { leaderEpoch: 0, assignOffsets: true });
    }
  }
  return readAll(log);
}

describe('compaction', () => {
  test('many updates per key shrink to one per key; a concurrent reader sees a valid ordered log', async () => {
    const m = await openManager(tmpDir(), COMPACT, { cleanerEnabled: false });
    const log = m.createLog('cmp', 0);
    const before = await fill(log, 50, 20);
    const segsBefore = log.segmentList().length;
    expect(segsBefore).toBeGreaterThan(10);
    const sizeBefore = log.size;

    // A reader walks the log from 0 while the cleaner works, tick by tick.
    let readerDone = false;
    let readerChecks = 0;
    const reader = (async () => {
      while (!readerDone) {
        const recs = readAll(log);
        for (let i = 1; i < recs.length; i++) expect(recs[i].offset).toBeGreaterThan(recs[i - 1].offset);
        expect(latestByKey(recs)).toEqual(latestByKey(before));
        readerChecks++;
        await new Promise((r) => setImmediate(r));
      }
    })();
    const stats = await log.logEnv && (await m.cleanOnce(log));
    readerDone = true;
    await reader;
    expect(readerChecks).toBeGreaterThan(1);
    expect(stats).not.toBeNull();

    const after = readAll(log);
    expect(log.size).toBeLessThan(sizeBefore / 5);
    expect(latestByKey(after)).toEqual(latestByKey(before));
    // Everything below the active segment holds each key at most once.
    const activeBase = log.segmentList()[log.segmentList().length - 1].baseOffset;
    const closed = after.filter((r) => r.offset < activeBase);
    expect(new Set(closed.map((r) => r.key)).size).toBe(closed.length);
    // Offsets unchanged: each surviving record has the offset it had.
    const byOffset = new Map(before.map((r) => [r.offset, r]));
    for (const r of after) expect(byOffset.get(r.offset)).toEqual(r);
    expect(log.firstDirtyOffset).toBe(activeBase);
    // A second run has nothing to do under the ratio rule.
    expect(await m.cleanOnce()).toBeNull();
    // Still valid after reopen (the swapped segments load from disk).
    await m.close();
    const m2 = await openManager(path.dirname(log.dir), COMPACT, { cleanerEnabled: false });
    const log2 = m2.getLog('cmp', 0)!;
    expect(readAll(log2)).toEqual(after);
    expect(log2.firstDirtyOffset).toBe(activeBase);
    expect(fs.readdirSync(log2.dir).filter((f) => /cleaned|swap|deleted/.test(f))).toEqual([]);
    await m2.close();
  });

  test('tombstones are kept by the first cleaning and removed after delete.retention.ms', async () => {
    let now = 1_000_000;
    const m = await openManager(tmpDir(), { ...COMPACT, deleteRetentionMs: 5000 }, { now: () => now, cleanerEnabled: false });
    const log = m.createLog('tomb', 0);
    log.append(makeBatch(3, { keys: ['a', 'b', 'c'], values: ['a1', 'b1', 'c1'], timestamp: now }), { leaderEpoch: 0, assignOffsets: true });
    log.append(makeBatch(2, { keys: ['a', 'b'], values: [null, 'b2'], timestamp: now }), { leaderEpoch: 0, assignOffsets: true });
    log.roll();
    log.append(makeBatch(1, { keys: ['z'], values: ['z1'], timestamp: now }), { leaderEpoch: 0, assignOffsets: true });
    await m.cleanOnce(log);
    let recs = readAll(log);
    expect(recs.map((r) => [r.key, r.value])).toEqual([
      ['c', 'c1'],
      ['a', null],
      ['b', 'b2'],
      ['z', 'z1'],
    ]);
    now += 4000;
    await m.cleanOnce(log);
    expect(readAll(log).some((r) => r.key === 'a')).toBe(true);
    now += 2000;
    // Past the horizon the log is eligible even without new dirty data.
    const stats = await m.cleanOnce();
    expect(stats?.tombstonesRemoved).toBe(1);
    recs = readAll(log);
    expect(recs.map((r) => [r.key, r.value])).toEqual([
      ['c', 'c1'],
      ['b', 'b2'],
      ['z', 'z1'],
    ]);
    expect(recs.map((r) => r.offset)).toEqual([2, 4, 5]);
    await m.close();
  });

  test.each([
    ['gzip', Compression.gzip],
    ['snappy', Compression.snappy],
    ['lz4', Compression.lz4],
    ['zstd', Compression.zstd],
  ] as const)('compressed input (%s) is recompressed with the same codec', async (_name, codec) => {
    const m = await openManager(tmpDir(), COMPACT, { cleanerEnabled: false });
    const log = m.createLog('z', 0);
    const before = await fill(log, 20, 10, codec);
    log.roll();
    await m.cleanOnce(log);
    const after = readAll(log);
    expect(after.length).toBe(20);
    expect(latestByKey(after)).toEqual(latestByKey(before));
    const raw = log.read(0, 1 << 20, { minOneBatch: true });
    for (const c of raw.chunks) forEachBatch(c, (p) => expect(batch.compression(c, p)).toBe(codec));
    await m.close();
  });

  test('control batches are preserved; batches keep base and last offsets; min.compaction.lag.ms', async () => {
    let now = 5_000_000;
    const m = await openManager(tmpDir(), { ...COMPACT, minCompactionLagMs: 10_000 }, { now: () => now, cleanerEnabled: false });
    const log = m.createLog('ctl', 0);
    log.append(makeBatch(4, { keys: ['a', 'b', 'a', 'c'], values: ['1', '2', '3', '4'], timestamp: now }), { leaderEpoch: 0, assignOffsets: true });
    log.append(buildControlBatch({ type: ControlRecordType.COMMIT, producerId: 7, producerEpoch: 0, timestamp: now }), { leaderEpoch: 0, assignOffsets: true });
    log.append(makeBatch(1, { keys: ['b'], values: ['5'], timestamp: now }), { leaderEpoch: 0, assignOffsets: true });
    log.roll();
    log.append(makeBatch(1, { keys: ['q'], values: ['q'], timestamp: now }), { leaderEpoch: 0, assignOffsets: true });
    // Too young to clean.
    expect(await m.cleanOnce(log)).toBeNull();
    now += 20_000;
    await m.cleanOnce(log);
    // One read covers one segment: the cleaned one.
    const raw = Buffer.concat(log.read(0, 1 << 20, { minOneBatch: true }).chunks);
    const batches = decodeBatches(raw);
    expect(batches.map((b) => [b.baseOffset, b.lastOffset, b.isControl])).toEqual([
      [0, 3, false],
      [4, 4, true],
      [5, 5, false],
    ]);
    expect(batches[1].producerId).toBe(7);
    expect(batches[0].records.map((r) => r.offset)).toEqual([2, 3]);
    await m.close();
  });

  test('an interrupted swap is completed on open; leftover .cleaned files are discarded', async () => {
    const dirA = tmpDir();
    let m = await openManager(dirA, COMPACT, { cleanerEnabled: false });
    let log = m.createLog('sw', 0);
    const before = await fill(log, 30, 8);
    await m.close();
    // Clean a copy, then plant its output as .swap files in the original (a crash right after the swap rename).
    const dirB = tmpDir();
    fs.cpSync(dirA, dirB, { recursive: true });
    m = await openManager(dirB, COMPACT, { cleanerEnabled: false });
    const cleanedLog = m.getLog('sw', 0)!;
    await m.cleanOnce(cleanedLog);
    const expected = readAll(cleanedLog);
    const firstBase = cleanedLog.segmentList()[0].baseOffset;
    await m.close();
    const name = String(firstBase).padStart(20, '0');
    const partA = path.join(dirA, 'sw-0');
    for (const s of ['.log', '.index', '.timeindex']) fs.copyFileSync(path.join(dirB, 'sw-0', name + s), path.join(partA, name + s + '.swap'));
    // The first old segment was already renamed away; a stray .cleaned file from another run is lying around.
    for (const s of ['.log', '.index', '.timeindex']) fs.renameSync(path.join(partA, name + s), path.join(partA, name + s + '.deleted'));
    fs.writeFileSync(path.join(partA, '00000000000000000999.log.cleaned'), 'junk');
    m = await openManager(dirA, COMPACT, { cleanerEnabled: false });
    log = m.getLog('sw', 0)!;
    // As in Kafka, old segments past the swap's last offset may survive a crash: the log is then less compacted
    // (records that a later record supersedes), but valid: ordered, and every key's latest record is there.
    const got = readAll(log);
    for (let i = 1; i < got.length; i++) expect(got[i].offset).toBeGreaterThan(got[i - 1].offset);
    const gotByOffset = new Map(got.map((r) => [r.offset, r]));
    for (const r of expected) expect(gotByOffset.get(r.offset)).toEqual(r);
    expect(latestByKey(got)).toEqual(latestByKey(before));
    // Cleaning again converges to the same result.
    await m.cleanOnce(log);
    expect(readAll(log)).toEqual(expected);
    expect(fs.readdirSync(partA).filter((f) => /cleaned|swap|deleted/.test(f))).toEqual([]);
    await m.close();
  });

  test('the background cleaner picks dirty logs by ratio', async () => {
    const m = await openManager(tmpDir(), { ...COMPACT, minCleanableDirtyRatio: 0.3 }, { cleanerBackoffMs: 10 });
    const log = m.createLog('bg', 0);
    await fill(log, 20, 20);
    log.roll();
    const size = log.size;
    m.startBackgroundTasks();
    for (let i = 0; i < 100 && log.size >= size / 3; i++) await new Promise((r) => setTimeout(r, 10));
    expect(log.size).toBeLessThan(size / 3);
    await m.close();
    expect(fs.readFileSync(path.join(path.dirname(log.dir), 'cleaner-offset-checkpoint'), 'utf8')).toMatch(/^0\n1\nbg 0 \d+\n$/);
  });
});
