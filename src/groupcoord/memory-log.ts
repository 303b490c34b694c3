// An in-memory CoordinatorLog for tests and single-process experiments. Appends can be made to fail or to wait,
// to exercise the coordinator's handling of slow and failed writes.

import type { CoordinatorLog, CoordinatorRecord, StoredRecord } from './persistence';

export class InMemoryCoordinatorLog implements CoordinatorLog {
  private readonly partitions = new Map<number, StoredRecord[]>();
  /** When set, append() rejects with this error. */
  failWith: Error | null = null;
  /** When set, appends wait for this promise before landing. */
  gate: Promise<void> | null = null;

  async append(partition: number, records: CoordinatorRecord[]): Promise<void> {
    if (this.failWith !== null) throw this.failWith;
    // Appends waiting on the same gate resume in call order, so records still land in call order.
    const log = this.records(partition);
    const stored = records.map((r) => ({ ...r, offset: -1 }));
    const gate = this.gate;
    if (gate !== null) await gate;
    for (const r of stored) {
      r.offset = log.length;
      log.push(r);
    }
  }

  async *read(partition: number): AsyncIterable<StoredRecord> {
    const snapshot = [...this.records(partition)];
    for (const r of snapshot) yield r;
  }

  records(partition: number): StoredRecord[] {
    let l = this.partitions.get(partition);
    if (l === undefined) this.partitions.set(partition, (l = []));
    return l;
  }
}
