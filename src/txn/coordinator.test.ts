// The transaction coordinator's state machine on a fake clock, an in-memory __transaction_state and a marker
// writer the test controls: producer ids and epochs, the life of a transaction, fencing, CONCURRENT_TRANSACTIONS,
// timeouts, recovery of prepared transactions by a new coordinator, and id expiry.

import { FakeClock } from '../groupcoord/fake-clock';
import { ErrorCode, KafkaError } from '../wire/errors';
import { TransactionCoordinator, type TxnCoordinatorConfig, type TxnStateLog } from './coordinator';
import type { MarkerBatch } from './marker-channel';
import { decodeTxnKey, decodeTxnValue, encodeTxnKey, encodeTxnValue } from './txn-records';

const E = ErrorCode;

class MemoryTxnLog implements TxnStateLog {
  readonly records = new Map<number, { key: Buffer; value: Buffer | null }[]>();
  failWith: Error | null = null;
  /** When set, reads wait for it (a slow load). */
  gate: Promise<void> | null = null;
  async append(partition: number, key: Buffer, value: Buffer | null): Promise<void> {
    if (this.failWith) throw this.failWith;
    this.of(partition).push({ key, value });
  }
  async *read(partition: number): AsyncIterable<{ key: Buffer; value: Buffer | null }> {
    if (this.gate) await this.gate;
    for (const r of [...this.of(partition)]) yield r;
  }
  of(partition: number) {
    let l = this.records.get(partition);
    if (!l) this.records.set(partition, (l = []));
    return l;
  }
  /** States written for an id, in order. */
  states(id: string): string[] {
    const out: string[] = [];
    for (const l of this.records.values()) {
      for (const r of l) if (decodeTxnKey(r.key) === id) out.push(r.value === null ? 'tombstone' : decodeTxnValue(id, r.value).state);
    }
    return out;
  }
}

/** Marker writes complete at once unless `hold` is set; then they wait for release(). */
class FakeMarkers {
  readonly batches: MarkerBatch[] = [];
  hold = false;
  private held: (() => void)[] = [];
  async writeAll(batch: MarkerBatch, stillWanted: () => boolean): Promise<boolean> {
    this.batches.push(batch);
    if (this.hold) await new Promise<void>((r) => this.held.push(r));
    return stillWanted();
  }
  release(): void {
    this.hold = false;
    for (const r of this.held.splice(0)) r();
  }
}

const CONFIG: Partial<TxnCoordinatorConfig> = {
  numPartitions: 3,
  maxTimeoutMs: 60_000,
  abortTimedOutIntervalMs: 1_000,
  removeExpiredIntervalMs: 10_000,
  idExpirationMs: 100_000,
  completionWaitMs: 500,
};

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise<void>((r) => setImmediate(r));
}

async function harness(opts: { log?: MemoryTxnLog; clock?: FakeClock; firstId?: number; config?: Partial<TxnCoordinatorConfig> } = {}) {
  const log = opts.log ?? new MemoryTxnLog();
  const clock = opts.clock ?? new FakeClock();
  const markers = new FakeMarkers();
  let next = opts.firstId ?? 1000;
  const coord = new TransactionCoordinator({
    log,
    clock,
    markers,
    producerIds: { nextId: async () => next++ },
    offsetsPartitionFor: (g) => ({ topic: '__consumer_offsets', partition: g.length % 5 }),
    config: { ...CONFIG, ...opts.config },
  });
  coord.startup();
  for (let p = 0; p < coord.config.numPartitions; p++) await coord.onElection(p, 7);
  return { log, clock, markers, coord };
}

const TP = (topic: string, partition: number) => ({ topic, partition });

function init(coord: TransactionCoordinator, id: string, extra: Partial<{ transactionTimeoutMs: number; producerId: number; producerEpoch: number }> = {}) {
  return coord.initProducerId({ transactionalId: id, transactionTimeoutMs: 10_000, producerId: -1, producerEpoch: -1, ...extra });
}

