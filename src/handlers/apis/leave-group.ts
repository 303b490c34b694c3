// LeaveGroup (key 13), v0-5: members leave a classic group (a consumer closing, or an admin removing members).
//   v0-2  one member, by MemberId; its outcome is the response's only error code.
//   v3+   a batch of members, each by MemberId and/or GroupInstanceId (an empty MemberId with an instance id
//         removes that static member, KIP-345), each answered with its own error code. The top-level code is
//         only for the whole group (NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS, ...) and then no member is
//         listed. Like Kafka, members that fail individually (UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID) do not
//         raise the top-level code, even when all of them fail: clients read the member codes (the Java client
//         reports the first member error).
//   v4    first flexible version.
//   v5    a Reason per member, logged with the removal (KIP-800).

import { LeaveGroupApi } from '../../wire/generated/apis';
import type { LeaveGroupRequest } from '../../wire/generated/messages/LeaveGroupRequest';
import type { LeaveGroupResponse } from '../../wire/generated/messages/LeaveGroupResponse';
import type { LeaveGroupMemberParams } from '../../groupcoord/types';
import { ErrorCode } from '../../wire/errors';
import { defineHandler } from '../define';
import type { RequestContext } from '../types';
import { coordinatorOf } from './group-common';

const BATCHED_VERSION = 3;

function errorResponse(errorCode: number): LeaveGroupResponse {
  return { throttleTimeMs: 0, errorCode, members: [] };
}

function handleLeaveGroup(req: LeaveGroupRequest, ctx: RequestContext): LeaveGroupResponse {
  const coordinator = coordinatorOf(ctx);
  if (!coordinator) return errorResponse(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  const batched = ctx.apiVersion >= BATCHED_VERSION;
  const members: LeaveGroupMemberParams[] = batched
    ? req.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, reason: m.reason }))
    : [{ memberId: req.memberId, groupInstanceId: null, reason: null }];
  const r = coordinator.leaveGroup({ groupId: req.groupId, members });
  if (r.errorCode !== ErrorCode.NONE) return errorResponse(r.errorCode);
  if (!batched) return errorResponse(r.members[0]?.errorCode ?? ErrorCode.NONE);
  return {
    throttleTimeMs: 0,
    errorCode: ErrorCode.NONE,
    members: r.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode: m.errorCode })),
  };
}

export const leaveGroupHandler = defineHandler(LeaveGroupApi, {
  minVersion: 0,
  maxVersion: 5,
  handle: handleLeaveGroup,
  errorResponse: (_req, errorCode) => errorResponse(errorCode),
});
