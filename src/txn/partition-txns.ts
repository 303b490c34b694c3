// The transactions of one partition as its leader (or a follower replaying the log) sees them: which producers have
// a transaction open here and from which offset, which completed transactions are not yet below the high watermark,
// and which transactions were aborted. From that follow the two things consumers in read_committed mode need:
//  - the last stable offset (LSO): the high watermark, lowered to the first offset of any transaction that is not
//    decided yet (still open, or decided by a marker that is not yet committed itself);
//  - the aborted transactions overlapping a fetched range, which the consumer uses to skip their records.
//
// The aborted list is kept in memory, in marker order. It is persisted next to each producer snapshot as an
// `<offset>.aborted` file (every abort whose marker lies below the snapshot offset), so a restart loads it and
// replays only the log after the snapshot, like the producer state itself. This stands in for Kafka's per-segment
// `.txnindex` files.

import { crc32c } from '@node-rs/crc32';
import { readInt64, writeInt64 } from '../wire/records/batch';

export interface AbortedTxn {
  producerId: number;
  firstOffset: number;
  /** Offset of the ABORT marker. */
  lastOffset: number;
}

interface DecidedTxn extends AbortedTxn {
  aborted: boolean;
}

export class PartitionTxnIndex {
  /** producerId → first offset of its open transaction. */
  private readonly open = new Map<number, number>();
  /** Completed transactions whose marker may still be above the high watermark (oldest first). */
  private decided: DecidedTxn[] = [];
  /** Aborted transactions, ordered by marker offset. */
  private aborted: AbortedTxn[] = [];
  /** Largest lastOffset - firstOffset among `aborted`: bounds how far back an entry can reach. */
  private maxSpan = 0;

  get openCount(): number {
    return this.open.size;
  }

  get abortedCount(): number {
    return this.aborted.length;
  }

  clear(): void {
    this.open.clear();
    this.decided = [];
    this.aborted = [];
    this.maxSpan = 0;
  }

  /** A producer's first transactional batch on this partition since its last marker. */
  begin(producerId: number, firstOffset: number): void {
    if (!this.open.has(producerId)) this.open.set(producerId, firstOffset);
  }

  /**
   * A COMMIT or ABORT marker for the producer landed at `markerOffset`. A marker for a producer without an open
   * transaction here (the partition was added but never written) decides nothing.
   */
  complete(producerId: number, markerOffset: number, aborted: boolean): void {
    const firstOffset = this.open.get(producerId);
    if (firstOffset === undefined) return;
    this.open.delete(producerId);
    this.decided.push({ producerId, firstOffset, lastOffset: markerOffset, aborted });
    if (aborted) this.addAborted({ producerId, firstOffset, lastOffset: markerOffset });
  }

  private addAborted(t: AbortedTxn): void {
    this.aborted.push(t);
    this.maxSpan = Math.max(this.maxSpan, t.lastOffset - t.firstOffset);
  }

  /** Offset of the first record that is not decided, or null when everything up to `highWatermark` is. */
  firstUnstableOffset(highWatermark: number): number | null {
    // Decided transactions become stable once their marker is below the high watermark.
    while (this.decided.length > 0 && this.decided[0]!.lastOffset < highWatermark) this.decided.shift();
    let first: number | null = null;
    for (const o of this.open.values()) if (first === null || o < first) first = o;
    for (const d of this.decided) {
      if (d.lastOffset >= highWatermark && (first === null || d.firstOffset < first)) first = d.firstOffset;
    }
    return first;
  }

  lastStableOffset(highWatermark: number): number {
    const first = this.firstUnstableOffset(highWatermark);
    return first === null ? highWatermark : Math.min(first, highWatermark);
  }

  /** Aborted transactions with data in [from, to): their marker is at or after `from`, their start before `to`. */
  abortedOverlapping(from: number, to: number): AbortedTxn[] {
    const out: AbortedTxn[] = [];
    const list = this.aborted;
    // Binary search for the first marker at or after `from`.
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (list[mid]!.lastOffset < from) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < list.length; i++) {
      const t = list[i]!;
      // Entries are in marker order; once a marker is so far past `to` that no transaction can span back, stop.
      if (t.lastOffset - this.maxSpan >= to) break;
      if (t.firstOffset < to) out.push(t);
    }
    return out;
  }

  /** Every aborted transaction (cleaner, tests). */
  allAborted(): readonly AbortedTxn[] {
    return this.aborted;
  }

  /** Forgets aborted transactions whose marker is below the log start (their data and marker are gone). */
  pruneBefore(logStartOffset: number): void {
    let n = 0;
    while (n < this.aborted.length && this.aborted[n]!.lastOffset < logStartOffset) n++;
    if (n > 0) this.aborted = this.aborted.slice(n);
  }

  /** Aborted transactions whose marker is below `offset`, as an `.aborted` file body. */
  encodeAbortedBefore(offset: number): Buffer {
    const list = this.aborted.filter((t) => t.lastOffset < offset);
    const buf = Buffer.alloc(ABORTED_HEADER + list.length * ABORTED_ENTRY);
    buf.writeInt16BE(ABORTED_VERSION, 0);
    buf.writeInt32BE(list.length, 6);
    let p = ABORTED_HEADER;
    for (const t of list) {
      writeInt64(buf, p, t.producerId);
      writeInt64(buf, p + 8, t.firstOffset);
      writeInt64(buf, p + 16, t.lastOffset);
      p += ABORTED_ENTRY;
    }
    buf.writeUInt32BE(crc32c(buf.subarray(6)) >>> 0, 2);
    return buf;
  }

  /** Replaces the aborted list with a decoded `.aborted` file (throws when it is damaged). */
  loadAborted(buf: Buffer): void {
    this.aborted = [];
    this.maxSpan = 0;
    for (const t of decodeAborted(buf)) this.addAborted(t);
  }
}

// `.aborted` file, big-endian: version int16 | crc uint32 (CRC-32C of what follows) | count int32 |
// count × (producerId int64, firstOffset int64, lastOffset int64).
export const ABORTED_SUFFIX = '.aborted';
const ABORTED_VERSION = 0;
const ABORTED_HEADER = 10;
const ABORTED_ENTRY = 24;

export function decodeAborted(buf: Buffer): AbortedTxn[] {
  if (buf.length < ABORTED_HEADER) throw new Error(`aborted-transaction file of ${buf.length} bytes is too short`);
  const version = buf.readInt16BE(0);
  if (version !== ABORTED_VERSION) throw new Error(`unknown aborted-transaction file version ${version}`);
  if ((crc32c(buf.subarray(6)) >>> 0) !== buf.readUInt32BE(2)) throw new Error('aborted-transaction file CRC mismatch');
  const count = buf.readInt32BE(6);
  if (count < 0 || buf.length !== ABORTED_HEADER + count * ABORTED_ENTRY) throw new Error('aborted-transaction file size does not match its count');
  const out: AbortedTxn[] = [];
  for (let i = 0, p = ABORTED_HEADER; i < count; i++, p += ABORTED_ENTRY) {
    out.push({ producerId: readInt64(buf, p), firstOffset: readInt64(buf, p + 8), lastOffset: readInt64(buf, p + 16) });
  }
  return out;
}
