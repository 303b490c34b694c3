// Where a follower must cut its log when it may have diverged from its leader (KIP-101, KIP-279). The leader
// tells the end offset of an epoch (from OffsetForLeaderEpoch, or the diverging epoch of a v12+ Fetch response,
// KIP-595's fetch-based truncation); the follower compares with its own end for that epoch:
//  - it knows the epoch: everything from min(its end, the leader's end) on is not the leader's data;
//  - it only knows older epochs: it cuts at the end of its largest older epoch and asks again with that epoch,
//    because its entries for that epoch may not match either (the multi-round case KIP-279 fixed);
//  - it knows no epoch that old: the leader's end offset is the safe point.

export interface EpochEndOffset {
  epoch: number;
  endOffset: number;
}

export interface TruncationDecision {
  offset: number;
  /** False when the follower must ask again with its (new) latest epoch before it can trust its log. */
  complete: boolean;
}

/**
 * @param localEndFor the follower's leader-epoch cache lookup (largest epoch <= requested and its end offset)
 * @returns null when the leader does not know the epoch (its log no longer reaches back that far)
 */
export function truncationTarget(
  localEndFor: (epoch: number) => EpochEndOffset,
  logEndOffset: number,
  leader: EpochEndOffset,
): TruncationDecision | null {
  if (leader.endOffset < 0) return null;
  // OffsetForLeaderEpoch v0 answers an end offset without its epoch: the leader's end is all there is to go by.
  if (leader.epoch < 0) return { offset: Math.min(leader.endOffset, logEndOffset), complete: true };
  const local = localEndFor(leader.epoch);
  if (local.endOffset < 0) return { offset: Math.min(leader.endOffset, logEndOffset), complete: true };
  if (local.epoch !== leader.epoch) return { offset: Math.min(local.endOffset, logEndOffset), complete: false };
  return { offset: Math.min(local.endOffset, leader.endOffset, logEndOffset), complete: true };
}

/**
 * The leader's side: whether a fetcher whose last batch has epoch `lastFetchedEpoch` and whose log ends at
 * `fetchOffset` diverges from this log. Returns the epoch and end offset to send back as the diverging epoch,
 * null when the fetcher's log is a prefix of ours, or 'unknown' when our log no longer reaches back to that epoch
 * (Kafka answers that with OFFSET_OUT_OF_RANGE).
 */
export function divergingEpoch(
  localEndFor: (epoch: number) => EpochEndOffset,
  lastFetchedEpoch: number,
  fetchOffset: number,
): EpochEndOffset | null | 'unknown' {
  const e = localEndFor(lastFetchedEpoch);
  if (e.epoch < 0 || e.endOffset < 0) return 'unknown';
  return e.epoch < lastFetchedEpoch || e.endOffset < fetchOffset ? e : null;
}
