// What a leader knows about its replicas: how far each voter's log provably matches its own (the fetch offsets
// it validated), when each replica last fetched, and from that the high watermark, the check-quorum verdict and
// the DescribeQuorum view.

import { majority } from './election';

export interface ReplicaDescription {
  replicaId: number;
  /** The replica's log end offset as of its last valid fetch; -1 if unknown. */
  logEndOffset: number;
  /** -1 if the replica has not fetched in this epoch. */
  lastFetchTimestamp: number;
  /** Last time the replica was known to hold everything the leader had (DescribeQuorum's LastCaughtUpTimestamp). */
  lastCaughtUpTimestamp: number;
}

export interface QuorumDescription {
  leaderId: number;
  leaderEpoch: number;
  highWatermark: number;
  voters: ReplicaDescription[];
  observers: ReplicaDescription[];
}

class ReplicaProgress {
  endOffset = -1;
  lastFetchMs = -1;
  lastCaughtUpMs = -1;
  /** The leader's end offset when this replica last fetched: reaching it later means it was caught up then. */
  private leaderEndAtLastFetch = -1;

  constructor(readonly replicaId: number) {}

  update(fetchOffset: number, nowMs: number, leaderEndOffset: number): void {
    if (fetchOffset >= leaderEndOffset) {
      this.lastCaughtUpMs = Math.max(this.lastCaughtUpMs, nowMs);
    } else if (this.leaderEndAtLastFetch >= 0 && fetchOffset >= this.leaderEndAtLastFetch) {
      this.lastCaughtUpMs = Math.max(this.lastCaughtUpMs, this.lastFetchMs);
    }
    this.endOffset = fetchOffset;
    this.lastFetchMs = nowMs;
    this.leaderEndAtLastFetch = leaderEndOffset;
  }

  describe(): ReplicaDescription {
    return {
      replicaId: this.replicaId,
      logEndOffset: this.endOffset,
      lastFetchTimestamp: this.lastFetchMs,
      lastCaughtUpTimestamp: this.lastCaughtUpMs,
    };
  }
}

export class LeaderState {
  private readonly voterProgress = new Map<number, ReplicaProgress>();
  private readonly observerProgress = new Map<number, ReplicaProgress>();
  /** Last fetch or snapshot fetch per voter, for check-quorum. Starts at election time as a grace period. */
  private readonly lastContact = new Map<number, number>();
  /** Voters that have not acknowledged this epoch yet (no BeginQuorumEpoch response and no fetch). */
  readonly unacknowledged = new Set<number>();
  /** When BeginQuorumEpoch was last sent to each voter (it is resent to voters that go quiet). */
  readonly beginQuorumSentAt = new Map<number, number>();
  private localFlushedEnd = 0;

  constructor(
    readonly selfId: number,
    private readonly voters: readonly number[],
    readonly epoch: number,
    /** Offset of this epoch's LeaderChange entry: the HW may only move once it is replicated on a majority. */
    readonly epochStartOffset: number,
    nowMs: number,
  ) {
    for (const v of voters) {
      this.voterProgress.set(v, new ReplicaProgress(v));
      if (v !== selfId) {
        this.lastContact.set(v, nowMs);
        this.unacknowledged.add(v);
      }
    }
  }

  isVoter(id: number): boolean {
    return this.voterProgress.has(id);
  }

  /** The leader's own progress counts only what it has flushed: an unsynced entry could vanish in a crash. */
  updateLocal(flushedEndOffset: number, nowMs: number): void {
    this.localFlushedEnd = flushedEndOffset;
    this.voterProgress.get(this.selfId)?.update(flushedEndOffset, nowMs, flushedEndOffset);
  }

  recordContact(replicaId: number, nowMs: number): void {
    if (this.lastContact.has(replicaId)) this.lastContact.set(replicaId, nowMs);
    this.unacknowledged.delete(replicaId);
  }

  lastContactMs(replicaId: number): number {
    return this.lastContact.get(replicaId) ?? -1;
  }

  /** A fetch whose position the leader validated: the replica's log matches ours up to fetchOffset. */
  recordFetch(replicaId: number, fetchOffset: number, nowMs: number, leaderEndOffset: number): void {
    if (replicaId === this.selfId) return;
    let p = this.voterProgress.get(replicaId);
    if (p === undefined) {
      p = this.observerProgress.get(replicaId);
      if (p === undefined) {
        p = new ReplicaProgress(replicaId);
        this.observerProgress.set(replicaId, p);
      }
    }
    p.update(fetchOffset, nowMs, leaderEndOffset);
  }

  /**
   * The offset a majority of voters hold (the majority-th largest end offset, the leader's flushed end among
   * them), if it covers at least one entry of this epoch; else null. Committing an entry of the current epoch
   * commits everything before it, while an older epoch's entry on a majority could still be overwritten (Raft's
   * figure 8), so the leader never advances the HW on those alone.
   */
  highWatermarkCandidate(): number | null {
    const ends: number[] = [];
    for (const [id, p] of this.voterProgress) ends.push(id === this.selfId ? this.localFlushedEnd : p.endOffset);
    ends.sort((a, b) => b - a);
    const hw = ends[majority(this.voters.length) - 1]!;
    return hw > this.epochStartOffset ? hw : null;
  }

  /**
   * Check-quorum: a leader that has not heard from a majority (itself included) within the timeout may have
   * been replaced behind a partition, so it resigns instead of accepting writes that can never commit.
   */
  hasQuorumContact(nowMs: number, timeoutMs: number): boolean {
    let live = 1;
    for (const t of this.lastContact.values()) if (nowMs - t <= timeoutMs) live++;
    return live >= majority(this.voters.length);
  }

  /** Other voters, most caught-up first: the order they should try to succeed this leader. */
  preferredSuccessors(): number[] {
    return [...this.voterProgress.values()]
      .filter((p) => p.replicaId !== this.selfId)
      .sort((a, b) => b.endOffset - a.endOffset || a.replicaId - b.replicaId)
      .map((p) => p.replicaId);
  }

  describe(nowMs: number, highWatermark: number, logEndOffset: number): QuorumDescription {
    const voters = [...this.voterProgress.values()].map((p) =>
      p.replicaId === this.selfId
        ? { replicaId: p.replicaId, logEndOffset, lastFetchTimestamp: nowMs, lastCaughtUpTimestamp: nowMs }
        : p.describe(),
    );
    return {
      leaderId: this.selfId,
      leaderEpoch: this.epoch,
      highWatermark,
      voters,
      observers: [...this.observerProgress.values()].map((p) => p.describe()),
    };
  }
}
