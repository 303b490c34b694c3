// An in-memory CoordinatorLog for tests and single-process experiments. Appends can be made to fail or to wait,
// to exercise the coordinator's handling of slow and failed writes; transaction markers can be appended as the
// transaction coordinator would write them.

import { ErrorCode, KafkaError } from '../wire/errors';
import { isMarker, type CoordinatorLog, type CoordinatorRecord, type StoredEntry, type StoredRecord, type TxnWriter } from './persistence';

export class InMemoryCoordinatorLog implements CoordinatorLog {
  private readonly partitions = new Map<number, StoredEntry[]>();
  /** Latest epoch seen per transactional producer (as the partition's producer state would fence). */
  private readonly epochs = new Map<number, number>();
  /** When set, append() rejects with this error. */
  failWith: Error | null = null;
  /** When set, appends wait for this promise before landing. */
  gate: Promise<void> | null = null;

  async append(partition: number, records: CoordinatorRecord[], txn?: TxnWriter): Promise<void> {
    if (this.failWith !== null) throw this.failWith;
    if (txn && txn.producerEpoch < (this.epochs.get(txn.producerId) ?? -1)) {
      throw new KafkaError(ErrorCode.INVALID_PRODUCER_EPOCH, `stale epoch ${txn.producerEpoch} of producer ${txn.producerId}`);
    }
    if (txn) this.epochs.set(txn.producerId, txn.producerEpoch);
    // Appends waiting on the same gate resume in call order, so records still land in call order.
    const log = this.entries(partition);
    const stored: StoredEntry[] = records.map((r) => ({ ...r, offset: -1, ...(txn ? { producerId: txn.producerId } : {}) }));
    const gate = this.gate;
    if (gate !== null) await gate;
    for (const r of stored) {
      r.offset = log.length;
      log.push(r);
    }
  }

  /** Appends a COMMIT or ABORT marker, with the producer's (possibly bumped) epoch. */
  appendMarker(partition: number, producerId: number, producerEpoch: number, commit: boolean): void {
    this.epochs.set(producerId, Math.max(producerEpoch, this.epochs.get(producerId) ?? -1));
    const log = this.entries(partition);
    log.push({ offset: log.length, marker: { producerId, commit } });
  }

  async *read(partition: number): AsyncIterable<StoredEntry> {
    const snapshot = [...this.entries(partition)];
    for (const r of snapshot) yield r;
  }

  /** The partition's records (markers left out). */
  records(partition: number): StoredRecord[] {
    return this.entries(partition).filter((e): e is StoredRecord => !isMarker(e));
  }

  entries(partition: number): StoredEntry[] {
    let l = this.partitions.get(partition);
    if (l === undefined) this.partitions.set(partition, (l = []));
    return l;
  }
}
