// Election rules, kept free of node state so they can be tested on their own: the log comparison that decides
// votes, the vote tally, and the randomized timeouts that keep candidates from colliding forever.

import type { RaftConfig } from './config';
import type { RandomSource } from './random';

export function majority(voterCount: number): number {
  return Math.floor(voterCount / 2) + 1;
}

/**
 * Raft's "at least as up to date" rule: compare the epoch of the last entry, then the log end offset. A voter
 * only supports a candidate whose log is not behind its own, so any elected leader holds every committed entry.
 */
export function isLogUpToDate(
  candidate: { lastEpoch: number; endOffset: number },
  local: { lastEpoch: number; endOffset: number },
): boolean {
  if (candidate.lastEpoch !== local.lastEpoch) return candidate.lastEpoch > local.lastEpoch;
  return candidate.endOffset >= local.endOffset;
}

/** Grants and rejections from distinct voters in one election (duplicated responses count once). */
export class VoteTally {
  readonly granted = new Set<number>();
  readonly rejected = new Set<number>();

  constructor(
    private readonly voters: readonly number[],
    self: number,
  ) {
    this.granted.add(self);
  }

  record(voterId: number, granted: boolean): void {
    if (!this.voters.includes(voterId) || this.granted.has(voterId) || this.rejected.has(voterId)) return;
    (granted ? this.granted : this.rejected).add(voterId);
  }

  won(): boolean {
    return this.granted.size >= majority(this.voters.length);
  }

  /** No majority is reachable any more: wait out the backoff instead of the full election timeout. */
  lost(): boolean {
    return this.voters.length - this.rejected.size < majority(this.voters.length);
  }

  /** Voters that have not answered yet (to resend the request to). */
  pending(): number[] {
    return this.voters.filter((v) => !this.granted.has(v) && !this.rejected.has(v));
  }
}

/** Kafka's election timeout: uniform in [electionTimeoutMs, 2 × electionTimeoutMs). */
export function randomElectionTimeout(cfg: RaftConfig, rnd: RandomSource): number {
  return cfg.electionTimeoutMs + Math.floor(rnd.next() * cfg.electionTimeoutMs);
}

/**
 * Backoff after a failed election: exponential in the number of consecutive failures, with full jitter, capped
 * at electionBackoffMaxMs, so candidates that split the vote spread out.
 */
export function electionBackoff(cfg: RaftConfig, rnd: RandomSource, retries: number): number {
  const ceiling = Math.min(cfg.electionBackoffMaxMs, Math.max(1, cfg.retryBackoffMs) * 2 ** Math.min(retries, 20));
  return Math.floor(rnd.next() * (ceiling + 1));
}

/**
 * How soon a voter should stand after its leader resigned (EndQuorumEpoch): the first preferred successor at
 * once, later ones progressively later so the best-placed voter normally wins; voters not in the list wait a
 * full election timeout.
 */
export function endQuorumBackoff(
  cfg: RaftConfig,
  rnd: RandomSource,
  preferredSuccessors: readonly number[],
  self: number,
): number {
  const position = preferredSuccessors.indexOf(self);
  if (position < 0) return randomElectionTimeout(cfg, rnd);
  if (position === 0) return 0;
  return Math.min(cfg.electionBackoffMaxMs, Math.max(1, cfg.retryBackoffMs) * 2 ** position);
}
