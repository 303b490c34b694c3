// Process-wide caps on what closed segments hold: open file descriptors (an LRU pool, so thousands of partitions
// with many segments each stay under the fd limit) and memory for indexes loaded from disk (an LRU by bytes).
// Active segments are outside both: their fd and indexes stay resident because every append touches them.

import * as fs from 'fs';

/** A file opened on demand through the pool. */
export class PooledFile {
  fd = -1;
  pins = 0;
  /** Closed by eviction while pinned: close when the last pin goes. */
  closeWhenUnpinned = false;

  constructor(
    public path: string,
    readonly pool: FdPool,
  ) {}

  /** An fd valid until the next pool operation (callers use it synchronously). */
  fd0(): number {
    return this.pool.use(this);
  }

  /** Keeps the fd open across async work (fsync). */
  pin(): number {
    this.pins++;
    return this.pool.use(this);
  }

  unpin(): void {
    this.pins--;
    if (this.pins === 0) {
      if (this.closeWhenUnpinned) this.pool.close(this);
      else this.pool.trim();
    }
  }

  close(): void {
    this.pool.close(this);
  }
}

export class FdPool {
  private readonly open = new Map<PooledFile, true>();

  constructor(
    readonly maxOpen: number,
    private readonly flags: number = fs.constants.O_RDWR,
  ) {}

  get openCount(): number {
    return this.open.size;
  }

  file(path: string): PooledFile {
    return new PooledFile(path, this);
  }

  use(f: PooledFile): number {
    if (f.fd >= 0) {
      // Refresh the LRU position.
      this.open.delete(f);
      this.open.set(f, true);
      return f.fd;
    }
    f.fd = fs.openSync(f.path, this.flags);
    f.closeWhenUnpinned = false;
    this.open.set(f, true);
    this.trim(f);
    return f.fd;
  }

  /** Closes least recently used unpinned files while over the cap. */
  trim(keep?: PooledFile): void {
    if (this.open.size <= this.maxOpen) return;
    for (const victim of this.open.keys()) {
      if (this.open.size <= this.maxOpen) break;
      if (victim.pins > 0 || victim === keep) continue;
      this.close(victim);
    }
  }

  close(f: PooledFile): void {
    if (f.fd < 0) return;
    if (f.pins > 0) {
      f.closeWhenUnpinned = true;
      return;
    }
    this.open.delete(f);
    const fd = f.fd;
    f.fd = -1;
    try {
      fs.closeSync(fd);
    } catch {
      // already closed: nothing to release
    }
  }
}

export interface Evictable {
  /** Drop the memory; the owner reloads on next use. */
  evict(): void;
}

/** LRU over loaded index buffers, bounded by total bytes. */
export class MemLru {
  private readonly entries = new Map<Evictable, number>();
  private total = 0;

  constructor(readonly maxBytes: number) {}

  get bytes(): number {
    return this.total;
  }

  touch(item: Evictable, bytes: number): void {
    const prev = this.entries.get(item);
    if (prev !== undefined) {
      this.entries.delete(item);
      this.total -= prev;
    }
    this.entries.set(item, bytes);
    this.total += bytes;
    if (this.total > this.maxBytes) {
      for (const [victim, size] of this.entries) {
        if (this.total <= this.maxBytes || victim === item) break;
        this.entries.delete(victim);
        this.total -= size;
        victim.evict();
      }
    }
  }

  remove(item: Evictable): void {
    const prev = this.entries.get(item);
    if (prev === undefined) return;
    this.entries.delete(item);
    this.total -= prev;
  }
}
