// The per-role volatile state of a node. Which role a node is in, together with the durable (epoch, votedId,
// leaderId), is the whole of KRaft's state machine:
//
//   unattached  knows an epoch but no leader; may have voted in it (reported as 'voted')
//   prospective pre-vote round (KIP-996): asks whether it could win, without bumping the epoch
//   candidate   bumped the epoch, voted for itself, asks for votes
//   leader      appends, serves fetches, advances the high watermark
//   follower    fetches from the leader of its epoch
//   resigned    a leader stepping down (gracefully or after a restart): no longer serves, waits to stand again
//
// Timers are absolute deadlines in the caller's clock; tick() compares them with the time it is given.

import type { VoteTally } from './election';
import type { LeaderState } from './leader-state';
import type { FetchRequest } from './messages';
import type { SnapshotDownload } from './snapshots';

export type RaftRole = 'unattached' | 'voted' | 'prospective' | 'candidate' | 'leader' | 'follower' | 'resigned';

/** A fetch or snapshot fetch waiting for its response. */
export interface InflightFetch {
  kind: 'fetch' | 'fetchSnapshot';
  correlationId: number;
  to: number;
  sentAtMs: number;
  /** Log end when the fetch was sent: the response only applies if the log is still there. */
  fetchOffset: number;
}

export interface UnattachedState {
  role: 'unattached';
  electionDeadline: number;
  /** Observers only: a fetch sent to some voter to find out who leads. */
  discovery: InflightFetch | null;
  nextDiscoveryAt: number;
}

export interface ProspectiveState {
  role: 'prospective';
  tally: VoteTally;
  electionDeadline: number;
  lastSentAtMs: number;
}

export interface CandidateState {
  role: 'candidate';
  tally: VoteTally;
  electionDeadline: number;
  /** Set once the election has failed: when to try again. */
  backoffUntil: number | null;
  lastSentAtMs: number;
}

export interface ParkedFetch {
  from: number;
  request: FetchRequest;
  deadline: number;
}

export interface LeaderRoleState {
  role: 'leader';
  leader: LeaderState;
  /** Long-polled fetches with nothing to return yet, by replica id. */
  parked: Map<number, ParkedFetch>;
}

export interface FollowerState {
  role: 'follower';
  /** No successful answer from the leader by then: the leader is presumed gone. */
  fetchDeadline: number;
  inflight: InflightFetch | null;
  nextFetchAt: number;
  download: SnapshotDownload | null;
  /** The leader sent EndQuorumEpoch: keep its epoch but stop vouching for it (grant pre-votes, report no leader). */
  leaderResigned: boolean;
}

export interface ResignedState {
  role: 'resigned';
  electionDeadline: number;
  preferredSuccessors: number[];
  /** Voters that have not acknowledged EndQuorumEpoch yet. */
  unacknowledged: Set<number>;
  lastSentAtMs: number;
}

export type RoleState =
  | UnattachedState
  | ProspectiveState
  | CandidateState
  | LeaderRoleState
  | FollowerState
  | ResignedState;
