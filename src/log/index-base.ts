// Shared machinery of the two sparse indexes beside each segment (.index and .timeindex): a growable buffer of
// fixed-size entries kept in memory, persisted to its file incrementally. The file is only the durable copy: while
// a segment is active its index lives in memory and the file is brought up to date at flush, roll and close; after
// a crash the index of every unflushed segment is rebuilt from the log, so the file may lag without harm.

import * as fs from 'fs';

export abstract class FixedIndex {
  protected buf: Buffer;
  /** Entries in memory. */
  count: number;
  /** Entries known to be in the file (a prefix of the in-memory ones). */
  private persisted: number;

  constructor(
    readonly baseOffset: number,
    readonly entrySize: number,
    initial?: Buffer,
  ) {
    if (initial) {
      this.buf = initial;
      this.count = Math.floor(initial.length / entrySize);
      this.persisted = this.count;
    } else {
      this.buf = Buffer.allocUnsafe(entrySize * 64);
      this.count = 0;
      this.persisted = 0;
    }
  }

  get sizeBytes(): number {
    return this.count * this.entrySize;
  }

  /** Memory held (for the cache's accounting). */
  get memoryBytes(): number {
    return this.buf.length;
  }

  /** Room for one more entry (growing by doubling: an index reaches at most segment.index.bytes). */
  protected reserve(): number {
    const at = this.count * this.entrySize;
    if (at + this.entrySize > this.buf.length) {
      const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.entrySize * 64));
      this.buf.copy(next, 0, 0, at);
      this.buf = next;
    }
    return at;
  }

  protected truncateEntries(count: number): void {
    if (count < this.count) this.count = count;
    if (count < this.persisted) this.persisted = -1; // file must be cut on the next persist
  }

  /** Index of the last entry whose key is <= target (-1 when none), keys being non-decreasing. */
  protected floorIndex(target: number, keyAt: (i: number) => number): number {
    let lo = 0;
    let hi = this.count - 1;
    let ans = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (keyAt(mid) <= target) {
        ans = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return ans;
  }

  /** Writes what the file lacks (synchronously: a few bytes per 4 KiB of log) and returns the open fd. */
  persistSync(file: string): number {
    const fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o644);
    try {
      if (this.persisted < 0) {
        fs.ftruncateSync(fd, this.count * this.entrySize);
        this.persisted = 0;
        const size = this.count * this.entrySize;
        if (size > 0) writeFully(fd, this.buf, 0, size, 0);
      } else if (this.persisted < this.count) {
        const from = this.persisted * this.entrySize;
        writeFully(fd, this.buf, from, this.count * this.entrySize - from, from);
      }
      this.persisted = this.count;
      return fd;
    } catch (e) {
      fs.closeSync(fd);
      throw e;
    }
  }

  /** Writes the whole index to `file` (replacing it), used for rebuilt and cleaned indexes. */
  writeFileSync(file: string): number {
    const fd = fs.openSync(file, 'w', 0o644);
    try {
      const size = this.count * this.entrySize;
      if (size > 0) writeFully(fd, this.buf, 0, size, 0);
      this.persisted = this.count;
      return fd;
    } catch (e) {
      fs.closeSync(fd);
      throw e;
    }
  }

  /** Whether the file copy is current. */
  get dirty(): boolean {
    return this.persisted !== this.count;
  }
}

export function writeFully(fd: number, buf: Buffer, off: number, len: number, position: number): void {
  while (len > 0) {
    const n = fs.writeSync(fd, buf, off, len, position);
    off += n;
    len -= n;
    position += n;
  }
}

export function readFully(fd: number, buf: Buffer, off: number, len: number, position: number): number {
  let total = 0;
  while (total < len) {
    const n = fs.readSync(fd, buf, off + total, len - total, position + total);
    if (n === 0) break;
    total += n;
  }
  return total;
}

/** Reads an index file whole; null when it is missing or its size is not a whole number of entries. */
export function readIndexFile(file: string, entrySize: number): Buffer | null {
  let data: Buffer;
  try {
    data = fs.readFileSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  if (data.length % entrySize !== 0) return null;
  return data;
}
