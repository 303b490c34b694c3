// One segment: `<baseOffset>.log` holding record batches back to back exactly as received, with its sparse
// `.index` and `.timeindex`. The active (last) segment keeps its fd and indexes resident; closed segments open
// their file through the shared fd pool and load their indexes on demand into the shared index LRU.

import * as fs from 'fs';
import * as path from 'path';
import { BATCH_OVERHEAD, LOG_OVERHEAD, Off, readInt64 } from '../wire/records/batch';
import { readFully, writeFully } from './index-base';
import { OffsetIndex, OFFSET_INDEX_ENTRY } from './offset-index';
import { FdPool, MemLru, PooledFile } from './resources';
import { TimeIndex, TIME_INDEX_ENTRY } from './time-index';

export const LOG_SUFFIX = '.log';
export const INDEX_SUFFIX = '.index';
export const TIME_INDEX_SUFFIX = '.timeindex';
export const INT32_MAX = 2147483647;

export function segmentName(baseOffset: number): string {
  return String(baseOffset).padStart(20, '0');
}

/**
 * Index of the segment holding `offset` in `segs` (ordered by baseOffset, as a log keeps them): the last one with
 * baseOffset <= offset, or -1 when `offset` is before them all. Binary search, since a log may have thousands.
 */
export function segmentIndexFor(segs: readonly LogSegment[], offset: number): number {
  let lo = 0;
  let hi = segs.length - 1;
  let ans = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (segs[mid].baseOffset <= offset) {
      ans = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return ans;
}

export interface Logger {
  info(msg: string, ...rest: unknown[]): void;
  warn(msg: string, ...rest: unknown[]): void;
  error(msg: string, ...rest: unknown[]): void;
}

/** What segments share: the fd pool, the index memory budget, logging, and the log's identity for messages. */
export interface SegmentEnv {
  fdPool: FdPool;
  indexLru: MemLru;
  logger: Logger;
  /** `topic-partition`, for log messages. */
  name: string;
  indexIntervalBytes(): number;
}

export function fdatasync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.fdatasync(fd, (err) => (err ? reject(err) : resolve())));
}

/** Header fields of one batch, read without touching its records. */
export interface BatchHeader {
  position: number;
  size: number;
  baseOffset: number;
  lastOffset: number;
  maxTimestamp: number;
  attributes: number;
}

// One scratch buffer for header scans. Every use is synchronous, so sharing it is safe.
const SCAN_WINDOW = 32 * 1024;
const scratch = Buffer.allocUnsafe(SCAN_WINDOW);

export class LogSegment {
  readonly file: PooledFile;
  size: number;
  active = false;
  /** Largest batch max timestamp in the segment and the last offset of the batch carrying it (-1 when none). */
  maxTimestamp = -1;
  offsetOfMaxTimestamp = -1;
  /** Next offset after the last batch (valid for the active segment and after a scan). */
  nextOffset: number;
  /** Max timestamp of the first batch, which time-based rolling counts from (Kafka's rollingBasedTimestamp). */
  firstBatchTimestamp = -1;
  readonly created: number;
  lastModified: number;
  private bytesSinceLastIndexEntry = 0;
  private offIdx: OffsetIndex | null = null;
  private timeIdx: TimeIndex | null = null;
  /** Data or index content not yet fsynced. */
  needsFlush = false;
  deleted = false;

  private constructor(
    readonly dir: string,
    readonly baseOffset: number,
    private readonly env: SegmentEnv,
    size: number,
    now: number,
    lastModified: number,
  ) {
    this.file = env.fdPool.file(this.logPath);
    this.size = size;
    this.nextOffset = baseOffset;
    this.created = now;
    this.lastModified = lastModified;
  }

  get logPath(): string {
    return path.join(this.dir, segmentName(this.baseOffset) + LOG_SUFFIX);
  }
  get indexPath(): string {
    return path.join(this.dir, segmentName(this.baseOffset) + INDEX_SUFFIX);
  }
  get timeIndexPath(): string {
    return path.join(this.dir, segmentName(this.baseOffset) + TIME_INDEX_SUFFIX);
  }

  /** A new empty segment, active. */
  static create(dir: string, baseOffset: number, env: SegmentEnv, now: number): LogSegment {
    const seg = new LogSegment(dir, baseOffset, env, 0, now, now);
    fs.closeSync(fs.openSync(seg.logPath, 'w', 0o644));
    seg.offIdx = new OffsetIndex(baseOffset);
    seg.timeIdx = new TimeIndex(baseOffset);
    fs.closeSync(seg.offIdx.writeFileSync(seg.indexPath));
    fs.closeSync(seg.timeIdx.writeFileSync(seg.timeIndexPath));
    seg.activate();
    return seg;
  }

