// Producer state against a real partition log: duplicates, gaps, epoch fencing, sequence wraparound, and
// rebuilding from the log (with and without snapshots, after truncation and restarts).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { cleanupTmp, openManager, tmpDir } from '../log/__tests__/helpers';
import type { LogManager } from '../log/log-manager';
import type { PartitionLog } from '../log/partition-log';
import { ErrorCode } from '../wire/errors';
import { batch } from '../wire/records/batch';
import { buildBatch } from '../wire/records/record';
import {
  ProducerBatch,
  ProducerStateManager,
  ProducerStateOptions,
  SequenceCheck,
  decodeSnapshot,
  decrementSequence,
  encodeSnapshot,
  incrementSequence,
} from './producer-state';

afterEach(cleanupTmp);

const INT32_MAX = 2147483647;
const T0 = 1_700_000_000_000;

interface Fixture {
  dir: string;
  manager: LogManager;
  log: PartitionLog;
  state: ProducerStateManager;
  clock: { now: number };
  opts: ProducerStateOptions;
  /** Checks and, when accepted, appends and records a batch: the replica manager's sequence of calls. */
  produce(pid: number, epoch: number, seq: number, count: number, opts?: { transactional?: boolean }): SequenceCheck & { offset?: number };
}

async function setup(dir = tmpDir(), segmentBytes?: number): Promise<Fixture> {
  const manager = await openManager(dir, segmentBytes ? { segmentBytes } : {});
  const log = manager.getLog('t', 0) ?? manager.createLog('t', 0);
  const clock = { now: T0 };
  const opts: ProducerStateOptions = { expirationMs: 60_000, expirationCheckIntervalMs: 1_000, now: () => clock.now };
  const state = ProducerStateManager.load(log, opts);
  const f: Fixture = {
    dir,
    manager,
    log,
    state,
    clock,
    opts,
    produce(pid, epoch, seq, count, o = {}) {
      const buf = idempotentBatch(pid, epoch, seq, count, clock.now, o.transactional);
      const info = headerInfo(buf);
      const check = f.state.check(info);
      if (check.kind !== 'append') return check;
      const appended = log.append(buf, { leaderEpoch: 0, assignOffsets: true });
      f.state.update(info, appended);
      return { ...check, offset: appended.firstOffset };
    },
  };
  return f;
}

function idempotentBatch(pid: number, epoch: number, seq: number, count: number, timestamp: number, transactional = false): Buffer {
  const records = Array.from({ length: count }, (_, i) => ({ key: null, value: `p${pid}-e${epoch}-s${seq + i}`, timestamp }));
  return buildBatch({ records, producerId: pid, producerEpoch: epoch, baseSequence: seq, transactional });
}

function headerInfo(buf: Buffer): ProducerBatch {
  return {
    producerId: batch.producerId(buf),
    producerEpoch: batch.producerEpoch(buf),
    baseSequence: batch.baseSequence(buf),
    lastOffsetDelta: batch.lastOffsetDelta(buf),
    isTransactional: batch.isTransactional(buf),
  };
}

function snapshots(dir: string): string[] {
  return fs.readdirSync(path.join(dir, 't-0')).filter((f) => f.endsWith('.snapshot')).sort();
}

describe('sequence arithmetic', () => {
  test('increment and decrement wrap at INT32_MAX', () => {
    expect(incrementSequence(5, 3)).toBe(8);
    expect(incrementSequence(INT32_MAX, 1)).toBe(0);
    expect(incrementSequence(INT32_MAX - 1, 3)).toBe(1);
    expect(decrementSequence(1, 3)).toBe(INT32_MAX - 1);
    expect(decrementSequence(0, 1)).toBe(INT32_MAX);
    expect(decrementSequence(10, 4)).toBe(6);
  });
});

