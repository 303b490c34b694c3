// OffsetDelete (key 47), v0 (the only version): removes a group's committed offsets for some partitions
// (KIP-496). Allowed for an empty group, and for an active consumer group only for topics it no longer
// subscribes to (GROUP_SUBSCRIBED_TO_TOPIC otherwise); an active group of another protocol type is
// NON_EMPTY_GROUP. Topics that do not exist are refused with UNKNOWN_TOPIC_OR_PARTITION before the coordinator
// sees the request, as Kafka does; the group itself is still checked. A group-level failure (GROUP_ID_NOT_FOUND,
// NOT_COORDINATOR, ...) is the top-level code with no partitions, as Kafka answers it.

import { OffsetDeleteApi } from '../../wire/generated/apis';
import type { OffsetDeleteRequest } from '../../wire/generated/messages/OffsetDeleteRequest';
import type { OffsetDeleteResponse } from '../../wire/generated/messages/OffsetDeleteResponse';
import { ErrorCode } from '../../wire/errors';
import { defineHandler } from '../define';
import type { RequestContext } from '../types';
import { coordinatorOf, PartitionCodes, topicPartitionError } from './group-common';

function errorResponse(errorCode: number): OffsetDeleteResponse {
  return { errorCode, throttleTimeMs: 0, topics: [] };
}

async function handleOffsetDelete(req: OffsetDeleteRequest, ctx: RequestContext): Promise<OffsetDeleteResponse> {
  const coordinator = coordinatorOf(ctx);
  if (!coordinator) return errorResponse(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  const codes = new PartitionCodes();
  const known = req.topics.filter((t) => {
    const code = topicPartitionError(ctx.broker.image, t.name);
    if (code !== ErrorCode.NONE) for (const p of t.partitions) codes.set(t.name, p.partitionIndex, code);
    return code === ErrorCode.NONE;
  });
  const r = await coordinator.deleteOffsets({
    groupId: req.groupId,
    topics: known.map((t) => ({ name: t.name, partitionIndexes: t.partitions.map((p) => p.partitionIndex) })),
  });
  if (r.errorCode !== ErrorCode.NONE) return errorResponse(r.errorCode);
  for (const t of r.topics) for (const p of t.partitions) codes.set(t.name, p.partitionIndex, p.errorCode);
  return { errorCode: ErrorCode.NONE, throttleTimeMs: 0, topics: codes.answer(req.topics) };
}

export const offsetDeleteHandler = defineHandler(OffsetDeleteApi, {
  minVersion: 0,
  maxVersion: 0,
  handle: handleOffsetDelete,
  errorResponse: (_req, errorCode) => errorResponse(errorCode),
});
