// The partition leader's check of a producer's first transactional batch on a partition (KIP-890 part 1, in the
// form a single broker can do it directly): the partition must be in the producer's open transaction at the
// coordinator. Without it, a produce that arrives after its transaction was aborted (a late retry) would open a
// transaction nobody ends and hold the last stable offset back for good. Later batches of an open transaction
// need no check. When this broker's coordinator does not own the transactional id, or does not know this epoch,
// the batch is accepted as transactions v1 does; the producer state still fences stale epochs.

import type { ReplicaManager } from '../isr/replica-manager';
import { Attr, BATCH_OVERHEAD, Off, batch } from '../wire/records/batch';
import { ErrorCode } from '../wire/errors';
import type { TransactionCoordinator } from './coordinator';

/** NONE, or the error for the partition's produce. */
export function verifyTransactionalProduce(
  replicas: ReplicaManager,
  coordinator: TransactionCoordinator | null,
  transactionalId: string,
  topic: string,
  partition: number,
  records: Buffer | null,
): number {
  if (!coordinator || records === null || records.length < BATCH_OVERHEAD || records.readInt8(Off.magic) !== 2) return ErrorCode.NONE;
  if ((records.readInt16BE(Off.attributes) & Attr.transactional) === 0) return ErrorCode.NONE;
  const producerId = batch.producerId(records);
  const producerEpoch = batch.producerEpoch(records);
  const entry = replicas.getPartition(topic, partition)?.producers.entry(producerId);
  if (entry && entry.epoch === producerEpoch && entry.currentTxnFirstOffset >= 0) return ErrorCode.NONE;
  const verdict = coordinator.verifyPartition(transactionalId, producerId, producerEpoch, { topic, partition });
  return verdict === 'no' ? ErrorCode.INVALID_TXN_STATE : ErrorCode.NONE;
}

/** Whether the set's first batch is transactional (a malformed set is left to the validator). */
export function isTransactionalSet(records: Buffer | null): boolean {
  if (records === null || records.length < BATCH_OVERHEAD || records.readInt8(Off.magic) !== 2) return false;
  return (records.readInt16BE(Off.attributes) & Attr.transactional) !== 0;
}
