// Crash recovery of one segment: walk every batch, check its framing, magic, CRC-32C and that offsets increase,
// rebuild both indexes as we go, and cut the file at the first batch that fails (a torn write or corruption: what
// follows it cannot be trusted, even if it looks valid, because offsets after a hole would be wrong).
//
// Speed matters (a broker restarting after a crash scans everything past its recovery point): the file is read in
// 8 MiB chunks into one reused buffer and the CRC is the hardware-accelerated crc32c, so the scan runs at memory
// bandwidth rather than per-batch syscalls.

import * as fs from 'fs';
import { BATCH_OVERHEAD, LOG_OVERHEAD, Off, isBatchCrcValid, readInt64 } from '../wire/records/batch';
import { readFully } from './index-base';
import { OffsetIndex } from './offset-index';
import { INT32_MAX, LogSegment, segmentName } from './segment';
import { TimeIndex } from './time-index';

const CHUNK = 8 * 1024 * 1024;
let chunkBuf: Buffer | null = null;

export interface SegmentRecovery {
  /** Bytes of valid batches (the file is cut here when shorter than before). */
  validBytes: number;
  truncatedBytes: number;
  /** Why the scan stopped early, when it did. */
  problem: string | null;
  nextOffset: number;
  /** (epoch, baseOffset) of each batch whose leader epoch is higher than any before it. */
  epochs: { epoch: number; startOffset: number }[];
  batches: number;
}

/**
 * Scans `seg` fully, rebuilding its indexes. `minOffset` is the lowest acceptable base offset of its first batch
 * (the previous segment's next offset). On a bad batch the file is truncated there and the reason is returned;
 * the caller deletes later segments and logs.
 */
export function recoverSegment(seg: LogSegment, minOffset: number, indexIntervalBytes: number, epochFloor: number): SegmentRecovery {
  const fd = seg.file.fd0();
  const fileSize = fs.fstatSync(fd).size;
  const off = new OffsetIndex(seg.baseOffset);
  const time = new TimeIndex(seg.baseOffset);
  const epochs: { epoch: number; startOffset: number }[] = [];
  let latestEpoch = epochFloor;
  let since = 0;
  let maxTs = -1;
  let maxTsOffset = -1;
  let firstTs = -1;
  let expected = Math.max(minOffset, seg.baseOffset);
  let next = seg.baseOffset;
  let problem: string | null = null;
  let batches = 0;

  let buf = chunkBuf ?? (chunkBuf = Buffer.allocUnsafe(CHUNK));
  let winStart = 0;
  let winLen = 0;
  let pos = 0;
  while (pos < fileSize) {
    // Make sure the window holds this batch's length field, then the whole batch.
    if (pos + LOG_OVERHEAD > winStart + winLen) {
      winStart = pos;
      winLen = readFully(fd, buf, 0, Math.min(buf.length, fileSize - pos), pos);
    }
    if (pos + LOG_OVERHEAD > winStart + winLen) {
      problem = `partial batch header (${fileSize - pos} bytes)`;
      break;
    }
    let p = pos - winStart;
    const size = LOG_OVERHEAD + buf.readInt32BE(p + Off.batchLength);
    if (size < BATCH_OVERHEAD) {
      problem = `invalid batch length ${size - LOG_OVERHEAD}`;
      break;
    }
    if (pos + size > fileSize) {
      problem = `batch of ${size} bytes runs past the end of the file (${fileSize - pos} bytes left)`;
      break;
    }
    if (p + size > winLen) {
      if (size > buf.length) buf = Buffer.allocUnsafe(size); // a batch bigger than the chunk: one-off buffer
      winStart = pos;
      winLen = readFully(fd, buf, 0, Math.min(buf.length, fileSize - pos), pos);
      p = 0;
      if (size > winLen) {
        problem = `short read of batch at ${pos}`;
        break;
      }
    }
    if (buf.readInt8(p + Off.magic) !== 2) {
      problem = `unsupported magic ${buf.readInt8(p + Off.magic)}`;
      break;
    }
    if (!isBatchCrcValid(buf, p)) {
      problem = 'CRC mismatch';
      break;
    }
    const baseOffset = readInt64(buf, p);
    const delta = buf.readInt32BE(p + Off.lastOffsetDelta);
    const lastOffset = baseOffset + delta;
    if (baseOffset < expected || delta < 0 || lastOffset - seg.baseOffset > INT32_MAX) {
      problem = `out-of-order offsets ${baseOffset}..${lastOffset} (expected >= ${expected})`;
      break;
    }
    const ts = readInt64(buf, p + Off.maxTimestamp);
    if (pos === 0) firstTs = ts;
    if (ts > maxTs) {
      maxTs = ts;
      maxTsOffset = lastOffset;
    }
    if (since > indexIntervalBytes) {
      off.append(lastOffset, pos);
      time.maybeAppend(maxTs, maxTsOffset);
      since = 0;
    }
    since += size;
    const epoch = buf.readInt32BE(p + Off.partitionLeaderEpoch);
    if (epoch > latestEpoch) {
      latestEpoch = epoch;
      epochs.push({ epoch, startOffset: baseOffset });
    }
    expected = lastOffset + 1;
    next = lastOffset + 1;
    batches++;
    pos += size;
    if (buf !== chunkBuf && buf.length > CHUNK) {
      buf = chunkBuf!;
      winLen = 0;
      winStart = pos;
    }
  }

  let truncated = 0;
  if (pos < fileSize) {
    truncated = fileSize - pos;
    fs.ftruncateSync(fd, pos);
  }
  seg.size = pos;
  seg.needsFlush = true;
  // The final time index entry carries the segment's largest timestamp (retention reads it on the next start).
  time.maybeAppend(maxTs, maxTsOffset);
  seg.installIndexes(off, time, { maxTs, maxTsOffset, next, since, firstTs, end: pos });
  return { validBytes: pos, truncatedBytes: truncated, problem, nextOffset: next, epochs, batches };
}

export function describeTruncation(name: string, seg: LogSegment, r: SegmentRecovery): string {
  return (
    `${name}: truncated segment ${segmentName(seg.baseOffset)} at position ${r.validBytes}, ` +
    `dropping ${r.truncatedBytes} bytes: ${r.problem}`
  );
}
