// A simulated network for the Raft simulation: every message gets a latency drawn from the seeded PRNG (so
// messages overtake each other), and may be dropped or duplicated. Links can be cut one way or both ways.
// A message addressed to a node that has restarted since it was sent is lost, as a TCP connection would be.

import type { RaftMessage } from '../messages';
import type { SeededRandom } from '../random';

export interface NetworkFaults {
  dropRate: number;
  duplicateRate: number;
  minLatencyMs: number;
  maxLatencyMs: number;
  /** Chance of a long delay (up to spikeMaxMs), which makes very late and stale deliveries. */
  spikeRate: number;
  spikeMaxMs: number;
}

export const CALM_NETWORK: NetworkFaults = {
  dropRate: 0,
  duplicateRate: 0,
  minLatencyMs: 1,
  maxLatencyMs: 5,
  spikeRate: 0,
  spikeMaxMs: 0,
};

export interface Envelope {
  deliverAt: number;
  seq: number;
  from: number;
  to: number;
  toIncarnation: number;
  message: RaftMessage;
}

/** Binary min-heap on (deliverAt, seq). */
class DeliveryQueue {
  private readonly items: Envelope[] = [];

  get size(): number {
    return this.items.length;
  }

  push(e: Envelope): void {
    const a = this.items;
    a.push(e);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(a[i]!, a[parent]!)) break;
      [a[i], a[parent]] = [a[parent]!, a[i]!];
      i = parent;
    }
  }

  peek(): Envelope | undefined {
    return this.items[0];
  }

  pop(): Envelope | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && before(a[l]!, a[m]!)) m = l;
        if (r < a.length && before(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}

function before(a: Envelope, b: Envelope): boolean {
  return a.deliverAt < b.deliverAt || (a.deliverAt === b.deliverAt && a.seq < b.seq);
}

export class SimNetwork {
  private readonly queue = new DeliveryQueue();
  private readonly cut = new Set<number>();
  private seq = 0;
  sent = 0;
  dropped = 0;
  duplicated = 0;

  constructor(
    private readonly rnd: SeededRandom,
    public faults: NetworkFaults,
    private readonly incarnationOf: (node: number) => number,
  ) {}

  private static link(from: number, to: number): number {
    return from * 65536 + to;
  }

  isCut(from: number, to: number): boolean {
    return this.cut.has(SimNetwork.link(from, to));
  }

  cutLink(from: number, to: number): void {
    this.cut.add(SimNetwork.link(from, to));
  }

  /** Cuts every link between the two groups, both ways. */
  partition(a: readonly number[], b: readonly number[]): void {
    for (const x of a) {
      for (const y of b) {
        this.cutLink(x, y);
        this.cutLink(y, x);
      }
    }
  }

  healAll(): void {
    this.cut.clear();
  }

  get cutLinks(): number {
    return this.cut.size;
  }

  send(from: number, to: number, message: RaftMessage, nowMs: number): void {
    this.sent++;
    if (this.isCut(from, to) || this.rnd.chance(this.faults.dropRate)) {
      this.dropped++;
      return;
    }
    this.enqueue(from, to, message, nowMs);
    if (this.rnd.chance(this.faults.duplicateRate)) {
      this.duplicated++;
      this.enqueue(from, to, message, nowMs);
    }
  }

  private enqueue(from: number, to: number, message: RaftMessage, nowMs: number): void {
    const f = this.faults;
    let latency = f.minLatencyMs + this.rnd.int(f.maxLatencyMs - f.minLatencyMs + 1);
    if (f.spikeRate > 0 && this.rnd.chance(f.spikeRate)) latency += this.rnd.int(f.spikeMaxMs + 1);
    this.queue.push({ deliverAt: nowMs + latency, seq: this.seq++, from, to, toIncarnation: this.incarnationOf(to), message });
  }

  /**
   * Removes and returns the messages due by nowMs, shuffled (so same-time deliveries come in any order), minus
   * those whose link is cut now or whose destination restarted since they were sent.
   */
  due(nowMs: number): Envelope[] {
    const out: Envelope[] = [];
    for (let top = this.queue.peek(); top !== undefined && top.deliverAt <= nowMs; top = this.queue.peek()) {
      this.queue.pop();
      if (this.isCut(top.from, top.to) || this.incarnationOf(top.to) !== top.toIncarnation) {
        this.dropped++;
        continue;
      }
      out.push(top);
    }
    return this.rnd.shuffle(out);
  }
}
