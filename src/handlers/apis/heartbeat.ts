// Heartbeat (key 12), v0-4: a member tells the coordinator it is alive; the answer says whether a rebalance is
// under way (REBALANCE_IN_PROGRESS sends the member back to JoinGroup).
//   v0-2  same request (v1 adds throttle time to the response).
//   v3+   GroupInstanceId (static membership, KIP-345).
//   v4    first flexible version.

import { HeartbeatApi } from '../../wire/generated/apis';
import type { HeartbeatRequest } from '../../wire/generated/messages/HeartbeatRequest';
import type { HeartbeatResponse } from '../../wire/generated/messages/HeartbeatResponse';
import { ErrorCode } from '../../wire/errors';
import { defineHandler } from '../define';
import type { RequestContext } from '../types';
import { coordinatorOf } from './group-common';

function handleHeartbeat(req: HeartbeatRequest, ctx: RequestContext): HeartbeatResponse {
  const coordinator = coordinatorOf(ctx);
  if (!coordinator) return { throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE };
  const r = coordinator.heartbeat({
    groupId: req.groupId,
    generationId: req.generationId,
    memberId: req.memberId,
    groupInstanceId: req.groupInstanceId,
  });
  return { throttleTimeMs: 0, errorCode: r.errorCode };
}

export const heartbeatHandler = defineHandler(HeartbeatApi, {
  minVersion: 0,
  maxVersion: 4,
  handle: handleHeartbeat,
  errorResponse: (_req, errorCode) => ({ throttleTimeMs: 0, errorCode }),
});