  /**
   * An existing segment from disk, closed. Cheap: one stat, plus a look at the time index's size and last entry
   * (the segment's largest timestamp, used by retention). Returns `indexesSuspect` when an index file is missing or
   * its size is not a whole number of entries, so the caller can rebuild.
   */
  static open(dir: string, baseOffset: number, env: SegmentEnv, now: number): { seg: LogSegment; indexesSuspect: boolean } {
    const logPath = path.join(dir, segmentName(baseOffset) + LOG_SUFFIX);
    const st = fs.statSync(logPath);
    const seg = new LogSegment(dir, baseOffset, env, st.size, now, st.mtimeMs);
    let suspect = false;
    const idxSize = fileSize(seg.indexPath);
    if (idxSize < 0 || idxSize % OFFSET_INDEX_ENTRY !== 0) suspect = true;
    const tSize = fileSize(seg.timeIndexPath);
    if (tSize < 0 || tSize % TIME_INDEX_ENTRY !== 0) suspect = true;
    else if (tSize > 0) {
      const fd = fs.openSync(seg.timeIndexPath, 'r');
      try {
        const b = Buffer.alloc(TIME_INDEX_ENTRY);
        readFully(fd, b, 0, TIME_INDEX_ENTRY, tSize - TIME_INDEX_ENTRY);
        seg.maxTimestamp = readInt64(b, 0);
        seg.offsetOfMaxTimestamp = baseOffset + b.readInt32BE(8);
      } finally {
        fs.closeSync(fd);
      }
    }
    return { seg, indexesSuspect: suspect };
  }

  // ---- indexes ----

  offsetIndex(): OffsetIndex {
    if (!this.offIdx) this.loadIndexes();
    else if (!this.active) this.env.indexLru.touch(this, this.indexMemory());
    return this.offIdx!;
  }

  timeIndex(): TimeIndex {
    if (!this.timeIdx) this.loadIndexes();
    else if (!this.active) this.env.indexLru.touch(this, this.indexMemory());
    return this.timeIdx!;
  }

  private indexMemory(): number {
    return (this.offIdx?.memoryBytes ?? 0) + (this.timeIdx?.memoryBytes ?? 0);
  }

  /** Loads both indexes; a missing or inconsistent one is rebuilt from the log (and logged). */
  private loadIndexes(): void {
    const off = OffsetIndex.load(this.indexPath, this.baseOffset);
    const time = TimeIndex.load(this.timeIndexPath, this.baseOffset);
    const problem = !off
      ? 'offset index missing or of invalid size'
      : !time
        ? 'time index missing or of invalid size'
        : (off.problem(this.size) ?? time.problem());
    if (problem) {
      this.env.logger.warn(`${this.env.name}: rebuilding indexes of segment ${segmentName(this.baseOffset)}: ${problem}`);
      this.rebuildIndexes();
    } else {
      this.offIdx = off;
      this.timeIdx = time;
    }
    if (!this.active) this.env.indexLru.touch(this, this.indexMemory());
  }

  /** Called by the index LRU. */
  evict(): void {
    if (this.active) return;
    if (this.offIdx?.dirty || this.timeIdx?.dirty) this.persistIndexes();
    this.offIdx = null;
    this.timeIdx = null;
  }

  /** Rebuilds both indexes by walking the batch headers (no CRC checks: recovery does those) and writes them. */
  rebuildIndexes(): void {
    const off = new OffsetIndex(this.baseOffset);
    const time = new TimeIndex(this.baseOffset);
    const interval = this.env.indexIntervalBytes();
    let since = 0;
    let maxTs = -1;
    let maxTsOffset = -1;
    let next = this.baseOffset;
    let firstTs = -1;
    const end = this.scanHeaders(0, (h) => {
      if (h.position === 0) firstTs = h.maxTimestamp;
      if (h.maxTimestamp > maxTs) {
        maxTs = h.maxTimestamp;
        maxTsOffset = h.lastOffset;
      }
      if (since > interval) {
        off.append(h.lastOffset, h.position);
        time.maybeAppend(maxTs, maxTsOffset);
        since = 0;
      }
      since += h.size;
      next = h.lastOffset + 1;
      return true;
    });
    if (!this.active) time.maybeAppend(maxTs, maxTsOffset);
    this.installIndexes(off, time, { maxTs, maxTsOffset, next, since, firstTs, end });
  }