describe('InitProducerId', () => {
  test('a new id gets a producer id at epoch 0; each new session bumps the epoch', async () => {
    const { coord, log } = await harness();
    expect(await init(coord, 'a')).toEqual({ errorCode: E.NONE, producerId: 1000, producerEpoch: 0 });
    expect(await init(coord, 'a')).toEqual({ errorCode: E.NONE, producerId: 1000, producerEpoch: 1 });
    expect(await init(coord, 'b')).toEqual({ errorCode: E.NONE, producerId: 1001, producerEpoch: 0 });
    expect(log.states('a')).toEqual(['Empty', 'Empty']);
    expect(coord.metadata('a')).toMatchObject({ state: 'Empty', timeoutMs: 10_000, producerEpoch: 1 });
  });

  test('the timeout is checked against transaction.max.timeout.ms', async () => {
    const { coord } = await harness();
    expect((await init(coord, 'a', { transactionTimeoutMs: 60_001 })).errorCode).toBe(E.INVALID_TRANSACTION_TIMEOUT);
    expect((await init(coord, 'a', { transactionTimeoutMs: 0 })).errorCode).toBe(E.INVALID_TRANSACTION_TIMEOUT);
  });

  test('KIP-360: the current epoch bumps, a retry of the last bump keeps it, anything else is fenced', async () => {
    const { coord } = await harness();
    await init(coord, 'a'); // epoch 0
    expect(await init(coord, 'a', { producerId: 1000, producerEpoch: 0 })).toMatchObject({ errorCode: E.NONE, producerEpoch: 1 });
    // The response was lost and the producer retries with epoch 0: it gets epoch 1 again.
    expect(await init(coord, 'a', { producerId: 1000, producerEpoch: 0 })).toMatchObject({ errorCode: E.NONE, producerEpoch: 1 });
    expect((await init(coord, 'a', { producerId: 1000, producerEpoch: 5 })).errorCode).toBe(E.PRODUCER_FENCED);
    expect((await init(coord, 'a', { producerId: 77, producerEpoch: 1 })).errorCode).toBe(E.PRODUCER_FENCED);
  });

  test('an exhausted epoch rotates to a new producer id', async () => {
    const { coord } = await harness();
    await init(coord, 'a');
    // Rather than 32k bumps, a coordinator loads a log whose last record has the epoch at its limit.
    const log = new MemoryTxnLog();
    const m = { ...coord.metadata('a')!, producerEpoch: 32766 };
    await log.append(coord.partitionFor('a'), encodeTxnKey('a'), encodeTxnValue(m));
    const h = await harness({ log, firstId: 5000 });
    expect(await init(h.coord, 'a')).toEqual({ errorCode: E.NONE, producerId: 5000, producerEpoch: 0 });
  });

  test('ids of partitions this coordinator does not own, or is still loading, are refused', async () => {
    const clock = new FakeClock();
    const log = new MemoryTxnLog();
    let open!: () => void;
    log.gate = new Promise<void>((r) => (open = r));
    const coord = new TransactionCoordinator({
      log,
      clock,
      markers: new FakeMarkers(),
      producerIds: { nextId: async () => 1 },
      offsetsPartitionFor: () => TP('__consumer_offsets', 0),
      config: CONFIG,
    });
    expect((await init(coord, 'a')).errorCode).toBe(E.COORDINATOR_NOT_AVAILABLE);
    coord.startup();
    expect((await init(coord, 'a')).errorCode).toBe(E.NOT_COORDINATOR);
    expect(coord.describe(['a'])[0]!.errorCode).toBe(E.NOT_COORDINATOR);
    const loading = coord.onElection(coord.partitionFor('a'), 1);
    expect((await init(coord, 'a')).errorCode).toBe(E.COORDINATOR_LOAD_IN_PROGRESS);
    open();
    await loading;
    expect((await init(coord, 'a')).errorCode).toBe(E.NONE);
  });
});

