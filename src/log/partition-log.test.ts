import * as fs from 'fs';
import * as path from 'path';
import { ErrorCode, KafkaError } from '../wire/errors';
import { batch, forEachBatch, rewriteBatchCrc, setBaseOffset } from '../wire/records/batch';
import { buildBatch } from '../wire/records/record';
import { captureLogger, cleanupTmp, config, decodeChunks, makeBatch, openManager, tmpDir } from './__tests__/helpers';
import { LogManager } from './log-manager';

afterEach(cleanupTmp);

function readAll(log: ReturnType<LogManager['createLog']>, from = log.logStartOffset): ReturnType<typeof decodeChunks> {
  const out: ReturnType<typeof decodeChunks> = [];
  let next = from;
  while (next < log.logEndOffset) {
    const r = log.read(next, 1 << 20, { minOneBatch: true });
    if (r.size === 0) break;
    const recs = decodeChunks(r.chunks).filter((x) => x.offset >= next);
    out.push(...recs);
    let last = next;
    for (const c of r.chunks) forEachBatch(c, (p) => (last = batch.lastOffset(c, p) + 1));
    next = last;
  }
  return out;
}

describe('PartitionLog basics', () => {
  test('append assigns offsets in place and reads back', async () => {
    const m = await openManager(tmpDir());
    const log = m.createLog('t', 0);
    const b1 = makeBatch(3, { tag: 'a' });
    const r1 = log.append(b1, { leaderEpoch: 5, assignOffsets: true });
    expect(r1).toMatchObject({ firstOffset: 0, lastOffset: 2, logAppendTime: -1, recordCount: 3 });
    expect(batch.baseOffset(b1)).toBe(0);
    expect(batch.partitionLeaderEpoch(b1)).toBe(5);
    const r2 = log.append(makeBatch(2, { tag: 'b' }), { leaderEpoch: 5, assignOffsets: true, logAppendTime: 1234 });
    expect(r2).toMatchObject({ firstOffset: 3, lastOffset: 4, maxTimestamp: 1234, logAppendTime: 1234 });
    expect(log.logEndOffset).toBe(5);
    const recs = readAll(log);
    expect(recs.map((r) => r.value)).toEqual(['a-0', 'a-1', 'a-2', 'b-0', 'b-1']);
    expect(recs[3].timestamp).toBe(1234);
    // Read from the middle of a batch returns the whole batch.
    const mid = log.read(1, 1 << 20, { minOneBatch: true });
    expect(decodeChunks(mid.chunks)[0].offset).toBe(0);
    expect(log.leaderEpochCache.latestEpoch).toBe(5);
    await m.close();
  });

  test('reads after reopen come from disk and match', async () => {
    const dir = tmpDir();
    let m = await openManager(dir);
    let log = m.createLog('t', 0);
    for (let i = 0; i < 50; i++) log.append(makeBatch(4, { tag: `b${i}`, valueSize: 200 }), { leaderEpoch: 0, assignOffsets: true });
    const before = readAll(log);
    await m.close();
    m = await openManager(dir);
    log = m.getLog('t', 0)!;
    expect(log.logEndOffset).toBe(200);
    expect(readAll(log)).toEqual(before);
    await m.close();
  });

  test('out of range, maxOffset, minOneBatch and maxBytes rounding', async () => {
    const m = await openManager(tmpDir());
    const log = m.createLog('t', 0);
    for (let i = 0; i < 10; i++) log.append(makeBatch(10, { valueSize: 100 }), { leaderEpoch: 0, assignOffsets: true });
    expect(() => log.read(101, 100, { minOneBatch: true })).toThrow(KafkaError);
    try {
      log.read(-1, 100, { minOneBatch: true });
    } catch (e) {
      expect((e as KafkaError).code).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
    }
    expect(log.read(100, 100, { minOneBatch: true }).size).toBe(0);
    const batchSize = log.read(0, 1 << 20, { minOneBatch: true }).size / 10;
    // maxBytes below one batch: nothing unless minOneBatch.
    expect(log.read(0, 10, { minOneBatch: false }).size).toBe(0);
    expect(log.read(0, 10, { minOneBatch: true }).size).toBe(batchSize);
    // Rounded down to whole batches.
    expect(log.read(0, batchSize * 2.5, { minOneBatch: false }).size).toBe(batchSize * 2);
    // maxOffset: nothing at or past it.
    const upTo = decodeChunks(log.read(0, 1 << 20, { minOneBatch: true, maxOffset: 30 }).chunks);
    expect(upTo[upTo.length - 1].offset).toBe(29);
    expect(log.read(30, 1 << 20, { minOneBatch: true, maxOffset: 30 }).size).toBe(0);
    // The same from disk (tail cache cleared by a roll).
    log.roll();
    const disk = decodeChunks(log.read(0, 1 << 20, { minOneBatch: true, maxOffset: 30 }).chunks);
    expect(disk).toEqual(upTo);
    expect(log.read(0, batchSize * 2.5, { minOneBatch: false }).size).toBe(batchSize * 2);
    expect(log.read(0, 10, { minOneBatch: false }).size).toBe(0);
    await m.close();
  });

  test('rejects bad input without writing', async () => {
    const m = await openManager(tmpDir(), { maxMessageBytes: 2000 });
    const log = m.createLog('t', 0);
    const good = makeBatch(2);
    expect(() => log.append(good.subarray(0, good.length - 1), { leaderEpoch: 0, assignOffsets: true })).toThrow(KafkaError);
    expect(() => log.append(makeBatch(1, { valueSize: 3000 }), { leaderEpoch: 0, assignOffsets: true })).toThrow(
      expect.objectContaining({ code: ErrorCode.MESSAGE_TOO_LARGE }),
    );
    const bad = makeBatch(2);
    bad[bad.length - 1] ^= 0xff;
    expect(() => log.append(bad, { leaderEpoch: 0, assignOffsets: false })).toThrow(
      expect.objectContaining({ code: ErrorCode.CORRUPT_MESSAGE }),
    );
    expect(log.logEndOffset).toBe(0);
    // Followers keep offsets and may leave gaps, but never go backwards.
    const f = makeBatch(2);
    setBaseOffset(f, 0, 10);
    rewriteBatchCrc(f, 0);
    expect(log.append(f, { leaderEpoch: 0, assignOffsets: false })).toMatchObject({ firstOffset: 10, lastOffset: 11 });
    const g = makeBatch(1);
    setBaseOffset(g, 0, 5);
    expect(() => log.append(g, { leaderEpoch: 0, assignOffsets: false })).toThrow(KafkaError);
    expect(log.logEndOffset).toBe(12);
    await m.close();
  });

  test('property: random appends and reads match a model, across rolls and reopen', async () => {
    const dir = tmpDir();
    const cfgPartial = { segmentBytes: 20_000, indexIntervalBytes: 300 };
    let m = await openManager(dir, cfgPartial, { tailCacheBytes: 8 * 1024 });
    let log = m.createLog('p', 3);
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const model: { offset: number; value: string }[] = [];
    const checkRandomReads = () => {
      for (let k = 0; k < 60; k++) {
        const at = Math.floor(rnd() * (log.logEndOffset + 1));
        const maxBytes = 1 + Math.floor(rnd() * 6000);
        const r = log.read(at, maxBytes, { minOneBatch: true });
        if (at === log.logEndOffset) {
          expect(r.size).toBe(0);
          continue;
        }
        expect(r.size).toBeGreaterThan(0);
        const recs = decodeChunks(r.chunks);
        // Starts with the batch holding `at`, contiguous with the model.
        expect(recs[0].offset).toBeLessThanOrEqual(at);
        const firstIdx = model.findIndex((x) => x.offset === recs[0].offset);
        expect(firstIdx).toBeGreaterThanOrEqual(0);
        recs.forEach((x, j) => expect(x).toMatchObject(model[firstIdx + j]));
        expect(recs.some((x) => x.offset === at)).toBe(true);
        if (r.chunks.length && recs.length) {
          let batches = 0;
          for (const c of r.chunks) forEachBatch(c, () => batches++);
          if (batches > 1) expect(r.size).toBeLessThanOrEqual(maxBytes);
        }
      }
    };
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 150; i++) {
        const n = 1 + Math.floor(rnd() * 8);
        const size = Math.floor(rnd() * 400);
        const tag = `r${round}i${i}`;
        const res = log.append(makeBatch(n, { tag, valueSize: size }), { leaderEpoch: round, assignOffsets: true });
        for (let j = 0; j < n; j++) model.push({ offset: res.firstOffset + j, value: `${tag}-${j}`.padEnd(size, 'x') });
      }
      checkRandomReads();
      await m.close();
      m = await openManager(dir, cfgPartial, { tailCacheBytes: 8 * 1024 });
      log = m.getLog('p', 3)!;
      checkRandomReads();
    }
    expect(log.segmentList().length).toBeGreaterThan(5);
    expect(log.leaderEpochCache.all.map((e) => e.epoch)).toEqual([0, 1, 2]);
    expect(log.endOffsetForEpoch(1).endOffset).toBe(log.leaderEpochCache.all[2].startOffset);
    expect(log.endOffsetForEpoch(2)).toEqual({ epoch: 2, endOffset: log.logEndOffset });
    expect(log.latestEpoch).toBe(2);
    await m.close();
  });
});

