// Helpers shared by the transaction API handlers (InitProducerId for transactional ids, AddPartitionsToTxn,
// AddOffsetsToTxn, EndTxn, TxnOffsetCommit, DescribeTransactions, ListTransactions).

import type { TransactionCoordinator } from '../../txn/coordinator';
import { ErrorCode } from '../../wire/errors';
import type { RequestContext } from '../types';

/** The transaction coordinator, or null when this broker runs without one (answers COORDINATOR_NOT_AVAILABLE). */
export function txnCoordinatorOf(ctx: RequestContext): TransactionCoordinator | null {
  return ctx.broker.transactions?.coordinator ?? null;
}

/**
 * PRODUCER_FENCED (90) is only understood by clients from the version that introduced it; older versions get
 * INVALID_PRODUCER_EPOCH, which those clients treat as fatal for the producer in the same way (as Kafka maps it).
 */
export function fencedForVersion(errorCode: number, version: number, fencedSince: number): number {
  return errorCode === ErrorCode.PRODUCER_FENCED && version < fencedSince ? ErrorCode.INVALID_PRODUCER_EPOCH : errorCode;
}