describe('a transaction', () => {
  test('commit: partitions join, Prepare/Complete are written around the markers', async () => {
    const { coord, log, markers } = await harness();
    const { producerId, producerEpoch } = await init(coord, 'a');
    expect(await coord.addPartitions('a', producerId, producerEpoch, [TP('t', 0)])).toBe(E.NONE);
    expect(await coord.addPartitions('a', producerId, producerEpoch, [TP('t', 0), TP('t', 1)])).toBe(E.NONE);
    // Already in the transaction: nothing is written.
    expect(await coord.addPartitions('a', producerId, producerEpoch, [TP('t', 1)])).toBe(E.NONE);
    expect(await coord.addOffsets('a', producerId, producerEpoch, 'grp')).toBe(E.NONE);
    expect(coord.metadata('a')!.state).toBe('Ongoing');
    expect(await coord.endTxn('a', producerId, producerEpoch, true)).toBe(E.NONE);
    await settle();
    expect(markers.batches).toEqual([
      {
        producerId,
        producerEpoch,
        coordinatorEpoch: 7,
        commit: true,
        partitions: [TP('t', 0), TP('t', 1), TP('__consumer_offsets', 3)],
      },
    ]);
    expect(log.states('a')).toEqual(['Empty', 'Ongoing', 'Ongoing', 'Ongoing', 'PrepareCommit', 'CompleteCommit']);
    expect(coord.metadata('a')).toMatchObject({ state: 'CompleteCommit', partitions: new Map() });
    // A retried commit succeeds; an abort of the committed transaction is refused.
    expect(await coord.endTxn('a', producerId, producerEpoch, true)).toBe(E.NONE);
    expect(await coord.endTxn('a', producerId, producerEpoch, false)).toBe(E.INVALID_TXN_STATE);
    // The next transaction starts fresh.
    expect(await coord.addPartitions('a', producerId, producerEpoch, [TP('u', 0)])).toBe(E.NONE);
    expect([...coord.metadata('a')!.partitions.values()]).toEqual([TP('u', 0)]);
  });

  test('abort writes ABORT markers; EndTxn without a transaction is INVALID_TXN_STATE', async () => {
    const { coord, markers, log } = await harness();
    const { producerId, producerEpoch } = await init(coord, 'a');
    expect(await coord.endTxn('a', producerId, producerEpoch, true)).toBe(E.INVALID_TXN_STATE);
    await coord.addPartitions('a', producerId, producerEpoch, [TP('t', 0)]);
    expect(await coord.endTxn('a', producerId, producerEpoch, false)).toBe(E.NONE);
    await settle();
    expect(markers.batches.map((b) => b.commit)).toEqual([false]);
    expect(log.states('a').slice(-2)).toEqual(['PrepareAbort', 'CompleteAbort']);
  });

  test('wrong producer id or epoch: INVALID_PRODUCER_ID_MAPPING, PRODUCER_FENCED', async () => {
    const { coord } = await harness();
    const { producerId, producerEpoch } = await init(coord, 'a');
    expect(await coord.addPartitions('zzz', producerId, producerEpoch, [TP('t', 0)])).toBe(E.INVALID_PRODUCER_ID_MAPPING);
    expect(await coord.addPartitions('a', producerId + 1, producerEpoch, [TP('t', 0)])).toBe(E.INVALID_PRODUCER_ID_MAPPING);
    expect(await coord.addPartitions('a', producerId, producerEpoch + 1, [TP('t', 0)])).toBe(E.PRODUCER_FENCED);
    expect(await coord.endTxn('a', producerId, producerEpoch - 1, true)).toBe(E.PRODUCER_FENCED);
  });

  test('while markers are being written, requests wait briefly, then get CONCURRENT_TRANSACTIONS', async () => {
    const { coord, markers, clock } = await harness();
    const { producerId, producerEpoch } = await init(coord, 'a');
    await coord.addPartitions('a', producerId, producerEpoch, [TP('t', 0)]);
    markers.hold = true;
    const ending = coord.endTxn('a', producerId, producerEpoch, true);
    await settle();
    expect(coord.metadata('a')!.state).toBe('PrepareCommit');
    clock.advance(500); // EndTxn's own wait for the markers runs out: it still succeeded (the commit is decided)
    expect(await ending).toBe(E.NONE);
    const adding = coord.addPartitions('a', producerId, producerEpoch, [TP('t', 1)]);
    await settle();
    clock.advance(500);
    expect(await adding).toBe(E.CONCURRENT_TRANSACTIONS);
    const retry = coord.endTxn('a', producerId, producerEpoch, true);
    await settle();
    clock.advance(500);
    expect(await retry).toBe(E.CONCURRENT_TRANSACTIONS);
    // Once the markers are written, a waiting request proceeds.
    const waiting = coord.addPartitions('a', producerId, producerEpoch, [TP('t', 1)]);
    await settle();
    markers.release();
    expect(await waiting).toBe(E.NONE);
    expect(coord.metadata('a')!.state).toBe('Ongoing');
  });

  test('a failed __transaction_state write changes nothing and maps to a coordinator error', async () => {
    const { coord, log } = await harness();
    const { producerId, producerEpoch } = await init(coord, 'a');
    log.failWith = new KafkaError(E.NOT_LEADER_OR_FOLLOWER);
    expect(await coord.addPartitions('a', producerId, producerEpoch, [TP('t', 0)])).toBe(E.NOT_COORDINATOR);
    log.failWith = new KafkaError(E.NOT_ENOUGH_REPLICAS);
    expect(await coord.addPartitions('a', producerId, producerEpoch, [TP('t', 0)])).toBe(E.COORDINATOR_NOT_AVAILABLE);
    expect(coord.metadata('a')!.state).toBe('Empty');
  });
});