describe('tail cache', () => {
  test('follower appends (cacheTail false) are not cached and empty what was; reads come from the file', async () => {
    const m = await openManager(tmpDir());
    const log = m.createLog('f', 0);
    log.append(makeBatch(3, { tag: 'lead' }), { leaderEpoch: 1, assignOffsets: true });
    expect(m.tailCacheUsedBytes).toBeGreaterThan(0);
    const replicated = makeBatch(2, { tag: 'copy' });
    setBaseOffset(replicated, 0, 3);
    log.append(replicated, { leaderEpoch: -1, assignOffsets: false, cacheTail: false });
    expect(m.tailCacheUsedBytes).toBe(0);
    expect(readAll(log).map((r) => r.value)).toEqual(['lead-0', 'lead-1', 'lead-2', 'copy-0', 'copy-1']);
    // Leading again: cached from the next append on, and reads still see the whole log.
    log.append(makeBatch(1, { tag: 'again' }), { leaderEpoch: 2, assignOffsets: true });
    expect(m.tailCacheUsedBytes).toBeGreaterThan(0);
    expect(readAll(log).map((r) => r.value)).toEqual(['lead-0', 'lead-1', 'lead-2', 'copy-0', 'copy-1', 'again-0']);
    await m.close();
  });
});

describe('rolling', () => {
  test('rolls by size and by index fullness', async () => {
    const m = await openManager(tmpDir(), { segmentBytes: 5000, indexIntervalBytes: 10, segmentIndexBytes: 80 });
    const log = m.createLog('t', 0);
    for (let i = 0; i < 40; i++) log.append(makeBatch(1, { valueSize: 100 }), { leaderEpoch: 0, assignOffsets: true });
    const segs = log.segmentList();
    expect(segs.length).toBeGreaterThan(3);
    for (const s of segs) expect(s.size).toBeLessThanOrEqual(5000);
    // Index capped at 80 bytes = 10 entries: segments hold at most 11 batches.
    for (const s of segs.slice(0, -1)) expect(s.offsetIndex().count).toBeLessThanOrEqual(10);
    await m.close();
  });

  test('rolls by time using record timestamps and the injected clock', async () => {
    let now = 1_000_000;
    const dir = tmpDir();
    const m = await openManager(dir, { segmentMs: 1000 }, { now: () => now });
    const log = m.createLog('t', 0);
    log.append(makeBatch(1, { timestamp: now }), { leaderEpoch: 0, assignOffsets: true });
    now += 500;
    log.append(makeBatch(1, { timestamp: now }), { leaderEpoch: 0, assignOffsets: true });
    expect(log.segmentList().length).toBe(1);
    now += 600;
    log.append(makeBatch(1, { timestamp: now }), { leaderEpoch: 0, assignOffsets: true });
    expect(log.segmentList().map((s) => s.baseOffset)).toEqual([0, 2]);
    // LogAppendTime batches roll on the broker clock too.
    now += 1001;
    log.append(makeBatch(1, { timestamp: 5 }), { leaderEpoch: 0, assignOffsets: true, logAppendTime: now });
    expect(log.segmentList().map((s) => s.baseOffset)).toEqual([0, 2, 3]);
    await m.close();
  });
});

