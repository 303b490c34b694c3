// Recently appended batches kept in memory so that consumers and followers reading at the tail are served without
// touching the file. The cache holds references to the appended buffers (the log owns them after append), never
// copies. One budget is shared by all partitions and charged per distinct backing ArrayBuffer: a batch that is a
// view into a larger request frame keeps that whole frame alive, so the frame's size is what counts.
// Eviction is global FIFO: the oldest appended batch anywhere goes first, which is always the front of its
// partition's list, so each partition's cached range stays a contiguous suffix of its log.

export interface CachedBatch {
  baseOffset: number;
  lastOffset: number;
  buf: Buffer;
  owner: PartitionTail;
  dead: boolean;
}

export class TailCache {
  private readonly queue: CachedBatch[] = [];
  private head = 0;
  private readonly backing = new Map<ArrayBufferLike, number>();
  private bytes = 0;

  constructor(readonly maxBytes: number) {}

  get usedBytes(): number {
    return this.bytes;
  }

  charge(buf: Buffer): void {
    const ab = buf.buffer;
    const n = this.backing.get(ab);
    if (n === undefined) {
      this.backing.set(ab, 1);
      this.bytes += ab.byteLength;
    } else this.backing.set(ab, n + 1);
  }

  release(buf: Buffer): void {
    const ab = buf.buffer;
    const n = this.backing.get(ab);
    if (n === undefined) return;
    if (n <= 1) {
      this.backing.delete(ab);
      this.bytes -= ab.byteLength;
    } else this.backing.set(ab, n - 1);
  }

  private deadInQueue = 0;

  push(b: CachedBatch): void {
    this.queue.push(b);
    this.charge(b.buf);
    this.trim();
  }

  /** An entry left the cache other than by FIFO eviction (truncation, roll). */
  drop(b: CachedBatch): void {
    if (b.dead) return;
    b.dead = true;
    this.release(b.buf);
    this.deadInQueue++;
  }

  private trim(): void {
    while (this.head < this.queue.length) {
      const b = this.queue[this.head];
      if (b.dead) {
        this.deadInQueue--;
        this.head++;
        continue;
      }
      if (this.bytes <= this.maxBytes) break;
      this.head++;
      b.owner.evictFront(b);
    }
    // Entries dropped out of order (truncation, roll) linger in the queue: sweep them once they dominate.
    if (this.deadInQueue > 1024 && this.deadInQueue * 2 > this.queue.length - this.head) {
      this.queue.splice(0, this.head);
      this.head = 0;
      let w = 0;
      for (let r = 0; r < this.queue.length; r++) if (!this.queue[r].dead) this.queue[w++] = this.queue[r];
      this.queue.length = w;
      this.deadInQueue = 0;
    }
    // Compact the queue array now and then so it does not grow without bound.
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
    }
  }

  forPartition(): PartitionTail {
    return new PartitionTail(this);
  }
}

/** One partition's cached suffix of its active segment, in offset order. */
export class PartitionTail {
  private items: CachedBatch[] = [];
  private start = 0;

  constructor(private readonly cache: TailCache) {}

  get size(): number {
    return this.items.length - this.start;
  }

  add(baseOffset: number, lastOffset: number, buf: Buffer): void {
    const b: CachedBatch = { baseOffset, lastOffset, buf, owner: this, dead: false };
    this.items.push(b);
    this.cache.push(b);
  }

  /** Called by the global FIFO: `b` is this partition's oldest live entry. */
  evictFront(b: CachedBatch): void {
    if (this.items[this.start] === b) {
      this.items[this.start] = undefined as unknown as CachedBatch;
      this.start++;
    }
    b.dead = true;
    this.cache.release(b.buf);
    if (this.start > 256 && this.start * 2 > this.items.length) {
      this.items = this.items.slice(this.start);
      this.start = 0;
    }
  }

  clear(): void {
    if (this.items.length === 0) return;
    for (let i = this.start; i < this.items.length; i++) {
      const b = this.items[i];
      this.cache.drop(b);
    }
    this.items = [];
    this.start = 0;
  }

  /** Drops cached batches holding offsets >= offset (truncation). */
  truncateFrom(offset: number): void {
    while (this.items.length > this.start) {
      const b = this.items[this.items.length - 1];
      if (b.lastOffset < offset) break;
      this.items.pop();
      this.cache.drop(b);
    }
  }

  /** Drops cached batches entirely below offset. */
  dropBefore(offset: number): void {
    while (this.items.length > this.start && this.items[this.start].lastOffset < offset) {
      const b = this.items[this.start];
      this.items[this.start] = undefined as unknown as CachedBatch;
      this.start++;
      this.cache.drop(b);
    }
  }

  /**
   * Whole batches from the one holding `offset`, up to maxBytes (the first one even when larger, if minOneBatch),
   * stopping before any batch reaching maxOffset. Returns null when `offset` precedes the cached range.
   */
  read(
    offset: number,
    maxBytes: number,
    minOneBatch: boolean,
    maxOffset: number,
  ): { chunks: Buffer[]; size: number } | null {
    const items = this.items;
    const n = items.length;
    if (n === this.start || items[this.start].baseOffset > offset) return null;
    // First entry with lastOffset >= offset.
    let lo = this.start;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (items[mid].lastOffset < offset) lo = mid + 1;
      else hi = mid;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for (let i = lo; i < n; i++) {
      const b = items[i];
      if (b.lastOffset >= maxOffset) break;
      const len = b.buf.length;
      if (size + len > maxBytes && !(minOneBatch && chunks.length === 0)) break;
      chunks.push(b.buf);
      size += len;
    }
    return { chunks, size };
  }
}
