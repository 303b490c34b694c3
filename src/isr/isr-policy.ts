// The leader's ISR and high watermark rules, as pure functions of a partition's state.
//
// High watermark: the smallest log end offset among the "maximal" ISR. While an ISR change is in flight to the
// controller (KIP-497), the leader acts on the larger of the old and the proposed ISR: an expansion counts the
// joining follower at once (it must not be missing data the HW claims is committed once the controller accepts),
// and a shrink keeps waiting for the leaving follower until the controller has accepted (the old ISR is what
// the controller would elect from until then). A follower whose log end is not yet known blocks the HW.
//
// Shrink: an ISR follower that is not at the leader's log end and has not been caught up for
// replica.lag.time.max.ms. Expand: a follower outside the ISR whose log reaches the high watermark and the start
// offset of the current leader epoch (so it holds everything this leader has committed).

import type { Partition } from './partition';
import type { FollowerState } from './follower-state';

/** An ISR change sent to the controller and not yet answered. */
export interface PendingIsrChange {
  readonly kind: 'expand' | 'shrink';
  readonly isr: readonly number[];
  /** The ISR the leader acts on meanwhile: the union of the committed and the proposed ISR. */
  readonly maximal: readonly number[];
  readonly leaderEpoch: number;
  readonly partitionEpoch: number;
}

export function maximalIsr(p: Partition): readonly number[] {
  return p.pendingIsr ? p.pendingIsr.maximal : p.isr;
}

/** What the high watermark may become: the smallest log end offset of the maximal ISR (the leader's own included). */
export function highWatermarkCandidate(p: Partition, selfId: number): number {
  let hw = p.log.logEndOffset;
  for (const id of maximalIsr(p)) {
    if (id === selfId) continue;
    const leo = p.followers.get(id)?.logEndOffset ?? -1;
    if (leo < hw) hw = leo;
  }
  return hw;
}

/** ISR followers (committed ISR) that have fallen out of sync. */
export function outOfSyncReplicas(p: Partition, selfId: number, nowMs: number, maxLagMs: number): number[] {
  const leaderEnd = p.log.logEndOffset;
  return p.isr.filter((id) => {
    if (id === selfId) return false;
    const f = p.followers.get(id);
    return !f || !f.isCaughtUp(leaderEnd, nowMs, maxLagMs);
  });
}

/** Whether a follower outside the ISR may join it. */
export function isFollowerInSync(p: Partition, f: FollowerState): boolean {
  return f.logEndOffset >= 0 && f.logEndOffset >= p.highWatermark && f.logEndOffset >= p.leaderEpochStartOffset;
}

export function proposeExpand(p: Partition, replicaId: number): PendingIsrChange {
  const isr = [...p.isr, replicaId];
  return { kind: 'expand', isr, maximal: isr, leaderEpoch: p.leaderEpoch, partitionEpoch: p.partitionEpoch };
}

export function proposeShrink(p: Partition, remove: readonly number[]): PendingIsrChange {
  const isr = p.isr.filter((id) => !remove.includes(id));
  return { kind: 'shrink', isr, maximal: [...p.isr], leaderEpoch: p.leaderEpoch, partitionEpoch: p.partitionEpoch };
}
