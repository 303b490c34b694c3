// Per-partition state of idempotent and transactional producers: for each producer id its epoch and the
// metadata of its last five batches. A leader checks every produced batch against it before appending and records
// the batch after, in the same tick (appends are synchronous), which gives Kafka's guarantees (KIP-98):
//  - a retried batch whose sequence range matches one of the five cached ones is a duplicate: it is not appended
//    again and the producer is told the offsets the original got;
//  - a batch that does not continue the producer's sequence is refused (OUT_OF_ORDER_SEQUENCE_NUMBER);
//  - a batch from an older epoch is refused (INVALID_PRODUCER_EPOCH).
// The rules are Kafka's ProducerAppendInfo checks as of Kafka 2.5+ (KIP-360): an unknown producer is accepted with
// any sequence (its state may have expired or been lost with deleted data), and a new epoch must start at 0.
//
// The state is rebuilt from the log: from the newest usable `<offset>.snapshot` file (Kafka's format, version 1,
// written at clean shutdown and when a segment rolls) plus a replay of the batches after it, or from the whole log
// when there is no snapshot. Producers outlive the data they wrote (as in Kafka since 2.4): they are dropped only
// after producer.id.expiration.ms without a write.
//
// Transactions: a producer's first transactional batch opens its transaction on the partition and a COMMIT/ABORT
// marker closes it; `txns` follows both (open transactions, aborted ones) for the last stable offset and
// read_committed fetches. Its aborted list is saved beside each snapshot (see partition-txns.ts).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { crc32c } from '@node-rs/crc32';
import type { PartitionLog } from '../log/partition-log';
import { ErrorCode } from '../wire/errors';
import { batch, forEachBatch, readInt64, writeInt64 } from '../wire/records/batch';
import { ControlRecordType, controlRecordType, decodeRecords, markerCoordinatorEpoch } from '../wire/records/record';
import { ABORTED_SUFFIX, PartitionTxnIndex } from '../txn/partition-txns';

/** How many batches per producer are remembered for duplicate detection (the client's max in-flight). */
export const BATCHES_TO_RETAIN = 5;
export const NO_PRODUCER_EPOCH = -1;
const INT32_MAX = 2147483647;

export interface BatchMetadata {
  firstSeq: number;
  lastSeq: number;
  firstOffset: number;
  lastOffset: number;
  /** The batch's max timestamp as stored (the append time for LogAppendTime topics). */
  timestamp: number;
}

export interface ProducerEntry {
  readonly producerId: number;
  epoch: number;
  /** Oldest first, at most BATCHES_TO_RETAIN, all of the current epoch. */
  batches: BatchMetadata[];
  /** Timestamp of the producer's last write: expiry counts from it. */
  lastTimestamp: number;
  /** Epoch of the transaction coordinator that wrote the last marker (-1: none; kept for the snapshot format). */
  coordinatorEpoch: number;
  /** First offset of the producer's open transaction, -1 when none. */
  currentTxnFirstOffset: number;
}

/** The header fields of a produced batch that the checks need (RecordSetInfo has them). */
export interface ProducerBatch {
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  lastOffsetDelta: number;
  isTransactional: boolean;
}

export type SequenceCheck =
  | { kind: 'append' }
  | { kind: 'duplicate'; batch: BatchMetadata }
  | { kind: 'error'; errorCode: number; message: string };

export interface ProducerStateOptions {
  /** producer.id.expiration.ms: a producer without writes for this long is forgotten. */
  expirationMs: number;
  /** producer.id.expiration.check.interval.ms: how often expiry is looked for (on the next check). */
  expirationCheckIntervalMs: number;
  now(): number;
  warn?(msg: string): void;
}

export const DEFAULT_PRODUCER_STATE_OPTIONS: ProducerStateOptions = {
  expirationMs: 86_400_000,
  expirationCheckIntervalMs: 600_000,
  now: Date.now,
};

const APPEND: SequenceCheck = { kind: 'append' };

/** Sequence numbers wrap from INT32_MAX to 0 (Kafka's DefaultRecordBatch arithmetic). */
export function incrementSequence(seq: number, increment: number): number {
  return seq > INT32_MAX - increment ? increment - (INT32_MAX - seq) - 1 : seq + increment;
}

export function decrementSequence(seq: number, decrement: number): number {
  return seq < decrement ? INT32_MAX - (decrement - seq) + 1 : seq - decrement;
}

