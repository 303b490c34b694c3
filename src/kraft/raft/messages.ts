// The quorum RPCs as plain objects. Each carries the same information as its Kafka wire message for the single
// __cluster_metadata partition, so a network adapter maps them field by field (topic/partition nesting, cluster
// id and endpoints are the adapter's job; a `null` leader id is -1 on the wire):
//
//   VoteRequest            ↔ VoteRequest PartitionData {CandidateEpoch, CandidateId, LastOffsetEpoch, LastOffset}
//                            plus PreVote (KIP-996, Vote v2; our generated schema stops at v1)
//   BeginQuorumEpoch…      ↔ BeginQuorumEpoch PartitionData {LeaderId, LeaderEpoch}
//   EndQuorumEpoch…        ↔ EndQuorumEpoch PartitionData {LeaderId, LeaderEpoch, PreferredSuccessors}
//   FetchRequest           ↔ Fetch (replicaId, FetchPartition {CurrentLeaderEpoch, FetchOffset, LastFetchedEpoch})
//   FetchResponse          ↔ Fetch PartitionData {HighWatermark, LogStartOffset, DivergingEpoch, CurrentLeader,
//                            SnapshotId, Records}
//   FetchSnapshot…         ↔ FetchSnapshot PartitionSnapshot {CurrentLeaderEpoch, SnapshotId, Position} / {Size,
//                            Position, UnalignedRecords}
//
// Error codes are Kafka's numeric codes. `correlationId` pairs a fetch response with the request the follower
// still waits for; the adapter can reuse the wire correlation id or keep its own mapping.

import { ErrorCode } from '../../wire/errors';
import type { RaftEntry, SnapshotId } from './types';

export { ErrorCode };

export interface VoteRequest {
  type: 'VoteRequest';
  /** Regular vote: the epoch being elected. Pre-vote: the sender's current epoch (the election would be the next). */
  candidateEpoch: number;
  candidateId: number;
  /** Epoch of the candidate's last entry (or of its snapshot when the log is empty). */
  lastOffsetEpoch: number;
  /** The candidate's log end offset (exclusive), as the wire's LastOffset. */
  lastOffset: number;
  preVote: boolean;
}

export interface VoteResponse {
  type: 'VoteResponse';
  errorCode: number;
  /** The responder's epoch and the leader it is actively following in it (null if none). */
  leaderEpoch: number;
  leaderId: number | null;
  voteGranted: boolean;
  preVote: boolean;
}

export interface BeginQuorumEpochRequest {
  type: 'BeginQuorumEpochRequest';
  leaderId: number;
  leaderEpoch: number;
}

export interface BeginQuorumEpochResponse {
  type: 'BeginQuorumEpochResponse';
  errorCode: number;
  leaderEpoch: number;
  leaderId: number | null;
}

export interface EndQuorumEpochRequest {
  type: 'EndQuorumEpochRequest';
  leaderId: number;
  leaderEpoch: number;
  /** Voters in the order they should try to take over (most caught-up first). */
  preferredSuccessors: number[];
}

export interface EndQuorumEpochResponse {
  type: 'EndQuorumEpochResponse';
  errorCode: number;
  leaderEpoch: number;
  leaderId: number | null;
}

export interface FetchRequest {
  type: 'FetchRequest';
  correlationId: number;
  replicaId: number;
  currentLeaderEpoch: number;
  /** The follower's log end offset. */
  fetchOffset: number;
  /** Epoch of the entry at fetchOffset - 1 (or of the follower's snapshot when its log is empty). */
  lastFetchedEpoch: number;
  /** How long the leader may hold the request when it has nothing new (Fetch MaxWaitMs). */
  maxWaitMs: number;
  maxBytes: number;
}

export interface FetchResponse {
  type: 'FetchResponse';
  correlationId: number;
  errorCode: number;
  leaderEpoch: number;
  leaderId: number | null;
  highWatermark: number;
  logStartOffset: number;
  /** Set when the follower's log diverges: the largest epoch ≤ lastFetchedEpoch the leader has and where it ends. */
  divergingEpoch: { epoch: number; endOffset: number } | null;
  /** Set when the follower must first load this snapshot (its position is below the leader's log start). */
  snapshotId: SnapshotId | null;
  entries: RaftEntry[];
}

export interface FetchSnapshotRequest {
  type: 'FetchSnapshotRequest';
  correlationId: number;
  replicaId: number;
  currentLeaderEpoch: number;
  snapshotId: SnapshotId;
  position: number;
  maxBytes: number;
}

export interface FetchSnapshotResponse {
  type: 'FetchSnapshotResponse';
  correlationId: number;
  errorCode: number;
  leaderEpoch: number;
  leaderId: number | null;
  snapshotId: SnapshotId;
  /** Total size of the snapshot in bytes. */
  size: number;
  position: number;
  bytes: Buffer;
}

export type RaftRequest =
  | VoteRequest
  | BeginQuorumEpochRequest
  | EndQuorumEpochRequest
  | FetchRequest
  | FetchSnapshotRequest;

export type RaftResponse =
  | VoteResponse
  | BeginQuorumEpochResponse
  | EndQuorumEpochResponse
  | FetchResponse
  | FetchSnapshotResponse;

export type RaftMessage = RaftRequest | RaftResponse;
