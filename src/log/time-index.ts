// The sparse time index (.timeindex): entries of (timestamp int64, offset relative to the base offset int32),
// 12 bytes each. An entry records the largest timestamp seen so far in the segment and the (last) offset of the
// batch carrying it; entries are only added when that timestamp grows, so both columns are non-decreasing and a
// binary search finds where to start looking for the first record at or after a timestamp. The last entry of a
// closed segment holds its largest timestamp (one is forced at roll and close), which retention reads.

import { readInt64, writeInt64 } from '../wire/records/batch';
import { FixedIndex, readIndexFile } from './index-base';

export const TIME_INDEX_ENTRY = 12;

export class TimeIndex extends FixedIndex {
  constructor(baseOffset: number, initial?: Buffer) {
    super(baseOffset, TIME_INDEX_ENTRY, initial);
  }

  static load(file: string, baseOffset: number): TimeIndex | null {
    const data = readIndexFile(file, TIME_INDEX_ENTRY);
    return data ? new TimeIndex(baseOffset, data) : null;
  }

  timestampAt(i: number): number {
    return readInt64(this.buf, i * TIME_INDEX_ENTRY);
  }

  offsetAt(i: number): number {
    return this.baseOffset + this.buf.readInt32BE(i * TIME_INDEX_ENTRY + 8);
  }

  last(): { timestamp: number; offset: number } | null {
    return this.count === 0 ? null : { timestamp: this.timestampAt(this.count - 1), offset: this.offsetAt(this.count - 1) };
  }

  /** Adds an entry when the timestamp is larger than the last one (else the entry would add nothing). */
  maybeAppend(timestamp: number, offset: number): void {
    if (timestamp < 0) return;
    if (this.count > 0) {
      if (timestamp <= this.timestampAt(this.count - 1)) return;
      if (offset < this.offsetAt(this.count - 1)) return;
    }
    const at = this.reserve();
    writeInt64(this.buf, at, timestamp);
    this.buf.writeInt32BE(offset - this.baseOffset, at + 8);
    this.count++;
  }

  /** The offset to start from when looking for the first record with timestamp >= ts. */
  lookup(timestamp: number): number {
    // Take the last entry (T, O) with T <= ts. The entry's offset is where the running maximum first reached T,
    // so every record before that batch is older than T and hence older than ts: scanning can start there.
    const i = this.floorIndex(timestamp, (k) => this.timestampAt(k));
    return i < 0 ? this.baseOffset : this.offsetAt(i);
  }

  /** Drops entries for offsets >= offset. */
  truncateToOffset(offset: number): void {
    let n = this.count;
    while (n > 0 && this.offsetAt(n - 1) >= offset) n--;
    this.truncateEntries(n);
  }

  problem(): string | null {
    let prevTs = -Infinity;
    let prevOff = -1;
    for (let i = 0; i < this.count; i++) {
      const ts = this.timestampAt(i);
      const rel = this.buf.readInt32BE(i * TIME_INDEX_ENTRY + 8);
      if (rel < 0 || rel < prevOff) return `non-increasing offset at entry ${i}`;
      if (ts <= prevTs) return `non-increasing timestamp at entry ${i}`;
      prevTs = ts;
      prevOff = rel;
    }
    return null;
  }
}
