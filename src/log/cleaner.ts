// Log compaction (cleanup.policy=compact): closed segments are rewritten keeping, for each key, only the latest
// record. The log is split at `firstDirtyOffset` (cleaner-offset-checkpoint) into a clean head, already compacted,
// and a dirty tail; a run is worth it when dirty/(clean+dirty) >= min.cleanable.dirty.ratio.
//
// A run: build an offset map key → latest offset over the dirty section; then rewrite every cleanable segment,
// grouped up to segment.bytes, dropping records whose key has a later offset in the map. Offsets never change
// (gaps are fine: readers skip them); a rebuilt batch keeps its base and last offset, codec, producer fields and
// leader epoch, so idempotence and leader-epoch lookups still line up. Control batches are kept as they are.
// Tombstones (null values) follow KIP-534: the first run that keeps one stamps its batch with a delete horizon
// (now + delete.retention.ms) and a later run past the horizon drops it, so consumers have delete.retention.ms to
// see a delete after it was first compacted.
//
// Swaps are atomic across crashes: the output is written as `<base>.log.cleaned` (+ indexes) and fsynced, renamed
// to `.swap`, then the old segments are renamed `.deleted` and the swap renamed to the final names. On start a
// `.cleaned` is discarded and a `.swap` completed (see PartitionLog.completeSwap).
//
// The cleaner never touches the active segment, so appends are never blocked; it works in slices of a few MiB and
// yields to the event loop between them.
//
// Transactions (when the partition supplies a LogTxnView): nothing at or above the last stable offset is cleaned,
// since a transaction there may still abort; records of aborted transactions are left out of the offset map (they
// must not supersede a committed value of their key) and dropped from the output. Transaction markers are kept
// forever: a read_committed consumer needs the ABORT marker's aborted-transaction entry, which outlives the data.

import * as fs from 'fs';
import * as path from 'path';
import { Attr, BATCH_OVERHEAD, LOG_OVERHEAD, Off, readInt64, type CompressionCodec } from '../wire/records/batch';
import { buildBatch, decodeRecords, recordsSection, walkRecords, type BuildRecord } from '../wire/records/record';
import { fsyncDir } from './checkpoint';
import { readFully, writeFully } from './index-base';
import { OffsetIndex } from './offset-index';
import type { LogTxnView, PartitionLog } from './partition-log';
import { CLEANED_SUFFIX, INDEX_SUFFIX, INT32_MAX, LOG_SUFFIX, LogSegment, SWAP_SUFFIX, TIME_INDEX_SUFFIX, fdatasync, segmentIndexFor, segmentName } from './segment';
import { TimeIndex } from './time-index';

export interface CleanerOptions {
  /** Memory for the key → offset map (Kafka's log.cleaner.dedupe.buffer.size). */
  dedupeBufferBytes: number;
  /** Bytes processed between yields to the event loop. */
  sliceBytes: number;
  now(): number;
}

export const DEFAULT_CLEANER_OPTIONS = { dedupeBufferBytes: 64 * 1024 * 1024, sliceBytes: 2 * 1024 * 1024 };

export interface CleanableRange {
  firstDirty: number;
  /** Segments [0, end) may be cleaned; segments [dirtyIndex, end) hold the dirty section. */
  end: number;
  dirtyIndex: number;
  cleanBytes: number;
  dirtyBytes: number;
  ratio: number;
  /** max.compaction.lag.ms passed for the dirty section, or tombstones are past their horizon: clean anyway. */
  forced: boolean;
}

export interface CleanStats {
  segmentsIn: number;
  segmentsOut: number;
  bytesIn: number;
  bytesOut: number;
  recordsRead: number;
  recordsRemoved: number;
  tombstonesRemoved: number;
  newFirstDirty: number;
}

/** Per-log state the cleaner keeps between runs (in memory). */
const tombstoneHorizons = new WeakMap<PartitionLog, number>();

