// The metadata quorum's RPCs on the controller listener (KIP-595, KIP-630): Vote (52) v0-1, BeginQuorumEpoch (53)
// v0-1, EndQuorumEpoch (54) v0-1, FetchSnapshot (59) v0-1, and DescribeQuorum (55) v0-2 for operators. Each request
// is translated into the Raft core's message (src/kraft/quorum-wire.ts), handed to the node's quorum driver, and its
// answer translated back. Quorum Fetch (key 1 on __cluster_metadata) is dispatched from the Fetch handler through
// quorum-fetch.ts.
//
// A node that runs no multi-node quorum answers these with INVALID_REQUEST at the top level. DescribeQuorum is
// answered by the quorum leader; a node that is not the leader forwards it there when it arrived on a broker
// listener, and otherwise answers NOT_LEADER_OR_FOLLOWER with the leader it knows, so a client bootstrapped on
// the controllers tries another one (Kafka's behaviour).

import {
  BeginQuorumEpochApi,
  DescribeQuorumApi,
  EndQuorumEpochApi,
  FetchSnapshotApi,
  VoteApi,
} from '../../wire/generated/apis';
import type { DescribeQuorumRequest } from '../../wire/generated/messages/DescribeQuorumRequest';
import type { DescribeQuorumResponse, DescribeQuorumResponseReplicaState } from '../../wire/generated/messages/DescribeQuorumResponse';
import { ErrorCode } from '../../wire/errors';
import { ZERO_UUID } from '../../wire/primitives';
import { METADATA_PARTITION, METADATA_TOPIC } from '../../kraft/raft/entry-batches';
import type { ReplicaDescription } from '../../kraft/raft/leader-state';
import { kraftOf, onControllerListener, type KraftServices } from '../../kraft/kraft-services';
import {
  beginQuorumEpochRequestFromWire,
  beginQuorumEpochResponseToWire,
  endQuorumEpochRequestFromWire,
  endQuorumEpochResponseToWire,
  fetchSnapshotRequestFromWire,
  fetchSnapshotResponseToWire,
  voteRequestFromWire,
  voteResponseToWire,
  type Endpoint,
  type Inbound,
} from '../../kraft/quorum-wire';
import type { RaftRequest } from '../../kraft/raft/messages';
import type { ResponseFor } from '../../kraft/quorum-driver';
import { defineHandler } from '../define';
import type { ApiHandler, RequestContext } from '../types';

const NOT_A_QUORUM_MEMBER = ErrorCode.INVALID_REQUEST;

function endpoints(k: KraftServices): (id: number) => Endpoint | null {
  return (id) => k.voterEndpoints.get(id) ?? null;
}

function services(ctx: RequestContext): KraftServices | undefined {
  return kraftOf(ctx.broker);
}

/** An election RPC's top-level refusal: an error code and nothing else. */
const refused = (errorCode: number) => ({ errorCode, topics: [], nodeEndpoints: [] });

/**
 * Vote, BeginQuorumEpoch and EndQuorumEpoch are handled alike: translate the request for the Raft core (or refuse
 * it: not a quorum member, another cluster, not exactly the metadata partition), hand it to the quorum driver, and
 * translate its answer back.
 */
function electionRpc<Req, In extends RaftRequest, Res>(
  fromWire: (req: Req, clusterId: string, version: number) => Inbound<In>,
  toWire: (answer: ResponseFor<In>, leaderEndpoint: (id: number) => Endpoint | null) => Res,
  refuse: (errorCode: number) => Res,
): (req: Req, ctx: RequestContext) => Promise<Res> {
  return async (req, ctx) => {
    const k = services(ctx);
    if (!k) return refuse(NOT_A_QUORUM_MEMBER);
    const inbound = fromWire(req, k.clusterId, ctx.apiVersion);
    if ('errorCode' in inbound) return refuse(inbound.errorCode);
    return toWire(await k.quorum.deliver(inbound.from, inbound.message), endpoints(k));
  };
}

export const voteHandler = defineHandler(VoteApi, {
  minVersion: 0,
  maxVersion: 1,
  handle: electionRpc(voteRequestFromWire, voteResponseToWire, refused),
  errorResponse: (_req, errorCode) => refused(errorCode),
});

export const beginQuorumEpochHandler = defineHandler(BeginQuorumEpochApi, {
  minVersion: 0,
  maxVersion: 1,
  handle: electionRpc(beginQuorumEpochRequestFromWire, beginQuorumEpochResponseToWire, refused),
  errorResponse: (_req, errorCode) => refused(errorCode),
});

