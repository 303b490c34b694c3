// The transaction coordinator (KIP-98, transactions v1): it owns the transactional ids that hash to the
// __transaction_state partitions this broker leads, hands out producer ids and epochs for them, records which
// partitions each transaction touches, and drives every transaction to an end — writing PrepareCommit/PrepareAbort,
// having the COMMIT/ABORT markers written to every partition, then writing CompleteCommit/CompleteAbort.
//
// Every state change is written to __transaction_state before it takes effect in memory or is acknowledged; a
// coordinator that takes over a partition replays it and finishes what was prepared (markers are resent, which is
// harmless). Requests for one transactional id are serialised by a per-id lock; a request arriving while its
// transaction is completing first waits a little for the completion (the markers are local and fast on a single
// node) before answering CONCURRENT_TRANSACTIONS, which clients retry.
//
// Fencing: InitProducerId for an id with an open transaction bumps the epoch and aborts that transaction under
// the new epoch, so the old producer's next request fails with PRODUCER_FENCED (its data partitions see the bumped
// epoch in the ABORT marker and refuse its batches with INVALID_PRODUCER_EPOCH). Transactions left open longer
// than their timeout are aborted the same way.

import { type Clock, SystemClock, type TimerHandle } from '../groupcoord/clock';
import { partitionFor } from '../groupcoord/partition';
import { ErrorCode, KafkaError } from '../wire/errors';
import type { MarkerBatch } from './marker-channel';
import {
  NO_PRODUCER_EPOCH,
  NO_PRODUCER_ID,
  bumpedEpochs,
  copyMetadata,
  isEpochExhausted,
  isValidProducerId,
  type TopicPartition,
  type TxnMetadata,
  type TxnState,
  tpKey,
} from './txn-metadata';
import { decodeTxnKey, decodeTxnValue, encodeTxnKey, encodeTxnValue } from './txn-records';

/** __transaction_state as the coordinator sees it (the broker plugs in the partition logs; tests use memory). */
export interface TxnStateLog {
  /** Resolves once the record is as durable as an acks=all produce; rejects (preferably with a KafkaError) otherwise. */
  append(partition: number, key: Buffer, value: Buffer | null): Promise<void>;
  /** The partition's records from the start, in offset order. */
  read(partition: number): AsyncIterable<{ key: Buffer | null; value: Buffer | null }>;
}

export interface ProducerIdSource {
  nextId(): Promise<number>;
}

export interface MarkerWriter {
  writeAll(batch: MarkerBatch, stillWanted: () => boolean): Promise<boolean>;
}

export interface TxnCoordinatorConfig {
  /** transaction.state.log.num.partitions (the existing topic's count wins). */
  numPartitions: number;
  /** transaction.max.timeout.ms */
  maxTimeoutMs: number;
  /** transaction.abort.timed.out.transaction.cleanup.interval.ms */
  abortTimedOutIntervalMs: number;
  /** transactional.id.expiration.ms */
  idExpirationMs: number;
  /** transaction.remove.expired.transaction.cleanup.interval.ms */
  removeExpiredIntervalMs: number;
  /** How long a request waits for a completing transaction before answering CONCURRENT_TRANSACTIONS. */
  completionWaitMs: number;
}

export const DEFAULT_TXN_COORDINATOR_CONFIG: Readonly<TxnCoordinatorConfig> = Object.freeze({
  numPartitions: 50,
  maxTimeoutMs: 900_000,
  abortTimedOutIntervalMs: 10_000,
  idExpirationMs: 604_800_000,
  removeExpiredIntervalMs: 3_600_000,
  completionWaitMs: 5_000,
});

export interface TxnCoordinatorLogger {
  info(msg: string): void;
  warn(msg: string): void;
}

export interface TxnCoordinatorOptions {
  log: TxnStateLog;
  producerIds: ProducerIdSource;
  markers: MarkerWriter;
  /** The __consumer_offsets partition holding a group's offsets (AddOffsetsToTxn adds it to the transaction). */
  offsetsPartitionFor(groupId: string): TopicPartition;
  clock?: Clock;
  config?: Partial<TxnCoordinatorConfig>;
  logger?: TxnCoordinatorLogger;
}

