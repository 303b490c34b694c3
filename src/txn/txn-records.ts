// The records of __transaction_state, over the generated TransactionLogKey/Value codecs. Both start with an int16
// schema version. The key is written at v0; the value at v0 (the layout every Kafka since 0.11 reads; v1, from
// Kafka 4.0, only adds tagged fields for transactions v2, which this coordinator does not run). Any value version
// the schema knows is readable. A null value is a tombstone: the transactional id expired.

import {
  decodeTransactionLogKey,
  decodeTransactionLogValue,
  encodeTransactionLogKey,
  encodeTransactionLogValue,
} from '../wire/generated/txn';
import { ProtocolError } from '../wire/errors';
import { Reader, Writer } from '../wire/primitives';
import { NO_PRODUCER_EPOCH, NO_PRODUCER_ID, TXN_STATE_CODES, type TopicPartition, type TxnMetadata, txnStateOf } from './txn-metadata';

const KEY_VERSION = 0;
const VALUE_VERSION = 0;
const MAX_VALUE_VERSION = 1;

export function encodeTxnKey(transactionalId: string): Buffer {
  const w = new Writer(32 + transactionalId.length * 3);
  w.writeInt16(KEY_VERSION);
  encodeTransactionLogKey(w, KEY_VERSION, { transactionalId });
  return Buffer.from(w.toBuffer());
}

/** The transactional id of a key, or null for a key of an unknown version (skipped, as Kafka does). */
export function decodeTxnKey(buf: Buffer): string | null {
  const r = new Reader(buf);
  const version = r.readInt16();
  if (version !== KEY_VERSION) return null;
  return decodeTransactionLogKey(r, version).transactionalId;
}

export function encodeTxnValue(m: TxnMetadata): Buffer {
  // Empty transactions carry no partition list (Kafka writes null there).
  const byTopic = new Map<string, number[]>();
  for (const tp of m.partitions.values()) {
    let l = byTopic.get(tp.topic);
    if (!l) byTopic.set(tp.topic, (l = []));
    l.push(tp.partition);
  }
  const w = new Writer(128);
  w.writeInt16(VALUE_VERSION);
  encodeTransactionLogValue(w, VALUE_VERSION, {
    producerId: m.producerId,
    previousProducerId: NO_PRODUCER_ID,
    nextProducerId: NO_PRODUCER_ID,
    producerEpoch: m.producerEpoch,
    transactionTimeoutMs: m.timeoutMs,
    transactionStatus: TXN_STATE_CODES[m.state],
    transactionPartitions: m.state === 'Empty' ? null : [...byTopic].map(([topic, partitionIds]) => ({ topic, partitionIds })),
    transactionLastUpdateTimestampMs: m.txnLastUpdateTimestamp,
    transactionStartTimestampMs: m.txnStartTimestamp,
    clientTransactionVersion: 0,
  });
  return Buffer.from(w.toBuffer());
}

export function decodeTxnValue(transactionalId: string, buf: Buffer): TxnMetadata {
  const r = new Reader(buf);
  const version = r.readInt16();
  if (version < 0 || version > MAX_VALUE_VERSION) throw new ProtocolError(`unknown TransactionLogValue version ${version}`);
  const v = decodeTransactionLogValue(r, version);
  const partitions = new Map<string, TopicPartition>();
  for (const t of v.transactionPartitions ?? []) {
    for (const p of t.partitionIds) partitions.set(`${t.topic}\u0000${p}`, { topic: t.topic, partition: p });
  }
  return {
    transactionalId,
    producerId: v.producerId,
    previousProducerId: v.previousProducerId,
    producerEpoch: v.producerEpoch,
    lastProducerEpoch: NO_PRODUCER_EPOCH,
    timeoutMs: v.transactionTimeoutMs,
    state: txnStateOf(v.transactionStatus),
    partitions,
    txnStartTimestamp: v.transactionStartTimestampMs,
    txnLastUpdateTimestamp: v.transactionLastUpdateTimestampMs,
  };
}