function inSequence(lastSeq: number, nextSeq: number): boolean {
  return nextSeq === lastSeq + 1 || (nextSeq === 0 && lastSeq === INT32_MAX);
}

// ---------------------------------------------------------------------------------------------------------------
// Snapshot files: Kafka's producer snapshot, version 1. Big-endian:
//   version int16 | crc uint32 (CRC-32C of everything after it) | count int32 | count × entry
//   entry: producerId int64, epoch int16, lastSequence int32, lastOffset int64, offsetDelta int32,
//          timestamp int64, coordinatorEpoch int32, currentTxnFirstOffset int64
// Like Kafka's, a snapshot keeps only the last batch of each producer; batches after the snapshot offset are
// replayed from the log, so only retries of batches older than the snapshot lose duplicate detection.

const SNAPSHOT_SUFFIX = '.snapshot';
const SNAPSHOT_VERSION = 1;
const SNAPSHOT_HEADER = 10;
const SNAPSHOT_ENTRY = 46;
/** Older snapshots are only needed after a truncation below the newest one. */
const SNAPSHOTS_TO_KEEP = 2;

function snapshotName(offset: number): string {
  return `${String(offset).padStart(20, '0')}${SNAPSHOT_SUFFIX}`;
}

function listSnapshots(dir: string): number[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const f of names) {
    if (!f.endsWith(SNAPSHOT_SUFFIX)) continue;
    const base = f.slice(0, -SNAPSHOT_SUFFIX.length);
    if (/^\d{20}$/.test(base)) out.push(Number(base));
  }
  return out.sort((a, b) => b - a); // newest first
}

export function encodeSnapshot(entries: Iterable<ProducerEntry>): Buffer {
  const list = [...entries];
  const buf = Buffer.alloc(SNAPSHOT_HEADER + list.length * SNAPSHOT_ENTRY);
  buf.writeInt16BE(SNAPSHOT_VERSION, 0);
  buf.writeInt32BE(list.length, 6);
  let p = SNAPSHOT_HEADER;
  for (const e of list) {
    const last = e.batches[e.batches.length - 1];
    writeInt64(buf, p, e.producerId);
    buf.writeInt16BE(e.epoch, p + 8);
    buf.writeInt32BE(last ? last.lastSeq : -1, p + 10);
    writeInt64(buf, p + 14, last ? last.lastOffset : -1);
    buf.writeInt32BE(last ? last.lastOffset - last.firstOffset : 0, p + 22);
    writeInt64(buf, p + 26, e.lastTimestamp);
    buf.writeInt32BE(e.coordinatorEpoch, p + 34);
    writeInt64(buf, p + 38, e.currentTxnFirstOffset);
    p += SNAPSHOT_ENTRY;
  }
  buf.writeUInt32BE(crc32c(buf.subarray(6)) >>> 0, 2);
  return buf;
}

