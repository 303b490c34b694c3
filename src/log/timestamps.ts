// Record-level timestamp lookups inside one batch, for ListOffsets. The indexes narrow the search to a batch by
// header timestamps; the exact record needs its timestamp, which only the records section has.

import { Attr, Off, readInt64 } from '../wire/records/batch';
import { decodeRecords } from '../wire/records/record';

export interface TimestampOffset {
  offset: number;
  timestamp: number;
}

/** The first record at or above `minOffset` with timestamp >= ts in the batch `buf`, or null. */
export function findRecordWithTimestamp(buf: Buffer, ts: number, minOffset: number): TimestampOffset | null {
  if ((buf.readInt16BE(Off.attributes) & Attr.logAppendTime) !== 0) {
    // Every record carries the broker's append time, the batch's max timestamp.
    const t = readInt64(buf, Off.maxTimestamp);
    if (t < ts) return null;
    return firstOffsetFrom(buf, minOffset, t);
  }
  for (const r of decodeRecords(buf, 0)) {
    if (r.offset >= minOffset && r.timestamp >= ts) return { offset: r.offset, timestamp: r.timestamp };
  }
  return null;
}

/** The first record whose timestamp equals the batch's max timestamp (MAX_TIMESTAMP), or null. */
export function findRecordAtOrAfter(buf: Buffer, maxTimestamp: number): TimestampOffset | null {
  return findRecordWithTimestamp(buf, maxTimestamp, 0);
}

function firstOffsetFrom(buf: Buffer, minOffset: number, timestamp: number): TimestampOffset | null {
  for (const r of decodeRecords(buf, 0)) if (r.offset >= minOffset) return { offset: r.offset, timestamp };
  return null;
}