export interface InitProducerIdResult {
  errorCode: number;
  producerId: number;
  producerEpoch: number;
}

export interface DescribedTransaction {
  errorCode: number;
  transactionalId: string;
  state: TxnState | '';
  timeoutMs: number;
  startTimeMs: number;
  producerId: number;
  producerEpoch: number;
  partitions: TopicPartition[];
}

export interface ListedTransaction {
  transactionalId: string;
  producerId: number;
  state: TxnState;
}

interface Entry {
  meta: TxnMetadata;
  readonly partition: number;
  /** Set while the transaction is prepared and its markers are being written. */
  completion: { promise: Promise<void>; resolve: () => void } | null;
}

type Ownership = { state: 'loading'; token: object; done: Promise<void> } | { state: 'active'; coordinatorEpoch: number };

const NO_LOGGER: TxnCoordinatorLogger = { info: () => {}, warn: () => {} };
const RETRY = 'retry' as const;

function failed(errorCode: number): InitProducerIdResult {
  return { errorCode, producerId: NO_PRODUCER_ID, producerEpoch: NO_PRODUCER_EPOCH };
}

/** Kafka's mapping of a failed __transaction_state append to what the client should do. */
function appendError(err: unknown): number {
  const code = err instanceof KafkaError ? err.code : ErrorCode.COORDINATOR_NOT_AVAILABLE;
  switch (code) {
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case ErrorCode.REQUEST_TIMED_OUT:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR;
    default:
      return ErrorCode.UNKNOWN_SERVER_ERROR;
  }
}

export class TransactionCoordinator {
  readonly config: TxnCoordinatorConfig;
  private readonly clock: Clock;
  private readonly logger: TxnCoordinatorLogger;
  private readonly txns = new Map<string, Entry>();
  private readonly partitions = new Map<number, Ownership>();
  private readonly locks = new Map<string, Promise<void>>();
  private readonly timers: TimerHandle[] = [];
  private active = false;

  constructor(private readonly opts: TxnCoordinatorOptions) {
    this.config = { ...DEFAULT_TXN_COORDINATOR_CONFIG, ...opts.config };
    if (this.config.numPartitions < 1) throw new Error('transaction.state.log.num.partitions must be at least 1');
    this.clock = opts.clock ?? new SystemClock();
    this.logger = opts.logger ?? NO_LOGGER;
  }

  // ---------------------------------------------------------------- lifecycle and ownership

  startup(): void {
    if (this.active) return;
    this.active = true;
    this.every(this.config.abortTimedOutIntervalMs, () => this.abortTimedOutTransactions());
    this.every(this.config.removeExpiredIntervalMs, () => this.expireTransactionalIds());
  }

  shutdown(): void {
    this.active = false;
    for (const p of [...this.partitions.keys()]) this.onResignation(p);
    for (const t of this.timers.splice(0)) this.clock.cancel(t);
  }

  private every(ms: number, fn: () => void): void {
    const slot = this.timers.length;
    const arm = () => {
      this.timers[slot] = this.clock.schedule(ms, () => {
        if (!this.active) return;
        arm();
        fn();
      });
    };
    arm();
  }

  partitionFor(transactionalId: string): number {
    return partitionFor(transactionalId, this.config.numPartitions);
  }

  /**
   * This broker leads __transaction_state `partition` at `coordinatorEpoch` (its leader epoch): load its
   * transactions and finish those that were prepared. Its ids answer COORDINATOR_LOAD_IN_PROGRESS meanwhile.
   */
  onElection(partition: number, coordinatorEpoch: number): Promise<void> {
    const cur = this.partitions.get(partition);
    if (cur?.state === 'loading') return cur.done;
    if (cur?.state === 'active') {
      if (cur.coordinatorEpoch === coordinatorEpoch) return Promise.resolve();
      // Re-elected at a newer epoch: reload so markers carry the new epoch.
      this.onResignation(partition);
    }
    const token = {};
    const done = this.load(partition, coordinatorEpoch, token);
    this.partitions.set(partition, { state: 'loading', token, done });
    return done;
  }

