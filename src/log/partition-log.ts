// The log of one partition: an ordered list of segments, the last one active. Appends patch offsets into the
// batches in place and write them with one pwrite into the page cache; reads find the segment by binary search and
// the position through the sparse index, or are served from the in-memory tail cache.
//
// Durability contract (Kafka's):
//  - By default an append returns once the bytes are in the OS page cache: they survive a crash of the process but
//    not of the machine. fsync happens when `flush.messages` records have been appended since the last one, when
//    `flush.ms` has passed since the first unflushed append, when a segment rolls (the old segment: log and indexes),
//    and on clean close. Both default to Long.MAX, i.e. never: like Kafka, durability comes from replication.
//  - waitForDurable(offset) resolves once every offset <= `offset` is fsynced; it starts a sync if none is due.
//    With flush.messages=1 each append triggers one. Syncs are group commits: one fdatasync runs at a time, off the
//    event loop, and every append made while it runs is covered by the next one, so many producers waiting share one
//    fdatasync and throughput stays high.
//  - The recovery point (everything below it is fsynced) is checkpointed; after an unclean shutdown everything from
//    the segment holding it onward is re-validated batch by batch and a torn tail is cut off.

import * as fs from 'fs';
import * as path from 'path';
import { ErrorCode, KafkaError } from '../wire/errors';
import {
  BATCH_OVERHEAD,
  LOG_OVERHEAD,
  Off,
  isBatchCrcValid,
  readInt64,
  setBaseOffset,
  setLogAppendTime,
  setPartitionLeaderEpoch,
} from '../wire/records/batch';
import { fsyncDir } from './checkpoint';
import { LogConfig } from './config';
import { LeaderEpochCache } from './leader-epoch';
import { describeTruncation, recoverSegment } from './recovery';
import { FdPool, MemLru } from './resources';
import {
  CLEANED_SUFFIX,
  DELETED_SUFFIX,
  INDEX_SUFFIX,
  INT32_MAX,
  LOG_SUFFIX,
  LogSegment,
  Logger,
  SWAP_SUFFIX,
  SegmentEnv,
  TIME_INDEX_SUFFIX,
  segmentIndexFor,
  segmentName,
} from './segment';
import { PartitionTail, TailCache } from './tail-cache';
import { findRecordAtOrAfter, findRecordWithTimestamp } from './timestamps';

export interface AppendOptions {
  leaderEpoch: number;
  /** true for leader appends (offsets assigned from the log end); false for replicated data (offsets kept). */
  assignOffsets: boolean;
  /** When set, batches become LogAppendTime with this timestamp. */
  logAppendTime?: number;
  /**
   * Check each batch's CRC before writing. Defaults to !assignOffsets: leader appends come through the produce
   * validator (which checks it), replicated data does not.
   */
  verifyCrc?: boolean;
  /**
   * Keep the appended batches in the tail cache for readers at the log end (default true). Followers pass false:
   * replicas fetch from leaders, and consumers only with a rack-aware replica selector (KIP-392), which then read
   * a follower's log from the files; replicated batches are views into whole fetch responses, which would pin
   * those and crowd the leaders' data out of the shared budget.
   */
  cacheTail?: boolean;
}

export interface AppendResult {
  firstOffset: number;
  lastOffset: number;
  maxTimestamp: number;
  /** The LogAppendTime used, -1 when batches keep their CreateTime. */
  logAppendTime: number;
  recordCount: number;
}

export interface ReadOptions {
  /** Return the first batch whole even when larger than maxBytes (Kafka's rule for the first partition). */
  minOneBatch: boolean;
  /** Exclusive upper bound (the high watermark for consumers): no batch reaching it is returned. */
  maxOffset?: number;
}

export interface ReadResult {
  chunks: Buffer[];
  size: number;
}

export interface TimestampOffset {
  offset: number;
  timestamp: number;
}

/** Shared services the log manager provides to every log. */
export interface LogEnv {
  fdPool: FdPool;
  indexLru: MemLru;
  tailCache: TailCache;
  logger: Logger;
  now(): number;
  /** Removes files after `delayMs` (file.delete.delay.ms: in-flight readers of renamed files finish first). */
  deleteLater(paths: string[], delayMs: number): void;
  /** The log start offset moved: the manager persists its checkpoint; resolves when durable. */
  logStartOffsetChanged(log: PartitionLog): Promise<void>;
}

export interface LoadOptions {
  hadCleanShutdown: boolean;
  recoveryPoint: number;
  logStartOffset: number;
}

const EMPTY: ReadResult = Object.freeze({ chunks: [], size: 0 }) as ReadResult;

type AppendListener = (log: PartitionLog, result: AppendResult) => void;

/**
 * What the log cleaner needs to know about transactions, supplied by the partition that owns the log: nothing at
 * or above the last stable offset may be compacted (a transaction there is undecided), and records of aborted
 * transactions must neither supersede other records nor survive compaction.
 */
