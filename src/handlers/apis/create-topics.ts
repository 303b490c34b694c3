// CreateTopics (key 19), v2-7. The controller validates and commits; this handler only translates.
//   v2-3: per-topic error code and message, throttle time.
//   v4: numPartitions / replicationFactor may be -1 (broker defaults) without assignments (KIP-464).
//   v5+: flexible; the response carries numPartitions, replicationFactor and the topic's full effective config
//        (KIP-525), with sources; isSensitive and readOnly are false for every topic key.
//   v6: may return THROTTLING_QUOTA_EXCEEDED in Kafka; this broker has no controller mutation quota.
//   v7: the response carries the new topic's id (the zero id for validateOnly).
// validateOnly runs every check and creates nothing.
// timeoutMs is a deadline, as Kafka's controller treats it: the creation is committed to the metadata log (and
// applied to the image) before the answer, normally well within the timeout. If the controller has not answered
// within timeoutMs the topics get REQUEST_TIMED_OUT (creation may still complete later, as in Kafka). A timeout of
// zero or less has already expired, so nothing is created and every topic gets REQUEST_TIMED_OUT, as Kafka's KRaft
// controller answers.

import { CreateTopicsApi } from '../../wire/generated/apis';
import type { CreateTopicsRequest } from '../../wire/generated/messages/CreateTopicsRequest';
import type { CreateTopicsResponse, CreateTopicsResponseCreatableTopicResult } from '../../wire/generated/messages/CreateTopicsResponse';
import { ErrorCode } from '../../wire/errors';
import { ZERO_UUID } from '../../wire/primitives';
import type { CreateTopicResult } from '../../kraft/controller/controller';
import { effectiveTopicConfigs } from '../../config/topic-configs';
import { defineHandler } from '../define';
import type { BrokerContext, RequestContext } from '../types';

/**
 * Runs a controller operation under the request's timeoutMs. Resolves null when the deadline passes first (or
 * has already passed: timeoutMs <= 0, in which case the operation is not started).
 */
export async function withinDeadline<T>(timeoutMs: number, op: () => Promise<T>): Promise<T | null> {
  if (timeoutMs <= 0) return null;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), timeoutMs);
  });
  try {
    return await Promise.race([op(), expired]);
  } finally {
    clearTimeout(timer);
  }
}

export const TIMED_OUT_MESSAGE = 'The controller did not complete the operation within the request timeout.';

function topicResult(name: string, errorCode: number, errorMessage: string | null): CreateTopicsResponseCreatableTopicResult {
  return {
    name,
    topicId: ZERO_UUID,
    errorCode,
    errorMessage,
    topicConfigErrorCode: ErrorCode.NONE,
    numPartitions: -1,
    replicationFactor: -1,
    configs: [],
  };
}

function fromController(r: CreateTopicResult, configs: Map<string, string>, broker: BrokerContext): CreateTopicsResponseCreatableTopicResult {
  const out = topicResult(r.name, r.errorCode, r.errorMessage);
  if (r.errorCode !== ErrorCode.NONE) return out;
  out.topicId = r.topicId;
  out.numPartitions = r.numPartitions;
  out.replicationFactor = r.replicationFactor;
  // The new topic's overrides are exactly the configs it was created with (null values set nothing).
  out.configs = effectiveTopicConfigs(configs, broker.config).map((c) => ({
    name: c.name,
    value: c.value,
    readOnly: false,
    configSource: c.source,
    isSensitive: false,
  }));
  return out;
}

async function handleCreateTopics(req: CreateTopicsRequest, ctx: RequestContext): Promise<CreateTopicsResponse> {
  const inputs = req.topics.map((t) => ({
    name: t.name,
    numPartitions: t.numPartitions,
    replicationFactor: t.replicationFactor,
    assignments: t.assignments.map((a) => ({ partitionIndex: a.partitionIndex, brokerIds: a.brokerIds })),
    configs: t.configs.map((c) => ({ name: c.name, value: c.value })),
  }));
  const results = await withinDeadline(req.timeoutMs, () => ctx.broker.controller.createTopics(inputs, req.validateOnly));
  if (results === null) return errorResponse(req, ErrorCode.REQUEST_TIMED_OUT, TIMED_OUT_MESSAGE);
  return {
    throttleTimeMs: 0,
    topics: results.map((r, i) => {
      const overrides = new Map<string, string>();
      for (const c of inputs[i]!.configs) if (c.value !== null) overrides.set(c.name, c.value);
      return fromController(r, overrides, ctx.broker);
    }),
  };
}

function errorResponse(req: CreateTopicsRequest, errorCode: number, errorMessage: string | null = null): CreateTopicsResponse {
  return { throttleTimeMs: 0, topics: req.topics.map((t) => topicResult(t.name, errorCode, errorMessage)) };
}

export const createTopicsHandler = defineHandler(CreateTopicsApi, {
  minVersion: 2,
  maxVersion: 7,
  handle: handleCreateTopics,
  errorResponse: (req, errorCode) => errorResponse(req, errorCode),
});