  private async load(partition: number, coordinatorEpoch: number, token: object): Promise<void> {
    const started = this.clock.now();
    const latest = new Map<string, Buffer | null>();
    try {
      for await (const rec of this.opts.log.read(partition)) {
        if (rec.key === null) continue;
        const id = decodeTxnKey(rec.key);
        if (id !== null) latest.set(id, rec.value);
      }
    } catch (err) {
      const cur = this.partitions.get(partition);
      if (cur?.state === 'loading' && cur.token === token) this.partitions.delete(partition);
      this.logger.warn(`__transaction_state-${partition}: load failed: ${String(err)}`);
      throw err;
    }
    const cur = this.partitions.get(partition);
    if (cur?.state !== 'loading' || cur.token !== token) return; // resigned while loading
    const loaded: Entry[] = [];
    for (const [id, value] of latest) {
      if (value === null) continue;
      const e: Entry = { meta: decodeTxnValue(id, value), partition, completion: null };
      if (e.meta.state === 'Dead') continue;
      this.txns.set(id, e);
      loaded.push(e);
    }
    this.partitions.set(partition, { state: 'active', coordinatorEpoch });
    const inDoubt = loaded.filter((e) => e.meta.state === 'PrepareCommit' || e.meta.state === 'PrepareAbort');
    for (const e of inDoubt) this.startCompletion(e);
    this.logger.info(
      `__transaction_state-${partition}: loaded ${loaded.length} transactional ids (${inDoubt.length} to complete) ` +
        `in ${this.clock.now() - started} ms`,
    );
  }

  /** This broker no longer leads the partition: forget its ids (their markers stop; the next leader resends). */
  onResignation(partition: number): void {
    this.partitions.delete(partition);
    for (const [id, e] of [...this.txns]) {
      if (e.partition !== partition) continue;
      this.txns.delete(id);
      e.completion?.resolve();
    }
  }

  ownsPartition(partition: number): boolean {
    return this.partitions.get(partition)?.state === 'active';
  }

  isLoading(partition: number): boolean {
    return this.partitions.get(partition)?.state === 'loading';
  }

  private coordinatorEpochOf(partition: number): number {
    const o = this.partitions.get(partition);
    return o?.state === 'active' ? o.coordinatorEpoch : -1;
  }

  private statusOf(transactionalId: string): number {
    if (!this.active) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const o = this.partitions.get(this.partitionFor(transactionalId));
    if (o === undefined) return ErrorCode.NOT_COORDINATOR;
    if (o.state === 'loading') return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
    return ErrorCode.NONE;
  }

  // ---------------------------------------------------------------- serialisation and persistence