/** What a cleaning of `log` would cover now, or null when nothing is cleanable. */
export function cleanableRange(log: PartitionLog, now: number): CleanableRange | null {
  const cfg = log.config;
  if (!cfg.cleanupPolicy.compact || log.closed || log.failed) return null;
  const segs = log.segmentList();
  const bound = Math.min(log.stableEnd, log.txnView?.lastStableOffset() ?? Infinity);
  const firstDirty = Math.max(log.firstDirtyOffset, log.logStartOffset);
  // An offset before every segment counts as in the first, so dirtyIndex always names a segment to read from.
  const dirtyIndex = Math.max(0, segmentIndexFor(segs, firstDirty));
  // Closed segments wholly below the high watermark, stopping at the first dirty one younger than the lag.
  let end = 0;
  while (end + 1 < segs.length && segs[end + 1].baseOffset <= bound) {
    if (end >= dirtyIndex && cfg.minCompactionLagMs > 0 && now - segs[end].largestTimestamp() < cfg.minCompactionLagMs) break;
    end++;
  }
  if (end === 0) return null;
  let cleanBytes = 0;
  let dirtyBytes = 0;
  for (let i = 0; i < end; i++) {
    if (i < dirtyIndex) cleanBytes += segs[i].size;
    else dirtyBytes += segs[i].size;
  }
  const total = cleanBytes + dirtyBytes;
  const ratio = total === 0 ? 0 : dirtyBytes / total;
  let forced = false;
  if (dirtyBytes > 0 && dirtyIndex < end && cfg.maxCompactionLagMs < 1e15) {
    forced = now - segs[dirtyIndex].largestTimestamp() > cfg.maxCompactionLagMs;
  }
  const horizon = tombstoneHorizons.get(log);
  if (horizon !== undefined && now >= horizon) forced = true;
  return { firstDirty, end, dirtyIndex, cleanBytes, dirtyBytes, ratio, forced };
}

/** Whether the range is worth cleaning under min.cleanable.dirty.ratio. */
export function needsCleaning(log: PartitionLog, r: CleanableRange): boolean {
  return r.forced || (r.dirtyBytes > 0 && r.ratio >= log.config.minCleanableDirtyRatio);
}

/** key → latest offset, bounded by bytes. */
class OffsetMap {
  private readonly map = new Map<string, number>();
  private bytes = 0;
  constructor(private readonly maxBytes: number) {}
  get size(): number {
    return this.map.size;
  }
  /** False when full (the key was not added). */
  put(key: string, offset: number): boolean {
    if (!this.map.has(key)) {
      const cost = key.length + 64;
      if (this.bytes + cost > this.maxBytes) return false;
      this.bytes += cost;
    }
    this.map.set(key, offset);
    return true;
  }
  get(key: string): number | undefined {
    return this.map.get(key);
  }
}

/** Reads a segment's batches sequentially in large chunks. Batches are views valid until the next call. */
class BatchReader {
  private buf: Buffer;
  private winStart = 0;
  private winLen = 0;
  pos = 0;
  constructor(
    private readonly seg: LogSegment,
    chunk: number,
  ) {
    this.buf = Buffer.allocUnsafe(chunk);
  }
  next(): { buf: Buffer; p: number; size: number } | null {
    const end = this.seg.size;
    if (this.pos + BATCH_OVERHEAD > end) return null;
    if (this.pos + LOG_OVERHEAD > this.winStart + this.winLen) this.fill();
    let p = this.pos - this.winStart;
    const size = LOG_OVERHEAD + this.buf.readInt32BE(p + Off.batchLength);
    if (size < BATCH_OVERHEAD || this.pos + size > end) throw new Error(`bad batch at ${this.pos} in ${this.seg.logPath}`);
    if (p + size > this.winLen) {
      if (size > this.buf.length) this.buf = Buffer.allocUnsafe(size);
      this.fill();
      p = 0;
    }
    const out = { buf: this.buf, p, size };
    this.pos += size;
    return out;
  }
  private fill(): void {
    this.winStart = this.pos;
    this.winLen = readFully(this.seg.file.fd0(), this.buf, 0, Math.min(this.buf.length, this.seg.size - this.pos), this.pos);
  }
}

const yieldNow = () => new Promise<void>((r) => setImmediate(r));

