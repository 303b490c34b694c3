// An in-memory RaftLog for tests and simulation. It models durability: entries past the last flush are lost by
// crash(), exactly what a process kill does to an unsynced log tail.

import type { RaftLog } from './raft-log';
import type { OffsetAndEpoch, RaftEntry, SnapshotId } from './types';
import { entrySize } from './types';

export class MemoryRaftLog implements RaftLog {
  private entries: RaftEntry[] = [];
  private start = 0;
  private flushed = 0;
  private snapshot: { id: SnapshotId; data: Buffer } | null = null;

  startOffset(): number {
    return this.start;
  }

  endOffset(): number {
    return this.start + this.entries.length;
  }

  lastEpoch(): number {
    const last = this.entries[this.entries.length - 1];
    if (last !== undefined) return last.epoch;
    return this.snapshot?.id.epoch ?? 0;
  }

  flushedEndOffset(): number {
    return this.flushed;
  }

  epochAt(offset: number): number | null {
    if (offset >= this.start && offset < this.endOffset()) return this.entries[offset - this.start]!.epoch;
    if (this.snapshot !== null && offset === this.snapshot.id.endOffset - 1 && offset === this.start - 1) {
      return this.snapshot.id.epoch;
    }
    return null;
  }

  append(entries: readonly RaftEntry[]): void {
    let expected = this.endOffset();
    let epoch = this.lastEpoch();
    for (const e of entries) {
      if (e.offset !== expected) throw new Error(`raft log: append at ${e.offset}, expected ${expected}`);
      if (e.epoch < epoch) throw new Error(`raft log: epoch ${e.epoch} after ${epoch}`);
      epoch = e.epoch;
      expected++;
    }
    for (const e of entries) this.entries.push(e);
  }

  flush(): void {
    this.flushed = this.endOffset();
  }

  read(offset: number, maxBytes: number): RaftEntry[] {
    if (offset < this.start) throw new Error(`raft log: read at ${offset} below start ${this.start}`);
    const out: RaftEntry[] = [];
    let bytes = 0;
    for (let i = offset - this.start; i < this.entries.length; i++) {
      const e = this.entries[i]!;
      bytes += entrySize(e);
      if (out.length > 0 && bytes > maxBytes) break;
      out.push(e);
    }
    return out;
  }

  truncateTo(offset: number): void {
    if (offset < this.start) throw new Error(`raft log: truncate to ${offset} below start ${this.start}`);
    if (offset >= this.endOffset()) return;
    this.entries.length = offset - this.start;
    this.flushed = Math.min(this.flushed, offset);
  }

  endOffsetForEpoch(epoch: number): OffsetAndEpoch {
    // Scan from the end: the epochs asked about are nearly always recent.
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const e = this.entries[i]!;
      if (e.epoch <= epoch) return { epoch: e.epoch, offset: this.start + i + 1 };
    }
    if (this.snapshot !== null && this.snapshot.id.epoch <= epoch) {
      return { epoch: this.snapshot.id.epoch, offset: this.start };
    }
    return { epoch: 0, offset: this.start };
  }

  latestSnapshot(): SnapshotId | null {
    return this.snapshot === null ? null : { ...this.snapshot.id };
  }

  readSnapshot(id: SnapshotId, position: number, maxBytes: number): { size: number; bytes: Buffer } | null {
    const s = this.snapshot;
    if (s === null || s.id.endOffset !== id.endOffset || s.id.epoch !== id.epoch) return null;
    const from = Math.min(position, s.data.length);
    return { size: s.data.length, bytes: s.data.subarray(from, Math.min(s.data.length, from + maxBytes)) };
  }

  storeSnapshot(id: SnapshotId, data: Buffer): void {
    if (this.snapshot !== null && id.endOffset < this.snapshot.id.endOffset) {
      throw new Error(`raft log: snapshot ${id.endOffset} older than ${this.snapshot.id.endOffset}`);
    }
    this.snapshot = { id: { ...id }, data: Buffer.from(data) };
  }

  deleteBeforeSnapshot(id: SnapshotId): void {
    if (this.snapshot === null || this.snapshot.id.endOffset !== id.endOffset || this.snapshot.id.epoch !== id.epoch) {
      throw new Error('raft log: deleting before a snapshot that is not stored');
    }
    if (id.endOffset <= this.start) return;
    if (this.epochAt(id.endOffset - 1) === id.epoch) {
      this.entries.splice(0, id.endOffset - this.start);
    } else {
      this.entries = [];
    }
    this.start = id.endOffset;
    // The kept suffix stays as durable as it was; an emptied log is trivially durable.
    this.flushed = Math.min(Math.max(this.flushed, this.start), this.endOffset());
  }

  // --- test hooks ---

  /** Simulates a process crash: the unflushed tail is gone. Returns how many entries were lost. */
  crash(): number {
    const lost = this.endOffset() - this.flushed;
    if (lost > 0) this.entries.length = this.flushed - this.start;
    return lost;
  }

  /** All entries held (a copy of the array; entries themselves are shared and immutable). */
  allEntries(): RaftEntry[] {
    return this.entries.slice();
  }
}
