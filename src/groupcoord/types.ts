// Plain request and result shapes of the coordinator API. They mirror the Kafka APIs' fields but carry no wire
// versions: the API handlers translate requests to these and results back. Every result carries Kafka error codes.

export interface JoinProtocol {
  name: string;
  metadata: Buffer;
}

export interface JoinGroupParams {
  groupId: string;
  /** "" on a member's first join. */
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string;
  protocols: JoinProtocol[];
  sessionTimeoutMs: number;
  /** JoinGroup v0 has none: pass the session timeout, as Kafka does. */
  rebalanceTimeoutMs: number;
  clientId: string;
  clientHost: string;
  /** True for JoinGroup v4+ (KIP-394): a member without an id is given one and must join again with it. */
  requireKnownMemberId: boolean;
  reason?: string | null;
  /** True for JoinGroup v9+ (KIP-814): a rejoining static leader may be told to skip the assignment. */
  supportsSkipAssignment?: boolean;
}

export interface JoinGroupMember {
  memberId: string;
  groupInstanceId: string | null;
  metadata: Buffer;
}

export interface JoinGroupResult {
  errorCode: number;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leader: string;
  skipAssignment: boolean;
  memberId: string;
  /** Filled for the leader only. */
  members: JoinGroupMember[];
}

export interface SyncGroupParams {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  /** Null for SyncGroup before v5 (not checked then). */
  protocolType: string | null;
  protocolName: string | null;
  assignments: { memberId: string; assignment: Buffer }[];
}

export interface SyncGroupResult {
  errorCode: number;
  protocolType: string | null;
  protocolName: string | null;
  assignment: Buffer;
}

export interface HeartbeatParams {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
}

export interface HeartbeatResult {
  errorCode: number;
}

export interface LeaveGroupMemberParams {
  memberId: string;
  groupInstanceId: string | null;
  reason?: string | null;
}

export interface LeaveGroupParams {
  groupId: string;
  members: LeaveGroupMemberParams[];
}

export interface LeaveGroupResult {
  /** Whole-request error; when not NONE, members is empty. */
  errorCode: number;
  members: { memberId: string; groupInstanceId: string | null; errorCode: number }[];
}

export interface CommitOffsetsPartition {
  partitionIndex: number;
  committedOffset: number;
  /** -1 when unknown. */
  committedLeaderEpoch: number;
  committedMetadata: string | null;
}

export interface CommitOffsetsParams {
  groupId: string;
  /** -1 with memberId "" for a standalone (simple) consumer's commit. */
  generationIdOrMemberEpoch: number;
  memberId: string;
  groupInstanceId: string | null;
  /** OffsetCommit v2-v4; -1 means the broker's retention applies. */
  retentionTimeMs: number;
  topics: { name: string; partitions: CommitOffsetsPartition[] }[];
}

export interface CommitOffsetsResult {
  topics: { name: string; partitions: { partitionIndex: number; errorCode: number }[] }[];
}

export interface FetchOffsetsParams {
  groupId: string;
  /** Null asks for every partition the group has an offset for. */
  topics: { name: string; partitionIndexes: number[] }[] | null;
  requireStable: boolean;
}

export interface FetchOffsetsPartitionResult {
  partitionIndex: number;
  /** -1 when nothing is committed. */
  committedOffset: number;
  committedLeaderEpoch: number;
  metadata: string | null;
  errorCode: number;
}

export interface FetchOffsetsResult {
  /** Group-level error (for versions without one, the handler copies it to each partition). */
  errorCode: number;
  topics: { name: string; partitions: FetchOffsetsPartitionResult[] }[];
}

export interface DescribedMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  /** The member's metadata for the selected protocol; empty unless the group is Stable. */
  memberMetadata: Buffer;
  /** Empty unless the group is Stable. */
  memberAssignment: Buffer;
}

export interface DescribedGroup {
  errorCode: number;
  groupId: string;
  groupState: string;
  protocolType: string;
  /** The selected protocol when Stable, else "". */
  protocolData: string;
  members: DescribedMember[];
}

export interface ListedGroup {
  groupId: string;
  protocolType: string;
  groupState: string;
  groupType: string;
}

export interface ListGroupsResult {
  errorCode: number;
  groups: ListedGroup[];
}

export interface DeleteGroupsResult {
  groupId: string;
  errorCode: number;
}

export interface DeleteOffsetsParams {
  groupId: string;
  topics: { name: string; partitionIndexes: number[] }[];
}

export interface DeleteOffsetsResult {
  errorCode: number;
  topics: { name: string; partitions: { partitionIndex: number; errorCode: number }[] }[];
}

export interface TxnCommitOffsetsParams {
  groupId: string;
  /** The transaction the offsets belong to: they count once it commits. */
  producerId: number;
  producerEpoch: number;
  /** Group metadata of the consuming member (TxnOffsetCommit v3+, KIP-447): -1 and "" when not sent. */
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  topics: { name: string; partitions: CommitOffsetsPartition[] }[];
}
