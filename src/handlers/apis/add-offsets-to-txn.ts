// AddOffsetsToTxn (key 25), v0-4: a transactional producer is about to commit a consumer group's offsets in its
// transaction (TxnOffsetCommit to the group coordinator follows). The coordinator adds the group's
// __consumer_offsets partition to the transaction, so the COMMIT or ABORT marker reaches those offsets.
//   v2+   PRODUCER_FENCED may be returned (older versions get INVALID_PRODUCER_EPOCH).
//   v3    first flexible version.
//   v4    TRANSACTION_ABORTABLE may be returned (KIP-890); this broker never returns it, so v4 is v3.

import { AddOffsetsToTxnApi } from '../../wire/generated/apis';
import type { AddOffsetsToTxnRequest } from '../../wire/generated/messages/AddOffsetsToTxnRequest';
import type { AddOffsetsToTxnResponse } from '../../wire/generated/messages/AddOffsetsToTxnResponse';
import { ErrorCode } from '../../wire/errors';
import { defineHandler } from '../define';
import type { RequestContext } from '../types';
import { fencedForVersion, txnCoordinatorOf } from './txn-common';

const FENCED_VERSION = 2;

function response(errorCode: number): AddOffsetsToTxnResponse {
  return { throttleTimeMs: 0, errorCode };
}

async function handleAddOffsetsToTxn(req: AddOffsetsToTxnRequest, ctx: RequestContext): Promise<AddOffsetsToTxnResponse> {
  const coordinator = txnCoordinatorOf(ctx);
  if (!coordinator) return response(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  if (req.transactionalId === '') return response(ErrorCode.INVALID_REQUEST);
  const code = await coordinator.addOffsets(req.transactionalId, req.producerId, req.producerEpoch, req.groupId);
  return response(fencedForVersion(code, ctx.apiVersion, FENCED_VERSION));
}

export const addOffsetsToTxnHandler = defineHandler(AddOffsetsToTxnApi, {
  minVersion: 0,
  maxVersion: 4,
  handle: handleAddOffsetsToTxn,
  errorResponse: (_req, errorCode) => response(errorCode),
});