/** Whether the transactional batch (producer, base offset) belongs to an aborted transaction. */
type AbortedCheck = (producerId: number, offset: number) => boolean;

function abortedCheck(view: LogTxnView | null, from: number, to: number): AbortedCheck {
  const byProducer = new Map<number, { firstOffset: number; lastOffset: number }[]>();
  for (const t of view?.abortedOverlapping(from, to) ?? []) {
    let l = byProducer.get(t.producerId);
    if (!l) byProducer.set(t.producerId, (l = []));
    l.push(t);
  }
  return (producerId, offset) => byProducer.get(producerId)?.some((t) => offset >= t.firstOffset && offset < t.lastOffset) ?? false;
}

/** The batch at p is transactional data (not a marker) of an aborted transaction. */
function isAbortedData(buf: Buffer, p: number, aborted: AbortedCheck): boolean {
  const attrs = buf.readInt16BE(p + Off.attributes);
  if ((attrs & Attr.transactional) === 0 || (attrs & Attr.control) !== 0) return false;
  return aborted(readInt64(buf, p + Off.producerId), readInt64(buf, p));
}

/**
 * One cleaning run over `log`. Returns null when there was nothing to do (or `force` is false and the dirty
 * ratio is below the threshold), stats otherwise. Concurrent truncation or deletion makes it give up (the log is
 * left as it was, except groups already swapped, which are complete and valid).
 */
export async function cleanLog(log: PartitionLog, opts: CleanerOptions & { force?: boolean }): Promise<CleanStats | null> {
  const now = opts.now();
  const range = cleanableRange(log, now);
  if (!range || (!opts.force && !needsCleaning(log, range))) return null;
  let version = log.segmentsVersion;
  // A snapshot: any removal or truncation while we work bumps segmentsVersion and we give up.
  const all = log.segmentList().slice();
  const segs = all.slice(0, range.end);
  const logger = log.logEnv.logger;
  const stats: CleanStats = {
    segmentsIn: 0,
    segmentsOut: 0,
    bytesIn: 0,
    bytesOut: 0,
    recordsRead: 0,
    recordsRemoved: 0,
    tombstonesRemoved: 0,
    newFirstDirty: range.firstDirty,
  };

  const aborted = abortedCheck(log.txnView, segs[0].baseOffset, all[range.end].baseOffset);

  // 1. Offset map over the dirty section.
  const map = new OffsetMap(opts.dedupeBufferBytes);
  let mapEnd = range.firstDirty;
  let full = false;
  let sinceYield = 0;
  for (let i = range.dirtyIndex; i < range.end && !full; i++) {
    const reader = new BatchReader(segs[i], 4 * 1024 * 1024);
    for (let b = reader.next(); b; b = reader.next()) {
      const lastOffset = readInt64(b.buf, b.p) + b.buf.readInt32BE(b.p + Off.lastOffsetDelta);
      if (lastOffset < range.firstDirty) continue;
      if ((b.buf.readInt16BE(b.p + Off.attributes) & Attr.control) === 0 && !isAbortedData(b.buf, b.p, aborted)) {
        const baseOffset = readInt64(b.buf, b.p);
        const batchMap: [string, number][] = [];
        const { data, start, end } = recordsSection(b.buf, b.p);
        walkRecords(data, start, end, (r) => {
          if (r.keyLength >= 0) batchMap.push([data.toString('latin1', r.keyStart, r.keyStart + r.keyLength), baseOffset + r.offsetDelta]);
        });
        // A batch goes into the map whole or not at all, so mapEnd stays on a batch boundary.
        for (const [k, o] of batchMap) {
          if (!map.put(k, o)) {
            full = true;
            break;
          }
        }
        if (full) break;
      }
      mapEnd = lastOffset + 1;
      sinceYield += b.size;
      if (sinceYield >= opts.sliceBytes) {
        sinceYield = 0;
        await yieldNow();
        if (log.segmentsVersion !== version || log.closed) return null;
      }
    }
    // The whole segment is mapped: the map covers everything up to where the next one starts.
    if (!full) mapEnd = all[i + 1].baseOffset;
  }
  if (full && mapEnd === range.firstDirty && range.dirtyBytes > 0) {
    logger.warn(`${log.name}: cleaner offset map too small for one batch; skipping`);
    return null;
  }

  // 2. Rewrite segments that hold offsets below mapEnd, group by group.
  let cleanEnd = 0;
  while (cleanEnd < segs.length && segs[cleanEnd].baseOffset < mapEnd) cleanEnd++;
  const groups = groupSegments(all, cleanEnd, log.config.segmentBytes);
  let minHorizon = Infinity;
  for (const group of groups) {
    if (log.segmentsVersion !== version || log.closed) return null;
    let out: CleanedOutput;
    try {
      out = await cleanGroup(log, group, map, mapEnd, aborted, now, opts, stats);
    } catch (e) {
      removeCleaned(log.dir, group[0].baseOffset);
      if (log.segmentsVersion !== version || log.closed) return null; // a segment went away under us
      throw e;
    }
    if (out.minHorizon < minHorizon) minHorizon = out.minHorizon;
    if (!(await swapIn(log, group, out, version))) {
      removeCleaned(log.dir, group[0].baseOffset);
      return null;
    }
    version = log.segmentsVersion;
    stats.segmentsIn += group.length;
    stats.segmentsOut += 1;
    await yieldNow();
  }
  if (minHorizon < Infinity) tombstoneHorizons.set(log, minHorizon);
  else tombstoneHorizons.delete(log);
  if (mapEnd > log.firstDirtyOffset) log.firstDirtyOffset = mapEnd;
  stats.newFirstDirty = log.firstDirtyOffset;
  logger.info(
    `${log.name}: cleaned ${stats.segmentsIn} segments (${stats.bytesIn} → ${stats.bytesOut} bytes, ` +
      `${stats.recordsRemoved} of ${stats.recordsRead} records removed, ${stats.tombstonesRemoved} tombstones); ` +
      `dirty section now starts at ${log.firstDirtyOffset}`,
  );
  return stats;
}

