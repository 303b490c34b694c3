// ElectLeaders (key 43), v0-2 (KIP-183 preferred elections, KIP-460 election types). The controller elects
// (src/kraft/controller/elect-leaders.ts); a broker that is not the active controller forwards the operation there.
//   v0: preferred elections only (ElectionType absent, read as 0); no top-level error code.
//   v1: ElectionType (0 PREFERRED, 1 UNCLEAN) and a top-level error code. v2: flexible.
// TopicPartitions null means every partition of the cluster. timeoutMs bounds the wait for the controller.

import { ElectLeadersApi } from '../../wire/generated/apis';
import type { ElectLeadersRequest } from '../../wire/generated/messages/ElectLeadersRequest';
import type { ElectLeadersResponse } from '../../wire/generated/messages/ElectLeadersResponse';
import { ErrorCode } from '../../wire/errors';
import { kraftOf, onControllerListener } from '../../kraft/kraft-services';
import { defineHandler } from '../define';
import type { RequestContext } from '../types';
import { TIMED_OUT_MESSAGE, withinDeadline } from './create-topics';

function errorResponse(req: ElectLeadersRequest, errorCode: number, errorMessage: string | null = null): ElectLeadersResponse {
  return {
    throttleTimeMs: 0,
    errorCode,
    replicaElectionResults: (req.topicPartitions ?? []).map((t) => ({
      topic: t.topic,
      partitionResult: t.partitions.map((partitionId) => ({ partitionId, errorCode, errorMessage })),
    })),
  };
}

async function handleElectLeaders(req: ElectLeadersRequest, ctx: RequestContext): Promise<ElectLeadersResponse> {
  const k = kraftOf(ctx.broker);
  // Requests forwarded to a controller listener are run here or refused, never forwarded again.
  const ops = k === undefined ? ctx.broker.controller : onControllerListener(k, ctx.connection.listenerName) ? k.controllerOps : k.channel;
  const input = {
    electionType: ctx.apiVersion === 0 ? 0 : req.electionType,
    topicPartitions: req.topicPartitions === null ? null : req.topicPartitions.map((t) => ({ topic: t.topic, partitions: [...t.partitions] })),
  };
  const results = await withinDeadline(req.timeoutMs, () => ops.electLeaders(input));
  if (results === null) return errorResponse(req, ErrorCode.REQUEST_TIMED_OUT, TIMED_OUT_MESSAGE);
  return {
    throttleTimeMs: 0,
    errorCode: ErrorCode.NONE,
    replicaElectionResults: results.map((t) => ({
      topic: t.topic,
      partitionResult: t.partitions.map((p) => ({ partitionId: p.partitionId, errorCode: p.errorCode, errorMessage: p.errorMessage })),
    })),
  };
}

export const electLeadersHandler = defineHandler(ElectLeadersApi, {
  minVersion: 0,
  maxVersion: 2,
  handle: handleElectLeaders,
  errorResponse: (req, errorCode) => errorResponse(req, errorCode),
});