/** Parses a snapshot; throws on any damage (the caller falls back to an older one or to the log). */
export function decodeSnapshot(buf: Buffer): ProducerEntry[] {
  if (buf.length < SNAPSHOT_HEADER) throw new Error(`snapshot of ${buf.length} bytes is too short`);
  const version = buf.readInt16BE(0);
  if (version !== SNAPSHOT_VERSION) throw new Error(`unknown snapshot version ${version}`);
  const crc = crc32c(buf.subarray(6)) >>> 0;
  if (crc !== buf.readUInt32BE(2)) throw new Error('snapshot CRC mismatch');
  const count = buf.readInt32BE(6);
  if (count < 0 || buf.length !== SNAPSHOT_HEADER + count * SNAPSHOT_ENTRY) throw new Error('snapshot size does not match its entry count');
  const out: ProducerEntry[] = [];
  for (let i = 0, p = SNAPSHOT_HEADER; i < count; i++, p += SNAPSHOT_ENTRY) {
    const lastSeq = buf.readInt32BE(p + 10);
    const lastOffset = readInt64(buf, p + 14);
    const delta = buf.readInt32BE(p + 22);
    const timestamp = readInt64(buf, p + 26);
    out.push({
      producerId: readInt64(buf, p),
      epoch: buf.readInt16BE(p + 8),
      batches:
        lastOffset >= 0
          ? [{ firstSeq: decrementSequence(lastSeq, delta), lastSeq, firstOffset: lastOffset - delta, lastOffset, timestamp }]
          : [],
      lastTimestamp: timestamp,
      coordinatorEpoch: buf.readInt32BE(p + 34),
      currentTxnFirstOffset: readInt64(buf, p + 38),
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------

/**
 * Who wrote a batch: a client's produce is checked for duplicates and sequence gaps; a coordinator's own
 * transactional write (TxnOffsetCommit to __consumer_offsets) carries no meaningful sequence, so only its epoch is
 * checked (Kafka's AppendOrigin.COORDINATOR).
 */
export type AppendOrigin = 'client' | 'coordinator';

export class ProducerStateManager {
  private readonly producers = new Map<number, ProducerEntry>();
  /** Open and aborted transactions on this partition. */
  readonly txns = new PartitionTxnIndex();
  /** The state reflects every batch below this offset. */
  private mapEndOffset: number;
  /** Base offset of the log's active segment when last seen: a change means a roll, which is snapshotted. */
  private activeBase: number;
  private lastExpiryCheck: number;

  private constructor(
    private readonly log: PartitionLog,
    private readonly opts: ProducerStateOptions,
  ) {
    this.mapEndOffset = log.logStartOffset;
    this.activeBase = this.currentActiveBase();
    this.lastExpiryCheck = opts.now();
  }

  /** Builds the state of `log` from its snapshots and batches. Synchronous: reads happen at partition creation. */
  static load(log: PartitionLog, opts: ProducerStateOptions = DEFAULT_PRODUCER_STATE_OPTIONS): ProducerStateManager {
    const s = new ProducerStateManager(log, opts);
    s.rebuild();
    return s;
  }

  get size(): number {
    return this.producers.size;
  }

  entry(producerId: number): Readonly<ProducerEntry> | undefined {
    return this.producers.get(producerId);
  }

  /** Offset up to which the state has seen the log. */
  get endOffset(): number {
    return this.mapEndOffset;
  }

  /**
   * Validates a produced batch against its producer's state (Kafka's order: a duplicate is looked for first, then
   * the epoch, then the sequence). Call right before appending; nothing changes until update().
   */
  check(b: ProducerBatch, origin: AppendOrigin = 'client'): SequenceCheck {
    if (b.producerId < 0) return APPEND;
    this.catchUp();
    this.maybeExpire();
    const entry = this.producers.get(b.producerId);
    const currentEpoch = entry ? entry.epoch : NO_PRODUCER_EPOCH;
    if (origin === 'coordinator') {
      return b.producerEpoch < currentEpoch
        ? fail(ErrorCode.INVALID_PRODUCER_EPOCH, `epoch ${b.producerEpoch} of producer ${b.producerId} is older than its current epoch ${currentEpoch}`)
        : APPEND;
    }
    if (entry && b.producerEpoch === currentEpoch) {
      const lastSeq = incrementSequence(b.baseSequence, b.lastOffsetDelta);
      for (const m of entry.batches) if (m.firstSeq === b.baseSequence && m.lastSeq === lastSeq) return { kind: 'duplicate', batch: m };
    }
    if (b.producerEpoch < currentEpoch) {
      // Since Kafka 2.7 a stale epoch on a produce is INVALID_PRODUCER_EPOCH (not the fatal PRODUCER_FENCED):
      // the client aborts what it was doing and can recover.
      return fail(
        ErrorCode.INVALID_PRODUCER_EPOCH,
        `epoch ${b.producerEpoch} of producer ${b.producerId} is older than its current epoch ${currentEpoch}`,
      );
    }
    if (b.producerEpoch !== currentEpoch) {
      // A new epoch restarts the sequence. An unknown producer (no state: never seen, expired, or its data gone)
      // is accepted from any sequence, as Kafka does since KIP-360 rather than answering UNKNOWN_PRODUCER_ID.
      if (b.baseSequence !== 0 && currentEpoch !== NO_PRODUCER_EPOCH) {
        return fail(
          ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
          `new epoch ${b.producerEpoch} of producer ${b.producerId} starts at sequence ${b.baseSequence}, not 0 ` +
            `(current epoch ${currentEpoch})`,
        );
      }
    } else if (currentEpoch !== NO_PRODUCER_EPOCH) {
      const last = entry!.batches[entry!.batches.length - 1];
      const lastSeq = last ? last.lastSeq : -1;
      if (!inSequence(lastSeq, b.baseSequence)) {
        return fail(
          ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
          `out of order sequence ${b.baseSequence} for producer ${b.producerId} (epoch ${b.producerEpoch}): ` +
            `expected ${incrementSequence(lastSeq, 1)}`,
        );
      }
    }
    if (entry && entry.currentTxnFirstOffset >= 0 && !b.isTransactional) {
      return fail(
        ErrorCode.INVALID_TXN_STATE,
        `producer ${b.producerId} wrote a non-transactional batch inside its open transaction`,
      );
    }
    return APPEND;
  }

  /**
   * Validates a transaction marker before it is appended (Kafka's rules for markers): its epoch may not be older
   * than the producer's, and its coordinator epoch not older than the last marker's (a deposed coordinator).
   * After the append, syncWithLog() records it.
   */
  checkMarker(producerId: number, producerEpoch: number, coordinatorEpoch: number): SequenceCheck {
    this.catchUp();
    const entry = this.producers.get(producerId);
    if (!entry) return APPEND;
    if (producerEpoch < entry.epoch) {
      return fail(ErrorCode.INVALID_PRODUCER_EPOCH, `marker epoch ${producerEpoch} of producer ${producerId} is older than ${entry.epoch}`);
    }
    if (coordinatorEpoch < entry.coordinatorEpoch) {
      return fail(
        ErrorCode.TRANSACTION_COORDINATOR_FENCED,
        `marker from coordinator epoch ${coordinatorEpoch} for producer ${producerId}; last seen ${entry.coordinatorEpoch}`,
      );
    }
    return APPEND;
  }

  /** Applies whatever the log holds beyond the state (a marker just appended, replicated batches). */
  syncWithLog(): void {
    this.catchUp();
  }

  /**
   * After `records` (whole batches) were appended at `fromOffset`: records them straight from that buffer when the
   * map had reached `fromOffset`, rather than reading back from the log what was just written; else catches up
   * from the log.
   */
  syncWithAppended(records: Buffer, fromOffset: number): void {
    if (this.mapEndOffset !== fromOffset) return this.catchUp();
    forEachBatch(records, (pos) => this.applyFromLog(records, pos));
    this.mapEndOffset = this.log.logEndOffset;
  }

  /** Records an appended batch (call right after a successful append, in the same tick as check()). */
  update(b: ProducerBatch, appended: { firstOffset: number; lastOffset: number; maxTimestamp: number }): void {
    if (appended.firstOffset !== this.mapEndOffset) {
      // Something appended without telling us (or the log moved): catching up replays this batch too.
      this.catchUp();
      return;
    }
    this.maybeSnapshotAtRoll(appended.firstOffset);
    if (b.producerId >= 0) {
      this.apply(
        b.producerId,
        b.producerEpoch,
        b.baseSequence,
        incrementSequence(b.baseSequence, b.lastOffsetDelta),
        appended.firstOffset,
        appended.lastOffset,
        appended.maxTimestamp,
        b.isTransactional,
      );
    }
    this.mapEndOffset = appended.lastOffset + 1;
  }

  /**
   * Forgets everything and rebuilds from the newest snapshot at or below the log end (within the log) plus the
   * batches after it. Snapshots beyond the log end (left by a longer log before a truncation) are deleted.
   */
  rebuild(): void {
    this.producers.clear();
    this.txns.clear();
    const start = this.log.logStartOffset;
    const end = this.log.logEndOffset;
    let from = start;
    for (const offset of listSnapshots(this.log.dir)) {
      const file = path.join(this.log.dir, snapshotName(offset));
      if (offset > end || offset < start) {
        // Beyond the end it describes data that is gone; below the start, batches between it and the start are
        // gone, so replaying from it would leave stale sequences behind.
        removeSnapshot(this.log.dir, offset);
        continue;
      }
      try {
        const entries = decodeSnapshot(fs.readFileSync(file));
        // A snapshot is only usable with the aborted transactions below it (written with it); one from a version
        // that wrote no such list is passed over, and the log is replayed instead.
        const abortedFile = path.join(this.log.dir, abortedName(offset));
        if (!fs.existsSync(abortedFile)) throw new Error('no aborted-transaction list beside it');
        this.txns.loadAborted(fs.readFileSync(abortedFile));
        for (const e of entries) {
          this.producers.set(e.producerId, e);
          if (e.currentTxnFirstOffset >= 0) this.txns.begin(e.producerId, e.currentTxnFirstOffset);
        }
        from = offset;
        break;
      } catch (err) {
        this.opts.warn?.(`${this.log.name}: ignoring producer snapshot ${snapshotName(offset)}: ${(err as Error).message}`);
        this.producers.clear();
        this.txns.clear();
        removeSnapshot(this.log.dir, offset);
      }
    }
    this.txns.pruneBefore(start);
    removeOrphanAbortedLists(this.log.dir);
    this.mapEndOffset = from;
    this.replay(from, end);
    this.activeBase = this.currentActiveBase();
    this.removeExpired(this.opts.now());
  }

  /** Removes producers idle for longer than the expiration time (never one with an open transaction). */
  removeExpired(now: number): void {
    this.lastExpiryCheck = now;
    for (const [id, e] of this.producers) {
      if (e.currentTxnFirstOffset < 0 && now - e.lastTimestamp >= this.opts.expirationMs) this.producers.delete(id);
    }
  }

  /**
   * Writes `<mapEndOffset>.snapshot` (the clean-shutdown snapshot when `sync`). Older snapshots beyond the newest
   * SNAPSHOTS_TO_KEEP are removed.
   */
  takeSnapshot(sync: boolean): void {
    this.catchUp();
    this.writeSnapshot(this.mapEndOffset, sync);
  }

  // ---------------------------------------------------------------------------------------------------------------

  /** Brings the state in line with the log when it changed outside update() (truncation, foreign appends). */
  private catchUp(): void {
    const end = this.log.logEndOffset;
    if (end === this.mapEndOffset) return;
    if (end < this.mapEndOffset || this.mapEndOffset < this.log.logStartOffset) this.rebuild();
    else this.replay(this.mapEndOffset, end);
  }

  private maybeExpire(): void {
    const now = this.opts.now();
    if (now - this.lastExpiryCheck >= this.opts.expirationCheckIntervalMs) this.removeExpired(now);
  }

  /** Applies the batches in [from, to) of the log without validation (they were validated when appended). */
  private replay(from: number, to: number): void {
    let next = from;
    while (next < to) {
      const r = this.log.read(next, 1 << 20, { minOneBatch: true, maxOffset: to });
      if (r.size === 0) break;
      let reached = next;
      for (const chunk of r.chunks) {
        forEachBatch(chunk, (pos) => {
          const last = batch.lastOffset(chunk, pos);
          if (last >= next) this.applyFromLog(chunk, pos);
          if (last + 1 > reached) reached = last + 1;
        });
      }
      if (reached <= next) break;
      next = reached;
    }
    this.mapEndOffset = to;
  }

  private applyFromLog(buf: Buffer, pos: number): void {
    const producerId = batch.producerId(buf, pos);
    if (producerId < 0) return;
    const epoch = batch.producerEpoch(buf, pos);
    const timestamp = batch.maxTimestamp(buf, pos);
    if (batch.isControl(buf, pos)) {
      // A transaction marker ends the producer's open transaction and carries its latest epoch and the epoch of
      // the coordinator that wrote it.
      const rec = decodeRecords(buf, pos)[0];
      const type = rec ? controlRecordType(rec.key) : -1;
      if (type !== ControlRecordType.COMMIT && type !== ControlRecordType.ABORT) return;
      const e = this.entryFor(producerId, epoch);
      e.currentTxnFirstOffset = -1;
      e.lastTimestamp = timestamp;
      const coordinatorEpoch = markerCoordinatorEpoch(rec!.value);
      if (coordinatorEpoch > e.coordinatorEpoch) e.coordinatorEpoch = coordinatorEpoch;
      this.txns.complete(producerId, batch.baseOffset(buf, pos), type === ControlRecordType.ABORT);
      return;
    }
    const baseSeq = batch.baseSequence(buf, pos);
    const base = batch.baseOffset(buf, pos);
    const delta = batch.lastOffsetDelta(buf, pos);
    this.apply(producerId, epoch, baseSeq, incrementSequence(baseSeq, delta), base, base + delta, timestamp, batch.isTransactional(buf, pos));
  }

  private entryFor(producerId: number, epoch: number): ProducerEntry {
    let e = this.producers.get(producerId);
    if (!e) {
      e = { producerId, epoch, batches: [], lastTimestamp: -1, coordinatorEpoch: -1, currentTxnFirstOffset: -1 };
      this.producers.set(producerId, e);
    } else if (e.epoch !== epoch) {
      // The cached batches belong to the old epoch; a new epoch starts a new sequence.
      e.epoch = epoch;
      e.batches = [];
    }
    return e;
  }

  private apply(
    producerId: number,
    epoch: number,
    firstSeq: number,
    lastSeq: number,
    firstOffset: number,
    lastOffset: number,
    timestamp: number,
    transactional: boolean,
  ): void {
    const e = this.entryFor(producerId, epoch);
    e.batches.push({ firstSeq, lastSeq, firstOffset, lastOffset, timestamp });
    if (e.batches.length > BATCHES_TO_RETAIN) e.batches.shift();
    e.lastTimestamp = timestamp;
    if (transactional && e.currentTxnFirstOffset < 0) {
      e.currentTxnFirstOffset = firstOffset;
      this.txns.begin(producerId, firstOffset);
    }
  }

  private currentActiveBase(): number {
    const segs = this.log.segmentList();
    return segs.length > 0 ? segs[segs.length - 1]!.baseOffset : -1;
  }

  /**
   * When the append that is being recorded rolled the log, the state before it is exactly the state at the new
   * segment's base offset: snapshot it, so a restart after a crash replays at most the active segment.
   */
  private maybeSnapshotAtRoll(firstOffset: number): void {
    const base = this.currentActiveBase();
    if (base === this.activeBase) return;
    this.activeBase = base;
    // Written even with no producers: it still spares the next rebuild a scan of the older segments.
    if (base === firstOffset) this.writeSnapshot(firstOffset, false);
  }

  private writeSnapshot(offset: number, sync: boolean): void {
    const dir = this.log.dir;
    const file = path.join(dir, snapshotName(offset));
    // Written aside and renamed, so a torn write never replaces a good file; `.tmp` leftovers are removed when the
    // log loads. Without fsync (at roll) a crash may lose or tear the file: the CRC catches that and the state is
    // rebuilt from an older snapshot or the log.
    const tmp = `${file}.tmp`;
    const abortedFile = path.join(dir, abortedName(offset));
    const abortedTmp = `${abortedFile}.tmp`;
    try {
      this.txns.pruneBefore(this.log.logStartOffset);
      // The aborted list goes first: a snapshot without its list is not used (see rebuild()).
      writeFileAtomically(abortedTmp, abortedFile, this.txns.encodeAbortedBefore(offset), sync);
      writeFileAtomically(tmp, file, encodeSnapshot(this.producers.values()), sync);
      for (const old of listSnapshots(dir).slice(SNAPSHOTS_TO_KEEP)) removeSnapshot(dir, old);
    } catch (err) {
      // A snapshot only shortens the next rebuild; failing to write one must not fail the append that rolled.
      fs.rmSync(tmp, { force: true });
      fs.rmSync(abortedTmp, { force: true });
      this.opts.warn?.(`${this.log.name}: could not write producer snapshot at ${offset}: ${(err as Error).message}`);
    }
  }
}

function abortedName(offset: number): string {
  return `${String(offset).padStart(20, '0')}${ABORTED_SUFFIX}`;
}

function removeSnapshot(dir: string, offset: number): void {
  fs.rmSync(path.join(dir, snapshotName(offset)), { force: true });
  fs.rmSync(path.join(dir, abortedName(offset)), { force: true });
}

/** Aborted-transaction lists whose snapshot is gone (a snapshot write that failed after its list was written). */
function removeOrphanAbortedLists(dir: string): void {
  const snapshots = new Set(listSnapshots(dir));
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const f of names) {
    if (!f.endsWith(ABORTED_SUFFIX)) continue;
    const offset = Number(f.slice(0, -ABORTED_SUFFIX.length));
    if (!snapshots.has(offset)) fs.rmSync(path.join(dir, f), { force: true });
  }
}

/** Written aside and renamed, so a torn write never replaces a good file. */
function writeFileAtomically(tmp: string, file: string, data: Buffer, sync: boolean): void {
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, data);
    if (sync) fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

function fail(errorCode: number, message: string): SequenceCheck {
  return { kind: 'error', errorCode, message };
}
