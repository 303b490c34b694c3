// OffsetCommit (key 8), v1-9: stores a group's consumed positions.
//   v0    not implemented: Kafka stored v0 commits in ZooKeeper, apart from the coordinator's offsets, and a
//         KRaft Kafka answers v0 with UNSUPPORTED_VERSION. Below the advertised range this broker does the same.
//   v1    GenerationId and MemberId (group members are validated; -1 / "" is a standalone commit) and a
//         per-partition CommitTimestamp. -1 means "now", the only value honoured here: the coordinator stamps
//         commits with its own clock, so a client-chosen timestamp is refused for that partition with
//         UNSUPPORTED_VERSION (the feature belongs to an old version; v2+ has no such field).
//   v2-4  RetentionTimeMs: -1 keeps offsets.retention.minutes, anything else expires the commit that long
//         after it was made. (v3 adds throttle time to the response.)
//   v5    no retention time any more: the broker setting rules.
//   v6+   CommittedLeaderEpoch per partition, stored and returned by OffsetFetch.
//   v7+   GroupInstanceId (static members are validated by instance id too).
//   v8    first flexible version.
//   v9    the first version usable by KIP-848 consumer groups; for classic groups it is v8 except that a commit
//         with a generation for a group the coordinator does not know is GROUP_ID_NOT_FOUND (before v9 it is
//         ILLEGAL_GENERATION), as in Kafka. There are no KIP-848 groups here, so nothing else applies.
// Partitions of topics (or partitions) that do not exist are refused with UNKNOWN_TOPIC_OR_PARTITION before the
// coordinator sees the request, as Kafka does; the rest get the coordinator's per-partition codes.

import { OffsetCommitApi } from '../../wire/generated/apis';
import type { OffsetCommitRequest, OffsetCommitRequestTopic } from '../../wire/generated/messages/OffsetCommitRequest';
import type { OffsetCommitResponse } from '../../wire/generated/messages/OffsetCommitResponse';
import type { CommitOffsetsParams } from '../../groupcoord/types';
import { ErrorCode } from '../../wire/errors';
import { defineHandler } from '../define';
import type { RequestContext } from '../types';
import { coordinatorOf, PartitionCodes, topicPartitionError } from './group-common';

const COMMIT_TIMESTAMP_VERSION = 1;
const GROUP_ID_NOT_FOUND_VERSION = 9;
/** OffsetCommit v1's "use the broker's time". */
const DEFAULT_TIMESTAMP = -1;

function allPartitions(req: OffsetCommitRequest, errorCode: number): OffsetCommitResponse {
  return {
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })),
    })),
  };
}

/** The handler's own refusals, before the coordinator: unknown topics/partitions and v1 commit timestamps. */
function precheck(req: OffsetCommitRequest, ctx: RequestContext, codes: PartitionCodes): OffsetCommitRequestTopic[] {
  const accepted: OffsetCommitRequestTopic[] = [];
  for (const t of req.topics) {
    const ok = t.partitions.filter((p) => {
      let code = topicPartitionError(ctx.broker.image, t.name, p.partitionIndex);
      if (code === ErrorCode.NONE && ctx.apiVersion === COMMIT_TIMESTAMP_VERSION && p.commitTimestamp !== DEFAULT_TIMESTAMP) {
        code = ErrorCode.UNSUPPORTED_VERSION;
      }
      if (code !== ErrorCode.NONE) codes.set(t.name, p.partitionIndex, code);
      return code === ErrorCode.NONE;
    });
    if (ok.length > 0) accepted.push({ name: t.name, partitions: ok });
  }
  return accepted;
}

async function handleOffsetCommit(req: OffsetCommitRequest, ctx: RequestContext): Promise<OffsetCommitResponse> {
  const coordinator = coordinatorOf(ctx);
  if (!coordinator) return allPartitions(req, ErrorCode.COORDINATOR_NOT_AVAILABLE);

  const codes = new PartitionCodes();
  const accepted = precheck(req, ctx, codes);
  if (accepted.length > 0) {
    const unknownGroup =
      ctx.apiVersion >= GROUP_ID_NOT_FOUND_VERSION &&
      req.generationIdOrMemberEpoch >= 0 &&
      coordinator.ownsPartition(coordinator.partitionFor(req.groupId)) &&
      coordinator.getGroup(req.groupId) === undefined;
    if (unknownGroup) {
      for (const t of accepted) for (const p of t.partitions) codes.set(t.name, p.partitionIndex, ErrorCode.GROUP_ID_NOT_FOUND);
    } else {
      const params: CommitOffsetsParams = {
        groupId: req.groupId,
        generationIdOrMemberEpoch: req.generationIdOrMemberEpoch,
        memberId: req.memberId,
        groupInstanceId: req.groupInstanceId,
        // Decodes as -1 outside v2-4, which is exactly "the broker's retention".
        retentionTimeMs: req.retentionTimeMs,
        topics: accepted.map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p) => ({
            partitionIndex: p.partitionIndex,
            committedOffset: p.committedOffset,
            committedLeaderEpoch: p.committedLeaderEpoch,
            committedMetadata: p.committedMetadata,
          })),
        })),
      };
      const result = await coordinator.commitOffsets(params);
      for (const t of result.topics) for (const p of t.partitions) codes.set(t.name, p.partitionIndex, p.errorCode);
    }
  }

  return { throttleTimeMs: 0, topics: codes.answer(req.topics) };
}

export const offsetCommitHandler = defineHandler(OffsetCommitApi, {
  minVersion: 1,
  maxVersion: 9,
  handle: handleOffsetCommit,
  errorResponse: (req, errorCode) => allPartitions(req, errorCode),
});
