// ListGroups (key 16), v0-5: the groups of every __consumer_offsets partition this broker coordinates (clients
// ask every broker and merge).
//   v0-2  same request (v1 adds throttle time to the response).
//   v3    first flexible version.
//   v4+   StatesFilter: only groups in one of the named states (case-insensitive); the response names each
//         group's state (KIP-518).
//   v5+   TypesFilter: only groups of the named types (KIP-848); every group here is "classic", which the
//         response says.
// While a partition is still loading, the groups known so far are listed with COORDINATOR_LOAD_IN_PROGRESS, as
// Kafka does.

import { ListGroupsApi } from '../../wire/generated/apis';
import type { ListGroupsRequest } from '../../wire/generated/messages/ListGroupsRequest';
import type { ListGroupsResponse } from '../../wire/generated/messages/ListGroupsResponse';
import { ErrorCode } from '../../wire/errors';
import { defineHandler } from '../define';
import type { RequestContext } from '../types';
import { coordinatorOf } from './group-common';

function handleListGroups(req: ListGroupsRequest, ctx: RequestContext): ListGroupsResponse {
  const coordinator = coordinatorOf(ctx);
  if (!coordinator) return { throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, groups: [] };
  // Both filters decode as empty (no filter) in the versions without them.
  const r = coordinator.listGroups(req.statesFilter, req.typesFilter);
  return {
    throttleTimeMs: 0,
    errorCode: r.errorCode,
    groups: r.groups.map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, groupState: g.groupState, groupType: g.groupType })),
  };
}

export const listGroupsHandler = defineHandler(ListGroupsApi, {
  minVersion: 0,
  maxVersion: 5,
  handle: handleListGroups,
  errorResponse: (_req, errorCode) => ({ throttleTimeMs: 0, errorCode, groups: [] }),
});
