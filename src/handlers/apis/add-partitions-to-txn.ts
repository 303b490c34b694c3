// AddPartitionsToTxn (key 24), v0-3: a transactional producer names the partitions it is about to write in its
// transaction (the first one starts the transaction). Partitions the metadata does not know fail with
// UNKNOWN_TOPIC_OR_PARTITION and the others then with OPERATION_NOT_ATTEMPTED, as in Kafka; otherwise every
// partition gets the coordinator's answer.
//   v2+   PRODUCER_FENCED may be returned (older versions get INVALID_PRODUCER_EPOCH).
//   v3    first flexible version.
//   v4+   batched, broker-to-broker verification (KIP-890 part 1) and v5 TRANSACTION_ABORTABLE: clients use v3 at
//         most, and this broker verifies transactional produces against its own coordinator directly, so the
//         range stops at 3.

import { AddPartitionsToTxnApi } from '../../wire/generated/apis';
import type { AddPartitionsToTxnRequest } from '../../wire/generated/messages/AddPartitionsToTxnRequest';
import type { AddPartitionsToTxnResponse } from '../../wire/generated/messages/AddPartitionsToTxnResponse';
import { ErrorCode } from '../../wire/errors';
import { defineHandler } from '../define';
import type { RequestContext } from '../types';
import { fencedForVersion, txnCoordinatorOf } from './txn-common';

const FENCED_VERSION = 2;

function response(req: AddPartitionsToTxnRequest, codeOf: (topic: string, partition: number) => number): AddPartitionsToTxnResponse {
  return {
    throttleTimeMs: 0,
    errorCode: ErrorCode.NONE,
    resultsByTransaction: [],
    resultsByTopicV3AndBelow: req.v3AndBelowTopics.map((t) => ({
      name: t.name,
      resultsByPartition: t.partitions.map((p) => ({ partitionIndex: p, partitionErrorCode: codeOf(t.name, p) })),
    })),
  };
}

async function handleAddPartitionsToTxn(req: AddPartitionsToTxnRequest, ctx: RequestContext): Promise<AddPartitionsToTxnResponse> {
  const coordinator = txnCoordinatorOf(ctx);
  if (!coordinator) return response(req, () => ErrorCode.COORDINATOR_NOT_AVAILABLE);
  if (req.v3AndBelowTransactionalId === '') return response(req, () => ErrorCode.INVALID_REQUEST);
  const { image } = ctx.broker;
  const unknown = new Set<string>();
  for (const t of req.v3AndBelowTopics) {
    for (const p of t.partitions) if (!image.partition(t.name, p)) unknown.add(`${t.name}\u0000${p}`);
  }
  if (unknown.size > 0) {
    return response(req, (t, p) => (unknown.has(`${t}\u0000${p}`) ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.OPERATION_NOT_ATTEMPTED));
  }
  const partitions = req.v3AndBelowTopics.flatMap((t) => t.partitions.map((partition) => ({ topic: t.name, partition })));
  const code = await coordinator.addPartitions(
    req.v3AndBelowTransactionalId,
    req.v3AndBelowProducerId,
    req.v3AndBelowProducerEpoch,
    partitions,
  );
  const answer = fencedForVersion(code, ctx.apiVersion, FENCED_VERSION);
  return response(req, () => answer);
}

export const addPartitionsToTxnHandler = defineHandler(AddPartitionsToTxnApi, {
  minVersion: 0,
  maxVersion: 3,
  handle: handleAddPartitionsToTxn,
  errorResponse: (req, errorCode) => response(req, () => errorCode),
});