  /** Adopts indexes built by a scan (rebuild or recovery). */
  installIndexes(
    off: OffsetIndex,
    time: TimeIndex,
    s: { maxTs: number; maxTsOffset: number; next: number; since: number; firstTs: number; end: number },
  ): void {
    this.offIdx = off;
    this.timeIdx = time;
    this.maxTimestamp = s.maxTs;
    this.offsetOfMaxTimestamp = s.maxTsOffset;
    this.nextOffset = s.next;
    this.bytesSinceLastIndexEntry = s.since;
    this.firstBatchTimestamp = s.firstTs;
    // Force-write the files: their old content (if any) is stale.
    fs.closeSync(off.writeFileSync(this.indexPath));
    fs.closeSync(time.writeFileSync(this.timeIndexPath));
    if (!this.active) this.env.indexLru.touch(this, this.indexMemory());
  }

  // ---- becoming active / closed ----

  /** Makes this the segment appends go to: pins its fd, loads its indexes, finds its end state. */
  activate(): void {
    if (this.active) return;
    this.offsetIndex();
    this.timeIndex();
    this.env.indexLru.remove(this);
    this.active = true;
    this.file.pin();
    this.loadTail();
  }

  /**
   * Recomputes the end state (next offset, max timestamp, bytes since the last index entry, first batch
   * timestamp) by walking the headers after the last index entry, which is at most index.interval.bytes plus one
   * batch, so reopening a large segment costs a few KiB of reads.
   */
  loadTail(): number {
    const off = this.offsetIndex();
    const time = this.timeIndex();
    const lastEntry = off.last();
    const start = lastEntry ? lastEntry.position : 0;
    const lastTime = time.last();
    let maxTs = lastTime ? lastTime.timestamp : -1;
    let maxTsOffset = lastTime ? lastTime.offset : -1;
    let next = lastEntry ? lastEntry.offset + 1 : this.baseOffset;
    // Like on append, the batch an index entry points at counts towards the next entry.
    let since = 0;
    const end = this.scanHeaders(start, (h) => {
      if (h.maxTimestamp > maxTs) {
        maxTs = h.maxTimestamp;
        maxTsOffset = h.lastOffset;
      }
      since += h.size;
      next = h.lastOffset + 1;
      return true;
    });
    this.maxTimestamp = maxTs;
    this.offsetOfMaxTimestamp = maxTsOffset;
    this.nextOffset = next;
    this.bytesSinceLastIndexEntry = since;
    this.firstBatchTimestamp = -1;
    if (this.size > 0) {
      const h = this.headerAt(0);
      if (h) this.firstBatchTimestamp = h.maxTimestamp;
    }
    return end;
  }