  /** Runs fn with the id's lock held: one state change per transactional id at a time. */
  private async withLock<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(id) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const tail = prev.then(() => mine);
    this.locks.set(id, tail);
    await prev;
    try {
      return await fn();
    } finally {
      release();
      if (this.locks.get(id) === tail) this.locks.delete(id);
    }
  }

  /** Writes `next` for the entry and, once durable and still ours, makes it current. */
  private async persist(id: string, e: Entry, next: TxnMetadata): Promise<number> {
    const epoch = this.coordinatorEpochOf(e.partition);
    if (epoch < 0) return ErrorCode.NOT_COORDINATOR;
    try {
      await this.opts.log.append(e.partition, encodeTxnKey(id), encodeTxnValue(next));
    } catch (err) {
      this.logger.warn(`transactional id ${id}: writing ${next.state} failed: ${String(err)}`);
      return appendError(err);
    }
    if (this.coordinatorEpochOf(e.partition) !== epoch || this.txns.get(id) !== e) return ErrorCode.NOT_COORDINATOR;
    e.meta = next;
    return ErrorCode.NONE;
  }

  /** Waits (bounded) for a prepared transaction of the id to complete. */
  private async awaitCompletion(id: string): Promise<void> {
    const c = this.txns.get(id)?.completion;
    if (!c) return;
    let timer: TimerHandle | null = null;
    await Promise.race([c.promise, new Promise<void>((r) => (timer = this.clock.schedule(this.config.completionWaitMs, r)))]);
    if (timer) this.clock.cancel(timer);
  }

  // ---------------------------------------------------------------- InitProducerId

  async initProducerId(p: {
    transactionalId: string;
    transactionTimeoutMs: number;
    /** KIP-360: the producer's current id and epoch, or -1/-1. */
    producerId: number;
    producerEpoch: number;
  }): Promise<InitProducerIdResult> {
    const id = p.transactionalId;
    if (p.transactionTimeoutMs <= 0 || p.transactionTimeoutMs > this.config.maxTimeoutMs) {
      return failed(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    }
    const expected = p.producerId === NO_PRODUCER_ID ? null : { producerId: p.producerId, producerEpoch: p.producerEpoch };
    // A transaction that must finish first (completing, or aborted here to fence its producer) gets one wait.
    for (let attempt = 0; attempt < 2; attempt++) {
      await this.awaitCompletion(id);
      const r = await this.withLock(id, () => this.initLocked(id, p.transactionTimeoutMs, expected));
      if (r !== RETRY) return r;
    }
    return failed(ErrorCode.CONCURRENT_TRANSACTIONS);
  }

  private async initLocked(
    id: string,
    timeoutMs: number,
    expected: { producerId: number; producerEpoch: number } | null,
  ): Promise<InitProducerIdResult | typeof RETRY> {
    let status = this.statusOf(id);
    if (status !== ErrorCode.NONE) return failed(status);
    let e = this.txns.get(id);
    if (!e) {
      let producerId: number;
      try {
        producerId = await this.opts.producerIds.nextId();
      } catch (err) {
        this.logger.warn(`transactional id ${id}: no producer id available: ${String(err)}`);
        return failed(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
      }
      status = this.statusOf(id);
      if (status !== ErrorCode.NONE) return failed(status);
      e = this.txns.get(id) ?? {
        meta: {
          transactionalId: id,
          producerId,
          previousProducerId: NO_PRODUCER_ID,
          producerEpoch: NO_PRODUCER_EPOCH,
          lastProducerEpoch: NO_PRODUCER_EPOCH,
          timeoutMs,
          state: 'Empty',
          partitions: new Map(),
          txnStartTimestamp: -1,
          txnLastUpdateTimestamp: this.clock.now(),
        },
        partition: this.partitionFor(id),
        completion: null,
      };
      this.txns.set(id, e);
    }
    const m = e.meta;
    if (expected && !isValidProducerId(m, expected)) return failed(ErrorCode.PRODUCER_FENCED);
    switch (m.state) {
      case 'PrepareCommit':
      case 'PrepareAbort':
        return RETRY;
      case 'Ongoing': {
        // A new session of the id: the open transaction is aborted under a bumped epoch, then the caller retries.
        const code = await this.fenceAndAbort(id, e, 'a new producer with the same transactional id');
        return code === ErrorCode.NONE ? RETRY : failed(code);
      }
      case 'Empty':
      case 'CompleteCommit':
      case 'CompleteAbort': {
        const next = copyMetadata(m);
        if (isEpochExhausted(m.producerEpoch)) {
          // No epoch left: continue under a new producer id (the old one is remembered for retries).
          let producerId: number;
          try {
            producerId = await this.opts.producerIds.nextId();
          } catch {
            return failed(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
          }
          next.previousProducerId = m.producerId;
          next.producerId = producerId;
          next.producerEpoch = 0;
          next.lastProducerEpoch = expected ? m.producerEpoch : NO_PRODUCER_EPOCH;
        } else {
          const epochs = bumpedEpochs(m, expected ? expected.producerEpoch : null);
          if (epochs === 'fenced') return failed(ErrorCode.PRODUCER_FENCED);
          next.producerEpoch = epochs.producerEpoch;
          next.lastProducerEpoch = epochs.lastProducerEpoch;
        }
        next.state = 'Empty';
        next.partitions = new Map();
        next.txnStartTimestamp = -1;
        next.timeoutMs = timeoutMs;
        next.txnLastUpdateTimestamp = this.clock.now();
        const code = await this.persist(id, e, next);
        if (code !== ErrorCode.NONE) return failed(code);
        return { errorCode: ErrorCode.NONE, producerId: next.producerId, producerEpoch: next.producerEpoch };
      }
      default:
        return failed(ErrorCode.CONCURRENT_TRANSACTIONS);
    }
  }

  // ---------------------------------------------------------------- AddPartitionsToTxn, AddOffsetsToTxn

  /** Adds partitions to the producer's transaction, starting one if none is open. */
  async addPartitions(id: string, producerId: number, producerEpoch: number, partitions: readonly TopicPartition[]): Promise<number> {
    await this.awaitCompletion(id);
    return this.withLock(id, async () => {
      const status = this.statusOf(id);
      if (status !== ErrorCode.NONE) return status;
      const e = this.txns.get(id);
      if (!e || e.meta.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
      const m = e.meta;
      if (m.producerEpoch !== producerEpoch) return ErrorCode.PRODUCER_FENCED;
      if (m.state !== 'Empty' && m.state !== 'Ongoing' && m.state !== 'CompleteCommit' && m.state !== 'CompleteAbort') {
        return ErrorCode.CONCURRENT_TRANSACTIONS;
      }
      if (m.state === 'Ongoing' && partitions.every((tp) => m.partitions.has(tpKey(tp)))) return ErrorCode.NONE;
      const now = this.clock.now();
      const next = copyMetadata(m);
      for (const tp of partitions) next.partitions.set(tpKey(tp), { topic: tp.topic, partition: tp.partition });
      if (m.state !== 'Ongoing') next.txnStartTimestamp = now;
      next.state = 'Ongoing';
      next.txnLastUpdateTimestamp = now;
      return this.persist(id, e, next);
    });
  }

  /** The group's __consumer_offsets partition joins the transaction, so the commit marker reaches its offsets. */
  addOffsets(id: string, producerId: number, producerEpoch: number, groupId: string): Promise<number> {
    return this.addPartitions(id, producerId, producerEpoch, [this.opts.offsetsPartitionFor(groupId)]);
  }

  // ---------------------------------------------------------------- EndTxn

  /**
   * Commits or aborts the producer's transaction. Answers once the decision is durable (Prepare*); waits a while
   * for the markers too, so that a client's next step rarely meets CONCURRENT_TRANSACTIONS.
   */
  async endTxn(id: string, producerId: number, producerEpoch: number, commit: boolean): Promise<number> {
    await this.awaitCompletion(id);
    const code = await this.withLock(id, async () => {
      const status = this.statusOf(id);
      if (status !== ErrorCode.NONE) return status;
      const e = this.txns.get(id);
      if (!e || e.meta.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
      const m = e.meta;
      if (m.producerEpoch !== producerEpoch) return ErrorCode.PRODUCER_FENCED;
      switch (m.state) {
        case 'Ongoing':
          return this.prepareEnd(id, e, m, commit);
        case 'CompleteCommit':
          return commit ? ErrorCode.NONE : ErrorCode.INVALID_TXN_STATE; // a retry of a finished commit
        case 'CompleteAbort':
          return commit ? ErrorCode.INVALID_TXN_STATE : ErrorCode.NONE;
        case 'PrepareCommit':
          return commit ? ErrorCode.CONCURRENT_TRANSACTIONS : ErrorCode.INVALID_TXN_STATE;
        case 'PrepareAbort':
          return commit ? ErrorCode.INVALID_TXN_STATE : ErrorCode.CONCURRENT_TRANSACTIONS;
        case 'Empty':
          return ErrorCode.INVALID_TXN_STATE;
        default:
          return ErrorCode.CONCURRENT_TRANSACTIONS;
      }
    });
    if (code === ErrorCode.NONE) await this.awaitCompletion(id);
    return code;
  }

  /** Writes Prepare* (from `base`, which may carry a fencing epoch bump) and starts the markers. Lock held. */
  private async prepareEnd(id: string, e: Entry, base: TxnMetadata, commit: boolean): Promise<number> {
    const next = copyMetadata(base);
    next.state = commit ? 'PrepareCommit' : 'PrepareAbort';
    next.txnLastUpdateTimestamp = this.clock.now();
    const code = await this.persist(id, e, next);
    if (code === ErrorCode.NONE) this.startCompletion(e);
    return code;
  }

  /** Bumps the epoch (fencing the current producer) and aborts the open transaction under it. Lock held. */
  private fenceAndAbort(id: string, e: Entry, why: string): Promise<number> {
    const m = e.meta;
    const fenced = copyMetadata(m);
    // With the epoch exhausted the abort goes out at the same epoch (Kafka does the same).
    if (!isEpochExhausted(m.producerEpoch)) fenced.producerEpoch = m.producerEpoch + 1;
    this.logger.info(
      `transactional id ${id}: aborting the transaction of producer ${m.producerId} epoch ${m.producerEpoch} ` +
        `(fenced at epoch ${fenced.producerEpoch}: ${why})`,
    );
    return this.prepareEnd(id, e, fenced, false);
  }

  /** Sends the markers of a prepared transaction, then writes Complete*. */
  private startCompletion(e: Entry): void {
    const prepared = e.meta;
    const id = prepared.transactionalId;
    const coordinatorEpoch = this.coordinatorEpochOf(e.partition);
    if (!e.completion) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      e.completion = { promise, resolve };
    }
    const stillWanted = () => this.txns.get(id) === e && e.meta === prepared && this.coordinatorEpochOf(e.partition) === coordinatorEpoch;
    const batch: MarkerBatch = {
      producerId: prepared.producerId,
      producerEpoch: prepared.producerEpoch,
      coordinatorEpoch,
      commit: prepared.state === 'PrepareCommit',
      partitions: [...prepared.partitions.values()],
    };
    void this.opts.markers
      .writeAll(batch, stillWanted)
      .then((written) => (written ? this.complete(id, e, prepared) : undefined))
      .catch((err: unknown) => this.logger.warn(`transactional id ${id}: completing failed: ${String(err)}`))
      .finally(() => {
        if (e.meta !== prepared || this.txns.get(id) !== e) {
          e.completion?.resolve();
          e.completion = null;
        }
      });
  }

  /** Writes Complete* after the markers; retried while the partition is still ours. */
  private async complete(id: string, e: Entry, prepared: TxnMetadata): Promise<void> {
    for (let delay = 100; ; delay = Math.min(delay * 2, 2000)) {
      const code = await this.withLock(id, async () => {
        if (e.meta !== prepared || this.txns.get(id) !== e) return ErrorCode.NONE;
        const next = copyMetadata(prepared);
        next.state = prepared.state === 'PrepareCommit' ? 'CompleteCommit' : 'CompleteAbort';
        next.partitions = new Map();
        next.txnLastUpdateTimestamp = this.clock.now();
        return this.persist(id, e, next);
      });
      if (code === ErrorCode.NONE || code === ErrorCode.NOT_COORDINATOR || !this.active) return;
      await new Promise<void>((r) => this.clock.schedule(delay, r));
    }
  }

  // ---------------------------------------------------------------- timeouts and expiry

  /** Aborts, under a bumped epoch, every transaction open for longer than its timeout. */
  abortTimedOutTransactions(): void {
    const now = this.clock.now();
    for (const [id, e] of this.txns) {
      const m = e.meta;
      if (!this.ownsPartition(e.partition) || m.state !== 'Ongoing' || m.txnStartTimestamp < 0) continue;
      if (m.txnStartTimestamp + m.timeoutMs >= now) continue;
      void this.withLock(id, async () => {
        if (this.txns.get(id) !== e || e.meta !== m) return ErrorCode.NONE; // moved on meanwhile
        return this.fenceAndAbort(id, e, `open for longer than its timeout of ${m.timeoutMs} ms`);
      }).catch((err: unknown) => this.logger.warn(`transactional id ${id}: timeout abort failed: ${String(err)}`));
    }
  }

  /** Removes ids idle for transactional.id.expiration.ms with no transaction in progress (a tombstone each). */
  expireTransactionalIds(): void {
    const now = this.clock.now();
    for (const [id, e] of this.txns) {
      const m = e.meta;
      if (!this.ownsPartition(e.partition)) continue;
      if (m.state !== 'Empty' && m.state !== 'CompleteCommit' && m.state !== 'CompleteAbort') continue;
      if (now - m.txnLastUpdateTimestamp < this.config.idExpirationMs) continue;
      void this.withLock(id, async () => {
        if (this.txns.get(id) !== e || e.meta !== m) return;
        try {
          await this.opts.log.append(e.partition, encodeTxnKey(id), null);
        } catch (err) {
          this.logger.warn(`transactional id ${id}: expiry tombstone failed: ${String(err)}`);
          return;
        }
        if (this.txns.get(id) === e && e.meta === m) this.txns.delete(id);
      });
    }
  }

  // ---------------------------------------------------------------- introspection

  /**
   * Whether the partition is in the producer's open transaction, for the produce path's check of a producer's
   * first transactional batch on a partition. 'unknown' when this coordinator cannot tell (not owner, loading).
   */
  verifyPartition(id: string, producerId: number, producerEpoch: number, tp: TopicPartition): 'yes' | 'no' | 'unknown' {
    if (this.statusOf(id) !== ErrorCode.NONE) return 'unknown';
    const m = this.txns.get(id)?.meta;
    if (!m || m.producerId !== producerId || m.producerEpoch !== producerEpoch) return 'unknown';
    return m.state === 'Ongoing' && m.partitions.has(tpKey(tp)) ? 'yes' : 'no';
  }

  describe(ids: readonly string[]): DescribedTransaction[] {
    return ids.map((transactionalId) => {
      const none: DescribedTransaction = {
        errorCode: ErrorCode.NONE,
        transactionalId,
        state: '',
        timeoutMs: 0,
        startTimeMs: -1,
        producerId: NO_PRODUCER_ID,
        producerEpoch: NO_PRODUCER_EPOCH,
        partitions: [],
      };
      const status = this.statusOf(transactionalId);
      if (status !== ErrorCode.NONE) return { ...none, errorCode: status };
      const m = this.txns.get(transactionalId)?.meta;
      if (!m) return { ...none, errorCode: ErrorCode.TRANSACTIONAL_ID_NOT_FOUND };
      return {
        errorCode: ErrorCode.NONE,
        transactionalId,
        state: m.state,
        timeoutMs: m.timeoutMs,
        startTimeMs: m.txnStartTimestamp,
        producerId: m.producerId,
        producerEpoch: m.producerEpoch,
        partitions: [...m.partitions.values()],
      };
    });
  }

  /** Ids of the loaded partitions, filtered by state names, producer ids and minimum running time (ms). */
  list(states: readonly string[], producerIds: readonly number[], minDurationMs = -1): { errorCode: number; transactions: ListedTransaction[] } {
    if (!this.active) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, transactions: [] };
    const now = this.clock.now();
    const transactions: ListedTransaction[] = [];
    for (const [transactionalId, e] of this.txns) {
      const m = e.meta;
      if (states.length > 0 && !states.includes(m.state)) continue;
      if (producerIds.length > 0 && !producerIds.includes(m.producerId)) continue;
      if (minDurationMs >= 0 && (m.state !== 'Ongoing' || now - m.txnStartTimestamp < minDurationMs)) continue;
      transactions.push({ transactionalId, producerId: m.producerId, state: m.state });
    }
    const loading = [...this.partitions.values()].some((p) => p.state === 'loading');
    return { errorCode: loading ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : ErrorCode.NONE, transactions };
  }

  /** A copy of an id's metadata (tests, metrics). */
  metadata(id: string): TxnMetadata | undefined {
    const m = this.txns.get(id)?.meta;
    return m ? copyMetadata(m) : undefined;
  }
}