export interface LogTxnView {
  lastStableOffset(): number;
  /** Aborted transactions whose marker is at or after `from` and that start before `to`. */
  abortedOverlapping(from: number, to: number): readonly { producerId: number; firstOffset: number; lastOffset: number }[];
}

interface DurableWaiter {
  offset: number;
  resolve: () => void;
  reject: (e: unknown) => void;
}

function corrupt(msg: string): KafkaError {
  return new KafkaError(ErrorCode.CORRUPT_MESSAGE, msg);
}

export class PartitionLog {
  private segments: LogSegment[] = [];
  private _logStartOffset = 0;
  private _logEndOffset = 0;
  /** Every offset below this is fsynced (log data); checkpointed as the recovery point. */
  private _recoveryPoint = 0;
  private readonly segEnv: SegmentEnv;
  private readonly tail: PartitionTail;
  readonly leaderEpochCache: LeaderEpochCache;
  private readonly listeners = new Set<AppendListener>();

  // Flush / group commit state.
  private unflushedMessages = 0;
  private flushTimer: NodeJS.Timeout | null = null;
  private readonly unflushedClosed: LogSegment[] = [];
  private dirDirty = false;
  private syncing = false;
  private syncQueued = false;
  private fullFlushRequested = false;
  private waiters: DurableWaiter[] = [];
  private fullWaiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  /** Lowest offset the log was truncated to while a sync was in flight (the sync must not vouch above it). */
  private truncatedDuringSync = Infinity;

  /** Bumped when segments are removed or truncated (not on roll): the cleaner aborts a swap when it changed. */
  segmentsVersion = 0;
  /** Upper bound for retention and compaction (the replica manager sets the high watermark; default unbounded). */
  private highWatermark = Infinity;
  /** Start of the uncleaned section (cleaner-offset-checkpoint). */
  firstDirtyOffset = 0;
  /** Bytes re-validated batch by batch when the log was loaded after an unclean shutdown (0 after a clean one). */
  recoveredBytes = 0;
  /** Transactions of the partition, for the cleaner (null: no transactional view, as in log-only tests). */
  txnView: LogTxnView | null = null;
  /** Set after an I/O failure: the log refuses appends (Kafka takes the log dir offline). */
  failed: Error | null = null;
  closed = false;

  private constructor(
    readonly dir: string,
    readonly topic: string,
    readonly partition: number,
    private _config: LogConfig,
    private readonly env: LogEnv,
  ) {
    this.segEnv = {
      fdPool: env.fdPool,
      indexLru: env.indexLru,
      logger: env.logger,
      name: `${topic}-${partition}`,
      indexIntervalBytes: () => this._config.indexIntervalBytes,
    };
    this.tail = env.tailCache.forPartition();
    this.leaderEpochCache = new LeaderEpochCache(dir);
  }

  get name(): string {
    return `${this.topic}-${this.partition}`;
  }
  get logStartOffset(): number {
    return this._logStartOffset;
  }
  /** The next offset to assign. */
  get logEndOffset(): number {
    return this._logEndOffset;
  }
  get recoveryPoint(): number {
    return this._recoveryPoint;
  }
  get config(): Readonly<LogConfig> {
    return this._config;
  }
  private get active(): LogSegment {
    return this.segments[this.segments.length - 1];
  }

  updateConfig(partial: Partial<LogConfig>): void {
    this._config = {
      ...this._config,
      ...partial,
      cleanupPolicy: { ...(partial.cleanupPolicy ?? this._config.cleanupPolicy) },
    };
  }

  /** The replica manager's high watermark: retention and compaction never go past it. */
  updateHighWatermark(hw: number): void {
    this.highWatermark = hw;
  }

  /** What retention and the cleaner may touch: below the high watermark, if one was set. */
  get stableEnd(): number {
    return Math.min(this.highWatermark, this._logEndOffset);
  }

  // ------------------------------------------------------------------------------------------------------------
  // Creation and loading

  /** A brand-new empty log (directory created). */
  static create(dir: string, topic: string, partition: number, config: LogConfig, env: LogEnv, startOffset = 0): PartitionLog {
    fs.mkdirSync(dir, { recursive: true });
    const log = new PartitionLog(dir, topic, partition, config, env);
    log.segments.push(LogSegment.create(dir, startOffset, log.segEnv, env.now()));
    log._logStartOffset = startOffset;
    log._logEndOffset = startOffset;
    log._recoveryPoint = startOffset;
    log.dirDirty = true;
    return log;
  }

  /** Loads an existing partition directory, completing interrupted swaps and recovering after a crash. */
  static async load(dir: string, topic: string, partition: number, config: LogConfig, env: LogEnv, opts: LoadOptions): Promise<PartitionLog> {
    const log = new PartitionLog(dir, topic, partition, config, env);
    await log.loadSegments(opts);
    return log;
  }

