// The quorum RPCs between the Raft core's messages and their Kafka wire form (Vote, BeginQuorumEpoch,
// EndQuorumEpoch, Fetch on __cluster_metadata-0, FetchSnapshot). Each request names the single metadata partition;
// a leader id of -1 on the wire is null in the core. Both directions live here so the client side (the transport)
// and the server side (the handlers) cannot drift apart.
//
// Vote is sent as a regular vote only: our schemas stop at Vote v1, which has no PreVote flag (KIP-996), so the
// core runs with preVote off.

import { ErrorCode } from '../wire/errors';
import { ZERO_UUID } from '../wire/primitives';
import type * as Raft from './raft/messages';
import type { SnapshotId } from './raft/types';
import { METADATA_PARTITION, METADATA_TOPIC, METADATA_TOPIC_ID, batchesToEntries, entriesToBatches } from './raft/entry-batches';
import type { VoteRequest, VoteRequestPartitionData } from '../wire/generated/messages/VoteRequest';
import type { VoteResponse } from '../wire/generated/messages/VoteResponse';
import type { BeginQuorumEpochRequest } from '../wire/generated/messages/BeginQuorumEpochRequest';
import type { BeginQuorumEpochResponse } from '../wire/generated/messages/BeginQuorumEpochResponse';
import type { EndQuorumEpochRequest } from '../wire/generated/messages/EndQuorumEpochRequest';
import type { EndQuorumEpochResponse } from '../wire/generated/messages/EndQuorumEpochResponse';
import type { FetchRequest, FetchRequestFetchPartition } from '../wire/generated/messages/FetchRequest';
import type { FetchResponse, FetchResponsePartitionData } from '../wire/generated/messages/FetchResponse';
import type { FetchSnapshotRequest } from '../wire/generated/messages/FetchSnapshotRequest';
import type { FetchSnapshotResponse } from '../wire/generated/messages/FetchSnapshotResponse';

export interface Endpoint {
  host: string;
  port: number;
}

/** A decoded `records` field as one buffer. */
function recordsBuffer(records: Buffer | Buffer[] | null): Buffer | null {
  if (records === null || Buffer.isBuffer(records)) return records;
  return records.length === 1 ? records[0]! : Buffer.concat(records);
}

/** A wire request turned into the core's form, or the error to answer it with (top-level). */
export type Inbound<T> = { from: number; message: T } | { errorCode: number };

const leaderOnWire = (id: number | null): number => id ?? -1;
const leaderFromWire = (id: number): number | null => (id < 0 ? null : id);

/** The one partition entry of a quorum request, when the request names exactly __cluster_metadata-0. */
function onlyPartition<P>(topics: { name: string; partitions: P[] }[], index: (p: P) => number): P | null {
  if (topics.length !== 1 || topics[0]!.name !== METADATA_TOPIC) return null;
  const parts = topics[0]!.partitions;
  return parts.length === 1 && index(parts[0]!) === METADATA_PARTITION ? parts[0]! : null;
}

function clusterMismatch(theirs: string | null, ours: string): boolean {
  // A request without a cluster id is accepted (Kafka's rule: only a different id is inconsistent).
  return theirs !== null && theirs !== ours;
}

// --- Vote ---

export function voteRequestToWire(m: Raft.VoteRequest, clusterId: string, voterId: number): VoteRequest {
  return {
    clusterId,
    voterId,
    topics: [
      {
        topicName: METADATA_TOPIC,
        partitions: [
          {
            partitionIndex: METADATA_PARTITION,
            candidateEpoch: m.candidateEpoch,
            candidateId: m.candidateId,
            candidateDirectoryId: ZERO_UUID,
            voterDirectoryId: ZERO_UUID,
            lastOffsetEpoch: m.lastOffsetEpoch,
            lastOffset: m.lastOffset,
          },
        ],
      },
    ],
  };
}

