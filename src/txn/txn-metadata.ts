// The state of one transactional id as the transaction coordinator keeps it (Kafka's TransactionMetadata), the
// legal transitions between states, and the producer-epoch rules of InitProducerId (KIP-98, KIP-360).
//
//   Empty ──AddPartitions──▶ Ongoing ──EndTxn(commit)──▶ PrepareCommit ──markers written──▶ CompleteCommit
//                              │    └─EndTxn(abort)───▶ PrepareAbort ──markers written──▶ CompleteAbort
//                              └─fenced (new producer, timeout)─▶ PrepareEpochFence ─▶ PrepareAbort
// Complete* and Empty accept a new transaction (AddPartitions) or a new producer session (InitProducerId → Empty);
// Dead is an expired id about to be removed. PrepareEpochFence is never written to the log.

export type TxnState =
  | 'Empty'
  | 'Ongoing'
  | 'PrepareCommit'
  | 'PrepareAbort'
  | 'CompleteCommit'
  | 'CompleteAbort'
  | 'Dead'
  | 'PrepareEpochFence';

/** The TransactionStatus byte of TransactionLogValue. */
export const TXN_STATE_CODES: Readonly<Record<TxnState, number>> = {
  Empty: 0,
  Ongoing: 1,
  PrepareCommit: 2,
  PrepareAbort: 3,
  CompleteCommit: 4,
  CompleteAbort: 5,
  Dead: 6,
  PrepareEpochFence: 7,
};

const BY_CODE = new Map(Object.entries(TXN_STATE_CODES).map(([k, v]) => [v, k as TxnState]));

export function txnStateOf(code: number): TxnState {
  const s = BY_CODE.get(code);
  if (s === undefined) throw new Error(`unknown transaction state ${code}`);
  return s;
}

const VALID_PREVIOUS: Readonly<Record<TxnState, readonly TxnState[]>> = {
  Empty: ['Empty', 'CompleteCommit', 'CompleteAbort'],
  Ongoing: ['Ongoing', 'Empty', 'CompleteCommit', 'CompleteAbort'],
  PrepareCommit: ['Ongoing'],
  PrepareAbort: ['Ongoing', 'PrepareEpochFence'],
  CompleteCommit: ['PrepareCommit'],
  CompleteAbort: ['PrepareAbort'],
  Dead: ['Empty', 'CompleteCommit', 'CompleteAbort'],
  PrepareEpochFence: ['Ongoing'],
};

export function canTransition(from: TxnState, to: TxnState): boolean {
  return VALID_PREVIOUS[to].includes(from);
}

export const NO_PRODUCER_ID = -1;
export const NO_PRODUCER_EPOCH = -1;
const INT16_MAX = 32767;

/** An epoch this high cannot be bumped again (Kafka keeps the last value for fencing). */
export function isEpochExhausted(epoch: number): boolean {
  return epoch >= INT16_MAX - 1;
}

export interface TopicPartition {
  topic: string;
  partition: number;
}

export function tpKey(tp: TopicPartition): string {
  return `${tp.topic}\u0000${tp.partition}`;
}

export interface TxnMetadata {
  readonly transactionalId: string;
  producerId: number;
  /** The id before the last rotation (epoch exhaustion), so a retried InitProducerId is recognised. */
  previousProducerId: number;
  producerEpoch: number;
  /** The epoch before the last bump that an InitProducerId asked for (KIP-360 retries). */
  lastProducerEpoch: number;
  timeoutMs: number;
  state: TxnState;
  /** Partitions in the current transaction, by tpKey. */
  partitions: Map<string, TopicPartition>;
  /** When the current transaction began (-1 when none). */
  txnStartTimestamp: number;
  txnLastUpdateTimestamp: number;
}

export function copyMetadata(m: TxnMetadata): TxnMetadata {
  return { ...m, partitions: new Map(m.partitions) };
}

/**
 * InitProducerId naming the producer's current id and epoch (KIP-360) is accepted when the id has no epoch yet,
 * names the current producer id, or names the previous one with an exhausted epoch (a retry across a rotation).
 */
export function isValidProducerId(m: TxnMetadata, expected: { producerId: number; producerEpoch: number }): boolean {
  return (
    m.producerEpoch === NO_PRODUCER_EPOCH ||
    expected.producerId === m.producerId ||
    (expected.producerId === m.previousProducerId && isEpochExhausted(expected.producerEpoch))
  );
}

/**
 * The epochs an InitProducerId leaves behind, or 'fenced'. Without an expected epoch the epoch is bumped. With one,
 * it is bumped when it matches the current epoch (the producer recovers from an error), kept when it matches the
 * epoch before the last bump (a retry whose response was lost), and anything else is a fenced producer.
 */
export function bumpedEpochs(
  m: TxnMetadata,
  expectedEpoch: number | null,
): { producerEpoch: number; lastProducerEpoch: number } | 'fenced' {
  const bumped = m.producerEpoch + 1;
  if (expectedEpoch === null) return { producerEpoch: bumped, lastProducerEpoch: NO_PRODUCER_EPOCH };
  if (m.producerEpoch === NO_PRODUCER_EPOCH || expectedEpoch === m.producerEpoch) {
    return { producerEpoch: bumped, lastProducerEpoch: m.producerEpoch };
  }
  if (expectedEpoch === m.lastProducerEpoch) return { producerEpoch: m.producerEpoch, lastProducerEpoch: m.lastProducerEpoch };
  return 'fenced';
}