describe('offsets by timestamp', () => {
  test('offsetForTimestamp and maxTimestampEntry', async () => {
    const m = await openManager(tmpDir(), { segmentBytes: 3000, indexIntervalBytes: 100 });
    const log = m.createLog('t', 0);
    // Timestamps 1000 + 10*offset, with one out-of-order spike at offset 57.
    for (let i = 0; i < 20; i++) {
      const ts = Array.from({ length: 5 }, (_, j) => 1000 + 10 * (i * 5 + j));
      if (i === 11) ts[2] = 99_999;
      const b = buildBatch({
        records: ts.map((t, j) => ({ key: null, value: `v${i}-${j}`.padEnd(100, 'x'), timestamp: t })),
      });
      log.append(b, { leaderEpoch: 0, assignOffsets: true });
    }
    expect(log.segmentList().length).toBeGreaterThan(2);
    expect(log.offsetForTimestamp(0)).toEqual({ offset: 0, timestamp: 1000 });
    expect(log.offsetForTimestamp(1000 + 10 * 33)).toEqual({ offset: 33, timestamp: 1330 });
    expect(log.offsetForTimestamp(1000 + 10 * 33 - 5)).toEqual({ offset: 33, timestamp: 1330 });
    // The spike at 57 is the first record at or after any timestamp in (1570, 99999].
    expect(log.offsetForTimestamp(1000 + 10 * 99)).toEqual({ offset: 57, timestamp: 99_999 });
    expect(log.offsetForTimestamp(1000 + 10 * 56)).toEqual({ offset: 56, timestamp: 1560 });
    expect(log.offsetForTimestamp(5000)).toEqual({ offset: 57, timestamp: 99_999 });
    expect(log.offsetForTimestamp(100_000)).toBeNull();
    expect(log.maxTimestampEntry()).toEqual({ offset: 57, timestamp: 99_999 });
    await m.close();
  });
});

