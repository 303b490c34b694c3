// TxnOffsetCommit (key 28), v0-4: a transactional producer commits a consumer group's offsets inside its
// transaction (after AddOffsetsToTxn). The group coordinator writes them to __consumer_offsets as part of the
// transaction; they become the group's committed offsets when the COMMIT marker lands there and are dropped on
// ABORT. Partitions of unknown topics get UNKNOWN_TOPIC_OR_PARTITION, as in Kafka.
//   v2+   CommittedLeaderEpoch per partition.
//   v3+   the consumer's group metadata (member id, generation, group instance id; KIP-447): the commit is refused
//         if that member is not (or no longer) in the group, so a zombie cannot commit for a newer generation.
//         The first flexible version.
//   v4    TRANSACTION_ABORTABLE may be returned (KIP-890); never returned here, so v4 is v3.
// A producer fenced by a newer epoch gets INVALID_PRODUCER_EPOCH (the partition's producer state refuses it).

import { TxnOffsetCommitApi } from '../../wire/generated/apis';
import type { TxnOffsetCommitRequest, TxnOffsetCommitRequestTopic } from '../../wire/generated/messages/TxnOffsetCommitRequest';
import type { TxnOffsetCommitResponse } from '../../wire/generated/messages/TxnOffsetCommitResponse';
import { ErrorCode } from '../../wire/errors';
import { defineHandler } from '../define';
import type { RequestContext } from '../types';
import { coordinatorOf, PartitionCodes, topicPartitionError } from './group-common';

function allPartitions(req: TxnOffsetCommitRequest, errorCode: number): TxnOffsetCommitResponse {
  return {
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })),
    })),
  };
}

async function handleTxnOffsetCommit(req: TxnOffsetCommitRequest, ctx: RequestContext): Promise<TxnOffsetCommitResponse> {
  const coordinator = coordinatorOf(ctx);
  if (!coordinator) return allPartitions(req, ErrorCode.COORDINATOR_NOT_AVAILABLE);
  if (req.transactionalId === '') return allPartitions(req, ErrorCode.INVALID_REQUEST);
  const codes = new PartitionCodes();
  const accepted: TxnOffsetCommitRequestTopic[] = [];
  for (const t of req.topics) {
    const ok = t.partitions.filter((p) => {
      const code = topicPartitionError(ctx.broker.image, t.name, p.partitionIndex);
      if (code !== ErrorCode.NONE) codes.set(t.name, p.partitionIndex, code);
      return code === ErrorCode.NONE;
    });
    if (ok.length > 0) accepted.push({ name: t.name, partitions: ok });
  }
  if (accepted.length > 0) {
    const result = await coordinator.commitTxnOffsets({
      groupId: req.groupId,
      producerId: req.producerId,
      producerEpoch: req.producerEpoch,
      // Before v3 these decode as the schema defaults (-1, "", null): no member to validate.
      generationId: req.generationId,
      memberId: req.memberId,
      groupInstanceId: req.groupInstanceId,
      topics: accepted.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({
          partitionIndex: p.partitionIndex,
          committedOffset: p.committedOffset,
          committedLeaderEpoch: p.committedLeaderEpoch,
          committedMetadata: p.committedMetadata,
        })),
      })),
    });
    for (const t of result.topics) for (const p of t.partitions) codes.set(t.name, p.partitionIndex, p.errorCode);
  }
  return { throttleTimeMs: 0, topics: codes.answer(req.topics) };
}

export const txnOffsetCommitHandler = defineHandler(TxnOffsetCommitApi, {
  minVersion: 0,
  maxVersion: 4,
  handle: handleTxnOffsetCommit,
  errorResponse: (req, errorCode) => allPartitions(req, errorCode),
});