export function voteRequestFromWire(w: VoteRequest, clusterId: string): Inbound<Raft.VoteRequest> {
  if (clusterMismatch(w.clusterId, clusterId)) return { errorCode: ErrorCode.INCONSISTENT_CLUSTER_ID };
  const p: VoteRequestPartitionData | null = onlyPartition(
    w.topics.map((t) => ({ name: t.topicName, partitions: t.partitions })),
    (x) => x.partitionIndex,
  );
  if (p === null) return { errorCode: ErrorCode.INVALID_REQUEST };
  return {
    from: p.candidateId,
    message: {
      type: 'VoteRequest',
      candidateEpoch: p.candidateEpoch,
      candidateId: p.candidateId,
      lastOffsetEpoch: p.lastOffsetEpoch,
      lastOffset: p.lastOffset,
      preVote: false,
    },
  };
}

export function voteResponseToWire(m: Raft.VoteResponse, leaderEndpoint: (id: number) => Endpoint | null): VoteResponse {
  return {
    errorCode: ErrorCode.NONE,
    topics: [
      {
        topicName: METADATA_TOPIC,
        partitions: [
          {
            partitionIndex: METADATA_PARTITION,
            errorCode: m.errorCode,
            leaderId: leaderOnWire(m.leaderId),
            leaderEpoch: m.leaderEpoch,
            voteGranted: m.voteGranted,
          },
        ],
      },
    ],
    nodeEndpoints: nodeEndpoints(m.leaderId, leaderEndpoint),
  };
}

export function voteResponseFromWire(w: VoteResponse): Raft.VoteResponse | null {
  const p = onlyPartition(w.topics.map((t) => ({ name: t.topicName, partitions: t.partitions })), (x) => x.partitionIndex);
  if (w.errorCode !== ErrorCode.NONE || p === null) return null;
  return {
    type: 'VoteResponse',
    errorCode: p.errorCode,
    leaderEpoch: p.leaderEpoch,
    leaderId: leaderFromWire(p.leaderId),
    voteGranted: p.voteGranted,
    preVote: false,
  };
}

function nodeEndpoints(leaderId: number | null, endpoint: (id: number) => Endpoint | null): { nodeId: number; host: string; port: number }[] {
  if (leaderId === null) return [];
  const e = endpoint(leaderId);
  return e === null ? [] : [{ nodeId: leaderId, host: e.host, port: e.port }];
}

// --- BeginQuorumEpoch ---

export function beginQuorumEpochRequestToWire(
  m: Raft.BeginQuorumEpochRequest,
  clusterId: string,
  voterId: number,
  leaderListener: { name: string; host: string; port: number } | null,
): BeginQuorumEpochRequest {
  return {
    clusterId,
    voterId,
    topics: [
      {
        topicName: METADATA_TOPIC,
        partitions: [{ partitionIndex: METADATA_PARTITION, voterDirectoryId: ZERO_UUID, leaderId: m.leaderId, leaderEpoch: m.leaderEpoch }],
      },
    ],
    leaderEndpoints: leaderListener === null ? [] : [leaderListener],
  };
}

export function beginQuorumEpochRequestFromWire(w: BeginQuorumEpochRequest, clusterId: string): Inbound<Raft.BeginQuorumEpochRequest> {
  if (clusterMismatch(w.clusterId, clusterId)) return { errorCode: ErrorCode.INCONSISTENT_CLUSTER_ID };
  const p = onlyPartition(w.topics.map((t) => ({ name: t.topicName, partitions: t.partitions })), (x) => x.partitionIndex);
  if (p === null) return { errorCode: ErrorCode.INVALID_REQUEST };
  return { from: p.leaderId, message: { type: 'BeginQuorumEpochRequest', leaderId: p.leaderId, leaderEpoch: p.leaderEpoch } };
}

export function beginQuorumEpochResponseToWire(m: Raft.BeginQuorumEpochResponse, leaderEndpoint: (id: number) => Endpoint | null): BeginQuorumEpochResponse {
  return {
    errorCode: ErrorCode.NONE,
    topics: [
      {
        topicName: METADATA_TOPIC,
        partitions: [{ partitionIndex: METADATA_PARTITION, errorCode: m.errorCode, leaderId: leaderOnWire(m.leaderId), leaderEpoch: m.leaderEpoch }],
      },
    ],
    nodeEndpoints: nodeEndpoints(m.leaderId, leaderEndpoint),
  };
}