describe('deleteRecordsBefore and truncation', () => {
  test('deleteRecordsBefore moves the start, deletes segments and is checkpointed', async () => {
    const dir = tmpDir();
    let m = await openManager(dir, { segmentBytes: 2000, fileDeleteDelayMs: 0 });
    let log = m.createLog('t', 1);
    for (let i = 0; i < 30; i++) log.append(makeBatch(2, { valueSize: 200 }), { leaderEpoch: 0, assignOffsets: true });
    const segsBefore = log.segmentList().length;
    await log.deleteRecordsBefore(25);
    expect(log.logStartOffset).toBe(25);
    expect(log.segmentList().length).toBeLessThan(segsBefore);
    expect(log.segmentList()[0].baseOffset).toBeLessThanOrEqual(25);
    expect(() => log.read(24, 1000, { minOneBatch: true })).toThrow(expect.objectContaining({ code: ErrorCode.OFFSET_OUT_OF_RANGE }));
    const r = decodeChunks(log.read(25, 1000, { minOneBatch: true }).chunks);
    expect(r.some((x) => x.offset === 25)).toBe(true);
    expect(() => log.deleteRecordsBefore(61)).toThrow(expect.objectContaining({ code: ErrorCode.OFFSET_OUT_OF_RANGE }));
    const cp = fs.readFileSync(path.join(dir, 'log-start-offset-checkpoint'), 'utf8');
    expect(cp).toBe('0\n1\nt 1 25\n');
    await m.close();
    m = await openManager(dir);
    log = m.getLog('t', 1)!;
    expect(log.logStartOffset).toBe(25);
    expect(() => log.read(20, 1000, { minOneBatch: true })).toThrow(KafkaError);
    await m.close();
  });

  test('truncateTo drops the tail (across segments) and offsets are reused', async () => {
    const dir = tmpDir();
    const m = await openManager(dir, { segmentBytes: 1500 });
    const log = m.createLog('t', 0);
    for (let i = 0; i < 20; i++) log.append(makeBatch(2, { tag: `e${i < 10 ? 1 : 2}`, valueSize: 150 }), { leaderEpoch: i < 10 ? 1 : 2, assignOffsets: true });
    expect(log.leaderEpochCache.all).toEqual([{ epoch: 1, startOffset: 0 }, { epoch: 2, startOffset: 20 }]);
    log.truncateTo(13);
    // 13 is mid-batch [12,13]: the whole batch goes.
    expect(log.logEndOffset).toBe(12);
    expect(log.leaderEpochCache.all).toEqual([{ epoch: 1, startOffset: 0 }]);
    const res = log.append(makeBatch(2, { tag: 'new' }), { leaderEpoch: 3, assignOffsets: true });
    expect(res.firstOffset).toBe(12);
    const recs = readAll(log);
    expect(recs.map((r) => r.offset)).toEqual(Array.from({ length: 14 }, (_, i) => i));
    expect(recs[12].value).toBe('new-0');
    log.truncateFullyAndStartAt(100);
    expect(log.logStartOffset).toBe(100);
    expect(log.logEndOffset).toBe(100);
    expect(log.append(makeBatch(1), { leaderEpoch: 4, assignOffsets: true }).firstOffset).toBe(100);
    await m.close();
  });
});