describe('fencing and timeouts', () => {
  test('a new session aborts the open transaction under a bumped epoch; the old producer is fenced', async () => {
    const { coord, markers, log } = await harness();
    const old = await init(coord, 'a'); // epoch 0
    await coord.addPartitions('a', old.producerId, old.producerEpoch, [TP('t', 0)]);
    const fresh = await init(coord, 'a');
    expect(fresh).toEqual({ errorCode: E.NONE, producerId: old.producerId, producerEpoch: 2 });
    expect(markers.batches).toEqual([
      { producerId: old.producerId, producerEpoch: 1, coordinatorEpoch: 7, commit: false, partitions: [TP('t', 0)] },
    ]);
    expect(log.states('a')).toEqual(['Empty', 'Ongoing', 'PrepareAbort', 'CompleteAbort', 'Empty']);
    expect(await coord.endTxn('a', old.producerId, old.producerEpoch, true)).toBe(E.PRODUCER_FENCED);
    expect(await coord.addPartitions('a', old.producerId, old.producerEpoch, [TP('t', 0)])).toBe(E.PRODUCER_FENCED);
  });

  test('a new session whose fencing abort cannot finish in time gets CONCURRENT_TRANSACTIONS', async () => {
    const { coord, markers, clock } = await harness();
    const old = await init(coord, 'a');
    await coord.addPartitions('a', old.producerId, old.producerEpoch, [TP('t', 0)]);
    markers.hold = true;
    const second = init(coord, 'a');
    await settle();
    clock.advance(500);
    await settle();
    clock.advance(500);
    expect((await second).errorCode).toBe(E.CONCURRENT_TRANSACTIONS);
    markers.release();
    await settle();
    expect(await init(coord, 'a')).toMatchObject({ errorCode: E.NONE, producerEpoch: 2 });
  });

  test('a transaction open longer than its timeout is aborted with an epoch bump', async () => {
    const { coord, clock, markers } = await harness();
    const p = await init(coord, 'a', { transactionTimeoutMs: 3_000 });
    await coord.addPartitions('a', p.producerId, p.producerEpoch, [TP('t', 0)]);
    clock.advance(2_000);
    await settle();
    expect(coord.metadata('a')!.state).toBe('Ongoing');
    clock.advance(2_000);
    await settle();
    expect(markers.batches).toEqual([{ producerId: p.producerId, producerEpoch: 1, coordinatorEpoch: 7, commit: false, partitions: [TP('t', 0)] }]);
    expect(coord.metadata('a')).toMatchObject({ state: 'CompleteAbort', producerEpoch: 1 });
    expect(await coord.endTxn('a', p.producerId, p.producerEpoch, true)).toBe(E.PRODUCER_FENCED);
    // The expired producer is fenced for KIP-360 recovery too; a fresh session works.
    expect((await init(coord, 'a', { producerId: p.producerId, producerEpoch: p.producerEpoch })).errorCode).toBe(E.PRODUCER_FENCED);
    expect(await init(coord, 'a')).toMatchObject({ errorCode: E.NONE, producerEpoch: 2 });
  });
});