/** Consecutive segments whose total size fits segment.bytes and whose offsets fit int32 from the group's base. */
function groupSegments(segs: readonly LogSegment[], count: number, maxBytes: number): LogSegment[][] {
  // count < segs.length always (the active segment is never cleaned), so segs[j + 1] exists below.
  const groups: LogSegment[][] = [];
  let i = 0;
  while (i < count) {
    const group = [segs[i]];
    let size = segs[i].size;
    let j = i + 1;
    while (j < count) {
      const nextEnd = segs[j + 1].baseOffset;
      if (size + segs[j].size > maxBytes || nextEnd - segs[i].baseOffset > INT32_MAX) break;
      size += segs[j].size;
      group.push(segs[j]);
      j++;
    }
    groups.push(group);
    i = j;
  }
  return groups;
}

interface CleanedOutput {
  base: number;
  size: number;
  minHorizon: number;
}

function cleanedPaths(dir: string, base: number): { log: string; index: string; time: string } {
  const n = path.join(dir, segmentName(base));
  return { log: n + LOG_SUFFIX + CLEANED_SUFFIX, index: n + INDEX_SUFFIX + CLEANED_SUFFIX, time: n + TIME_INDEX_SUFFIX + CLEANED_SUFFIX };
}

function removeCleaned(dir: string, base: number): void {
  const n = path.join(dir, segmentName(base));
  for (const s of [LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX]) {
    for (const suf of [CLEANED_SUFFIX, SWAP_SUFFIX]) fs.rmSync(n + s + suf, { force: true });
  }
}

