import * as fs from 'fs';
import { cleanupTmp, makeBatch, openManager, tmpDir } from './__tests__/helpers';

afterEach(cleanupTmp);

const DAY = 24 * 3600 * 1000;

describe('retention', () => {
  test('by time: expired closed segments go, then the expired active one is rolled and goes too', async () => {
    let now = 10 * DAY;
    const m = await openManager(tmpDir(), { segmentBytes: 2000, retentionMs: DAY, fileDeleteDelayMs: 0 }, { now: () => now });
    const log = m.createLog('t', 0);
    // Old data (two days old) then fresh data.
    for (let i = 0; i < 10; i++) log.append(makeBatch(2, { valueSize: 300, timestamp: now - 2 * DAY }), { leaderEpoch: 0, assignOffsets: true });
    log.roll();
    const oldSegs = log.segmentList().length - 1;
    for (let i = 0; i < 10; i++) log.append(makeBatch(2, { valueSize: 300, timestamp: now }), { leaderEpoch: 0, assignOffsets: true });
    const freshStart = 20;
    m.runRetention();
    expect(log.logStartOffset).toBe(freshStart);
    expect(log.segmentList()[0].baseOffset).toBe(freshStart);
    const files = fs.readdirSync(log.dir).filter((f) => f.endsWith('.log'));
    expect(files.length).toBe(log.segmentList().length);
    expect(oldSegs).toBeGreaterThan(1);
    // Later everything expires, including the active segment: it is rolled and removed.
    now += 2 * DAY;
    m.runRetention();
    expect(log.logStartOffset).toBe(40);
    expect(log.logEndOffset).toBe(40);
    expect(log.segmentList().length).toBe(1);
    expect(log.segmentList()[0].size).toBe(0);
    expect(log.append(makeBatch(1, { timestamp: now }), { leaderEpoch: 0, assignOffsets: true }).firstOffset).toBe(40);
    await m.close();
  });

  test('by size, never past the high watermark, and not for compact-only logs', async () => {
    const m = await openManager(tmpDir(), { segmentBytes: 2000, retentionMs: -1, retentionBytes: 5000, fileDeleteDelayMs: 0 });
    const log = m.createLog('t', 0);
    for (let i = 0; i < 40; i++) log.append(makeBatch(2, { valueSize: 300 }), { leaderEpoch: 0, assignOffsets: true });
    const total = log.size;
    expect(total).toBeGreaterThan(10000);
    log.updateHighWatermark(log.segmentList()[2].baseOffset);
    m.runRetention();
    expect(log.segmentList()[0].baseOffset).toBe(log.segmentList()[0].baseOffset);
    // Only the two segments wholly below the high watermark could go.
    expect(log.logStartOffset).toBeLessThanOrEqual(log.segmentList()[0].baseOffset);
    const afterHw = log.size;
    expect(total - afterHw).toBeLessThanOrEqual(4000);
    log.updateHighWatermark(Infinity);
    m.runRetention();
    expect(log.size).toBeLessThanOrEqual(5000 + 2000);
    expect(log.size - log.segmentList()[0].size).toBeLessThan(5000);

    const c = m.createLog('c', 0, { cleanupPolicy: { compact: true, delete: false } });
    for (let i = 0; i < 40; i++) c.append(makeBatch(2, { valueSize: 300, keys: ['a', 'b'] }), { leaderEpoch: 0, assignOffsets: true });
    const before = c.size;
    m.runRetention();
    expect(c.size).toBe(before);
    await m.close();
  });

  test('the retention scheduler runs at the configured interval', async () => {
    const m = await openManager(tmpDir(), { segmentBytes: 1000, retentionBytes: 0, retentionMs: -1, fileDeleteDelayMs: 0 }, { retentionCheckIntervalMs: 20, cleanerEnabled: false });
    const log = m.createLog('t', 0);
    for (let i = 0; i < 10; i++) log.append(makeBatch(2, { valueSize: 300 }), { leaderEpoch: 0, assignOffsets: true });
    m.startBackgroundTasks();
    await new Promise((r) => setTimeout(r, 100));
    expect(log.segmentList().length).toBe(1);
    await m.close();
  });
});
