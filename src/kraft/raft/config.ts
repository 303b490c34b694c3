// Quorum configuration, with Kafka's defaults for the controller.quorum.* settings.

export interface RaftConfig {
  nodeId: number;
  /** The voter ids (controller.quorum.voters). A node not in this set is an observer: it fetches but never votes. */
  voters: readonly number[];
  /** controller.quorum.election.timeout.ms: the base of the randomized [t, 2t) election timeout. */
  electionTimeoutMs: number;
  /** controller.quorum.election.backoff.max.ms: cap of the exponential backoff after a failed election. */
  electionBackoffMaxMs: number;
  /** controller.quorum.fetch.timeout.ms: a follower with no successful fetch for this long starts an election. */
  fetchTimeoutMs: number;
  /** controller.quorum.request.timeout.ms: an unanswered request is abandoned and retried after this long. */
  requestTimeoutMs: number;
  /** controller.quorum.retry.backoff.ms: pause before retrying after an error response. */
  retryBackoffMs: number;
  /** The quorum fetch interval: how long the leader holds a fetch that finds nothing new (long poll). */
  fetchMaxWaitMs: number;
  /** Bound on the entries returned by one fetch (at least one entry is always returned). */
  fetchMaxBytes: number;
  /** Chunk size for FetchSnapshot. */
  fetchSnapshotMaxBytes: number;
  /** Run a pre-vote round (KIP-996) before bumping the epoch, so a partitioned node cannot disrupt the quorum. */
  preVote: boolean;
}

export const RAFT_DEFAULTS = {
  electionTimeoutMs: 1000,
  electionBackoffMaxMs: 1000,
  fetchTimeoutMs: 2000,
  requestTimeoutMs: 2000,
  retryBackoffMs: 20,
  fetchMaxWaitMs: 500,
  fetchMaxBytes: 8 * 1024 * 1024,
  fetchSnapshotMaxBytes: 1024 * 1024,
  preVote: true,
} as const;

export function resolveRaftConfig(
  c: Pick<RaftConfig, 'nodeId' | 'voters'> & Partial<RaftConfig>,
): RaftConfig {
  const cfg: RaftConfig = { ...RAFT_DEFAULTS, ...c, voters: [...new Set(c.voters)].sort((a, b) => a - b) };
  if (cfg.voters.length === 0) throw new Error('raft: the voter set is empty');
  for (const k of ['electionTimeoutMs', 'fetchTimeoutMs', 'requestTimeoutMs', 'fetchMaxBytes', 'fetchSnapshotMaxBytes'] as const) {
    if (!(cfg[k] > 0)) throw new Error(`raft: ${k} must be positive`);
  }
  for (const k of ['electionBackoffMaxMs', 'retryBackoffMs', 'fetchMaxWaitMs'] as const) {
    if (!(cfg[k] >= 0)) throw new Error(`raft: ${k} must not be negative`);
  }
  // A follower must be able to get an answer to a long-polled fetch before it gives up on the leader.
  if (cfg.fetchMaxWaitMs >= cfg.fetchTimeoutMs) throw new Error('raft: fetchMaxWaitMs must be below fetchTimeoutMs');
  return cfg;
}
