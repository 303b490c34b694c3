// EndTxn (key 26), v0-4: a transactional producer commits or aborts its transaction. The answer comes once the
// decision is durable in __transaction_state; the coordinator then has the markers written.
//   v2+   PRODUCER_FENCED may be returned (older versions get INVALID_PRODUCER_EPOCH).
//   v3    first flexible version.
//   v4    TRANSACTION_ABORTABLE may be returned (KIP-890); never returned here, so v4 is v3.
//   v5    transactions v2 (KIP-890 part 2: an epoch bump with every transaction, the new id/epoch in the
//         response). Not implemented: the range stops at 4, which keeps clients on transactions v1.

import { EndTxnApi } from '../../wire/generated/apis';
import type { EndTxnRequest } from '../../wire/generated/messages/EndTxnRequest';
import type { EndTxnResponse } from '../../wire/generated/messages/EndTxnResponse';
import { ErrorCode } from '../../wire/errors';
import { defineHandler } from '../define';
import type { RequestContext } from '../types';
import { fencedForVersion, txnCoordinatorOf } from './txn-common';

const FENCED_VERSION = 2;

function response(errorCode: number): EndTxnResponse {
  return { throttleTimeMs: 0, errorCode, producerId: -1, producerEpoch: -1 };
}

async function handleEndTxn(req: EndTxnRequest, ctx: RequestContext): Promise<EndTxnResponse> {
  const coordinator = txnCoordinatorOf(ctx);
  if (!coordinator) return response(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  if (req.transactionalId === '') return response(ErrorCode.INVALID_REQUEST);
  const code = await coordinator.endTxn(req.transactionalId, req.producerId, req.producerEpoch, req.committed);
  return response(fencedForVersion(code, ctx.apiVersion, FENCED_VERSION));
}

export const endTxnHandler = defineHandler(EndTxnApi, {
  minVersion: 0,
  maxVersion: 4,
  handle: handleEndTxn,
  errorResponse: (_req, errorCode) => response(errorCode),
});
