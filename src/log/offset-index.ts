// The sparse offset index (.index): entries of (offset relative to the segment's base offset: int32, file position:
// int32), 8 bytes each. Like Kafka, an entry maps the *last* offset of a batch to the position where that batch
// starts, and one is added each time index.interval.bytes of log have been written since the previous entry.
// Lookup gives the position of a batch at or before the one holding the target offset; the caller scans forward.

import { FixedIndex, readIndexFile } from './index-base';

export const OFFSET_INDEX_ENTRY = 8;

export class OffsetIndex extends FixedIndex {
  constructor(baseOffset: number, initial?: Buffer) {
    super(baseOffset, OFFSET_INDEX_ENTRY, initial);
  }

  static load(file: string, baseOffset: number): OffsetIndex | null {
    const data = readIndexFile(file, OFFSET_INDEX_ENTRY);
    return data ? new OffsetIndex(baseOffset, data) : null;
  }

  offsetAt(i: number): number {
    return this.baseOffset + this.buf.readInt32BE(i * OFFSET_INDEX_ENTRY);
  }

  positionAt(i: number): number {
    return this.buf.readInt32BE(i * OFFSET_INDEX_ENTRY + 4);
  }

  append(offset: number, position: number): void {
    const at = this.reserve();
    this.buf.writeInt32BE(offset - this.baseOffset, at);
    this.buf.writeInt32BE(position, at + 4);
    this.count++;
  }

  /** Position to start scanning for `offset`: the last entry with offset <= target, else the segment start. */
  lookup(offset: number): { offset: number; position: number } {
    const i = this.floorIndex(offset, (k) => this.offsetAt(k));
    return i < 0 ? { offset: this.baseOffset, position: 0 } : { offset: this.offsetAt(i), position: this.positionAt(i) };
  }

  last(): { offset: number; position: number } | null {
    return this.count === 0 ? null : { offset: this.offsetAt(this.count - 1), position: this.positionAt(this.count - 1) };
  }

  /** Drops entries pointing at or past `position` (the log was cut there). */
  truncateToPosition(position: number): void {
    let n = this.count;
    while (n > 0 && this.positionAt(n - 1) >= position) n--;
    this.truncateEntries(n);
  }

  /**
   * Why an index read from disk cannot be trusted, or null: offsets must strictly increase and stay above the
   * base, positions must increase and lie inside the log file.
   */
  problem(logSize: number): string | null {
    let prevOff = -1;
    let prevPos = -1;
    for (let i = 0; i < this.count; i++) {
      const rel = this.buf.readInt32BE(i * OFFSET_INDEX_ENTRY);
      const pos = this.positionAt(i);
      if (rel < 0 || rel <= prevOff) return `non-increasing offset at entry ${i}`;
      if (pos <= prevPos && !(i === 0 && pos === 0)) return `non-increasing position at entry ${i}`;
      if (pos >= logSize) return `position ${pos} beyond log size ${logSize} at entry ${i}`;
      prevOff = rel;
      prevPos = pos;
    }
    return null;
  }
}
