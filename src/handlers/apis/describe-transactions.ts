// DescribeTransactions (key 65), v0: the state of transactional ids this broker coordinates (KIP-664), as
// kafka-transactions.sh describe shows it. Ids of partitions led elsewhere answer NOT_COORDINATOR, unknown ids
// TRANSACTIONAL_ID_NOT_FOUND.

import { DescribeTransactionsApi } from '../../wire/generated/apis';
import type { DescribeTransactionsRequest } from '../../wire/generated/messages/DescribeTransactionsRequest';
import type { DescribeTransactionsResponse, DescribeTransactionsResponseTransactionState } from '../../wire/generated/messages/DescribeTransactionsResponse';
import { ErrorCode } from '../../wire/errors';
import { defineHandler } from '../define';
import type { RequestContext } from '../types';
import { txnCoordinatorOf } from './txn-common';

function failed(transactionalId: string, errorCode: number): DescribeTransactionsResponseTransactionState {
  return {
    errorCode,
    transactionalId,
    transactionState: '',
    transactionTimeoutMs: 0,
    transactionStartTimeMs: -1,
    producerId: -1,
    producerEpoch: -1,
    topics: [],
  };
}

function handleDescribeTransactions(req: DescribeTransactionsRequest, ctx: RequestContext): DescribeTransactionsResponse {
  const coordinator = txnCoordinatorOf(ctx);
  if (!coordinator) {
    return { throttleTimeMs: 0, transactionStates: req.transactionalIds.map((id) => failed(id, ErrorCode.COORDINATOR_NOT_AVAILABLE)) };
  }
  return {
    throttleTimeMs: 0,
    transactionStates: coordinator.describe(req.transactionalIds).map((d) => {
      const byTopic = new Map<string, number[]>();
      for (const tp of d.partitions) {
        let l = byTopic.get(tp.topic);
        if (!l) byTopic.set(tp.topic, (l = []));
        l.push(tp.partition);
      }
      return {
        errorCode: d.errorCode,
        transactionalId: d.transactionalId,
        transactionState: d.state,
        transactionTimeoutMs: d.timeoutMs,
        transactionStartTimeMs: d.startTimeMs,
        producerId: d.producerId,
        producerEpoch: d.producerEpoch,
        topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
      };
    }),
  };
}

export const describeTransactionsHandler = defineHandler(DescribeTransactionsApi, {
  minVersion: 0,
  maxVersion: 0,
  handle: handleDescribeTransactions,
  errorResponse: (req, errorCode) => ({ throttleTimeMs: 0, transactionStates: req.transactionalIds.map((id) => failed(id, errorCode)) }),
});