  /**
   * Closes the segment for appends (roll): a final time index entry records its largest timestamp and the fd goes
   * back to the pool. The partition log then flushes it (indexes written and fsynced with the log).
   */
  deactivate(): void {
    if (!this.active) return;
    this.timeIdx!.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp);
    this.active = false;
    this.file.unpin();
    this.env.indexLru.touch(this, this.indexMemory());
  }

  /**
   * Records the segment's largest timestamp as the final time index entry (at roll and clean close), so that the
   * next start reads it from the file's last entry for retention.
   */
  sealTimeIndex(): void {
    this.timeIndex().maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp);
  }

  // ---- append ----

  /** Whether one more index entry would overflow segment.index.bytes (Kafka rolls then). */
  indexFull(maxIndexBytes: number): boolean {
    const off = this.offIdx!;
    const time = this.timeIdx!;
    return (
      (off.count + 1) * OFFSET_INDEX_ENTRY > maxIndexBytes || (time.count + 1) * TIME_INDEX_ENTRY > maxIndexBytes
    );
  }

  /**
   * Writes `buf` (whole batches, offsets already final) at the end of the file and indexes it. The write is a
   * plain pwrite into the page cache: durability comes from the fsync policy of the partition log.
   */
  append(buf: Buffer, now: number): void {
    const fd = this.file.fd0();
    const startSize = this.size;
    try {
      writeFully(fd, buf, 0, buf.length, startSize);
    } catch (e) {
      // A partial write would leave a torn batch: cut it off so the file matches what we account for.
      try {
        fs.ftruncateSync(fd, startSize);
      } catch {
        // the log dir is failing; recovery will trim the tail on next start
      }
      throw e;
    }
    const interval = this.env.indexIntervalBytes();
    const off = this.offIdx!;
    const time = this.timeIdx!;
    let pos = 0;
    while (pos < buf.length) {
      const size = LOG_OVERHEAD + buf.readInt32BE(pos + Off.batchLength);
      const lastOffset = readInt64(buf, pos) + buf.readInt32BE(pos + Off.lastOffsetDelta);
      const maxTs = readInt64(buf, pos + Off.maxTimestamp);
      if (startSize + pos === 0) this.firstBatchTimestamp = maxTs;
      if (maxTs > this.maxTimestamp) {
        this.maxTimestamp = maxTs;
        this.offsetOfMaxTimestamp = lastOffset;
      }
      if (this.bytesSinceLastIndexEntry > interval) {
        off.append(lastOffset, startSize + pos);
        time.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp);
        this.bytesSinceLastIndexEntry = 0;
      }
      this.bytesSinceLastIndexEntry += size;
      this.nextOffset = lastOffset + 1;
      pos += size;
    }
    this.size = startSize + buf.length;
    this.lastModified = now;
    this.needsFlush = true;
  }

  // ---- reading ----

  /** Reads `len` bytes at `position` (fewer at end of file). */
  readBytes(position: number, len: number): Buffer {
    const buf = Buffer.allocUnsafe(len);
    const n = readFully(this.file.fd0(), buf, 0, len, position);
    return n === len ? buf : buf.subarray(0, n);
  }

  headerAt(position: number): BatchHeader | null {
    let h: BatchHeader | null = null;
    this.scanHeaders(position, (x) => {
      h = x;
      return false;
    });
    return h;
  }

  /**
   * Walks batch headers from `position` (which must be a batch boundary) to the end of the file or until `fn`
   * returns false, reading 32 KiB windows. Stops at the first header that does not describe a plausible batch
   * fitting in the file (recovery validates properly). Returns the position reached.
   */
  scanHeaders(position: number, fn: (h: BatchHeader) => boolean): number {
    const fd = this.file.fd0();
    const end = this.size;
    let winStart = -1;
    let winLen = 0;
    let pos = position;
    while (pos + BATCH_OVERHEAD <= end) {
      if (winStart < 0 || pos + BATCH_OVERHEAD > winStart + winLen) {
        winStart = pos;
        winLen = readFully(fd, scratch, 0, Math.min(SCAN_WINDOW, end - pos), pos);
        if (winLen < BATCH_OVERHEAD) break;
      }
      const p = pos - winStart;
      const size = LOG_OVERHEAD + scratch.readInt32BE(p + Off.batchLength);
      if (size < BATCH_OVERHEAD || pos + size > end) break;
      const baseOffset = readInt64(scratch, p);
      const h: BatchHeader = {
        position: pos,
        size,
        baseOffset,
        lastOffset: baseOffset + scratch.readInt32BE(p + Off.lastOffsetDelta),
        maxTimestamp: readInt64(scratch, p + Off.maxTimestamp),
        attributes: scratch.readInt16BE(p + Off.attributes),
      };
      pos += size;
      if (!fn(h)) return pos;
    }
    return pos;
  }

  /** The first batch whose last offset is >= offset (the one holding it, or the next after a gap), or null. */
  findBatch(offset: number): BatchHeader | null {
    const start = this.offsetIndex().lookup(offset).position;
    let found: BatchHeader | null = null;
    this.scanHeaders(start, (h) => {
      if (h.lastOffset >= offset) {
        found = h;
        return false;
      }
      return true;
    });
    return found;
  }

  /**
   * Whole batches from the one holding `offset`, up to maxBytes (the first even if larger when minOneBatch),
   * excluding any batch that reaches maxOffset. Null when no batch in this segment is at or after offset.
   */
  read(offset: number, maxBytes: number, minOneBatch: boolean, maxOffset: number): { chunks: Buffer[]; size: number } | null {
    const first = this.findBatch(offset);
    if (!first) return null;
    if (first.lastOffset >= maxOffset) return { chunks: [], size: 0 };
    let len = Math.min(this.size - first.position, maxBytes);
    if (len < first.size) {
      if (!minOneBatch) return { chunks: [], size: 0 };
      len = first.size;
    }
    const buf = this.readBytes(first.position, len);
    let pos = 0;
    while (pos + LOG_OVERHEAD <= buf.length) {
      const size = LOG_OVERHEAD + buf.readInt32BE(pos + Off.batchLength);
      if (size < BATCH_OVERHEAD || pos + size > buf.length) break;
      if (maxOffset !== Infinity && readInt64(buf, pos) + buf.readInt32BE(pos + Off.lastOffsetDelta) >= maxOffset) break;
      pos += size;
    }
    return pos === 0 ? { chunks: [], size: 0 } : { chunks: [buf.subarray(0, pos)], size: pos };
  }

  // ---- truncation, flush, delete ----

  /** Removes the batch holding `offset` and everything after it. Returns the bytes removed. */
  truncateTo(offset: number): number {
    const h = this.findBatch(offset);
    if (!h) return 0;
    return this.truncateToPosition(h.position);
  }

  truncateToPosition(position: number): number {
    if (position >= this.size) return 0;
    const removed = this.size - position;
    fs.ftruncateSync(this.file.fd0(), position);
    this.size = position;
    this.offsetIndex().truncateToPosition(position);
    // Time index entries carry batch last offsets: those of removed batches are past the last kept batch.
    let lastKept = this.baseOffset - 1;
    const lastEntry = this.offIdx!.last();
    this.scanHeaders(lastEntry ? lastEntry.position : 0, (x) => {
      lastKept = x.lastOffset;
      return true;
    });
    this.timeIndex().truncateToOffset(lastKept + 1);
    this.needsFlush = true;
    if (this.active) this.loadTail();
    else {
      this.nextOffset = lastKept + 1;
      const t = this.timeIdx!.last();
      this.maxTimestamp = t ? t.timestamp : -1;
      this.offsetOfMaxTimestamp = t ? t.offset : -1;
      for (const fd of this.writeIndexFiles()) fs.closeSync(fd);
    }
    return removed;
  }

  /** Brings the index files up to date (synchronously: they are small) and returns their open fds. */
  private writeIndexFiles(): number[] {
    const fds: number[] = [];
    if (this.offIdx) fds.push(this.offIdx.persistSync(this.indexPath));
    if (this.timeIdx) fds.push(this.timeIdx.persistSync(this.timeIndexPath));
    return fds;
  }

  private persistIndexes(): void {
    for (const fd of this.writeIndexFiles()) fs.closeSync(fd);
  }

  /**
   * fdatasync of the log only: what a durability wait needs (the group-commit path). Indexes of data not yet
   * fully flushed are rebuilt by recovery, so they need no fsync here.
   */
  async syncLog(): Promise<void> {
    if (this.deleted) return;
    const fd = this.file.pin();
    try {
      await fdatasync(fd);
    } finally {
      this.file.unpin();
    }
  }

  /** Full flush: log and both indexes written and fsynced. */
  async flush(): Promise<void> {
    if (this.deleted) return;
    const fds = this.writeIndexFiles();
    try {
      await Promise.all([this.syncLog(), ...fds.map((fd) => fdatasync(fd))]);
    } finally {
      for (const fd of fds) fs.closeSync(fd);
    }
    this.needsFlush = false;
  }

  /** Closes file handles and forgets resident state (log shutdown). */
  close(): void {
    if (this.active) {
      this.timeIdx!.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp);
      this.persistIndexes();
      this.active = false;
      this.file.unpin();
    } else if (this.offIdx?.dirty || this.timeIdx?.dirty) this.persistIndexes();
    this.file.close();
    this.env.indexLru.remove(this);
    this.offIdx = null;
    this.timeIdx = null;
  }

  /** Renames the three files with a suffix (`.deleted`, `.swap`...). Returns the new paths. */
  renameFiles(suffix: string): string[] {
    this.file.close();
    const out: string[] = [];
    for (const p of [this.logPath, this.indexPath, this.timeIndexPath]) {
      try {
        fs.renameSync(p, p + suffix);
        out.push(p + suffix);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    }
    return out;
  }

  /** Marks deleted and moves the files aside as `.deleted` (removed later: readers may still hold buffers). */
  markDeleted(): string[] {
    if (this.active) {
      this.active = false;
      this.file.unpin();
    }
    this.deleted = true;
    this.env.indexLru.remove(this);
    this.offIdx = null;
    this.timeIdx = null;
    return this.renameFiles(DELETED_SUFFIX);
  }

  /** Largest timestamp for retention: the max batch timestamp, or the file's mtime when there is none. */
  largestTimestamp(): number {
    return this.maxTimestamp > 0 ? this.maxTimestamp : this.lastModified;
  }
}

export const DELETED_SUFFIX = '.deleted';
export const CLEANED_SUFFIX = '.cleaned';
export const SWAP_SUFFIX = '.swap';

function fileSize(p: string): number {
  try {
    return fs.statSync(p).size;
  } catch {
    return -1;
  }
}
