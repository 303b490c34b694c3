// A partition as this broker hosts it: its log, its role and epoch, and its high watermark. Fetchers waiting
// for new data register here and are woken as soon as the high watermark moves.

import type { PartitionLog } from '../log/partition-log';
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
  /** Idempotent producers' epochs and recent batches, rebuilt from the log when the partition is created. */
  readonly producers: ProducerStateManager;
  private readonly waiters = new Set<() => void>();

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
  }

  /** The offset below which data is visible to consumers. */
  get lastStableOffset(): number {
    return this.highWatermark;
  }

  /** Registers a one-shot callback for the next advance of the high watermark; returns a canceller. */
  onAdvance(fn: () => void): () => void {
    this.waiters.add(fn);
    return () => this.waiters.delete(fn);
  }

  advanceHighWatermark(offset: number): void {
    if (offset <= this.highWatermark) return;
    this.highWatermark = offset;
    // Retention and compaction never act beyond what is committed.
    this.log.updateHighWatermark(offset);
    if (this.waiters.size === 0) return;
    const list = [...this.waiters];
    this.waiters.clear();
    for (const fn of list) fn();
  }

  /** Removes the log from `offset` on (a diverging follower) and rebuilds the producer state to match. */
  truncateTo(offset: number): void {
    this.log.truncateTo(offset);
    this.producers.rebuild();
  }

  /** Re-anchors the high watermark after the log moved underneath it (truncation, deleted records). */
  resetHighWatermark(offset: number): void {
    this.highWatermark = offset;
    this.log.updateHighWatermark(offset);
  }
}
