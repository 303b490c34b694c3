// A partition as this broker hosts it: its log, its role and epochs, its high watermark, and as leader its
// followers' progress and any ISR change in flight. Fetches waiting for data register here and are woken as soon as
// the high watermark moves (consumers) or the log grows (followers), and all at once when the role changes.

import type { PartitionLog } from '../log/partition-log';
import type { FollowerState } from './follower-state';
import type { PendingIsrChange } from './isr-policy';
import { DEFAULT_PRODUCER_STATE_OPTIONS, ProducerStateManager, ProducerStateOptions } from './producer-state';

export interface ProduceSettings {
  maxMessageBytes: number;
  logAppendTime: boolean;
  /** Compacted topics refuse keyless records. */
  requireKeys: boolean;
  minInsyncReplicas: number;
  /** flush.messages=1: an acknowledged produce is on disk before the response. */
  syncEveryAppend: boolean;
}

export class Partition {
  highWatermark: number;
  leaderEpoch = 0;
  isLeader = false;
  leader = -1;
  replicas: number[] = [];
  isr: number[] = [];
  /** Bumped by the controller on every change of the partition; an ISR change proposal must name it. */
  partitionEpoch = 0;
  /** Leader only: each follower's progress as its fetches show it (see follower-state.ts). */
  readonly followers = new Map<number, FollowerState>();
  /** Leader only: an ISR change sent to the controller and not answered yet (KIP-497); null when committed. */
  pendingIsr: PendingIsrChange | null = null;
  /** Leader only: the log end offset when the current leader epoch began; a joining follower must reach it. */
  leaderEpochStartOffset = 0;
  /** Idempotent producers' epochs and recent batches, rebuilt from the log when the partition is created. */
  readonly producers: ProducerStateManager;
  private readonly waiters = new Set<() => void>();
  /** Follower fetches long-polling on the leader wait for the log end to move, not the high watermark. */
  private readonly appendWaiters = new Set<() => void>();

  constructor(
    readonly topic: string,
    readonly index: number,
    public topicId: string,
    readonly log: PartitionLog,
    public settings: ProduceSettings,
    producerOptions: ProducerStateOptions = DEFAULT_PRODUCER_STATE_OPTIONS,
  ) {
    this.producers = ProducerStateManager.load(log, producerOptions);
    // A single-replica partition's committed data is all of its log; replication narrows this in the ISR layer.
    this.highWatermark = log.logEndOffset;
    log.updateHighWatermark(this.highWatermark);
    log.onAppend(() => Partition.wake(this.appendWaiters));
    log.txnView = {
      lastStableOffset: () => this.lastStableOffset,
      abortedOverlapping: (from, to) => this.producers.txns.abortedOverlapping(from, to),
    };
  }

  /**
   * The offset below which every transaction is decided (read_committed consumers read up to here): the high
   * watermark, lowered to the first offset of a transaction that is open or whose marker is not yet committed.
   */
  get lastStableOffset(): number {
    // An open transaction whose start was deleted (retention, DeleteRecords) holds it at the log start, as in Kafka.
    return Math.max(this.producers.txns.lastStableOffset(this.highWatermark), Math.min(this.log.logStartOffset, this.highWatermark));
  }

  /** Registers a one-shot callback for the next advance of the high watermark; returns a canceller. */
  onAdvance(fn: () => void): () => void {
    this.waiters.add(fn);
    return () => this.waiters.delete(fn);
  }

  /** Registers a one-shot callback for the next append to the log; returns a canceller. */
  onLogAppend(fn: () => void): () => void {
    this.appendWaiters.add(fn);
    return () => this.appendWaiters.delete(fn);
  }

  /** Wakes every waiting fetch (the partition changed role: they answer with the new state at once). */
  wakeWaiters(): void {
    Partition.wake(this.waiters);
    Partition.wake(this.appendWaiters);
  }

  private static wake(set: Set<() => void>): void {
    if (set.size === 0) return;
    const list = [...set];
    set.clear();
    for (const fn of list) fn();
  }

  advanceHighWatermark(offset: number): void {
    if (offset <= this.highWatermark) return;
    this.highWatermark = offset;
    // Retention and compaction never act beyond what is committed.
    this.log.updateHighWatermark(offset);
    Partition.wake(this.waiters);
  }

  /** Removes the log from `offset` on (a diverging follower) and rebuilds the producer state to match. */
  truncateTo(offset: number): void {
    this.log.truncateTo(offset);
    this.producers.rebuild();
    if (this.highWatermark > this.log.logEndOffset) this.resetHighWatermark(this.log.logEndOffset);
  }

  /** Empties the log and restarts it at `offset` (a follower behind its leader's log start). */
  truncateFullyAndStartAt(offset: number): void {
    this.log.truncateFullyAndStartAt(offset);
    this.producers.rebuild();
    this.resetHighWatermark(offset);
  }

  /** Re-anchors the high watermark after the log moved underneath it (truncation, deleted records). */
  resetHighWatermark(offset: number): void {
    this.highWatermark = offset;
    this.log.updateHighWatermark(offset);
  }
}
