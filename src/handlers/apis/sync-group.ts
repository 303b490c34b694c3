// SyncGroup (key 14), v0-5: the leader hands in the assignment, every member gets its own share back.
//   v0-2  same request (v1 adds throttle time to the response).
//   v3+   GroupInstanceId (static membership, KIP-345).
//   v4    first flexible version.
//   v5    ProtocolType and ProtocolName in the request, checked against the group's, and echoed in the response
//         (KIP-559). They are mandatory at v5: a request without them is INCONSISTENT_GROUP_PROTOCOL, as in Kafka.
//         Before v5 they are not sent, and the coordinator does not check them.

import { SyncGroupApi } from '../../wire/generated/apis';
import type { SyncGroupRequest } from '../../wire/generated/messages/SyncGroupRequest';
import type { SyncGroupResponse } from '../../wire/generated/messages/SyncGroupResponse';
import { ErrorCode } from '../../wire/errors';
import { defineHandler } from '../define';
import type { RequestContext } from '../types';
import { coordinatorOf } from './group-common';

const PROTOCOL_CHECK_VERSION = 5;

function errorResponse(errorCode: number): SyncGroupResponse {
  return { throttleTimeMs: 0, errorCode, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) };
}

async function handleSyncGroup(req: SyncGroupRequest, ctx: RequestContext): Promise<SyncGroupResponse> {
  const coordinator = coordinatorOf(ctx);
  if (!coordinator) return errorResponse(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  const checked = ctx.apiVersion >= PROTOCOL_CHECK_VERSION;
  if (checked && (req.protocolType === null || req.protocolName === null)) {
    return errorResponse(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  }
  const r = await coordinator.syncGroup({
    groupId: req.groupId,
    generationId: req.generationId,
    memberId: req.memberId,
    groupInstanceId: req.groupInstanceId,
    protocolType: checked ? req.protocolType : null,
    protocolName: checked ? req.protocolName : null,
    assignments: req.assignments.map((a) => ({ memberId: a.memberId, assignment: a.assignment })),
  });
  return {
    throttleTimeMs: 0,
    errorCode: r.errorCode,
    protocolType: r.protocolType,
    protocolName: r.protocolName,
    assignment: r.assignment,
  };
}

export const syncGroupHandler = defineHandler(SyncGroupApi, {
  minVersion: 0,
  maxVersion: 5,
  handle: handleSyncGroup,
  errorResponse: (_req, errorCode) => errorResponse(errorCode),
});