describe('durability', () => {
  test('waitForDurable with group commit, flush, and recovery point', async () => {
    const dir = tmpDir();
    const m = await openManager(dir, { flushMessages: 1 });
    const log = m.createLog('t', 0);
    const waits: Promise<void>[] = [];
    for (let i = 0; i < 200; i++) {
      const r = log.append(makeBatch(1), { leaderEpoch: 0, assignOffsets: true });
      waits.push(log.waitForDurable(r.lastOffset));
    }
    await Promise.all(waits);
    expect(log.recoveryPoint).toBe(200);
    await expect(log.waitForDurable(10)).resolves.toBeUndefined();
    await m.close();
  });

  test('default policy: waitForDurable still syncs on request; flush.ms timer', async () => {
    const m = await openManager(tmpDir(), { flushMs: 20 });
    const log = m.createLog('t', 0);
    log.append(makeBatch(3), { leaderEpoch: 0, assignOffsets: true });
    expect(log.recoveryPoint).toBe(0);
    await new Promise((r) => setTimeout(r, 100));
    expect(log.recoveryPoint).toBe(3);
    log.append(makeBatch(3), { leaderEpoch: 0, assignOffsets: true });
    await log.waitForDurable(5);
    expect(log.recoveryPoint).toBe(6);
    await m.close();
  });

  test('onAppend listeners fire', async () => {
    const m = await openManager(tmpDir());
    const log = m.createLog('t', 0);
    const seen: number[] = [];
    const off = log.onAppend((_l, r) => seen.push(r.lastOffset));
    log.append(makeBatch(2), { leaderEpoch: 0, assignOffsets: true });
    off();
    log.append(makeBatch(2), { leaderEpoch: 0, assignOffsets: true });
    expect(seen).toEqual([1]);
    await m.close();
  });
});

describe('manager', () => {
  test('create, place across dirs, delete, checkpoints on close', async () => {
    const d1 = tmpDir();
    const d2 = tmpDir();
    const logger = captureLogger();
    const m = new LogManager({ logDirs: [d1, d2], defaultConfig: config(), logger });
    await m.open();
    const a = m.createLog('a', 0);
    const b = m.createLog('a', 1);
    expect(path.dirname(a.dir)).not.toBe(path.dirname(b.dir));
    expect(m.createLog('a', 0)).toBe(a);
    a.append(makeBatch(2), { leaderEpoch: 0, assignOffsets: true });
    await m.deleteLog('a', 1);
    expect(m.getLog('a', 1)).toBeUndefined();
    expect(fs.readdirSync(path.dirname(b.dir)).filter((f) => f.startsWith('a-1'))).toEqual([]);
    await m.close();
    expect(fs.existsSync(path.join(d1, '.kafka_cleanshutdown'))).toBe(true);
    expect(fs.readFileSync(path.join(path.dirname(a.dir), 'recovery-point-offset-checkpoint'), 'utf8')).toBe('0\n1\na 0 2\n');
    expect(fs.readFileSync(path.join(a.dir, 'leader-epoch-checkpoint'), 'utf8')).toBe('0\n1\n0 0\n');
    const m2 = new LogManager({ logDirs: [d1, d2], defaultConfig: config(), logger });
    await m2.open();
    expect(fs.existsSync(path.join(d1, '.kafka_cleanshutdown'))).toBe(false);
    expect(m2.allLogs().map((l) => l.name)).toEqual(['a-0']);
    await m2.close();
  });

  test('fd pool caps open files across many partitions', async () => {
    const m = await openManager(tmpDir(), { segmentBytes: 600 }, { maxOpenFiles: 8 });
    const logs = Array.from({ length: 20 }, (_, i) => m.createLog('many', i));
    for (let round = 0; round < 5; round++) for (const l of logs) l.append(makeBatch(1, { valueSize: 400 }), { leaderEpoch: 0, assignOffsets: true });
    for (const l of logs) l.roll();
    await Promise.all(logs.map((l) => l.flush()));
    for (const l of logs) expect(decodeChunks(l.read(0, 1 << 20, { minOneBatch: true }).chunks).length).toBeGreaterThan(0);
    const env = logs[0].logEnv;
    expect(env.fdPool.openCount).toBeLessThanOrEqual(8 + 20); // cap for closed segments + pinned active ones
    await m.close();
  });
});