  private async loadSegments(opts: LoadOptions): Promise<void> {
    const logger = this.env.logger;
    const now = this.env.now();
    this.leaderEpochCache.load((e) => logger.warn(`${this.name}: ignoring unreadable leader-epoch-checkpoint: ${String(e)}`));

    // Leftovers of interrupted operations: deletions and unfinished cleaning are discarded; swaps are completed.
    const bases = new Set<number>();
    const swaps: string[] = [];
    for (const f of fs.readdirSync(this.dir)) {
      const full = path.join(this.dir, f);
      if (f.endsWith(DELETED_SUFFIX) || f.endsWith(CLEANED_SUFFIX) || f.endsWith('.tmp')) {
        fs.rmSync(full, { force: true });
      } else if (f.endsWith(LOG_SUFFIX + SWAP_SUFFIX)) {
        swaps.push(f);
      } else if (f.endsWith(LOG_SUFFIX)) {
        const base = Number(f.slice(0, -LOG_SUFFIX.length));
        if (Number.isInteger(base) && base >= 0) bases.add(base);
      }
    }
    for (const f of fs.readdirSync(this.dir)) {
      // Index swaps without their log swap belong to a swap that never got to rename the log: discard.
      if ((f.endsWith(INDEX_SUFFIX + SWAP_SUFFIX) || f.endsWith(TIME_INDEX_SUFFIX + SWAP_SUFFIX)) &&
          !swaps.includes(f.slice(0, f.indexOf('.')) + LOG_SUFFIX + SWAP_SUFFIX)) {
        fs.rmSync(path.join(this.dir, f), { force: true });
      }
    }
    for (const f of swaps.sort()) this.completeSwap(f, bases);
    // Index files whose log is gone are orphans.
    for (const f of fs.readdirSync(this.dir)) {
      for (const suffix of [INDEX_SUFFIX, TIME_INDEX_SUFFIX]) {
        if (f.endsWith(suffix)) {
          const base = Number(f.slice(0, -suffix.length));
          if (Number.isInteger(base) && !bases.has(base)) fs.rmSync(path.join(this.dir, f), { force: true });
        }
      }
    }

    const sorted = [...bases].sort((a, b) => a - b);
    for (const base of sorted) {
      const { seg, indexesSuspect } = LogSegment.open(this.dir, base, this.segEnv, now);
      if (indexesSuspect) {
        logger.warn(`${this.name}: index files of segment ${segmentName(base)} missing or of invalid size: rebuilding`);
        seg.rebuildIndexes();
      }
      this.segments.push(seg);
    }
    if (this.segments.length === 0) {
      const start = Math.max(opts.logStartOffset, 0);
      this.segments.push(LogSegment.create(this.dir, start, this.segEnv, now));
      this.dirDirty = true;
    }

    let recoveredFrom = -1;
    if (!opts.hadCleanShutdown) {
      // Re-validate from the segment holding the recovery point onward.
      let first = segmentIndexFor(this.segments, opts.recoveryPoint);
      if (first < 0) first = 0;
      recoveredFrom = first;
      let minOffset = this.segments[first].baseOffset;
      for (let i = first; i < this.segments.length; i++) {
        const seg = this.segments[i];
        const r = recoverSegment(seg, minOffset, this._config.indexIntervalBytes, this.leaderEpochCache.latestEpoch);
        for (const e of r.epochs) this.leaderEpochCache.assign(e.epoch, e.startOffset);
        this.recoveredBytes += seg.size;
        minOffset = r.nextOffset;
        if (r.problem) {
          logger.warn(describeTruncation(this.name, seg, r));
          const dropped = this.segments.splice(i + 1);
          for (const d of dropped) {
            logger.warn(
              `${this.name}: deleting segment ${segmentName(d.baseOffset)} (${d.size} bytes) after the truncated one`,
            );
            for (const p of d.markDeleted()) fs.rmSync(p, { force: true });
          }
          break;
        }
        // Yield between segments so a long recovery does not starve timers of other work.
        if (i + 1 < this.segments.length) await new Promise((r) => setImmediate(r));
      }
    }

    const active = this.active;
    active.activate();
    if (opts.hadCleanShutdown) {
      // Sanity check after a clean shutdown: the tail walk must end exactly at the end of the file.
      const end = active.loadTail();
      if (end !== active.size) {
        const r = recoverSegment(active, active.baseOffset, this._config.indexIntervalBytes, this.leaderEpochCache.latestEpoch);
        logger.warn(describeTruncation(this.name, active, r));
        for (const e of r.epochs) this.leaderEpochCache.assign(e.epoch, e.startOffset);
      }
    }
    this._logEndOffset = active.nextOffset;
    this._logStartOffset = Math.max(opts.logStartOffset, this.segments[0].baseOffset);
    this.leaderEpochCache.truncateFromEnd(this._logEndOffset);
    if (this._logStartOffset > this._logEndOffset) {
      // The recovered log ends before its checkpointed start (its tail was lost): start over there, like Kafka.
      this.truncateFullyAndStartAt(this._logStartOffset);
    } else {
      this.leaderEpochCache.truncateFromStart(this._logStartOffset);
    }

    if (opts.hadCleanShutdown) {
      this._recoveryPoint = this._logEndOffset;
    } else {
      // Recovered data may be in the page cache only: flush it so the recovery point can advance.
      this._recoveryPoint = Math.min(opts.recoveryPoint, this._logEndOffset);
      for (let i = Math.max(recoveredFrom, 0); i < this.segments.length - 1; i++) {
        this.segments[i].needsFlush = true;
        this.unflushedClosed.push(this.segments[i]);
      }
      if (this._recoveryPoint < this._logEndOffset || this.unflushedClosed.length) this.kickSync(true);
    }
  }