describe('recovery and expiry', () => {
  test('a new coordinator completes prepared transactions from the log and keeps open ones', async () => {
    const first = await harness();
    const a = await init(first.coord, 'a');
    await first.coord.addPartitions('a', a.producerId, a.producerEpoch, [TP('t', 0), TP('t', 1)]);
    const b = await init(first.coord, 'b');
    await first.coord.addPartitions('b', b.producerId, b.producerEpoch, [TP('t', 2)]);
    first.markers.hold = true;
    void first.coord.endTxn('a', a.producerId, a.producerEpoch, true);
    await settle();
    expect(first.log.states('a').at(-1)).toBe('PrepareCommit');
    first.coord.shutdown(); // the broker dies with the markers unwritten

    const second = await harness({ log: first.log, clock: first.clock });
    await settle();
    expect(second.markers.batches).toEqual([
      { producerId: a.producerId, producerEpoch: a.producerEpoch, coordinatorEpoch: 7, commit: true, partitions: [TP('t', 0), TP('t', 1)] },
    ]);
    expect(second.coord.metadata('a')!.state).toBe('CompleteCommit');
    expect(second.coord.metadata('b')).toMatchObject({ state: 'Ongoing', partitions: new Map([['t\u00002', TP('t', 2)]]) });
    // The producer of the open transaction carries on where it was.
    expect(await second.coord.endTxn('b', b.producerId, b.producerEpoch, false)).toBe(E.NONE);
  });

  test('resigning stops the markers and forgets the partition’s ids', async () => {
    const { coord, markers } = await harness();
    const a = await init(coord, 'a');
    await coord.addPartitions('a', a.producerId, a.producerEpoch, [TP('t', 0)]);
    markers.hold = true;
    const ending = coord.endTxn('a', a.producerId, a.producerEpoch, true);
    await settle();
    coord.onResignation(coord.partitionFor('a'));
    expect(await ending).toBe(E.NONE);
    markers.release();
    await settle();
    expect(coord.metadata('a')).toBeUndefined();
    expect((await init(coord, 'a')).errorCode).toBe(E.NOT_COORDINATOR);
  });

  test('idle ids expire with a tombstone; a reload does not bring them back', async () => {
    const { coord, clock, log } = await harness();
    const a = await init(coord, 'a');
    await coord.addPartitions('a', a.producerId, a.producerEpoch, [TP('t', 0)]);
    await init(coord, 'b');
    clock.advance(100_000);
    await settle();
    expect(coord.metadata('b')).toBeUndefined();
    expect(log.states('b').at(-1)).toBe('tombstone');
    // An id with a transaction in progress is aborted by its timeout, not expired.
    expect(coord.metadata('a')).toBeDefined();
    const h = await harness({ log, clock });
    expect(h.coord.metadata('b')).toBeUndefined();
  });
});

describe('introspection', () => {
  test('describe and list', async () => {
    const { coord, clock } = await harness();
    const a = await init(coord, 'a');
    await init(coord, 'b');
    clock.advance(10);
    await coord.addPartitions('a', a.producerId, a.producerEpoch, [TP('t', 0), TP('t', 1)]);
    const [da, dx] = coord.describe(['a', 'x']);
    expect(da).toMatchObject({ errorCode: E.NONE, state: 'Ongoing', producerId: a.producerId, timeoutMs: 10_000, partitions: [TP('t', 0), TP('t', 1)] });
    expect(dx!.errorCode).toBe(E.TRANSACTIONAL_ID_NOT_FOUND);
    expect(coord.list([], []).transactions.map((t) => t.transactionalId).sort()).toEqual(['a', 'b']);
    expect(coord.list(['Ongoing'], []).transactions.map((t) => t.transactionalId)).toEqual(['a']);
    expect(coord.list([], [a.producerId]).transactions.map((t) => t.transactionalId)).toEqual(['a']);
    clock.advance(100);
    expect(coord.list([], [], 50).transactions.map((t) => t.transactionalId)).toEqual(['a']);
    expect(coord.list([], [], 5_000).transactions).toEqual([]);
  });

  test('verifyPartition answers for the owner of the id only', async () => {
    const { coord } = await harness();
    const a = await init(coord, 'a');
    expect(coord.verifyPartition('a', a.producerId, a.producerEpoch, TP('t', 0))).toBe('no');
    await coord.addPartitions('a', a.producerId, a.producerEpoch, [TP('t', 0)]);
    expect(coord.verifyPartition('a', a.producerId, a.producerEpoch, TP('t', 0))).toBe('yes');
    expect(coord.verifyPartition('a', a.producerId, a.producerEpoch, TP('t', 1))).toBe('no');
    expect(coord.verifyPartition('a', a.producerId, a.producerEpoch + 1, TP('t', 0))).toBe('unknown');
    expect(coord.verifyPartition('nobody', 1, 0, TP('t', 0))).toBe('unknown');
  });
});
