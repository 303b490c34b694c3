// What the Raft core needs from storage. Everything is synchronous: the core is a state machine that must see
// the effect of a write before it answers the next message. A disk implementation over the segment log keeps an
// epoch → start-offset cache (Kafka's leader-epoch checkpoint) to answer endOffsetForEpoch cheaply.
//
// Durability model: append() may leave entries only in memory; flush() makes everything appended durable and
// flushedEndOffset() says how far that goes. truncateTo(), storeSnapshot() and deleteBeforeSnapshot() are durable
// when they return. After a crash the log holds exactly its durable entries.

import type { OffsetAndEpoch, RaftEntry, SnapshotId } from './types';

export interface RaftLog {
  /** First offset still held as an entry (the latest snapshot's end offset once the prefix is deleted, else 0). */
  startOffset(): number;
  /** Log end offset: one past the last entry. */
  endOffset(): number;
  /** Epoch of the last entry; the snapshot's epoch when the log is empty after it; 0 for a fresh log. */
  lastEpoch(): number;
  /** Entries below this offset are durable. */
  flushedEndOffset(): number;
  /** Epoch of the entry at `offset`; for startOffset - 1 the snapshot's epoch; null when unknown. */
  epochAt(offset: number): number | null;

  /** Appends entries contiguous from endOffset() with epochs ≥ lastEpoch(). Not durable until flush(). */
  append(entries: readonly RaftEntry[]): void;
  flush(): void;
  /** Entries from `offset` (≥ startOffset) up to about maxBytes, at least one when any exists. */
  read(offset: number, maxBytes: number): RaftEntry[];
  /** Removes entries at and after `offset` (≥ startOffset). */
  truncateTo(offset: number): void;

  /**
   * The largest epoch ≤ `epoch` this log knows (entries or the snapshot) and the offset where it ends: the start
   * of the next larger epoch, or endOffset() for the last epoch. With no such epoch: {epoch: 0, offset: startOffset}.
   */
  endOffsetForEpoch(epoch: number): OffsetAndEpoch;

  latestSnapshot(): SnapshotId | null;
  /** Bytes [position, position + maxBytes) of a held snapshot and its total size; null if it is not held. */
  readSnapshot(id: SnapshotId, position: number, maxBytes: number): { size: number; bytes: Buffer } | null;
  /** Durably stores a complete snapshot; older snapshots may then be dropped. */
  storeSnapshot(id: SnapshotId, data: Buffer): void;
  /**
   * Deletes the entries the snapshot covers. If the log holds the entry (id.endOffset - 1, id.epoch) the suffix
   * after it is kept; otherwise the log is emptied and restarts at id.endOffset (a follower installing a snapshot).
   */
  deleteBeforeSnapshot(id: SnapshotId): void;
}