  /**
   * Finishes a swap interrupted by a crash: the `.swap` segment replaces every segment whose base offset lies in
   * its offset range (they are the segments it was cleaned from; any that are already gone were renamed away).
   */
  private completeSwap(file: string, bases: Set<number>): void {
    const base = Number(file.slice(0, file.indexOf('.')));
    const swapPath = path.join(this.dir, file);
    const next = scanNextOffset(swapPath, base);
    for (const b of [...bases]) {
      if (b >= base && b < Math.max(next, base + 1)) {
        const name = segmentName(b);
        for (const s of [LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX]) fs.rmSync(path.join(this.dir, name + s), { force: true });
        bases.delete(b);
      }
    }
    const name = segmentName(base);
    for (const s of [INDEX_SUFFIX, TIME_INDEX_SUFFIX, LOG_SUFFIX]) {
      const from = path.join(this.dir, name + s + SWAP_SUFFIX);
      if (fs.existsSync(from)) fs.renameSync(from, path.join(this.dir, name + s));
    }
    bases.add(base);
    this.env.logger.info(`${this.name}: completed interrupted segment swap at ${name} (offsets ${base}..${next - 1})`);
  }

  // ------------------------------------------------------------------------------------------------------------
  // Append

  /**
   * Appends whole v2 batches. Leader appends (assignOffsets) get consecutive offsets from the log end, patched into
   * the batch headers in place along with the leader epoch (and LogAppendTime when given); replicated appends keep
   * their offsets, which must be above the log end. Synchronous: the data is in the page cache on return. The
   * buffer belongs to the log afterwards (it may be served to readers from memory): do not modify or reuse it.
   */
  append(records: Buffer, opts: AppendOptions): AppendResult {
    if (this.closed) throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `log ${this.name} is closed`);
    if (this.failed) throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `log ${this.name} is offline: ${this.failed.message}`);
    const len = records.length;
    if (len === 0) return { firstOffset: -1, lastOffset: -1, maxTimestamp: -1, logAppendTime: -1, recordCount: 0 };
    const cfg = this._config;
    if (len > cfg.segmentBytes) {
      throw new KafkaError(
        ErrorCode.RECORD_LIST_TOO_LARGE,
        `record set of ${len} bytes exceeds segment.bytes ${cfg.segmentBytes} of ${this.name}`,
      );
    }
    const verifyCrc = opts.verifyCrc ?? !opts.assignOffsets;
    const appendTime = opts.logAppendTime;

    // One pass validates framing and patches headers. A failure leaves the buffer partly patched but nothing is
    // written, and the caller gets an error for the whole set.
    let next = this._logEndOffset;
    let firstOffset = -1;
    let maxTimestamp = -1;
    let recordCount = 0;
    let batches = 0;
    let pos = 0;
    while (pos < len) {
      if (pos + BATCH_OVERHEAD > len) throw corrupt(`truncated batch header at ${pos} of ${len} bytes`);
      const size = LOG_OVERHEAD + records.readInt32BE(pos + Off.batchLength);
      if (size < BATCH_OVERHEAD || pos + size > len) throw corrupt(`batch of ${size} bytes at ${pos} does not fit in ${len}`);
      const magic = records.readInt8(pos + Off.magic);
      if (magic !== 2) throw new KafkaError(ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT, `record batch magic ${magic}`);
      if (opts.assignOffsets && size > cfg.maxMessageBytes) {
        throw new KafkaError(ErrorCode.MESSAGE_TOO_LARGE, `batch of ${size} bytes exceeds max.message.bytes ${cfg.maxMessageBytes}`);
      }
      if (verifyCrc && !isBatchCrcValid(records, pos)) throw corrupt(`CRC mismatch in batch at ${pos}`);
      const delta = records.readInt32BE(pos + Off.lastOffsetDelta);
      if (delta < 0) throw corrupt(`negative lastOffsetDelta ${delta}`);
      let base: number;
      if (opts.assignOffsets) {
        base = next;
        setBaseOffset(records, pos, base);
        setPartitionLeaderEpoch(records, pos, opts.leaderEpoch);
        if (appendTime !== undefined) setLogAppendTime(records, pos, appendTime);
      } else {
        base = readInt64(records, pos);
        if (base < next) {
          throw new KafkaError(
            ErrorCode.UNKNOWN_SERVER_ERROR,
            `out-of-order append to ${this.name}: batch base offset ${base} is below the next offset ${next}`,
          );
        }
      }
      if (firstOffset < 0) firstOffset = base;
      next = base + delta + 1;
      const ts = readInt64(records, pos + Off.maxTimestamp);
      if (ts > maxTimestamp) maxTimestamp = ts;
      recordCount += records.readInt32BE(pos + Off.recordCount);
      batches++;
      pos += size;
    }
    const lastOffset = next - 1;

    const now = this.env.now();
    if (this.shouldRoll(len, maxTimestamp, lastOffset, now)) this.roll(firstOffset);
    const seg = this.active;
    try {
      seg.append(records, now);
    } catch (e) {
      this.fail(e as Error);
      throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `write to ${this.name} failed: ${(e as Error).message}`);
    }
    this._logEndOffset = next;

    // Leader epochs: leaders stamp theirs; followers learn them from the batches they copy.
    if (opts.assignOffsets) {
      if (opts.leaderEpoch > this.leaderEpochCache.latestEpoch) this.leaderEpochCache.assign(opts.leaderEpoch, firstOffset);
    } else {
      for (let p = 0; p < len; p += LOG_OVERHEAD + records.readInt32BE(p + Off.batchLength)) {
        const epoch = records.readInt32BE(p + Off.partitionLeaderEpoch);
        if (epoch > this.leaderEpochCache.latestEpoch) this.leaderEpochCache.assign(epoch, readInt64(records, p));
      }
    }

    // Tail cache: the buffers themselves, per batch. What it holds must stay a suffix of the log, so an append that
    // is not cached empties it.
    if (opts.cacheTail === false) this.tail.clear();
    else if (batches === 1) this.tail.add(firstOffset, lastOffset, records);
    else {
      for (let p = 0; p < len; ) {
        const size = LOG_OVERHEAD + records.readInt32BE(p + Off.batchLength);
        const b = readInt64(records, p);
        this.tail.add(b, b + records.readInt32BE(p + Off.lastOffsetDelta), records.subarray(p, p + size));
        p += size;
      }
    }

    // Flush policy.
    this.unflushedMessages += recordCount;
    if (this.unflushedMessages >= cfg.flushMessages) this.kickSync(false);
    else if (cfg.flushMs < 1e15 && !this.flushTimer) {
      this.flushTimer = setTimeout(() => {
        this.flushTimer = null;
        if (!this.closed) this.kickSync(false);
      }, cfg.flushMs);
      this.flushTimer.unref();
    }

    const result: AppendResult = {
      firstOffset,
      lastOffset,
      maxTimestamp: appendTime ?? maxTimestamp,
      logAppendTime: appendTime ?? -1,
      recordCount,
    };
    for (const l of this.listeners) {
      try {
        l(this, result);
      } catch (e) {
        this.env.logger.error(`${this.name}: append listener failed: ${String(e)}`);
      }
    }
    return result;
  }

  /** The latest leader epoch in the cache (-1 when none). */
  get latestEpoch(): number {
    return this.leaderEpochCache.latestEpoch;
  }

  /** OffsetsForLeaderEpoch: the largest epoch <= `epoch` and where it ends ({-1, -1} when unknown). */
  endOffsetForEpoch(epoch: number): { epoch: number; endOffset: number } {
    return this.leaderEpochCache.endOffsetFor(epoch, this._logEndOffset);
  }

  /** Registers a listener called after every append (e.g. to complete waiting fetches). Returns an unsubscriber. */
  onAppend(listener: AppendListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private shouldRoll(size: number, maxTimestampInSet: number, lastOffset: number, now: number): boolean {
    const seg = this.active;
    const cfg = this._config;
    if (lastOffset - seg.baseOffset > INT32_MAX) return true; // relative offsets must fit in int32
    if (seg.size === 0) return false;
    if (seg.size + size > cfg.segmentBytes) return true;
    if (seg.indexFull(cfg.segmentIndexBytes)) return true;
    // Kafka measures segment age by record timestamps (first batch's to the new set's), falling back to wall time.
    const waited = seg.firstBatchTimestamp >= 0 && maxTimestampInSet >= 0
      ? maxTimestampInSet - seg.firstBatchTimestamp
      : now - seg.created;
    return waited > cfg.segmentMs;
  }

  /** Starts a new active segment at `baseOffset` (the next append's first offset); the old one is flushed. */
  roll(baseOffset = this._logEndOffset): void {
    const old = this.active;
    if (old.size === 0) {
      if (old.baseOffset === baseOffset) return;
      // An empty active segment at another offset (a follower's gap): replace it rather than keep it.
      this.segments.pop();
      this.env.deleteLater(old.markDeleted(), 0);
    } else {
      old.deactivate();
      this.unflushedClosed.push(old);
    }
    this.tail.clear();
    const seg = LogSegment.create(this.dir, baseOffset, this.segEnv, this.env.now());
    this.segments.push(seg);
    this.dirDirty = true;
    if (old.size > 0) this.kickSync(false); // fsync the rolled segment (log and indexes), off the event loop
  }

  // ------------------------------------------------------------------------------------------------------------
  // Durability

  /** Resolves once every offset <= `offset` is fsynced; starts a sync when needed (group commit). */
  waitForDurable(offset: number): Promise<void> {
    if (offset < this._recoveryPoint) return Promise.resolve();
    if (this.failed) return Promise.reject(new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, this.failed.message));
    return new Promise((resolve, reject) => {
      this.waiters.push({ offset, resolve, reject });
      this.kickSync(false);
    });
  }

  /**
   * fdatasync, on the calling thread, of the log data of every segment that may hold unsynced bytes, and of the
   * directory when `syncDir` (files were created or renamed: a roll, a truncation). For the KRaft metadata log,
   * whose consensus core must see a write durable before it answers the next message. Index flushing and the
   * recovery point stay with the asynchronous path: recovery re-validates whatever lies past the recovery point.
   */
  flushSync(syncDir = this.dirDirty): void {
    if (this.failed) throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `log ${this.name} is offline: ${this.failed.message}`);
    try {
      for (const seg of [...this.unflushedClosed, this.active]) {
        if (seg.deleted) continue;
        const fd = seg.file.pin();
        try {
          fs.fdatasyncSync(fd);
        } finally {
          seg.file.unpin();
        }
      }
      if (syncDir) {
        const fd = fs.openSync(this.dir, 'r');
        try {
          fs.fsyncSync(fd);
        } catch {
          // Some file systems refuse fsync on directories; renames are still atomic there.
        } finally {
          fs.closeSync(fd);
        }
      }
    } catch (e) {
      this.fail(e as Error);
      throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `sync of ${this.name} failed: ${(e as Error).message}`);
    }
  }

  /** Writes indexes and fsyncs everything appended so far (log and indexes of all unflushed segments). */
  flush(): Promise<void> {
    if (this.closed && !this.syncing) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.fullWaiters.push({ resolve, reject });
      this.kickSync(true);
    });
  }

  private kickSync(full: boolean): void {
    if (full) this.fullFlushRequested = true;
    if (this.syncing) {
      this.syncQueued = true;
      return;
    }
    void this.runSyncs();
  }

  private async runSyncs(): Promise<void> {
    this.syncing = true;
    try {
      do {
        this.syncQueued = false;
        const full = this.fullFlushRequested;
        this.fullFlushRequested = false;
        const fullWaiters = full ? this.fullWaiters.splice(0) : [];
        const target = this._logEndOffset;
        const closedSegs = this.unflushedClosed.splice(0);
        const active = this.active;
        const dirSync = this.dirDirty;
        this.dirDirty = false;
        this.unflushedMessages = 0;
        if (this.flushTimer) {
          clearTimeout(this.flushTimer);
          this.flushTimer = null;
        }
        this.truncatedDuringSync = Infinity;
        try {
          const work: Promise<void>[] = closedSegs.map((s) => s.flush());
          work.push(full ? active.flush() : active.syncLog());
          if (dirSync) work.push(fsyncDir(this.dir));
          work.push(this.leaderEpochCache.flushed());
          await Promise.all(work);
        } catch (e) {
          this.fail(e as Error);
          for (const w of fullWaiters) w.reject(new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, (e as Error).message));
          return;
        }
        const durable = Math.min(target, this.truncatedDuringSync, this._logEndOffset);
        if (durable > this._recoveryPoint) this._recoveryPoint = durable;
        this.resolveWaiters();
        for (const w of fullWaiters) w.resolve();
      } while (this.syncQueued || this.fullFlushRequested || this.waiters.length > 0);
    } finally {
      this.syncing = false;
    }
  }

  private resolveWaiters(): void {
    if (this.waiters.length === 0) return;
    const rp = this._recoveryPoint;
    const still: DurableWaiter[] = [];
    for (const w of this.waiters) {
      if (w.offset < rp) w.resolve();
      else still.push(w);
    }
    this.waiters = still;
  }

  private fail(e: Error): void {
    if (!this.failed) {
      this.failed = e;
      this.env.logger.error(`${this.name}: storage failure, log taken offline: ${e.message}`);
    }
    const err = new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, e.message);
    for (const w of this.waiters.splice(0)) w.reject(err);
    for (const w of this.fullWaiters.splice(0)) w.reject(err);
  }

  // ------------------------------------------------------------------------------------------------------------
  // Reads

  /**
   * Whole batches starting with the one holding fetchOffset (it may begin before fetchOffset: clients skip the
   * records below), up to maxBytes; with minOneBatch the first batch is returned whole even when larger. Throws
   * KafkaError(OFFSET_OUT_OF_RANGE) outside [logStartOffset, logEndOffset].
   */
  read(fetchOffset: number, maxBytes: number, opts: ReadOptions): ReadResult {
    if (fetchOffset < this._logStartOffset || fetchOffset > this._logEndOffset) {
      throw new KafkaError(
        ErrorCode.OFFSET_OUT_OF_RANGE,
        `offset ${fetchOffset} is out of range for ${this.name} [${this._logStartOffset}, ${this._logEndOffset}]`,
      );
    }
    const maxOffset = opts.maxOffset ?? Infinity;
    if (fetchOffset >= this._logEndOffset || fetchOffset >= maxOffset) return EMPTY;
    const cached = this.tail.read(fetchOffset, maxBytes, opts.minOneBatch, maxOffset);
    if (cached) return cached;
    let i = segmentIndexFor(this.segments, fetchOffset);
    if (i < 0) i = 0;
    for (; i < this.segments.length; i++) {
      const r = this.segments[i].read(fetchOffset, maxBytes, opts.minOneBatch, maxOffset);
      if (r) return r;
    }
    return EMPTY;
  }

  /**
   * The first record with timestamp >= ts, via each segment's largest timestamp and time index (ListOffsets).
   * Null when no record is that recent.
   */
  offsetForTimestamp(ts: number): TimestampOffset | null {
    for (const seg of this.segments) {
      if (seg.maxTimestamp < ts) continue;
      const from = Math.max(seg.timeIndex().lookup(ts), this._logStartOffset);
      const start = seg.findBatch(from);
      if (!start) continue;
      let found: TimestampOffset | null = null;
      seg.scanHeaders(start.position, (h) => {
        if (h.maxTimestamp < ts || h.lastOffset < this._logStartOffset) return true;
        const buf = seg.readBytes(h.position, h.size);
        found = findRecordWithTimestamp(buf, ts, this._logStartOffset);
        return found === null;
      });
      if (found) return found;
    }
    return null;
  }

  /** The record with the largest timestamp (ListOffsets MAX_TIMESTAMP), earliest on ties; null when none. */
  maxTimestampEntry(): TimestampOffset | null {
    let best: LogSegment | null = null;
    for (const seg of this.segments) if (seg.maxTimestamp >= 0 && (!best || seg.maxTimestamp > best.maxTimestamp)) best = seg;
    if (!best) return null;
    const h = best.findBatch(best.offsetOfMaxTimestamp);
    if (h) {
      const rec = findRecordAtOrAfter(best.readBytes(h.position, h.size), best.maxTimestamp);
      if (rec) return rec;
    }
    return { offset: best.offsetOfMaxTimestamp, timestamp: best.maxTimestamp };
  }

  // ------------------------------------------------------------------------------------------------------------
  // Start offset, truncation, deletion

  /**
   * DeleteRecords: moves the log start offset up to `offset` and deletes the segments wholly below it. Resolves
   * once the log-start-offset checkpoint is durable. Throws OFFSET_OUT_OF_RANGE above the log end.
   */
  deleteRecordsBefore(offset: number): Promise<void> {
    if (offset > this._logEndOffset || offset < 0) {
      throw new KafkaError(ErrorCode.OFFSET_OUT_OF_RANGE, `offset ${offset} is beyond the log end ${this._logEndOffset} of ${this.name}`);
    }
    if (offset <= this._logStartOffset) return Promise.resolve();
    this.advanceLogStartOffset(offset);
    return this.env.logStartOffsetChanged(this);
  }

  /** Moves the start offset and removes segments whose successor starts at or below it. */
  advanceLogStartOffset(offset: number): void {
    if (offset <= this._logStartOffset) return;
    this._logStartOffset = offset;
    this.leaderEpochCache.truncateFromStart(offset);
    let n = 0;
    while (n + 1 < this.segments.length && this.segments[n + 1].baseOffset <= offset) n++;
    if (n > 0) this.deleteSegments(this.segments.slice(0, n), 'log start offset');
  }

  /** Removes closed segments from the head of the log (retention, deleteRecordsBefore). */
  deleteSegments(victims: LogSegment[], reason: string): void {
    if (victims.length === 0) return;
    const gone = new Set(victims);
    if (gone.has(this.active)) throw new Error('the active segment cannot be deleted');
    this.segments = this.segments.filter((s) => !gone.has(s));
    this.segmentsVersion++;
    for (const s of victims) {
      const i = this.unflushedClosed.indexOf(s);
      if (i >= 0) this.unflushedClosed.splice(i, 1);
      this.env.logger.info(
        `${this.name}: deleting segment ${segmentName(s.baseOffset)} (${s.size} bytes) by ${reason}`,
      );
      this.env.deleteLater(s.markDeleted(), this._config.fileDeleteDelayMs);
    }
    const first = this.segments[0].baseOffset;
    if (first > this._logStartOffset) {
      this._logStartOffset = first;
      this.leaderEpochCache.truncateFromStart(first);
    }
  }

  /** Removes everything at or above `offset` (a follower diverging from its leader). */
  truncateTo(offset: number): void {
    if (offset < 0) throw new KafkaError(ErrorCode.OFFSET_OUT_OF_RANGE, `cannot truncate ${this.name} to ${offset}`);
    if (offset >= this._logEndOffset) return;
    if (offset < this.segments[0].baseOffset) {
      this.truncateFullyAndStartAt(offset);
      return;
    }
    this.noteTruncation(offset);
    const keep = segmentIndexFor(this.segments, offset);
    const removed = this.segments.splice(keep + 1);
    for (const s of removed) {
      const i = this.unflushedClosed.indexOf(s);
      if (i >= 0) this.unflushedClosed.splice(i, 1);
      this.env.deleteLater(s.markDeleted(), 0);
    }
    const seg = this.active;
    if (removed.length > 0) {
      const i = this.unflushedClosed.indexOf(seg);
      if (i >= 0) this.unflushedClosed.splice(i, 1);
      seg.activate();
      this.tail.clear();
    }
    seg.truncateTo(offset);
    this._logEndOffset = seg.nextOffset;
    if (offset < this._logStartOffset) this._logStartOffset = offset;
    this.afterTruncation();
  }

  /** Deletes all data and restarts the log empty at `offset` (a follower whose leader's log starts past it). */
  truncateFullyAndStartAt(offset: number): void {
    this.noteTruncation(offset);
    const old = this.segments;
    this.segments = [];
    this.unflushedClosed.length = 0;
    for (const s of old) this.env.deleteLater(s.markDeleted(), 0);
    this.segments.push(LogSegment.create(this.dir, offset, this.segEnv, this.env.now()));
    this.dirDirty = true;
    this._logStartOffset = offset;
    this._logEndOffset = offset;
    this.tail.clear();
    this.leaderEpochCache.clear();
    this.afterTruncation();
    void this.env.logStartOffsetChanged(this).catch(() => undefined);
  }

  private noteTruncation(offset: number): void {
    this.segmentsVersion++;
    if (this.syncing) this.truncatedDuringSync = Math.min(this.truncatedDuringSync, offset);
  }

  private afterTruncation(): void {
    const leo = this._logEndOffset;
    this.tail.truncateFrom(leo);
    this.leaderEpochCache.truncateFromEnd(leo);
    if (this._recoveryPoint > leo) this._recoveryPoint = leo;
    if (this.firstDirtyOffset > leo) this.firstDirtyOffset = leo;
    const err = new KafkaError(ErrorCode.OFFSET_OUT_OF_RANGE, `offsets from ${leo} were truncated from ${this.name}`);
    this.waiters = this.waiters.filter((w) => {
      if (w.offset < leo) return true;
      w.reject(err);
      return false;
    });
  }

  // ------------------------------------------------------------------------------------------------------------
  // Introspection for retention and the cleaner (same package)

  /** The segments, oldest first (the last is active). Do not mutate. */
  segmentList(): readonly LogSegment[] {
    return this.segments;
  }

  get size(): number {
    let s = 0;
    for (const seg of this.segments) s += seg.size;
    return s;
  }

  get segmentEnv(): SegmentEnv {
    return this.segEnv;
  }

  get logEnv(): LogEnv {
    return this.env;
  }

  /**
   * Replaces the consecutive segments `old` by `replacement` (already renamed to its final name and opened), as the
   * last step of a cleaner swap. Returns false (and changes nothing) when the segments changed meanwhile.
   */
  replaceSegments(old: LogSegment[], replacement: LogSegment): boolean {
    const i = this.segments.indexOf(old[0]);
    if (i < 0) return false;
    for (let k = 0; k < old.length; k++) if (this.segments[i + k] !== old[k] || old[k] === this.active) return false;
    this.segments.splice(i, old.length, replacement);
    this.segmentsVersion++;
    return true;
  }

  /** Closes files (after a flush: see LogManager.close). */
  async close(): Promise<void> {
    if (this.closed) return;
    // Seal first so the flush makes the final time index entry durable along with everything else.
    if (!this.failed) {
      this.active.sealTimeIndex();
      await this.flush();
    }
    this.closed = true;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    while (this.syncing) await new Promise((r) => setTimeout(r, 1));
    for (const s of this.segments) s.close();
    this.tail.clear();
    await this.leaderEpochCache.close();
    const err = new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `log ${this.name} closed`);
    for (const w of this.waiters.splice(0)) w.reject(err);
  }

  /** Releases everything without flushing (the log's directory is being deleted). */
  async closeForDelete(): Promise<void> {
    this.closed = true;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    while (this.syncing) await new Promise((r) => setTimeout(r, 1));
    for (const s of this.segments) {
      s.deleted = true;
      s.file.close();
    }
    this.tail.clear();
    await this.leaderEpochCache.close();
    const err = new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `log ${this.name} deleted`);
    for (const w of this.waiters.splice(0)) w.reject(err);
    for (const w of this.fullWaiters.splice(0)) w.reject(err);
  }
}

/** Next offset after the last batch of a segment file (used for swap files, which were fsynced whole). */
function scanNextOffset(file: string, base: number): number {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const hdr = Buffer.allocUnsafe(BATCH_OVERHEAD);
    let pos = 0;
    let next = base;
    while (pos + BATCH_OVERHEAD <= size) {
      if (fs.readSync(fd, hdr, 0, BATCH_OVERHEAD, pos) < BATCH_OVERHEAD) break;
      const len = LOG_OVERHEAD + hdr.readInt32BE(Off.batchLength);
      if (len < BATCH_OVERHEAD || pos + len > size) break;
      next = readInt64(hdr, 0) + hdr.readInt32BE(Off.lastOffsetDelta) + 1;
      pos += len;
    }
    return next;
  } finally {
    fs.closeSync(fd);
  }
}
