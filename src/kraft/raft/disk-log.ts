// The Raft log on disk: the `__cluster_metadata-0` partition log (segments, indexes, recovery) in Kafka's format,
// plus the snapshot files beside it. Entries are stored as v2 batches whose partitionLeaderEpoch is the Raft epoch
// (entry-batches.ts); the epoch of each offset comes from an in-memory table of epoch start offsets, rebuilt from
// the batch headers when the log is opened, so it is always exactly what the log holds (the partition's own
// leader-epoch checkpoint is written asynchronously and could lag behind a crash).
//
// Durability follows the RaftLog contract: append() writes into the page cache, flush() fdatasyncs on the calling
// thread (the core must see its writes durable before it answers), truncateTo / storeSnapshot / deleteBeforeSnapshot
// are durable when they return. On open, the log is reconciled with the latest snapshot, so a crash between storing
// a snapshot and cutting the log prefix is finished on the next start.

import { batch as hdr, forEachBatch } from '../../wire/records/batch';
import type { PartitionLog } from '../../log/partition-log';
import type { RaftLog } from './raft-log';
import { SnapshotStore } from './snapshot-store';
import type { OffsetAndEpoch, RaftEntry, SnapshotId } from './types';
import { batchesToEntries, entriesToBatches } from './entry-batches';

interface EpochStart {
  epoch: number;
  startOffset: number;
}

const SCAN_CHUNK = 1024 * 1024;

export class DiskRaftLog implements RaftLog {
  /** Epoch start offsets of the entries in [startOffset, endOffset), ascending in both. */
  private epochs: EpochStart[] = [];
  private flushed: number;
  private readonly snapshots: SnapshotStore;

  constructor(private readonly plog: PartitionLog) {
    this.snapshots = new SnapshotStore(plog.dir);
    this.epochs = this.scanEpochs();
    // What survived a restart is what was durable (recovery cut any torn tail).
    this.flushed = plog.logEndOffset;
    this.reconcileWithSnapshot();
  }

  /** The partition log underneath (for the log manager's bookkeeping and tests). */
  get partitionLog(): PartitionLog {
    return this.plog;
  }

  startOffset(): number {
    return this.plog.logStartOffset;
  }

  endOffset(): number {
    return this.plog.logEndOffset;
  }

  lastEpoch(): number {
    const last = this.epochs[this.epochs.length - 1];
    if (last !== undefined && this.endOffset() > this.startOffset()) return last.epoch;
    return this.snapshots.latest()?.epoch ?? 0;
  }

  flushedEndOffset(): number {
    return this.flushed;
  }

  epochAt(offset: number): number | null {
    const start = this.startOffset();
    if (offset >= start && offset < this.endOffset()) {
      let e: EpochStart | undefined;
      for (let i = this.epochs.length - 1; i >= 0; i--) {
        if (this.epochs[i]!.startOffset <= offset) {
          e = this.epochs[i];
          break;
        }
      }
      return e?.epoch ?? null;
    }
    const snap = this.snapshots.latest();
    if (snap !== null && offset === start - 1 && snap.endOffset === start) return snap.epoch;
    return null;
  }

  append(entries: readonly RaftEntry[]): void {
    if (entries.length === 0) return;
    let expected = this.endOffset();
    let epoch = this.lastEpoch();
    for (const e of entries) {
      if (e.offset !== expected) throw new Error(`raft log: append at ${e.offset}, expected ${expected}`);
      if (e.epoch < epoch) throw new Error(`raft log: epoch ${e.epoch} after ${epoch}`);
      epoch = e.epoch;
      expected++;
    }
    // One pwrite per batch: a roll can then fall between batches, and no write exceeds a segment.
    for (const b of entriesToBatches(entries)) {
      this.plog.append(b, { leaderEpoch: hdr.partitionLeaderEpoch(b), assignOffsets: false, verifyCrc: false });
    }
    for (const e of entries) this.noteEpoch(e.epoch, e.offset);
  }

  flush(): void {
    if (this.flushed >= this.endOffset()) return;
    this.plog.flushSync();
    this.flushed = this.endOffset();
  }