export function beginQuorumEpochResponseFromWire(w: BeginQuorumEpochResponse): Raft.BeginQuorumEpochResponse | null {
  const p = onlyPartition(w.topics.map((t) => ({ name: t.topicName, partitions: t.partitions })), (x) => x.partitionIndex);
  if (w.errorCode !== ErrorCode.NONE || p === null) return null;
  return { type: 'BeginQuorumEpochResponse', errorCode: p.errorCode, leaderEpoch: p.leaderEpoch, leaderId: leaderFromWire(p.leaderId) };
}

// --- EndQuorumEpoch ---

export function endQuorumEpochRequestToWire(
  m: Raft.EndQuorumEpochRequest,
  clusterId: string,
  leaderListener: { name: string; host: string; port: number } | null,
): EndQuorumEpochRequest {
  return {
    clusterId,
    topics: [
      {
        topicName: METADATA_TOPIC,
        partitions: [
          {
            partitionIndex: METADATA_PARTITION,
            leaderId: m.leaderId,
            leaderEpoch: m.leaderEpoch,
            // v0 carries the ids, v1 the (id, directory) pairs: fill both, the encoder writes its version's.
            preferredSuccessors: [...m.preferredSuccessors],
            preferredCandidates: m.preferredSuccessors.map((candidateId) => ({ candidateId, candidateDirectoryId: ZERO_UUID })),
          },
        ],
      },
    ],
    leaderEndpoints: leaderListener === null ? [] : [leaderListener],
  };
}

export function endQuorumEpochRequestFromWire(w: EndQuorumEpochRequest, clusterId: string, version: number): Inbound<Raft.EndQuorumEpochRequest> {
  if (clusterMismatch(w.clusterId, clusterId)) return { errorCode: ErrorCode.INCONSISTENT_CLUSTER_ID };
  const p = onlyPartition(w.topics.map((t) => ({ name: t.topicName, partitions: t.partitions })), (x) => x.partitionIndex);
  if (p === null) return { errorCode: ErrorCode.INVALID_REQUEST };
  const successors = version >= 1 ? p.preferredCandidates.map((c) => c.candidateId) : p.preferredSuccessors;
  return {
    from: p.leaderId,
    message: { type: 'EndQuorumEpochRequest', leaderId: p.leaderId, leaderEpoch: p.leaderEpoch, preferredSuccessors: [...successors] },
  };
}

export function endQuorumEpochResponseToWire(m: Raft.EndQuorumEpochResponse, leaderEndpoint: (id: number) => Endpoint | null): EndQuorumEpochResponse {
  return {
    errorCode: ErrorCode.NONE,
    topics: [
      {
        topicName: METADATA_TOPIC,
        partitions: [{ partitionIndex: METADATA_PARTITION, errorCode: m.errorCode, leaderId: leaderOnWire(m.leaderId), leaderEpoch: m.leaderEpoch }],
      },
    ],
    nodeEndpoints: nodeEndpoints(m.leaderId, leaderEndpoint),
  };
}

export function endQuorumEpochResponseFromWire(w: EndQuorumEpochResponse): Raft.EndQuorumEpochResponse | null {
  const p = onlyPartition(w.topics.map((t) => ({ name: t.topicName, partitions: t.partitions })), (x) => x.partitionIndex);
  if (w.errorCode !== ErrorCode.NONE || p === null) return null;
  return { type: 'EndQuorumEpochResponse', errorCode: p.errorCode, leaderEpoch: p.leaderEpoch, leaderId: leaderFromWire(p.leaderId) };
}

// --- Fetch (quorum fetch of __cluster_metadata-0) ---

/** Fetch v12 added LastFetchedEpoch, DivergingEpoch and SnapshotId, which the quorum protocol needs. */
export const QUORUM_FETCH_MIN_VERSION = 12;

export function fetchRequestToWire(m: Raft.FetchRequest, clusterId: string): FetchRequest {
  return {
    clusterId,
    replicaId: m.replicaId,
    replicaState: { replicaId: m.replicaId, replicaEpoch: -1 },
    maxWaitMs: m.maxWaitMs,
    minBytes: 0,
    maxBytes: m.maxBytes,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        topic: METADATA_TOPIC,
        topicId: METADATA_TOPIC_ID,
        partitions: [
          {
            partition: METADATA_PARTITION,
            currentLeaderEpoch: m.currentLeaderEpoch,
            fetchOffset: m.fetchOffset,
            lastFetchedEpoch: m.lastFetchedEpoch,
            logStartOffset: -1,
            partitionMaxBytes: m.maxBytes,
            replicaDirectoryId: ZERO_UUID,
          },
        ],
      },
    ],
    forgottenTopicsData: [],
    rackId: '',
  };
}

