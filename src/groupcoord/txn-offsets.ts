// Offsets committed inside a transaction (TxnOffsetCommit), held per producer until the transaction is decided.
// They are written to __consumer_offsets as part of the producer's transaction and become the group's committed
// offsets only when the COMMIT marker lands in that partition; an ABORT marker drops them. Until then OffsetFetch
// with require_stable answers UNSTABLE_OFFSET_COMMIT for their partitions (KIP-447), and a plain OffsetFetch keeps
// returning the last committed offset.
//
// Each pending offset remembers the issue order (`seq`) of the write that carried it, so that when the transaction
// commits it replaces the committed offset only if nothing was committed to that partition after it was written
// (Kafka compares the log offsets of the two records; issue order is log order here).

import type { CommittedOffset } from './offsets';

export interface PendingTxnOffset {
  topic: string;
  partition: number;
  value: CommittedOffset;
  seq: number;
}

export class PendingTxnOffsets {
  /** producerId → "topic\0partition" → offset. */
  private readonly byProducer = new Map<number, Map<string, PendingTxnOffset>>();

  get isEmpty(): boolean {
    return this.byProducer.size === 0;
  }

  producers(): number[] {
    return [...this.byProducer.keys()];
  }

  add(producerId: number, o: PendingTxnOffset): void {
    let m = this.byProducer.get(producerId);
    if (!m) this.byProducer.set(producerId, (m = new Map()));
    m.set(key(o.topic, o.partition), o);
  }

  /** Drops the offsets a failed write carried (those still holding that write's seq). */
  removeWrite(producerId: number, seq: number): void {
    const m = this.byProducer.get(producerId);
    if (!m) return;
    for (const [k, o] of m) if (o.seq === seq) m.delete(k);
    if (m.size === 0) this.byProducer.delete(producerId);
  }

  /** The producer's pending offsets, removed (the transaction was decided). */
  take(producerId: number): PendingTxnOffset[] {
    const m = this.byProducer.get(producerId);
    this.byProducer.delete(producerId);
    return m ? [...m.values()] : [];
  }

  hasPending(topic: string, partition: number): boolean {
    const k = key(topic, partition);
    for (const m of this.byProducer.values()) if (m.has(k)) return true;
    return false;
  }

  clear(): void {
    this.byProducer.clear();
  }
}

function key(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}