  read(offset: number, maxBytes: number): RaftEntry[] {
    if (offset < this.startOffset()) throw new Error(`raft log: read at ${offset} below start ${this.startOffset()}`);
    if (offset >= this.endOffset()) return [];
    // Whole batches only (minOneBatch): a reader never gets part of a controller write.
    const { chunks } = this.plog.read(offset, Math.max(1, maxBytes), { minOneBatch: true });
    if (chunks.length === 0) return [];
    return batchesToEntries(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks), offset);
  }

  truncateTo(offset: number): void {
    const start = this.startOffset();
    if (offset < start) throw new Error(`raft log: truncate to ${offset} below start ${start}`);
    if (offset >= this.endOffset()) return;
    // The segment log cuts whole batches: the batch holding `offset` goes, and its entries below `offset` are
    // written back as a batch of their own.
    const { chunks } = this.plog.read(offset, 1, { minOneBatch: true });
    const first = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
    const base = first.length > 0 ? hdr.baseOffset(first) : offset;
    const keep = base < offset ? batchesToEntries(first.subarray(0, hdr.totalSize(first)), start).filter((e) => e.offset < offset) : [];
    if (base < start) this.plog.truncateFullyAndStartAt(start);
    else this.plog.truncateTo(offset);
    const end = this.endOffset();
    this.epochs = this.epochs.filter((e) => e.startOffset < end);
    this.flushed = Math.min(this.flushed, end);
    if (keep.length > 0) this.append(keep);
    // Durable now: removed segments were renamed, so the directory is synced too.
    this.plog.flushSync(true);
    this.flushed = this.endOffset();
  }

  endOffsetForEpoch(epoch: number): OffsetAndEpoch {
    for (let i = this.epochs.length - 1; i >= 0; i--) {
      const e = this.epochs[i]!;
      if (e.epoch <= epoch) {
        const next = this.epochs[i + 1];
        return { epoch: e.epoch, offset: next !== undefined ? next.startOffset : this.endOffset() };
      }
    }
    const snap = this.snapshots.latest();
    if (snap !== null && snap.epoch <= epoch) return { epoch: snap.epoch, offset: this.startOffset() };
    return { epoch: 0, offset: this.startOffset() };
  }

  latestSnapshot(): SnapshotId | null {
    return this.snapshots.latest();
  }

  readSnapshot(id: SnapshotId, position: number, maxBytes: number): { size: number; bytes: Buffer } | null {
    return this.snapshots.read(id, position, maxBytes);
  }

  storeSnapshot(id: SnapshotId, data: Buffer): void {
    this.snapshots.write(id, data);
  }

  deleteBeforeSnapshot(id: SnapshotId): void {
    const held = this.snapshots.latest();
    if (held === null || held.endOffset !== id.endOffset || held.epoch !== id.epoch) {
      throw new Error('raft log: deleting before a snapshot that is not stored');
    }
    if (id.endOffset <= this.startOffset()) return;
    if (id.endOffset <= this.endOffset() && this.epochAt(id.endOffset - 1) === id.epoch) {
      // The log agrees with the snapshot at its end: keep the suffix. The start offset is re-derived from the
      // snapshot on open, so the log manager's asynchronous start-offset checkpoint need not be awaited.
      this.plog.deleteRecordsBefore(id.endOffset).catch(() => undefined);
      this.trimEpochsBefore(id.endOffset);
    } else {
      // A follower installing a snapshot its log does not match: start over after it.
      this.plog.truncateFullyAndStartAt(id.endOffset);
      this.plog.flushSync(true);
      this.epochs = [];
      this.flushed = this.endOffset();
    }
  }

  // --- internals ---

  private noteEpoch(epoch: number, offset: number): void {
    const last = this.epochs[this.epochs.length - 1];
    if (last === undefined || epoch > last.epoch) this.epochs.push({ epoch, startOffset: offset });
  }

  private trimEpochsBefore(offset: number): void {
    if (offset >= this.endOffset()) {
      this.epochs = [];
      return;
    }
    let i = 0;
    while (i + 1 < this.epochs.length && this.epochs[i + 1]!.startOffset <= offset) i++;
    const kept = this.epochs.slice(i);
    if (kept[0] !== undefined && kept[0].startOffset < offset) kept[0] = { epoch: kept[0].epoch, startOffset: offset };
    this.epochs = kept;
  }

  /** Epoch start offsets from the batch headers of the whole log (metadata logs are small; snapshots keep them so). */
  private scanEpochs(): EpochStart[] {
    const out: EpochStart[] = [];
    const start = this.plog.logStartOffset;
    let offset = start;
    while (offset < this.plog.logEndOffset) {
      const { chunks } = this.plog.read(offset, SCAN_CHUNK, { minOneBatch: true });
      if (chunks.length === 0) break;
      const buf = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      let next = offset;
      forEachBatch(buf, (pos) => {
        const epoch = hdr.partitionLeaderEpoch(buf, pos);
        const base = Math.max(hdr.baseOffset(buf, pos), start);
        const last = out[out.length - 1];
        if (last !== undefined && epoch < last.epoch) {
          throw new Error(`${this.plog.name}: epoch ${epoch} at offset ${base} follows epoch ${last.epoch}`);
        }
        if (last === undefined || epoch > last.epoch) out.push({ epoch, startOffset: base });
        next = hdr.lastOffset(buf, pos) + 1;
      });
      if (next <= offset) break;
      offset = next;
    }
    return out;
  }

  private reconcileWithSnapshot(): void {
    const snap = this.snapshots.latest();
    const start = this.startOffset();
    if (snap === null) {
      if (start > 0) throw new Error(`${this.plog.name} starts at ${start} but no snapshot covers the offsets before it`);
      return;
    }
    if (start > snap.endOffset) {
      throw new Error(`${this.plog.name} starts at ${start}, past its latest snapshot's end ${snap.endOffset}`);
    }
    // A crash after the snapshot was stored but before the prefix was cut (or made durable): cut it now.
    if (start < snap.endOffset) this.deleteBeforeSnapshot(snap);
  }
}
