// DeleteGroups (key 42), v0-2: removes empty groups and their committed offsets.
//   v0-1  same request (v1 only changes throttling behaviour).
//   v2    first flexible version.
// Each group is answered once (Kafka drops repeated names): NONE when deleted, NON_EMPTY_GROUP while it has
// members, GROUP_ID_NOT_FOUND when the coordinator does not hold it, NOT_COORDINATOR / COORDINATOR_LOAD_IN_PROGRESS
// when it lives elsewhere or is still loading.

import { DeleteGroupsApi } from '../../wire/generated/apis';
import type { DeleteGroupsRequest } from '../../wire/generated/messages/DeleteGroupsRequest';
import type { DeleteGroupsResponse } from '../../wire/generated/messages/DeleteGroupsResponse';
import { ErrorCode } from '../../wire/errors';
import { defineHandler } from '../define';
import type { RequestContext } from '../types';
import { coordinatorOf, distinct } from './group-common';

function errorResponse(req: DeleteGroupsRequest, errorCode: number): DeleteGroupsResponse {
  return { throttleTimeMs: 0, results: distinct(req.groupsNames).map((groupId) => ({ groupId, errorCode })) };
}

async function handleDeleteGroups(req: DeleteGroupsRequest, ctx: RequestContext): Promise<DeleteGroupsResponse> {
  const coordinator = coordinatorOf(ctx);
  if (!coordinator) return errorResponse(req, ErrorCode.COORDINATOR_NOT_AVAILABLE);
  const results = await coordinator.deleteGroups(distinct(req.groupsNames));
  return { throttleTimeMs: 0, results: results.map((r) => ({ groupId: r.groupId, errorCode: r.errorCode })) };
}

export const deleteGroupsHandler = defineHandler(DeleteGroupsApi, {
  minVersion: 0,
  maxVersion: 2,
  handle: handleDeleteGroups,
  errorResponse: (req, errorCode) => errorResponse(req, errorCode),
});
