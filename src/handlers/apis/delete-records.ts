// DeleteRecords (key 21), v0-2. Moves partitions' log start offsets forward on their leader.
//   v0: per partition an offset; -1 means the high watermark. v1: same (throttling before the response).
//   v2: flexible.
// Per partition: internal topics INVALID_TOPIC_EXCEPTION (as Kafka refuses clients there), unknown partitions
// UNKNOWN_TOPIC_OR_PARTITION, non-leaders NOT_LEADER_OR_FOLLOWER, a topic without the delete cleanup policy
// POLICY_VIOLATION, an offset below zero or above the high watermark OFFSET_OUT_OF_RANGE. Otherwise the log's start
// offset moves to the offset (never backwards), durably, and lowWatermark is the new log start offset.
// timeoutMs: Kafka waits up to it for followers to move their own start offsets. The answer here is given once
// the leader's new start offset is on disk; followers' start offsets are not waited for, so the timeout never
// comes into play.

import { DeleteRecordsApi } from '../../wire/generated/apis';
import type { DeleteRecordsRequest } from '../../wire/generated/messages/DeleteRecordsRequest';
import type {
  DeleteRecordsResponse,
  DeleteRecordsResponseDeleteRecordsPartitionResult as PartitionResult,
} from '../../wire/generated/messages/DeleteRecordsResponse';
import { ErrorCode, KafkaError } from '../../wire/errors';
import { isInternalTopic } from '../../kraft/controller/topic-validation';
import { defineHandler } from '../define';
import type { RequestContext } from '../types';

/** The offset meaning "up to the high watermark". */
export const HIGH_WATERMARK = -1;
/** lowWatermark of a partition that failed. */
const INVALID_LOW_WATERMARK = -1;

function partitionResult(partitionIndex: number, errorCode: number, lowWatermark = INVALID_LOW_WATERMARK): PartitionResult {
  return { partitionIndex, lowWatermark, errorCode };
}

async function deletePartition(topic: string, partition: number, offset: number, ctx: RequestContext): Promise<PartitionResult> {
  if (isInternalTopic(topic)) return partitionResult(partition, ErrorCode.INVALID_TOPIC_EXCEPTION);
  const p = ctx.broker.replicas.getPartition(topic, partition);
  if (!p) return partitionResult(partition, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  if (!p.isLeader) return partitionResult(partition, ErrorCode.NOT_LEADER_OR_FOLLOWER);
  if (!p.log.config.cleanupPolicy.delete) return partitionResult(partition, ErrorCode.POLICY_VIOLATION);
  const target = offset === HIGH_WATERMARK ? p.highWatermark : offset;
  if (target < 0 || target > p.highWatermark) return partitionResult(partition, ErrorCode.OFFSET_OUT_OF_RANGE);
  try {
    await p.log.deleteRecordsBefore(target);
  } catch (e) {
    if (e instanceof KafkaError) return partitionResult(partition, e.code);
    ctx.broker.log.error({ topic, partition, offset: target, err: (e as Error).message }, 'deleting records failed');
    return partitionResult(partition, ErrorCode.KAFKA_STORAGE_ERROR);
  }
  return partitionResult(partition, ErrorCode.NONE, p.log.logStartOffset);
}

async function handleDeleteRecords(req: DeleteRecordsRequest, ctx: RequestContext): Promise<DeleteRecordsResponse> {
  const topics = await Promise.all(
    req.topics.map(async (t) => ({
      name: t.name,
      partitions: await Promise.all(t.partitions.map((p) => deletePartition(t.name, p.partitionIndex, p.offset, ctx))),
    })),
  );
  return { throttleTimeMs: 0, topics };
}

export const deleteRecordsHandler = defineHandler(DeleteRecordsApi, {
  minVersion: 0,
  maxVersion: 2,
  handle: handleDeleteRecords,
  errorResponse: (req, errorCode) => ({
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => partitionResult(p.partitionIndex, errorCode)) })),
  }),
});
