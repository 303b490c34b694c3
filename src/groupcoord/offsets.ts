// A group's committed offsets, plus bookkeeping for commits whose log append has not completed yet.
//
// Every write to the log gets a sequence number when it is issued. The log keeps appends in issue order, so the
// in-memory view applies a completed commit only if nothing issued later (another commit or a deletion) has
// already touched that partition; that keeps memory equal to what a reload of the log would produce.

export interface CommittedOffset {
  offset: number;
  leaderEpoch: number;
  metadata: string;
  commitTimestamp: number;
  /** Only set by commits with an explicit retention time (OffsetCommit v2-v4): an absolute expiry time. */
  expireTimestamp: number | null;
}

export interface TopicPartitionRef {
  topic: string;
  partition: number;
}

interface Entry {
  value: CommittedOffset;
  seq: number;
}

export class GroupOffsets {
  private readonly committed = new Map<string, Map<number, Entry>>();
  /** Outstanding appends per partition ("topic\0partition"). */
  private readonly pending = new Map<string, number>();
  /** Sequence of the latest deletion per partition, kept while commits to it are outstanding. */
  private readonly deletedAt = new Map<string, number>();

  get size(): number {
    let n = 0;
    for (const m of this.committed.values()) n += m.size;
    return n;
  }

  get isEmpty(): boolean {
    return this.committed.size === 0;
  }

  get(topic: string, partition: number): CommittedOffset | undefined {
    return this.committed.get(topic)?.get(partition)?.value;
  }

  /** All committed partitions, grouped by topic. */
  topics(): Map<string, Map<number, CommittedOffset>> {
    const out = new Map<string, Map<number, CommittedOffset>>();
    for (const [t, m] of this.committed) out.set(t, new Map([...m].map(([p, e]) => [p, e.value])));
    return out;
  }

  all(): { topic: string; partition: number; value: CommittedOffset }[] {
    const out: { topic: string; partition: number; value: CommittedOffset }[] = [];
    for (const [topic, m] of this.committed) {
      for (const [partition, e] of m) out.push({ topic, partition, value: e.value });
    }
    return out;
  }

  hasTopic(topic: string): boolean {
    return this.committed.has(topic);
  }

  /** Directly sets an offset (used when loading from the log). */
  put(topic: string, partition: number, value: CommittedOffset, seq = 0): void {
    let m = this.committed.get(topic);
    if (m === undefined) this.committed.set(topic, (m = new Map()));
    m.set(partition, { value, seq });
  }

  /** Marks a commit as issued (its append is in flight). */
  beginCommit(topic: string, partition: number): void {
    const k = key(topic, partition);
    this.pending.set(k, (this.pending.get(k) ?? 0) + 1);
  }

  /** The append of a commit issued with seq finished; applies it (success) unless a later write superseded it. */
  endCommit(topic: string, partition: number, seq: number, value: CommittedOffset | null): void {
    const k = key(topic, partition);
    const n = (this.pending.get(k) ?? 1) - 1;
    if (n <= 0) this.pending.delete(k);
    else this.pending.set(k, n);
    if (value !== null) {
      const cur = this.committed.get(topic)?.get(partition);
      const deleted = this.deletedAt.get(k) ?? -Infinity;
      if ((cur === undefined || cur.seq < seq) && deleted < seq) this.put(topic, partition, value, seq);
    }
    if (n <= 0) this.deletedAt.delete(k);
  }

  hasPending(topic: string, partition: number): boolean {
    return this.pending.has(key(topic, partition));
  }

  get hasAnyPending(): boolean {
    return this.pending.size > 0;
  }

  /** Partitions with a commit in flight. */
  pendingPartitions(): TopicPartitionRef[] {
    return [...this.pending.keys()].map((k) => {
      const i = k.lastIndexOf('\u0000');
      return { topic: k.slice(0, i), partition: Number(k.slice(i + 1)) };
    });
  }

  /**
   * Removes offsets (a deletion issued with seq). Returns the partitions that need a tombstone: those that had an
   * offset, and those with a commit in flight (its record precedes the tombstone in the log, so the tombstone
   * wins on reload, and the commit will not be applied in memory when it completes).
   */
  remove(partitions: readonly TopicPartitionRef[], seq: number): TopicPartitionRef[] {
    const out: TopicPartitionRef[] = [];
    for (const { topic, partition } of partitions) {
      const m = this.committed.get(topic);
      const existed = m?.delete(partition) ?? false;
      if (m !== undefined && m.size === 0) this.committed.delete(topic);
      const k = key(topic, partition);
      const inFlight = this.pending.has(k);
      if (inFlight) this.deletedAt.set(k, seq);
      if (existed || inFlight) out.push({ topic, partition });
    }
    return out;
  }

  /**
   * Offsets due for expiry at now: those with an explicit expire timestamp that has passed, and the others whose
   * base timestamp (chosen by the caller: when the group emptied, or the commit time) is retentionMs old.
   * Partitions with a commit in flight and topics in keepTopics are never expired.
   */
  expired(
    now: number,
    retentionMs: number,
    baseTimestamp: (o: CommittedOffset) => number,
    keepTopics: ReadonlySet<string> = new Set(),
  ): TopicPartitionRef[] {
    const out: TopicPartitionRef[] = [];
    for (const [topic, m] of this.committed) {
      if (keepTopics.has(topic)) continue;
      for (const [partition, e] of m) {
        if (this.pending.has(key(topic, partition))) continue;
        const o = e.value;
        const due = o.expireTimestamp !== null ? now >= o.expireTimestamp : now - baseTimestamp(o) >= retentionMs;
        if (due) out.push({ topic, partition });
      }
    }
    return out;
  }
}

function key(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}