/** Whether a Fetch names __cluster_metadata (by id from v13, by name before). */
export function isMetadataFetch(w: FetchRequest, version: number): boolean {
  return w.topics.some((t) => (version >= 13 ? t.topicId === METADATA_TOPIC_ID : t.topic === METADATA_TOPIC));
}

/** The fetcher's id: ReplicaState from v15, ReplicaId before. */
export function fetchReplicaId(w: FetchRequest, version: number): number {
  return version >= 15 ? w.replicaState.replicaId : w.replicaId;
}

export function fetchRequestFromWire(w: FetchRequest, version: number, clusterId: string): Inbound<Raft.FetchRequest> {
  if (clusterMismatch(w.clusterId, clusterId)) return { errorCode: ErrorCode.INCONSISTENT_CLUSTER_ID };
  if (version < QUORUM_FETCH_MIN_VERSION) return { errorCode: ErrorCode.UNSUPPORTED_VERSION };
  const p: FetchRequestFetchPartition | null = onlyPartition(
    w.topics.map((t) => ({ name: version >= 13 ? (t.topicId === METADATA_TOPIC_ID ? METADATA_TOPIC : '') : t.topic, partitions: t.partitions })),
    (x) => x.partition,
  );
  const replicaId = fetchReplicaId(w, version);
  if (p === null || replicaId < 0) return { errorCode: ErrorCode.INVALID_REQUEST };
  return {
    from: replicaId,
    message: {
      type: 'FetchRequest',
      correlationId: 0, // the driver assigns its own
      replicaId,
      currentLeaderEpoch: p.currentLeaderEpoch,
      fetchOffset: p.fetchOffset,
      lastFetchedEpoch: p.lastFetchedEpoch,
      maxWaitMs: Math.max(0, w.maxWaitMs),
      maxBytes: Math.max(1, Math.min(w.maxBytes, p.partitionMaxBytes)),
    },
  };
}

export function fetchResponseToWire(m: Raft.FetchResponse, leaderEndpoint: (id: number) => Endpoint | null): FetchResponse {
  const part: FetchResponsePartitionData = {
    partitionIndex: METADATA_PARTITION,
    errorCode: m.errorCode,
    highWatermark: m.highWatermark,
    lastStableOffset: m.highWatermark,
    logStartOffset: m.logStartOffset,
    divergingEpoch: m.divergingEpoch === null ? { epoch: -1, endOffset: -1 } : { ...m.divergingEpoch },
    currentLeader: { leaderId: leaderOnWire(m.leaderId), leaderEpoch: m.leaderEpoch },
    snapshotId: m.snapshotId === null ? { endOffset: -1, epoch: -1 } : { ...m.snapshotId },
    abortedTransactions: null,
    preferredReadReplica: -1,
    records: m.entries.length === 0 ? null : entriesToBatches(m.entries),
  };
  return {
    throttleTimeMs: 0,
    errorCode: ErrorCode.NONE,
    sessionId: 0,
    responses: [{ topic: METADATA_TOPIC, topicId: METADATA_TOPIC_ID, partitions: [part] }],
    nodeEndpoints: nodeEndpoints(m.leaderId, leaderEndpoint).map((e) => ({ ...e, rack: null })),
  };
}

/** An error answer to a quorum fetch that could not be handed to the core (bad partition, wrong cluster). */
export function fetchErrorToWire(errorCode: number): FetchResponse {
  return {
    throttleTimeMs: 0,
    errorCode,
    sessionId: 0,
    responses: [],
    nodeEndpoints: [],
  };
}