describe('checks on append', () => {
  test('in-sequence batches are appended and remembered', async () => {
    const f = await setup();
    expect(f.produce(7, 0, 0, 3)).toMatchObject({ kind: 'append', offset: 0 });
    expect(f.produce(7, 0, 3, 2)).toMatchObject({ kind: 'append', offset: 3 });
    const e = f.state.entry(7)!;
    expect(e.epoch).toBe(0);
    expect(e.batches.map((b) => [b.firstSeq, b.lastSeq, b.firstOffset, b.lastOffset])).toEqual([
      [0, 2, 0, 2],
      [3, 4, 3, 4],
    ]);
    await f.manager.close();
  });

  test('a retried batch among the last five is a duplicate with its original offsets; older ones are out of order', async () => {
    const f = await setup();
    f.produce(1, 0, 0, 1); // offset 0, seq 0
    for (let i = 1; i <= 6; i++) f.produce(1, 0, i * 2 - 1, 2); // seqs 1-2, 3-4, ..., 11-12 at offsets 1..12
    expect(f.log.logEndOffset).toBe(13);
    const dup = f.produce(1, 0, 5, 2);
    expect(dup).toMatchObject({ kind: 'duplicate', batch: { firstSeq: 5, lastSeq: 6, firstOffset: 5, lastOffset: 6 } });
    expect(f.produce(1, 0, 11, 2)).toMatchObject({ kind: 'duplicate', batch: { firstOffset: 11 } });
    // Nothing was appended for the duplicates.
    expect(f.log.logEndOffset).toBe(13);
    // Seq 1-2 has left the five-batch window: no longer recognisable, and not the next sequence either.
    expect(f.produce(1, 0, 1, 2)).toMatchObject({ kind: 'error', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER });
    // A partial overlap is not a duplicate.
    expect(f.produce(1, 0, 5, 1)).toMatchObject({ kind: 'error', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER });
    await f.manager.close();
  });

  test('a gap is OUT_OF_ORDER_SEQUENCE_NUMBER and changes nothing', async () => {
    const f = await setup();
    f.produce(3, 0, 0, 5);
    expect(f.produce(3, 0, 6, 1)).toMatchObject({ kind: 'error', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER });
    expect(f.produce(3, 0, 5, 1)).toMatchObject({ kind: 'append', offset: 5 });
    await f.manager.close();
  });

  test('an older epoch is fenced; a newer epoch must restart at sequence 0', async () => {
    const f = await setup();
    f.produce(9, 2, 0, 3);
    expect(f.produce(9, 1, 3, 1)).toMatchObject({ kind: 'error', errorCode: ErrorCode.INVALID_PRODUCER_EPOCH });
    // Even a byte-identical retry from an old epoch is fenced, not reported as a duplicate.
    expect(f.produce(9, 1, 0, 3)).toMatchObject({ kind: 'error', errorCode: ErrorCode.INVALID_PRODUCER_EPOCH });
    expect(f.produce(9, 3, 3, 1)).toMatchObject({ kind: 'error', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER });
    expect(f.produce(9, 3, 0, 1)).toMatchObject({ kind: 'append' });
    const e = f.state.entry(9)!;
    expect(e.epoch).toBe(3);
    // The old epoch's batches are forgotten with it.
    expect(e.batches).toHaveLength(1);
    expect(f.produce(9, 2, 3, 1)).toMatchObject({ kind: 'error', errorCode: ErrorCode.INVALID_PRODUCER_EPOCH });
    await f.manager.close();
  });

  test('an unknown producer is accepted from any sequence (KIP-360), then held to it', async () => {
    const f = await setup();
    expect(f.produce(42, 5, 1000, 2)).toMatchObject({ kind: 'append' });
    expect(f.produce(42, 5, 1003, 1)).toMatchObject({ kind: 'error', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER });
    expect(f.produce(42, 5, 1002, 1)).toMatchObject({ kind: 'append' });
    await f.manager.close();
  });

  test('sequences wrap from INT32_MAX to 0', async () => {
    const f = await setup();
    expect(f.produce(5, 0, INT32_MAX - 2, 2)).toMatchObject({ kind: 'append' }); // MAX-2 .. MAX-1
    // A batch spanning the wrap: MAX, 0, 1.
    expect(f.produce(5, 0, INT32_MAX, 3)).toMatchObject({ kind: 'append' });
    expect(f.state.entry(5)!.batches[1]).toMatchObject({ firstSeq: INT32_MAX, lastSeq: 1 });
    expect(f.produce(5, 0, INT32_MAX, 3)).toMatchObject({ kind: 'duplicate', batch: { firstOffset: 2, lastOffset: 4 } });
    expect(f.produce(5, 0, 2, 1)).toMatchObject({ kind: 'append', offset: 5 });
    await f.manager.close();
  });

  test('non-idempotent batches pass untouched', async () => {
    const f = await setup();
    const buf = buildBatch({ records: [{ key: null, value: 'plain' }] });
    const info = headerInfo(buf);
    expect(f.state.check(info)).toEqual({ kind: 'append' });
    f.state.update(info, f.log.append(buf, { leaderEpoch: 0, assignOffsets: true }));
    expect(f.state.size).toBe(0);
    expect(f.state.endOffset).toBe(1);
    await f.manager.close();
  });

  test('a producer with an open transaction may not write outside it', async () => {
    const f = await setup();
    f.produce(11, 0, 0, 1, { transactional: true });
    expect(f.state.entry(11)!.currentTxnFirstOffset).toBe(0);
    expect(f.produce(11, 0, 1, 1)).toMatchObject({ kind: 'error', errorCode: ErrorCode.INVALID_TXN_STATE });
    expect(f.produce(11, 0, 1, 1, { transactional: true })).toMatchObject({ kind: 'append' });
    await f.manager.close();
  });

  test('idle producers expire after the expiration time, then count as unknown', async () => {
    const f = await setup();
    f.produce(1, 0, 0, 1);
    f.clock.now += 30_000;
    f.produce(2, 0, 0, 1);
    f.clock.now += 40_000; // producer 1 idle 70 s, producer 2 idle 40 s
    expect(f.produce(2, 0, 1, 1)).toMatchObject({ kind: 'append' });
    expect(f.state.entry(1)).toBeUndefined();
    expect(f.state.entry(2)).toBeDefined();
    // With its state gone, producer 1 is accepted wherever its sequence is.
    expect(f.produce(1, 0, 17, 1)).toMatchObject({ kind: 'append' });
    await f.manager.close();
  });

  test('producers outlive the deletion of their data', async () => {
    const f = await setup(tmpDir(), 300);
    f.produce(1, 0, 0, 2);
    for (let i = 0; i < 5; i++) f.produce(2, 0, i, 1);
    await f.log.deleteRecordsBefore(f.log.logEndOffset);
    expect(f.log.logStartOffset).toBe(7);
    // Producer 1's only batch is gone from the log; its sequence is still enforced.
    expect(f.produce(1, 0, 5, 1)).toMatchObject({ kind: 'error', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER });
    expect(f.produce(1, 0, 2, 1)).toMatchObject({ kind: 'append', offset: 7 });
    await f.manager.close();
  });
});

