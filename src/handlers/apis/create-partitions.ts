// CreatePartitions (key 37), v0-3. The controller validates and commits; this handler only translates.
//   v0: topics with a new total count and optional replica assignments for the added partitions; validateOnly.
//   v1: same as v0 (throttling before the response). v2: flexible. v3: may return THROTTLING_QUOTA_EXCEEDED in
//   Kafka; this broker has no controller mutation quota.
// Decreasing or keeping the count is INVALID_PARTITIONS; a wrong number of assignments or unknown brokers is
// INVALID_REPLICA_ASSIGNMENT; validateOnly creates nothing.
// timeoutMs is a deadline, as for CreateTopics (see withinDeadline): the new partitions are committed before the
// answer; past the deadline (or with timeoutMs <= 0) the topics get REQUEST_TIMED_OUT.

import { CreatePartitionsApi } from '../../wire/generated/apis';
import type { CreatePartitionsRequest } from '../../wire/generated/messages/CreatePartitionsRequest';
import type { CreatePartitionsResponse } from '../../wire/generated/messages/CreatePartitionsResponse';
import { ErrorCode } from '../../wire/errors';
import { defineHandler } from '../define';
import type { RequestContext } from '../types';
import { TIMED_OUT_MESSAGE, withinDeadline } from './create-topics';

async function handleCreatePartitions(req: CreatePartitionsRequest, ctx: RequestContext): Promise<CreatePartitionsResponse> {
  const inputs = req.topics.map((t) => ({
    name: t.name,
    count: t.count,
    assignments: t.assignments === null ? null : t.assignments.map((a) => ({ brokerIds: a.brokerIds })),
  }));
  const results = await withinDeadline(req.timeoutMs, () => ctx.broker.controller.createPartitions(inputs, req.validateOnly));
  if (results === null) return errorResponse(req, ErrorCode.REQUEST_TIMED_OUT, TIMED_OUT_MESSAGE);
  return { throttleTimeMs: 0, results: results.map((r) => ({ name: r.name, errorCode: r.errorCode, errorMessage: r.errorMessage })) };
}

function errorResponse(req: CreatePartitionsRequest, errorCode: number, errorMessage: string | null = null): CreatePartitionsResponse {
  return { throttleTimeMs: 0, results: req.topics.map((t) => ({ name: t.name, errorCode, errorMessage })) };
}

export const createPartitionsHandler = defineHandler(CreatePartitionsApi, {
  minVersion: 0,
  maxVersion: 3,
  handle: handleCreatePartitions,
  errorResponse: (req, errorCode) => errorResponse(req, errorCode),
});
