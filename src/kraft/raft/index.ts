// The KRaft consensus core for the __cluster_metadata partition: a sans-IO RaftNode plus the storage and
// message contracts a broker wires it to (a network adapter mapping RaftMessage to the quorum RPCs, a disk
// RaftLog over the segment log, a durable QuorumStateStore).

export { RaftNode, RaftInvariantError } from './raft-node';
export type { AppendResult, RaftNodeOptions, RaftOutput, RaftRole } from './raft-node';
export { RAFT_DEFAULTS, resolveRaftConfig } from './config';
export type { RaftConfig } from './config';
export type * from './messages';
export type { RaftLog } from './raft-log';
export { MemoryRaftLog } from './memory-log';
export type { QuorumState, QuorumStateStore } from './quorum-state';
export { MemoryQuorumStateStore } from './quorum-state';
export type { RandomSource } from './random';
export { SeededRandom } from './random';
export type { QuorumDescription, ReplicaDescription } from './leader-state';
export type { ControlRecord, LeaderChangeRecord, OffsetAndEpoch, RaftEntry, SnapshotId } from './types';