describe('rebuilding from the log', () => {
  test('without snapshots the whole log is replayed', async () => {
    const f = await setup();
    f.produce(1, 0, 0, 2);
    f.produce(2, 3, 0, 1);
    f.produce(1, 0, 2, 2);
    f.produce(2, 3, 1, 4);
    const rebuilt = ProducerStateManager.load(f.log, f.opts);
    expect(rebuilt.entry(1)).toEqual(f.state.entry(1));
    expect(rebuilt.entry(2)).toEqual(f.state.entry(2));
    expect(rebuilt.endOffset).toBe(9);
    await f.manager.close();
  });

  test('a follower records appended batches from the buffer it appended, as a replay of the log would', async () => {
    const leader = await setup();
    leader.produce(1, 0, 0, 2);
    leader.produce(2, 3, 0, 1);
    leader.produce(1, 0, 2, 2, { transactional: true });
    const follower = await setup(tmpDir());
    // The follower copies the leader's log in two appends, with its offsets, and records each from the buffer.
    for (const [from, to] of [[0, 3], [3, 5]] as const) {
      const r = leader.log.read(from, 1 << 20, { minOneBatch: true, maxOffset: to });
      const copy = Buffer.concat(r.chunks);
      const at = follower.log.logEndOffset;
      follower.log.append(copy, { leaderEpoch: -1, assignOffsets: false, cacheTail: false });
      follower.state.syncWithAppended(copy, at);
    }
    expect(follower.state.endOffset).toBe(5);
    const replayed = ProducerStateManager.load(leader.log, leader.opts);
    for (const pid of [1, 2]) {
      expect(follower.state.entry(pid)).toEqual(leader.state.entry(pid));
      expect(follower.state.entry(pid)).toEqual(replayed.entry(pid));
    }
    await leader.manager.close();
    await follower.manager.close();
  });

  test('truncation rebuilds the state to match the shorter log', async () => {
    const f = await setup();
    f.produce(1, 0, 0, 2); // 0-1
    f.produce(1, 0, 2, 2); // 2-3
    f.produce(1, 1, 0, 1); // 4 (new epoch)
    f.log.truncateTo(2);
    f.state.rebuild();
    expect(f.state.entry(1)).toMatchObject({ epoch: 0, batches: [{ firstSeq: 0, lastSeq: 1, firstOffset: 0, lastOffset: 1 }] });
    expect(f.produce(1, 0, 2, 2)).toMatchObject({ kind: 'append', offset: 2 });
    await f.manager.close();
  });

  test('a truncation the state was not told about is noticed on the next check', async () => {
    const f = await setup();
    f.produce(1, 0, 0, 2);
    f.produce(1, 0, 2, 2);
    f.log.truncateTo(2);
    expect(f.produce(1, 0, 2, 2)).toMatchObject({ kind: 'append', offset: 2 });
    await f.manager.close();
  });

  test('a clean close writes a snapshot at the log end that the next load uses', async () => {
    const dir = tmpDir();
    let f = await setup(dir);
    f.produce(1, 0, 0, 2);
    f.produce(4, 2, 7, 3);
    f.state.takeSnapshot(true);
    await f.manager.close();
    expect(snapshots(dir)).toEqual(['00000000000000000005.snapshot']);
    const entries = decodeSnapshot(fs.readFileSync(path.join(dir, 't-0', '00000000000000000005.snapshot')));
    expect(entries.map((e) => [e.producerId, e.epoch, e.batches[0]!.lastSeq, e.batches[0]!.lastOffset])).toEqual([
      [1, 0, 1, 1],
      [4, 2, 9, 4],
    ]);
    f = await setup(dir);
    expect(f.state.entry(4)).toMatchObject({ epoch: 2, batches: [{ firstSeq: 7, lastSeq: 9, firstOffset: 2, lastOffset: 4 }] });
    expect(f.produce(4, 2, 7, 3)).toMatchObject({ kind: 'duplicate', batch: { firstOffset: 2 } });
    expect(f.produce(4, 2, 10, 1)).toMatchObject({ kind: 'append', offset: 5 });
    await f.manager.close();
  });

  test('a snapshot keeps producers whose data retention removed', async () => {
    const dir = tmpDir();
    let f = await setup(dir, 300);
    f.produce(1, 0, 0, 1);
    for (let i = 0; i < 6; i++) f.produce(2, 0, i, 1);
    await f.log.deleteRecordsBefore(f.log.logEndOffset);
    f.state.takeSnapshot(true);
    await f.manager.close();
    f = await setup(dir, 300);
    expect(f.produce(1, 0, 3, 1)).toMatchObject({ kind: 'error', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER });
    expect(f.produce(1, 0, 1, 1)).toMatchObject({ kind: 'append' });
    await f.manager.close();
  });

  test('segment rolls write snapshots; a load after a crash replays only what follows the newest', async () => {
    const dir = tmpDir();
    const f = await setup(dir, 400);
    for (let i = 0; i < 20; i++) f.produce(1, 0, i * 2, 2);
    const segs = f.log.segmentList().map((s) => s.baseOffset);
    expect(segs.length).toBeGreaterThan(2);
    // Only the newest two roll snapshots are kept, at segment bases.
    const snaps = snapshots(dir).map((n) => Number(n.slice(0, 20)));
    expect(snaps).toEqual(segs.slice(-2));
    // The newest snapshot holds the state before the active segment's first batch.
    const newest = decodeSnapshot(fs.readFileSync(path.join(dir, 't-0', snapshots(dir)[1]!)));
    expect(newest[0]!.batches[0]!.lastOffset).toBe(segs[segs.length - 1]! - 1);
    // Reload without a clean-close snapshot (as after a crash): same state.
    const rebuilt = ProducerStateManager.load(f.log, f.opts);
    expect(rebuilt.entry(1)!.batches.at(-1)).toEqual(f.state.entry(1)!.batches.at(-1));
    expect(rebuilt.endOffset).toBe(40);
    await f.manager.close();
  });

  test('damaged and out-of-range snapshots are discarded', async () => {
    const dir = tmpDir();
    let f = await setup(dir);
    f.produce(1, 0, 0, 3); // offsets 0-2
    f.state.takeSnapshot(true); // at 3
    f.produce(1, 0, 3, 2); // offsets 3-4
    f.state.takeSnapshot(true); // at 5
    await f.manager.close();
    const t0 = path.join(dir, 't-0');
    expect(snapshots(dir)).toEqual(['00000000000000000003.snapshot', '00000000000000000005.snapshot']);
    // A torn newest snapshot, and one beyond the log end (left by a longer log).
    const newest = path.join(t0, '00000000000000000005.snapshot');
    const torn = fs.readFileSync(newest);
    torn[torn.length - 1]! ^= 0xff;
    fs.writeFileSync(newest, torn);
    fs.writeFileSync(path.join(t0, '00000000000000000099.snapshot'), encodeSnapshot([]));
    f = await setup(dir);
    expect(snapshots(dir)).toEqual(['00000000000000000003.snapshot']);
    // Loaded from the snapshot at 3, then replayed the batch at 3-4.
    expect(f.state.entry(1)!.batches.map((b) => [b.firstSeq, b.lastSeq, b.firstOffset])).toEqual([
      [0, 2, 0],
      [3, 4, 3],
    ]);
    expect(f.produce(1, 0, 3, 2)).toMatchObject({ kind: 'duplicate', batch: { firstOffset: 3 } });
    expect(f.produce(1, 0, 5, 1)).toMatchObject({ kind: 'append', offset: 5 });
    await f.manager.close();
  });

  test('snapshot encoding round-trips Kafka’s version-1 layout', () => {
    const entries = [
      { producerId: 123456789012, epoch: 7, batches: [{ firstSeq: INT32_MAX, lastSeq: 3, firstOffset: 96, lastOffset: 100, timestamp: T0 }], lastTimestamp: T0, coordinatorEpoch: -1, currentTxnFirstOffset: -1 },
      { producerId: 5, epoch: 0, batches: [], lastTimestamp: T0 + 1, coordinatorEpoch: 4, currentTxnFirstOffset: 50 },
    ];
    const buf = encodeSnapshot(entries);
    expect(buf.length).toBe(10 + 2 * 46);
    expect(buf.readInt16BE(0)).toBe(1);
    expect(decodeSnapshot(buf)).toEqual(entries);
  });
});
