// Metadata (key 3), v0-12. Served from the metadata image. Unknown topics are auto-created through the controller
// when auto.create.topics.enable and the request allow it (v4+ carries the client's wish); the response then
// already names the new partitions' leaders.

import { MetadataApi } from '../../wire/generated/apis';
import type { MetadataRequest } from '../../wire/generated/messages/MetadataRequest';
import type { MetadataResponse, MetadataResponseTopic } from '../../wire/generated/messages/MetadataResponse';
import { ErrorCode } from '../../wire/errors';
import { ZERO_UUID } from '../../wire/primitives';
import type { TopicInfo } from '../../kraft/metadata/image';
import { isInternalTopic, topicNameError } from '../../kraft/controller/topic-validation';
import { CLUSTER_OPERATIONS, OPERATIONS_NOT_REQUESTED, TOPIC_OPERATIONS } from '../../security/acl-operations';
import { defineHandler } from '../define';
import type { BrokerContext, RequestContext } from '../types';

export function topicMetadata(t: TopicInfo, broker: BrokerContext, includeOps: boolean): MetadataResponseTopic {
  const partitions = [...t.partitions.values()].sort((a, b) => a.partition - b.partition);
  return {
    errorCode: ErrorCode.NONE,
    name: t.name,
    topicId: t.id,
    isInternal: isInternalTopic(t.name),
    topicAuthorizedOperations: includeOps ? TOPIC_OPERATIONS : OPERATIONS_NOT_REQUESTED,
    partitions: partitions.map((p) => {
      const offline = p.replicas.filter((r) => {
        const b = broker.image.brokers.get(r);
        return !b || b.fenced;
      });
      return {
        errorCode: p.leader === -1 ? ErrorCode.LEADER_NOT_AVAILABLE : ErrorCode.NONE,
        partitionIndex: p.partition,
        leaderId: p.leader,
        leaderEpoch: p.leaderEpoch,
        replicaNodes: p.replicas,
        isrNodes: p.isr,
        offlineReplicas: offline,
      };
    }),
  };
}

function missingTopic(name: string | null, topicId: string, errorCode: number): MetadataResponseTopic {
  return { errorCode, name, topicId, isInternal: false, partitions: [], topicAuthorizedOperations: OPERATIONS_NOT_REQUESTED };
}

async function autoCreate(names: string[], ctx: RequestContext): Promise<void> {
  if (names.length === 0) return;
  const results = await ctx.broker.controller.createTopics(
    names.map((name) => ({ name, numPartitions: -1, replicationFactor: -1, assignments: [], configs: [] })),
    false,
  );
  for (const r of results) {
    if (r.errorCode !== ErrorCode.NONE && r.errorCode !== ErrorCode.TOPIC_ALREADY_EXISTS) {
      ctx.broker.log.warn({ topic: r.name, errorCode: r.errorCode, message: r.errorMessage }, 'auto-creation failed');
    }
  }
}

export async function handleMetadata(req: MetadataRequest, ctx: RequestContext): Promise<MetadataResponse> {
  const { broker, apiVersion } = ctx;
  const image = broker.image;
  const includeOps = req.includeTopicAuthorizedOperations;
  // v0: an empty list means all topics; v1+: null means all topics.
  const all = req.topics === null || (apiVersion === 0 && req.topics.length === 0);
  let topics: MetadataResponseTopic[];
  if (all) {
    topics = [...image.topics.values()].map((t) => topicMetadata(t, broker, includeOps));
  } else {
    const allowCreate = broker.config.bool('auto.create.topics.enable') && (apiVersion < 4 || req.allowAutoTopicCreation);
    const toCreate = new Set<string>();
    for (const t of req.topics!) {
      if (t.name === null || image.topics.has(t.name)) continue;
      if (allowCreate && topicNameError(t.name) === null && !isInternalTopic(t.name)) toCreate.add(t.name);
    }
    await autoCreate([...toCreate], ctx);
    topics = req.topics!.map((t) => {
      if (t.name === null) {
        const byId = image.topicsById.get(t.topicId);
        return byId ? topicMetadata(byId, broker, includeOps) : missingTopic(null, t.topicId, ErrorCode.UNKNOWN_TOPIC_ID);
      }
      const found = image.topics.get(t.name);
      if (found) return topicMetadata(found, broker, includeOps);
      if (topicNameError(t.name) !== null) return missingTopic(t.name, ZERO_UUID, ErrorCode.INVALID_TOPIC_EXCEPTION);
      // Created (by us or just before us) but not yet in this broker's copy of the metadata: as Kafka does for a
      // topic being auto-created, answer the retriable LEADER_NOT_AVAILABLE. UNKNOWN_TOPIC_OR_PARTITION would make
      // librdkafka drop the topic's partitions and fail the messages queued for it.
      if (toCreate.has(t.name)) return missingTopic(t.name, ZERO_UUID, ErrorCode.LEADER_NOT_AVAILABLE);
      return missingTopic(t.name, ZERO_UUID, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    });
  }
  return {
    throttleTimeMs: 0,
    brokers: liveBrokerEndpoints(ctx),
    clusterId: broker.clusterId,
    controllerId: broker.controllerId(),
    topics,
    clusterAuthorizedOperations: req.includeClusterAuthorizedOperations ? CLUSTER_OPERATIONS : OPERATIONS_NOT_REQUESTED,
  };
}

/** The unfenced brokers with the address of the listener this request came in on. */
export function liveBrokerEndpoints(ctx: RequestContext): { nodeId: number; host: string; port: number; rack: string | null }[] {
  const out = [];
  for (const b of ctx.broker.image.liveBrokers()) {
    const e = ctx.broker.advertisedEndpoint(b.id, ctx.connection.listenerName);
    if (e) out.push({ nodeId: b.id, host: e.host, port: e.port, rack: b.rack });
  }
  return out;
}

export const metadataHandler = defineHandler(MetadataApi, {
  minVersion: 0,
  maxVersion: 12,
  handle: handleMetadata,
  errorResponse(req, errorCode, ctx) {
    return {
      throttleTimeMs: 0,
      brokers: liveBrokerEndpoints(ctx),
      clusterId: ctx.broker.clusterId,
      controllerId: ctx.broker.controllerId(),
      topics: (req.topics ?? []).map((t) => missingTopic(t.name, t.topicId, errorCode)),
      clusterAuthorizedOperations: OPERATIONS_NOT_REQUESTED,
    };
  },
});
