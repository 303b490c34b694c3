// Log reconciliation between leader and follower, as KIP-595 defines it for pull-based replication. The
// follower sends (fetchOffset, lastFetchedEpoch) — its log end and the epoch of its last entry. The leader
// checks that position against its own log: if it holds an entry of that epoch reaching that far, the two logs
// agree up to fetchOffset (log matching: an epoch's entries all come from that epoch's single leader); if not,
// it names the point where they may still agree (divergingEpoch) and the follower truncates there and fetches
// again. A position that only the leader's snapshot can answer gets the snapshot id instead.

import type { RaftLog } from './raft-log';
import type { SnapshotId } from './types';

export type FetchPosition =
  | { kind: 'valid' }
  | { kind: 'diverging'; epoch: number; endOffset: number }
  | { kind: 'snapshot'; snapshotId: SnapshotId };

/** The leader's verdict on a follower's (fetchOffset, lastFetchedEpoch). */
export function validateFetchPosition(log: RaftLog, fetchOffset: number, lastFetchedEpoch: number): FetchPosition {
  const start = log.startOffset();
  if (start > 0) {
    // The entries before the log start are gone; the epoch at start - 1 is the snapshot's. If the follower's
    // position sits before the start, or at the start with another epoch, or anywhere with an epoch older than
    // that one (so it disagrees somewhere at or before start - 1), only a snapshot can bring it back in line.
    const startEpoch = log.epochAt(start - 1) ?? 0;
    const snapshot = log.latestSnapshot();
    if (snapshot !== null && (fetchOffset < start || (fetchOffset === start && lastFetchedEpoch !== startEpoch) || lastFetchedEpoch < startEpoch)) {
      return { kind: 'snapshot', snapshotId: snapshot };
    }
  } else if (fetchOffset === 0 && lastFetchedEpoch === 0) {
    return { kind: 'valid' };
  }
  const end = log.endOffsetForEpoch(lastFetchedEpoch);
  if (end.epoch !== lastFetchedEpoch || end.offset < fetchOffset) {
    return { kind: 'diverging', epoch: end.epoch, endOffset: end.offset };
  }
  return { kind: 'valid' };
}

/**
 * Where a follower cuts its log after a divergingEpoch answer: no further than the leader's end of that epoch,
 * and no further than the end of the follower's own entries of the largest epoch ≤ it. The next fetch either
 * validates or narrows it down again, each round with a smaller last epoch, so it converges.
 */
export function divergenceTruncationOffset(log: RaftLog, diverging: { epoch: number; endOffset: number }): number {
  const local = log.endOffsetForEpoch(diverging.epoch);
  return Math.max(log.startOffset(), Math.min(diverging.endOffset, local.offset, log.endOffset()));
}