export function fetchResponseFromWire(w: FetchResponse, version: number, req: Raft.FetchRequest): Raft.FetchResponse | null {
  if (w.errorCode !== ErrorCode.NONE) return null;
  const p = onlyPartition(
    w.responses.map((t) => ({ name: version >= 13 ? (t.topicId === METADATA_TOPIC_ID ? METADATA_TOPIC : '') : t.topic, partitions: t.partitions })),
    (x) => x.partitionIndex,
  );
  if (p === null) return null;
  const records = recordsBuffer(p.records);
  return {
    type: 'FetchResponse',
    correlationId: req.correlationId,
    errorCode: p.errorCode,
    leaderEpoch: p.currentLeader.leaderEpoch,
    leaderId: leaderFromWire(p.currentLeader.leaderId),
    highWatermark: p.highWatermark,
    logStartOffset: p.logStartOffset,
    divergingEpoch: p.divergingEpoch.endOffset >= 0 ? { epoch: p.divergingEpoch.epoch, endOffset: p.divergingEpoch.endOffset } : null,
    snapshotId: p.snapshotId.endOffset >= 0 ? { endOffset: p.snapshotId.endOffset, epoch: p.snapshotId.epoch } : null,
    entries: records === null || p.errorCode !== ErrorCode.NONE ? [] : batchesToEntries(records, req.fetchOffset),
  };
}

// --- FetchSnapshot ---

export function fetchSnapshotRequestToWire(m: Raft.FetchSnapshotRequest, clusterId: string): FetchSnapshotRequest {
  return {
    clusterId,
    replicaId: m.replicaId,
    maxBytes: m.maxBytes,
    topics: [
      {
        name: METADATA_TOPIC,
        partitions: [
          {
            partition: METADATA_PARTITION,
            currentLeaderEpoch: m.currentLeaderEpoch,
            snapshotId: { ...m.snapshotId },
            position: m.position,
            replicaDirectoryId: ZERO_UUID,
          },
        ],
      },
    ],
  };
}

export function fetchSnapshotRequestFromWire(w: FetchSnapshotRequest, clusterId: string): Inbound<Raft.FetchSnapshotRequest> {
  if (clusterMismatch(w.clusterId, clusterId)) return { errorCode: ErrorCode.INCONSISTENT_CLUSTER_ID };
  const p = onlyPartition(w.topics, (x) => x.partition);
  if (p === null || w.replicaId < 0) return { errorCode: ErrorCode.INVALID_REQUEST };
  return {
    from: w.replicaId,
    message: {
      type: 'FetchSnapshotRequest',
      correlationId: 0, // the driver assigns its own
      replicaId: w.replicaId,
      currentLeaderEpoch: p.currentLeaderEpoch,
      snapshotId: { endOffset: p.snapshotId.endOffset, epoch: p.snapshotId.epoch },
      position: p.position,
      maxBytes: Math.max(1, w.maxBytes),
    },
  };
}

export function fetchSnapshotResponseToWire(m: Raft.FetchSnapshotResponse, leaderEndpoint: (id: number) => Endpoint | null): FetchSnapshotResponse {
  return {
    throttleTimeMs: 0,
    errorCode: ErrorCode.NONE,
    topics: [
      {
        name: METADATA_TOPIC,
        partitions: [
          {
            index: METADATA_PARTITION,
            errorCode: m.errorCode,
            snapshotId: { ...m.snapshotId },
            currentLeader: { leaderId: leaderOnWire(m.leaderId), leaderEpoch: m.leaderEpoch },
            size: m.size,
            position: m.position,
            unalignedRecords: m.bytes,
          },
        ],
      },
    ],
    nodeEndpoints: nodeEndpoints(m.leaderId, leaderEndpoint),
  };
}

export function fetchSnapshotResponseFromWire(w: FetchSnapshotResponse, req: Raft.FetchSnapshotRequest): Raft.FetchSnapshotResponse | null {
  const p = onlyPartition(w.topics, (x) => x.index);
  if (w.errorCode !== ErrorCode.NONE || p === null) return null;
  const id: SnapshotId = { endOffset: p.snapshotId.endOffset, epoch: p.snapshotId.epoch };
  return {
    type: 'FetchSnapshotResponse',
    correlationId: req.correlationId,
    errorCode: p.errorCode,
    leaderEpoch: p.currentLeader.leaderEpoch,
    leaderId: leaderFromWire(p.currentLeader.leaderId),
    snapshotId: id,
    size: p.size,
    position: p.position,
    bytes: recordsBuffer(p.unalignedRecords) ?? Buffer.alloc(0),
  };
}
