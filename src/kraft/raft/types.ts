// Value types shared by the Raft core: log entries, control records and snapshot ids. Offsets are JS numbers
// (see docs/ARCHITECTURE.md); epoch 0 means "no epoch": the first leader is elected in epoch 1 or later, so an
// empty log has (end offset 0, last epoch 0).

/** An (offset, epoch) pair: a log position together with the epoch of the entry just before it. */
export interface OffsetAndEpoch {
  offset: number;
  epoch: number;
}

/**
 * Identifies a snapshot as KIP-630 does: it holds the state after applying every entry below `endOffset`, and
 * `epoch` is the epoch of the entry at `endOffset - 1`. Maps to the wire's SnapshotId {EndOffset, Epoch}.
 */
export interface SnapshotId {
  endOffset: number;
  epoch: number;
}

/**
 * The control record a new leader writes as the first entry of its epoch (the wire's LeaderChangeMessage).
 * Committing it is how the leader learns that everything before its epoch is committed too.
 */
export interface LeaderChangeRecord {
  type: 'leaderChange';
  leaderId: number;
  voters: number[];
  grantingVoters: number[];
}

export type ControlRecord = LeaderChangeRecord;

/**
 * One record of the replicated log. Each record has its own offset, as in a Kafka log; the disk adapter groups
 * consecutive records of one epoch into batches. Data entries carry the application's opaque `value`; control
 * entries carry `control` and an empty value. Entries are immutable once created: logs and messages share them.
 */
export interface RaftEntry {
  readonly offset: number;
  readonly epoch: number;
  readonly value: Buffer;
  readonly control?: ControlRecord;
}

/** Rough wire size of an entry, used to bound fetch responses (record overhead is about this much in v2 batches). */
export function entrySize(e: RaftEntry): number {
  return e.value.length + 24;
}

export function sameSnapshotId(a: SnapshotId | null, b: SnapshotId | null): boolean {
  return a !== null && b !== null && a.endOffset === b.endOffset && a.epoch === b.epoch;
}
