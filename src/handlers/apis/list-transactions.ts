// ListTransactions (key 66), v0-1: the transactional ids this broker coordinates (KIP-664), optionally filtered by
// state names and producer ids; state names Kafka does not know are echoed back in UnknownStateFilters.
//   v1    DurationFilter: only transactions running for at least that many milliseconds (KIP-994).

import { ListTransactionsApi } from '../../wire/generated/apis';
import type { ListTransactionsRequest } from '../../wire/generated/messages/ListTransactionsRequest';
import type { ListTransactionsResponse } from '../../wire/generated/messages/ListTransactionsResponse';
import { TXN_STATE_CODES } from '../../txn/txn-metadata';
import { ErrorCode } from '../../wire/errors';
import { defineHandler } from '../define';
import type { RequestContext } from '../types';
import { txnCoordinatorOf } from './txn-common';

function handleListTransactions(req: ListTransactionsRequest, ctx: RequestContext): ListTransactionsResponse {
  const coordinator = txnCoordinatorOf(ctx);
  if (!coordinator) return { throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, unknownStateFilters: [], transactionStates: [] };
  const known = req.stateFilters.filter((s) => s in TXN_STATE_CODES);
  const unknownStateFilters = req.stateFilters.filter((s) => !(s in TXN_STATE_CODES));
  // Only unknown names given: nothing can match.
  if (req.stateFilters.length > 0 && known.length === 0) {
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, unknownStateFilters, transactionStates: [] };
  }
  const r = coordinator.list(known, req.producerIdFilters, ctx.apiVersion >= 1 ? req.durationFilter : -1);
  return {
    throttleTimeMs: 0,
    errorCode: r.errorCode,
    unknownStateFilters,
    transactionStates: r.transactions.map((t) => ({ transactionalId: t.transactionalId, producerId: t.producerId, transactionState: t.state })),
  };
}

export const listTransactionsHandler = defineHandler(ListTransactionsApi, {
  minVersion: 0,
  maxVersion: 1,
  handle: handleListTransactions,
  errorResponse: (_req, errorCode) => ({ throttleTimeMs: 0, errorCode, unknownStateFilters: [], transactionStates: [] }),
});
