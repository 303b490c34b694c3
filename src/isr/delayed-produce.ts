// The delayed-produce purgatory: an acks=all produce is answered only when the high watermark has passed its
// last offset (every in-sync replica has it), or when its timeout expires (REQUEST_TIMED_OUT). Waiters are
// re-evaluated whenever the partition's high watermark advances, its ISR changes or its leadership changes; the
// evaluation itself (what counts as done, and with which error) belongs to the caller, so this module only keeps
// the waiters, their timers and their wake-ups.

import { ErrorCode, KafkaError } from '../wire/errors';
import type { Partition } from './partition';

/** Whether a waiter is finished and how: errorCode NONE completes it successfully. */
export type ProduceStatus = { done: false } | { done: true; errorCode: number };

export interface ProduceWaiter {
  readonly requiredOffset: number;
  /** The leader epoch of the append: a waiter outliving it failed (the log may have been truncated since). */
  readonly leaderEpoch: number;
}

interface Entry extends ProduceWaiter {
  resolve(): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

export class DelayedProduces {
  private readonly waiting = new Map<Partition, Set<Entry>>();
  /** Partitions whose next high watermark advance re-checks their waiters (one registration at a time). */
  private readonly watched = new Map<Partition, () => void>();

  constructor(private readonly evaluate: (p: Partition, w: ProduceWaiter) => ProduceStatus) {}

  /** Number of produces waiting (all partitions). */
  get size(): number {
    let n = 0;
    for (const s of this.waiting.values()) n += s.size;
    return n;
  }

  /**
   * Waits until `requiredOffset` is replicated. Returns null when it already is (no promise, no timer: the common
   * case of a single-replica partition); otherwise a promise that rejects with KafkaError on failure or timeout.
   */
  wait(p: Partition, requiredOffset: number, timeoutMs: number): Promise<void> | null {
    const w = { requiredOffset, leaderEpoch: p.leaderEpoch };
    const now = this.evaluate(p, w);
    if (now.done) return now.errorCode === ErrorCode.NONE ? null : Promise.reject(new KafkaError(now.errorCode));
    return new Promise<void>((resolve, reject) => {
      const entry: Entry = {
        ...w,
        resolve,
        reject,
        timer: setTimeout(() => this.finish(p, entry, ErrorCode.REQUEST_TIMED_OUT), Math.max(0, timeoutMs)),
      };
      let set = this.waiting.get(p);
      if (!set) this.waiting.set(p, (set = new Set()));
      set.add(entry);
      this.watch(p);
    });
  }

  /** Re-evaluates the waiters of `p` (after its HW, ISR or role changed). */
  check(p: Partition): void {
    const set = this.waiting.get(p);
    if (!set) return;
    for (const e of [...set]) {
      const s = this.evaluate(p, e);
      if (s.done) this.finish(p, e, s.errorCode);
    }
  }

  /** Fails every waiter of `p` with `errorCode` (the partition was deleted). */
  failAll(p: Partition, errorCode: number): void {
    for (const e of [...(this.waiting.get(p) ?? [])]) this.finish(p, e, errorCode);
  }

  /** Fails everything (shutdown). */
  close(): void {
    for (const p of [...this.waiting.keys()]) this.failAll(p, ErrorCode.NOT_LEADER_OR_FOLLOWER);
  }

  private finish(p: Partition, e: Entry, errorCode: number): void {
    const set = this.waiting.get(p);
    if (!set?.delete(e)) return;
    clearTimeout(e.timer);
    if (set.size === 0) {
      this.waiting.delete(p);
      this.watched.get(p)?.();
      this.watched.delete(p);
    }
    if (errorCode === ErrorCode.NONE) e.resolve();
    else e.reject(new KafkaError(errorCode));
  }

  /** One-shot HW-advance registration, renewed while waiters remain. */
  private watch(p: Partition): void {
    if (this.watched.has(p)) return;
    const cancel = p.onAdvance(() => {
      this.watched.delete(p);
      this.check(p);
      if (this.waiting.has(p)) this.watch(p);
    });
    this.watched.set(p, cancel);
  }
}