export const endQuorumEpochHandler = defineHandler(EndQuorumEpochApi, {
  minVersion: 0,
  maxVersion: 1,
  handle: electionRpc(endQuorumEpochRequestFromWire, endQuorumEpochResponseToWire, refused),
  errorResponse: (_req, errorCode) => refused(errorCode),
});

export const fetchSnapshotHandler = defineHandler(FetchSnapshotApi, {
  minVersion: 0,
  maxVersion: 1,
  async handle(req, ctx) {
    const k = services(ctx);
    if (!k) return { throttleTimeMs: 0, errorCode: NOT_A_QUORUM_MEMBER, topics: [], nodeEndpoints: [] };
    const inbound = fetchSnapshotRequestFromWire(req, k.clusterId);
    if ('errorCode' in inbound) return { throttleTimeMs: 0, errorCode: inbound.errorCode, topics: [], nodeEndpoints: [] };
    return fetchSnapshotResponseToWire(await k.quorum.deliver(inbound.from, inbound.message), endpoints(k));
  },
  errorResponse: (_req, errorCode) => ({ throttleTimeMs: 0, errorCode, topics: [], nodeEndpoints: [] }),
});

// --- DescribeQuorum ---

function replicaState(r: ReplicaDescription): DescribeQuorumResponseReplicaState {
  return {
    replicaId: r.replicaId,
    replicaDirectoryId: ZERO_UUID,
    logEndOffset: r.logEndOffset,
    lastFetchTimestamp: r.lastFetchTimestamp,
    lastCaughtUpTimestamp: r.lastCaughtUpTimestamp,
  };
}

function describeError(errorCode: number, errorMessage: string | null = null): DescribeQuorumResponse {
  return { errorCode, errorMessage, topics: [], nodes: [] };
}

function namesMetadataPartition(req: DescribeQuorumRequest): boolean {
  return (
    req.topics.length === 1 &&
    req.topics[0]!.topicName === METADATA_TOPIC &&
    req.topics[0]!.partitions.length === 1 &&
    req.topics[0]!.partitions[0]!.partitionIndex === METADATA_PARTITION
  );
}

function partitionError(k: KraftServices, errorCode: number, errorMessage: string): DescribeQuorumResponse {
  return {
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    topics: [
      {
        topicName: METADATA_TOPIC,
        partitions: [
          {
            partitionIndex: METADATA_PARTITION,
            errorCode,
            errorMessage,
            leaderId: k.quorum.leaderId ?? -1,
            leaderEpoch: k.quorum.epoch,
            highWatermark: -1,
            currentVoters: [],
            observers: [],
          },
        ],
      },
    ],
    nodes: [],
  };
}

async function handleDescribeQuorum(req: DescribeQuorumRequest, ctx: RequestContext): Promise<DescribeQuorumResponse> {
  const k = services(ctx);
  if (!k) return describeError(NOT_A_QUORUM_MEMBER, 'this node runs no metadata quorum');
  if (!namesMetadataPartition(req)) return describeError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  const d = k.quorum.describeQuorum();
  if (d === null) {
    if (!onControllerListener(k, ctx.connection.listenerName)) {
      // A client asked a broker: the leader answers (forwarded like the other controller APIs).
      return k.channel.forward(DescribeQuorumApi, () => req, (r) => r.topics[0]?.partitions[0]?.errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER);
    }
    return partitionError(k, ErrorCode.NOT_LEADER_OR_FOLLOWER, 'this node is not the quorum leader');
  }
  return {
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    topics: [
      {
        topicName: METADATA_TOPIC,
        partitions: [
          {
            partitionIndex: METADATA_PARTITION,
            errorCode: ErrorCode.NONE,
            errorMessage: null,
            leaderId: d.leaderId,
            leaderEpoch: d.leaderEpoch,
            highWatermark: d.highWatermark,
            currentVoters: d.voters.map(replicaState),
            observers: d.observers.map(replicaState),
          },
        ],
      },
    ],
    nodes: [...k.voterEndpoints].map(([nodeId, e]) => ({
      nodeId,
      listeners: [{ name: k.controllerListenerNames[0] ?? 'CONTROLLER', host: e.host, port: e.port }],
    })),
  };
}

export const describeQuorumHandler = defineHandler(DescribeQuorumApi, {
  minVersion: 0,
  maxVersion: 2,
  handle: handleDescribeQuorum,
  errorResponse: (_req, errorCode) => describeError(errorCode),
});

export const QUORUM_HANDLERS: ApiHandler[] = [voteHandler, beginQuorumEpochHandler, endQuorumEpochHandler, fetchSnapshotHandler, describeQuorumHandler];
