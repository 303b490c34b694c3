// The leader's half of replication for the partitions this broker leads: it records each follower's fetches,
// moves the high watermark to the smallest log end of the (maximal) ISR, completes acks=all produces waiting for
// it, and proposes ISR changes to the controller: a follower that reached the high watermark joins, one that has
// not caught up for replica.lag.time.max.ms leaves (checked periodically). One change per partition is in flight
// at a time; while it is, the partition acts on the maximal ISR (isr-policy.ts), and any metadata update for the
// partition replaces it (the controller's committed state wins).

import { ErrorCode } from '../wire/errors';
import { DelayedProduces, type ProduceStatus, type ProduceWaiter } from './delayed-produce';
import { FollowerState } from './follower-state';
import {
  highWatermarkCandidate,
  isFollowerInSync,
  maximalIsr,
  outOfSyncReplicas,
  proposeExpand,
  proposeShrink,
  type PendingIsrChange,
} from './isr-policy';
import type { AlterPartitionSender, IsrProposalResult } from './alter-partition-sender';
import type { Partition } from './partition';
import type { Logger } from './replica-manager';

export interface LeaderReplicationOptions {
  nodeId: number;
  now(): number;
  replicaLagTimeMaxMs: number;
  log: Logger;
}

export class LeaderReplication {
  readonly produces: DelayedProduces;
  /** Null until replication is enabled (single-node set-ups and unit tests never change an ISR). */
  sender: AlterPartitionSender | null = null;
  /** This broker's epoch, sent with its own ISR entry (AlterPartition v3). */
  brokerEpoch: () => number = () => -1;
  /** KIP-841: only registered, unfenced brokers that are not shutting down may join an ISR. */
  isEligible: (brokerId: number) => boolean = () => true;

  constructor(private readonly opts: LeaderReplicationOptions) {
    this.produces = new DelayedProduces((p, w) => this.produceStatus(p, w));
  }

  /**
   * The partition is (still) led here after a metadata change. A new leader epoch starts a new term: follower
   * progress is unknown until each fetches again. The ISR is now the controller's committed one.
   */
  becomeLeader(p: Partition, newTerm: boolean): void {
    const now = this.opts.now();
    if (newTerm) {
      p.followers.clear();
      p.leaderEpochStartOffset = p.log.logEndOffset;
    }
    for (const r of p.replicas) {
      if (r === this.opts.nodeId || p.followers.has(r)) continue;
      const f = new FollowerState(r);
      f.reset(now, p.isr.includes(r));
      p.followers.set(r, f);
    }
    for (const r of [...p.followers.keys()]) if (!p.replicas.includes(r)) p.followers.delete(r);
    p.pendingIsr = null;
    this.maybeIncrementHighWatermark(p);
    this.produces.check(p);
  }

  /** The partition is no longer led here: waiting produces fail, waiting fetches answer now. */
  resign(p: Partition): void {
    p.followers.clear();
    p.pendingIsr = null;
    this.produces.check(p);
    p.wakeWaiters();
  }

  /**
   * A follower fetched at `fetchOffset` while the leader's log ended at `leaderEndOffset`. Returns an error code
   * when the fetcher is not a replica of the partition.
   */
  recordFollowerFetch(p: Partition, replicaId: number, brokerEpoch: number, fetchOffset: number, logStartOffset: number, leaderEndOffset: number): number {
    const f = p.followers.get(replicaId);
    if (!f) return ErrorCode.NOT_LEADER_OR_FOLLOWER;
    f.onFetch(fetchOffset, logStartOffset, leaderEndOffset, this.opts.now(), brokerEpoch);
    this.maybeExpandIsr(p, f);
    this.maybeIncrementHighWatermark(p);
    return ErrorCode.NONE;
  }

  /** Moves the high watermark up to what the maximal ISR holds (waiting produces and fetches are woken). */
  maybeIncrementHighWatermark(p: Partition): void {
    if (!p.isLeader) return;
    const hw = highWatermarkCandidate(p, this.opts.nodeId);
    if (hw > p.highWatermark) p.advanceHighWatermark(hw);
  }

  /** The periodic check: proposes removing followers that have not caught up for replica.lag.time.max.ms. */
  maybeShrinkIsr(p: Partition): void {
    if (!p.isLeader || p.pendingIsr || !this.sender) return;
    const out = outOfSyncReplicas(p, this.opts.nodeId, this.opts.now(), this.opts.replicaLagTimeMaxMs);
    if (out.length === 0) return;
    this.opts.log.info({ topic: p.topic, partition: p.index, isr: p.isr, outOfSync: out }, 'shrinking ISR');
    this.propose(p, proposeShrink(p, out));
  }

  private maybeExpandIsr(p: Partition, f: FollowerState): void {
    if (p.pendingIsr || !this.sender || p.isr.includes(f.replicaId)) return;
    if (!isFollowerInSync(p, f) || !this.isEligible(f.replicaId)) return;
    this.opts.log.info({ topic: p.topic, partition: p.index, isr: p.isr, joining: f.replicaId }, 'expanding ISR');
    this.propose(p, proposeExpand(p, f.replicaId));
  }

  private propose(p: Partition, change: PendingIsrChange): void {
    p.pendingIsr = change;
    const newIsr = change.isr.map((brokerId) => ({
      brokerId,
      brokerEpoch: brokerId === this.opts.nodeId ? this.brokerEpoch() : (p.followers.get(brokerId)?.brokerEpoch ?? -1),
    }));
    this.sender!.submit(
      { topic: p.topic, topicId: p.topicId, partition: p.index, leaderEpoch: change.leaderEpoch, partitionEpoch: change.partitionEpoch, newIsr },
      (r) => this.onProposalResult(p, change, r),
    );
  }

  /** The controller answered a proposal. Ignored when the partition moved on (new metadata replaced it). */
  private onProposalResult(p: Partition, change: PendingIsrChange, r: IsrProposalResult): void {
    if (p.pendingIsr !== change) return;
    if (r.errorCode === ErrorCode.NONE) {
      // The metadata update carrying the same change may arrive before or after this answer; the partition epoch
      // orders them.
      if (r.leaderEpoch === p.leaderEpoch && r.partitionEpoch > p.partitionEpoch) {
        p.isr = r.isr;
        p.partitionEpoch = r.partitionEpoch;
      }
      p.pendingIsr = null;
    } else {
      // INVALID_UPDATE_VERSION: our state is stale, the metadata update is on its way. FENCED_LEADER_EPOCH: we are
      // no longer leader. INELIGIBLE_REPLICA / OPERATION_NOT_ATTEMPTED: the follower may not join now. In every
      // case the committed ISR stands and a later fetch or check proposes again.
      this.opts.log.info({ topic: p.topic, partition: p.index, proposed: change.isr, errorCode: r.errorCode }, 'ISR change rejected');
      p.pendingIsr = null;
    }
    this.maybeIncrementHighWatermark(p);
    this.produces.check(p);
  }

  /** acks=all completion rule (Kafka's checkEnoughReplicasReachOffset). */
  private produceStatus(p: Partition, w: ProduceWaiter): ProduceStatus {
    if (!p.isLeader || p.leaderEpoch !== w.leaderEpoch) return { done: true, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER };
    if (p.highWatermark < w.requiredOffset) return { done: false };
    // Replicated to the ISR, but the ISR shrank below min.insync.replicas meanwhile: the data is there, the
    // durability the producer asked for is not.
    const enough = maximalIsr(p).length >= p.settings.minInsyncReplicas;
    return { done: true, errorCode: enough ? ErrorCode.NONE : ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND };
  }
}
