// The leader epoch cache: for each leader epoch, the first offset written in it. Followers use it (through
// OffsetsForLeaderEpoch) to find where their log diverges from the leader's. Persisted per partition in
// `leader-epoch-checkpoint` (Kafka's format: version, count, `epoch startOffset` lines) on every change; changes
// are rare (leader elections, truncation), and the write is atomic and off the event loop.

import * as path from 'path';
import { CheckpointWriter, formatCheckpoint, readCheckpointLines } from './checkpoint';

export const LEADER_EPOCH_CHECKPOINT = 'leader-epoch-checkpoint';

export interface EpochEntry {
  epoch: number;
  startOffset: number;
}

export class LeaderEpochCache {
  private entries: EpochEntry[] = [];
  private readonly writer: CheckpointWriter;

  constructor(dir: string) {
    this.writer = new CheckpointWriter(path.join(dir, LEADER_EPOCH_CHECKPOINT));
  }

  /** Loads the checkpoint; a malformed file is treated as empty (recovery re-learns epochs from batches). */
  load(onError?: (e: unknown) => void): void {
    try {
      const rows = readCheckpointLines(this.writer.file) ?? [];
      const entries: EpochEntry[] = [];
      for (const r of rows) {
        const epoch = Number(r[0]);
        const startOffset = Number(r[1]);
        if (r.length !== 2 || !Number.isInteger(epoch) || !Number.isInteger(startOffset)) throw new Error(`bad entry ${r.join(' ')}`);
        const last = entries[entries.length - 1];
        if (last && (epoch <= last.epoch || startOffset < last.startOffset)) throw new Error(`non-monotonic entry ${r.join(' ')}`);
        entries.push({ epoch, startOffset });
      }
      this.entries = entries;
    } catch (e) {
      this.entries = [];
      onError?.(e);
    }
  }

  get all(): readonly EpochEntry[] {
    return this.entries;
  }

  /** The latest epoch, -1 when none. */
  get latestEpoch(): number {
    return this.entries.length ? this.entries[this.entries.length - 1].epoch : -1;
  }

  get earliest(): EpochEntry | undefined {
    return this.entries[0];
  }

  /**
   * Records that `epoch` starts at `startOffset`. Ignored unless the epoch is newer than the latest; an entry for
   * the same epoch is kept at its earlier start. Entries with a start at or after a new epoch's start cannot be
   * right (an epoch's data precedes the next epoch's), so they are dropped, as Kafka does.
   */
  assign(epoch: number, startOffset: number): void {
    if (epoch < 0) return;
    const last = this.entries[this.entries.length - 1];
    if (last && epoch <= last.epoch) return;
    let n = this.entries.length;
    while (n > 0 && this.entries[n - 1].startOffset >= startOffset) n--;
    this.entries.length = n;
    this.entries.push({ epoch, startOffset });
    this.persist();
  }

  /**
   * Kafka's endOffsetFor: for the requested epoch, the largest known epoch <= it, and the offset where the next
   * higher epoch starts (the log end offset when it is the latest). An epoch older than every entry ends where the
   * first entry starts: this log holds nothing of it, so a follower that does must cut its log back to there. (An
   * "unknown" answer instead would let such a follower keep data this log never had and append after it.)
   * {-1, -1} for an empty cache or an undefined (negative) epoch.
   */
  endOffsetFor(epoch: number, logEndOffset: number): { epoch: number; endOffset: number } {
    const n = this.entries.length;
    if (n === 0 || epoch < 0) return { epoch: -1, endOffset: -1 };
    if (epoch === this.entries[n - 1].epoch) return { epoch, endOffset: logEndOffset };
    if (epoch > this.entries[n - 1].epoch) return { epoch: this.entries[n - 1].epoch, endOffset: logEndOffset };
    if (epoch < this.entries[0].epoch) return { epoch, endOffset: this.entries[0].startOffset };
    // First entry with epoch > requested; its predecessor is the floor.
    let i = 0;
    while (i < n && this.entries[i].epoch <= epoch) i++;
    return { epoch: this.entries[i - 1].epoch, endOffset: this.entries[i].startOffset };
  }

  /** Drops epochs starting at or after `offset` (the log was truncated there). */
  truncateFromEnd(offset: number): void {
    let n = this.entries.length;
    while (n > 0 && this.entries[n - 1].startOffset >= offset) n--;
    if (n === this.entries.length) return;
    this.entries.length = n;
    this.persist();
  }

  /** The log now starts at `offset`: epochs wholly before it go, the one spanning it is moved to start there. */
  truncateFromStart(offset: number): void {
    let i = 0;
    while (i + 1 < this.entries.length && this.entries[i + 1].startOffset <= offset) i++;
    if (i === 0 && (!this.entries[0] || this.entries[0].startOffset >= offset)) return;
    const kept = this.entries.slice(i);
    if (kept[0].startOffset < offset) kept[0] = { epoch: kept[0].epoch, startOffset: offset };
    this.entries = kept;
    this.persist();
  }

  clear(): void {
    this.entries = [];
    this.persist();
  }

  private persist(): void {
    const p = this.writer.write(() => formatCheckpoint(this.entries.map((e) => `${e.epoch} ${e.startOffset}`)));
    p.catch(() => undefined); // surfaced through flushed()
    this.lastWrite = p;
  }

  private lastWrite: Promise<void> = Promise.resolve();

  /** Resolves when the latest state is on disk (flush waits for it before advancing the recovery point). */
  flushed(): Promise<void> {
    return this.lastWrite;
  }

  close(): Promise<void> {
    return this.writer.close();
  }
}
