// The durable election state (Kafka's quorum-state file). It must be on disk before the node acts on it: a vote
// is granted only after votedId is stored, an epoch is used only after it is stored, so a restarted node can
// never vote twice in an epoch or forget an epoch it has seen.

export interface QuorumState {
  leaderEpoch: number;
  /** The candidate this node voted for in leaderEpoch, or null. */
  votedId: number | null;
  /** The leader this node knows for leaderEpoch, or null. */
  leaderId: number | null;
}

/** Synchronous on purpose: write() returns only once the state is durable (the disk store fsyncs). */
export interface QuorumStateStore {
  read(): QuorumState | null;
  write(state: QuorumState): void;
}

export class MemoryQuorumStateStore implements QuorumStateStore {
  private state: QuorumState | null = null;
  writes = 0;

  read(): QuorumState | null {
    return this.state === null ? null : { ...this.state };
  }

  write(state: QuorumState): void {
    this.state = { ...state };
    this.writes++;
  }
}
