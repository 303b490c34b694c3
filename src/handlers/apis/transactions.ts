// The transaction APIs (KIP-98, transactions v1): the registry adds this list to the handler table. InitProducerId
// and FindCoordinator, shared with idempotent producers and groups, are registered elsewhere.

import type { ApiHandler } from '../types';
import { addPartitionsToTxnHandler } from './add-partitions-to-txn';
import { addOffsetsToTxnHandler } from './add-offsets-to-txn';
import { endTxnHandler } from './end-txn';
import { writeTxnMarkersHandler } from './write-txn-markers';
import { txnOffsetCommitHandler } from './txn-offset-commit';
import { describeTransactionsHandler } from './describe-transactions';
import { listTransactionsHandler } from './list-transactions';

export const TXN_HANDLERS: ApiHandler[] = [
  addPartitionsToTxnHandler,
  addOffsetsToTxnHandler,
  endTxnHandler,
  writeTxnMarkersHandler,
  txnOffsetCommitHandler,
  describeTransactionsHandler,
  listTransactionsHandler,
];