/** Writes the compacted form of `group` to `.cleaned` files, fsynced. */
async function cleanGroup(
  log: PartitionLog,
  group: LogSegment[],
  map: OffsetMap,
  mapEnd: number,
  aborted: AbortedCheck,
  now: number,
  opts: CleanerOptions,
  stats: CleanStats,
): Promise<CleanedOutput> {
  const base = group[0].baseOffset;
  const paths = cleanedPaths(log.dir, base);
  const cfg = log.config;
  const fd = fs.openSync(paths.log, 'w', 0o644);
  const off = new OffsetIndex(base);
  const time = new TimeIndex(base);
  const outBuf = Buffer.allocUnsafe(1024 * 1024);
  let outLen = 0;
  let filePos = 0;
  let since = 0;
  let maxTs = -1;
  let maxTsOffset = -1;
  let minHorizon = Infinity;
  let sinceYield = 0;
  const flushOut = () => {
    if (outLen > 0) writeFully(fd, outBuf, 0, outLen, filePos - outLen);
    outLen = 0;
  };
  const emit = (buf: Buffer, p: number, size: number) => {
    const lastOffset = readInt64(buf, p) + buf.readInt32BE(p + Off.lastOffsetDelta);
    const ts = readInt64(buf, p + Off.maxTimestamp);
    if (ts > maxTs) {
      maxTs = ts;
      maxTsOffset = lastOffset;
    }
    if (since > cfg.indexIntervalBytes) {
      off.append(lastOffset, filePos);
      time.maybeAppend(maxTs, maxTsOffset);
      since = 0;
    }
    since += size;
    if (size > outBuf.length) {
      flushOut();
      writeFully(fd, buf, p, size, filePos);
      filePos += size;
    } else {
      if (outLen + size > outBuf.length) flushOut();
      buf.copy(outBuf, outLen, p, p + size);
      outLen += size;
      filePos += size;
    }
  };

  try {
    for (const seg of group) {
      stats.bytesIn += seg.size;
      const reader = new BatchReader(seg, 4 * 1024 * 1024);
      for (let b = reader.next(); b; b = reader.next()) {
        const { buf, p, size } = b;
        const attrs = buf.readInt16BE(p + Off.attributes);
        if ((attrs & Attr.control) !== 0) {
          emit(buf, p, size);
        } else if (isAbortedData(buf, p, aborted)) {
          const n = buf.readInt32BE(p + Off.recordCount);
          stats.recordsRead += n;
          stats.recordsRemoved += n;
        } else {
          const r = filterBatch(buf, p, map, mapEnd, now, cfg.deleteRetentionMs, stats);
          if (r.horizon < minHorizon) minHorizon = r.horizon;
          if (r.batch === 'keep') emit(buf, p, size);
          else if (r.batch !== 'drop') emit(r.batch, 0, r.batch.length);
        }
        sinceYield += size;
        if (sinceYield >= opts.sliceBytes) {
          sinceYield = 0;
          flushOut();
          await yieldNow();
        }
      }
    }
    flushOut();
    time.maybeAppend(maxTs, maxTsOffset);
    const fds = [fd, off.writeFileSync(paths.index), time.writeFileSync(paths.time)];
    try {
      await Promise.all(fds.map((f) => fdatasync(f)));
    } finally {
      for (const f of fds.slice(1)) fs.closeSync(f);
    }
  } finally {
    fs.closeSync(fd);
  }
  stats.bytesOut += filePos;
  return { base, size: filePos, minHorizon };
}

/** The batch's fate, and the delete horizon of tombstones it still holds (Infinity when none). */
type FilterResult = { batch: 'keep' | 'drop' | Buffer; horizon: number };

/**
 * Decides a data batch's fate: kept byte for byte when every record stays (and no tombstone needs a horizon
 * stamped), dropped when none does, else rebuilt with the survivors.
 */
