// OffsetFetch (key 9), v1-9: a group's committed offsets.
//   v0    not implemented: Kafka read v0 offsets from ZooKeeper, apart from the coordinator's, and a KRaft Kafka
//         answers v0 with UNSUPPORTED_VERSION. Below the advertised range this broker does the same.
//   v1    the response has no group-level error code: a group-level failure (NOT_COORDINATOR, ...) is copied into
//         every requested partition.
//   v2+   Topics may be null (every partition the group has an offset for), and a top-level ErrorCode carries
//         group-level failures; the partitions are then left out, as in Kafka. (v3 adds throttle time.)
//   v5+   CommittedLeaderEpoch per partition.
//   v6    first flexible version.
//   v7+   RequireStable: a partition with a commit still being written answers UNSTABLE_OFFSET_COMMIT instead of
//         an offset that may be about to change (KIP-447).
//   v8+   several groups per request (Groups[], each with nullable Topics), each answered with its own error.
//   v9    MemberId and MemberEpoch per group (KIP-848). Kafka validates them only for consumer-protocol groups;
//         every group here is a classic group, for which Kafka defines no meaning for them (its classic groups do
//         not check them), and a classic consumer such as librdkafka may send its classic member id. So they are
//         accepted as Kafka accepts them for classic groups.

import { OffsetFetchApi } from '../../wire/generated/apis';
import type { OffsetFetchRequest } from '../../wire/generated/messages/OffsetFetchRequest';
import type {
  OffsetFetchResponse,
  OffsetFetchResponseGroup,
  OffsetFetchResponseTopic,
} from '../../wire/generated/messages/OffsetFetchResponse';
import type { FetchOffsetsResult } from '../../groupcoord/types';
import { ErrorCode } from '../../wire/errors';
import { defineHandler } from '../define';
import type { RequestContext } from '../types';
import { coordinatorOf } from './group-common';

const GROUP_ERROR_VERSION = 2;
const REQUIRE_STABLE_VERSION = 7;
const MULTI_GROUP_VERSION = 8;

function wireTopics(r: FetchOffsetsResult): OffsetFetchResponseTopic[] {
  return r.topics.map((t) => ({
    name: t.name,
    partitions: t.partitions.map((p) => ({
      partitionIndex: p.partitionIndex,
      committedOffset: p.committedOffset,
      committedLeaderEpoch: p.committedLeaderEpoch,
      metadata: p.metadata,
      errorCode: p.errorCode,
    })),
  }));
}

function groupResponse(groupId: string, r: FetchOffsetsResult): OffsetFetchResponseGroup {
  // With a group-level error the partitions say nothing more; Kafka leaves them out.
  return { groupId, errorCode: r.errorCode, topics: r.errorCode === ErrorCode.NONE ? wireTopics(r) : [] };
}

function handleOffsetFetch(req: OffsetFetchRequest, ctx: RequestContext): OffsetFetchResponse {
  const version = ctx.apiVersion;
  const coordinator = coordinatorOf(ctx);
  if (!coordinator) return errorResponse(req, ErrorCode.COORDINATOR_NOT_AVAILABLE, version);
  const requireStable = version >= REQUIRE_STABLE_VERSION && req.requireStable;
  if (version >= MULTI_GROUP_VERSION) {
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      topics: [],
      groups: req.groups.map((g) => groupResponse(g.groupId, coordinator.fetchOffsets({ groupId: g.groupId, topics: g.topics, requireStable }))),
    };
  }
  const r = coordinator.fetchOffsets({ groupId: req.groupId, topics: req.topics, requireStable });
  if (version < GROUP_ERROR_VERSION) {
    // No top-level code on the wire: the coordinator has already copied a group-level error into each partition.
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, topics: wireTopics(r), groups: [] };
  }
  const g = groupResponse(req.groupId, r);
  return { throttleTimeMs: 0, errorCode: g.errorCode, topics: g.topics, groups: [] };
}

function errorResponse(req: OffsetFetchRequest, errorCode: number, version: number): OffsetFetchResponse {
  const res: OffsetFetchResponse = { throttleTimeMs: 0, errorCode: ErrorCode.NONE, topics: [], groups: [] };
  if (version >= MULTI_GROUP_VERSION) {
    res.groups = req.groups.map((g) => ({ groupId: g.groupId, errorCode, topics: [] }));
  } else if (version >= GROUP_ERROR_VERSION) {
    res.errorCode = errorCode;
  } else {
    res.topics = (req.topics ?? []).map((t) => ({
      name: t.name,
      partitions: t.partitionIndexes.map((i) => ({ partitionIndex: i, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode })),
    }));
  }
  return res;
}

export const offsetFetchHandler = defineHandler(OffsetFetchApi, {
  minVersion: 1,
  maxVersion: 9,
  handle: handleOffsetFetch,
  errorResponse: (req, errorCode, ctx) => errorResponse(req, errorCode, ctx.apiVersion),
});
