// What a partition leader knows about one follower, learned only from the follower's fetches: how far its log
// reaches and when it was last caught up. "Caught up" follows Kafka's rule (Replica.updateFetchState): a fetch at
// the leader's current log end proves the follower was caught up at the time of that fetch; a fetch at or past the
// log end the leader had at the follower's *previous* fetch proves it was caught up at that previous fetch's time.
// So a follower that keeps fetching steadily under constant produce load, always one round trip behind, still
// counts as caught up, while one that falls further behind stops renewing the time and eventually leaves the ISR.

/** Offsets not yet known (a new leadership term, before the follower's first fetch). */
export const UNKNOWN_OFFSET = -1;

export class FollowerState {
  logEndOffset = UNKNOWN_OFFSET;
  logStartOffset = UNKNOWN_OFFSET;
  lastCaughtUpTimeMs = 0;
  /** The leader's log end offset at the follower's previous fetch. */
  lastFetchLeaderLogEndOffset = UNKNOWN_OFFSET;
  lastFetchTimeMs = 0;
  /** The broker epoch the follower sent (Fetch v15+ ReplicaState); -1 when unknown. AlterPartition v3 carries it. */
  brokerEpoch = -1;

  constructor(readonly replicaId: number) {}

  /**
   * A new leadership term: nothing is known about the follower's log until it fetches. An ISR member counts as
   * caught up now, so it has replica.lag.time.max.ms to show up before it may be removed; others never were.
   */
  reset(nowMs: number, inIsr: boolean): void {
    this.logEndOffset = UNKNOWN_OFFSET;
    this.logStartOffset = UNKNOWN_OFFSET;
    this.lastFetchLeaderLogEndOffset = UNKNOWN_OFFSET;
    this.lastFetchTimeMs = 0;
    this.lastCaughtUpTimeMs = inIsr ? nowMs : 0;
  }

  /** Records a fetch at `fetchOffset` (the follower's log end) served when the leader's log ended at `leaderEndOffset`. */
  onFetch(fetchOffset: number, logStartOffset: number, leaderEndOffset: number, nowMs: number, brokerEpoch: number): void {
    if (fetchOffset >= leaderEndOffset) {
      this.lastCaughtUpTimeMs = Math.max(this.lastCaughtUpTimeMs, nowMs);
    } else if (this.lastFetchLeaderLogEndOffset !== UNKNOWN_OFFSET && fetchOffset >= this.lastFetchLeaderLogEndOffset) {
      this.lastCaughtUpTimeMs = Math.max(this.lastCaughtUpTimeMs, this.lastFetchTimeMs);
    }
    this.logEndOffset = fetchOffset;
    this.logStartOffset = logStartOffset;
    this.lastFetchLeaderLogEndOffset = leaderEndOffset;
    this.lastFetchTimeMs = nowMs;
    if (brokerEpoch >= 0) this.brokerEpoch = brokerEpoch;
  }

  /** In sync for ISR purposes: at the leader's log end, or caught up within the last `maxLagMs`. */
  isCaughtUp(leaderEndOffset: number, nowMs: number, maxLagMs: number): boolean {
    return this.logEndOffset >= leaderEndOffset || nowMs - this.lastCaughtUpTimeMs <= maxLagMs;
  }
}
