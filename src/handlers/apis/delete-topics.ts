// DeleteTopics (key 20), v1-6. The controller checks and commits the removal; this handler only translates.
//   v1-3: topicNames[]; per-topic error code. v4: flexible. v5: per-topic error message.
//   v6: topics[] naming each topic by name or (name null) by topic id; the response carries name and id.
//       Giving both a name and a non-zero id, or neither, is INVALID_REQUEST, as in Kafka.
// A name or id listed twice is INVALID_REQUEST for that topic (Kafka's "Duplicate topic name/id"), and the topic
// is not deleted by that request.
// timeoutMs is a deadline, as for CreateTopics (see withinDeadline): the removal is committed to the metadata log
// before the answer; past the deadline (or with timeoutMs <= 0) the topics get REQUEST_TIMED_OUT. Partition logs
// are deleted by the replica manager once the removal is applied, as Kafka's brokers do after the controller.

import { DeleteTopicsApi } from '../../wire/generated/apis';
import type { DeleteTopicsRequest } from '../../wire/generated/messages/DeleteTopicsRequest';
import type { DeleteTopicsResponse, DeleteTopicsResponseDeletableTopicResult } from '../../wire/generated/messages/DeleteTopicsResponse';
import { ErrorCode } from '../../wire/errors';
import { ZERO_UUID } from '../../wire/primitives';
import { defineHandler } from '../define';
import type { RequestContext } from '../types';
import { TIMED_OUT_MESSAGE, withinDeadline } from './create-topics';

interface Target {
  name: string | null;
  topicId: string;
}

/** The request's topics in one shape: v6 names or ids, earlier versions names only. */
function targets(req: DeleteTopicsRequest, version: number): Target[] {
  if (version >= 6) return req.topics.map((t) => ({ name: t.name, topicId: t.topicId }));
  return req.topicNames.map((name) => ({ name, topicId: ZERO_UUID }));
}

function result(t: Target, errorCode: number, errorMessage: string | null): DeleteTopicsResponseDeletableTopicResult {
  return { name: t.name, topicId: t.topicId, errorCode, errorMessage };
}

/** The target's identity for duplicate detection, or null when it is malformed (and refused on its own). */
function identity(t: Target): string | null {
  if (t.name !== null) return t.topicId === ZERO_UUID ? `n:${t.name}` : null;
  return t.topicId === ZERO_UUID ? null : `i:${t.topicId}`;
}

/** An answer decided by the request alone (not passed to the controller), or null. */
function requestError(t: Target, counts: Map<string, number>): { code: number; message: string } | null {
  const invalid = (message: string) => ({ code: ErrorCode.INVALID_REQUEST, message });
  const key = identity(t);
  if (key === null) {
    return invalid(t.name !== null ? 'You may not specify both topic name and topic id.' : 'Neither topic name nor id were specified.');
  }
  if ((counts.get(key) ?? 0) > 1) return invalid(t.name !== null ? 'Duplicate topic name.' : 'Duplicate topic id.');
  // The controller reads an empty name as "by id"; a client that sent one named a topic that cannot exist.
  if (t.name === '') return { code: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, message: 'This server does not host this topic.' };
  return null;
}

async function handleDeleteTopics(req: DeleteTopicsRequest, ctx: RequestContext): Promise<DeleteTopicsResponse> {
  const all = targets(req, ctx.apiVersion);
  const counts = new Map<string, number>();
  for (const t of all) {
    const key = identity(t);
    if (key !== null) counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const errors = all.map((t) => requestError(t, counts));
  const valid = all.filter((_, i) => errors[i] === null);
  const done = await withinDeadline(req.timeoutMs, () => ctx.broker.controller.deleteTopics(valid));
  if (done === null) return errorResponse(req, ctx.apiVersion, ErrorCode.REQUEST_TIMED_OUT, TIMED_OUT_MESSAGE);
  let next = 0;
  const responses = all.map((t, i) => {
    const err = errors[i];
    if (err) return result(t, err.code, err.message);
    const r = done[next++]!;
    // Before v6 the name is the only key (and is not nullable): answer under the name that was asked for.
    return { name: t.name ?? r.name, topicId: r.topicId, errorCode: r.errorCode, errorMessage: r.errorMessage };
  });
  return { throttleTimeMs: 0, responses };
}

function errorResponse(req: DeleteTopicsRequest, version: number, errorCode: number, errorMessage: string | null = null): DeleteTopicsResponse {
  return { throttleTimeMs: 0, responses: targets(req, version).map((t) => result(t, errorCode, errorMessage)) };
}

export const deleteTopicsHandler = defineHandler(DeleteTopicsApi, {
  minVersion: 1,
  maxVersion: 6,
  handle: handleDeleteTopics,
  errorResponse: (req, errorCode, ctx) => errorResponse(req, ctx.apiVersion, errorCode),
});