function filterBatch(
  buf: Buffer,
  p: number,
  map: OffsetMap,
  mapEnd: number,
  now: number,
  deleteRetentionMs: number,
  stats: CleanStats,
): FilterResult {
  const baseOffset = readInt64(buf, p);
  const attrs = buf.readInt16BE(p + Off.attributes);
  const hasHorizon = (attrs & Attr.hasDeleteHorizon) !== 0;
  const horizon = hasHorizon ? readInt64(buf, p + Off.baseTimestamp) : -1;
  const { data, start, end } = recordsSection(buf, p);
  const keep: boolean[] = [];
  let kept = 0;
  let keptTombstones = 0;
  walkRecords(data, start, end, (r) => {
    const offset = baseOffset + r.offsetDelta;
    let retain = true;
    if (offset < mapEnd && r.keyLength >= 0) {
      // Records without a key cannot be compacted (Kafka refuses them on compacted topics); we keep them.
      const latest = map.get(data.toString('latin1', r.keyStart, r.keyStart + r.keyLength));
      if (latest !== undefined && offset < latest) retain = false;
    }
    if (retain && r.valueLength < 0 && r.keyLength >= 0) {
      if (hasHorizon && now >= horizon) {
        retain = false;
        stats.tombstonesRemoved++;
      } else keptTombstones++;
    }
    keep.push(retain);
    if (retain) kept++;
  });
  stats.recordsRead += keep.length;
  stats.recordsRemoved += keep.length - kept;
  if (kept === 0) return { batch: 'drop', horizon: Infinity };
  const needsHorizon = keptTombstones > 0 && !hasHorizon;
  if (kept === keep.length && !needsHorizon) return { batch: 'keep', horizon: keptTombstones > 0 ? horizon : Infinity };

  const records = decodeRecords(buf, p);
  const logAppend = (attrs & Attr.logAppendTime) !== 0;
  const retained: BuildRecord[] = [];
  for (let i = 0; i < records.length; i++) {
    if (!keep[i]) continue;
    const r = records[i];
    retained.push({ key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp, offsetDelta: r.offset - baseOffset });
  }
  const newHorizon = hasHorizon ? horizon : keptTombstones > 0 ? now + deleteRetentionMs : undefined;
  const batch = buildBatch({
    baseOffset,
    partitionLeaderEpoch: buf.readInt32BE(p + Off.partitionLeaderEpoch),
    compression: (attrs & Attr.compressionMask) as CompressionCodec,
    timestampType: logAppend ? 'logAppend' : 'create',
    maxTimestamp: logAppend ? readInt64(buf, p + Off.maxTimestamp) : undefined,
    producerId: readInt64(buf, p + Off.producerId),
    producerEpoch: buf.readInt16BE(p + Off.producerEpoch),
    baseSequence: buf.readInt32BE(p + Off.baseSequence),
    transactional: (attrs & Attr.transactional) !== 0,
    deleteHorizonMs: newHorizon,
    // Keeping the last offset keeps the producer's last sequence number meaningful (as Kafka does).
    lastOffsetDelta: buf.readInt32BE(p + Off.lastOffsetDelta),
    records: retained,
  });
  return { batch, horizon: keptTombstones > 0 ? (newHorizon as number) : Infinity };
}

/** Atomically replaces `group` by the cleaned output. False when the log changed and the swap was abandoned. */
async function swapIn(log: PartitionLog, group: LogSegment[], out: CleanedOutput, version: number): Promise<boolean> {
  const dir = log.dir;
  const name = path.join(dir, segmentName(out.base));
  // The index swaps go first: on start, a log swap implies its indexes are complete (or absent → rebuilt).
  for (const s of [INDEX_SUFFIX, TIME_INDEX_SUFFIX, LOG_SUFFIX]) fs.renameSync(name + s + CLEANED_SUFFIX, name + s + SWAP_SUFFIX);
  await fsyncDir(dir);
  if (log.segmentsVersion !== version || log.closed) return false;
  const segs = log.segmentList();
  const i = segs.indexOf(group[0]);
  if (i < 0 || group.some((g, k) => segs[i + k] !== g) || i + group.length >= segs.length) return false;
  // From here on everything is synchronous: no reader can see a half-done state.
  const oldPaths: string[] = [];
  for (const g of group) oldPaths.push(...g.markDeleted());
  for (const s of [INDEX_SUFFIX, TIME_INDEX_SUFFIX, LOG_SUFFIX]) fs.renameSync(name + s + SWAP_SUFFIX, name + s);
  const { seg } = LogSegment.open(dir, out.base, log.segmentEnv, log.logEnv.now());
  if (!log.replaceSegments(group, seg)) throw new Error('segment list changed during a synchronous swap');
  log.logEnv.deleteLater(oldPaths, log.config.fileDeleteDelayMs);
  await fsyncDir(dir);
  return true;
}
