// What a follower does to its own partition with what the leader sends: append the fetched batches with the
// offsets and leader epochs the leader gave them (the log learns epochs from the batches), take the leader's high
// watermark as far as its own log reaches, follow the leader's log start offset, and cut its log where it
// diverged.

import { KafkaError, ErrorCode } from '../wire/errors';
import { batch, forEachBatch } from '../wire/records/batch';
import type { Partition } from './partition';

/**
 * Appends the whole batches of `records` that lie at or beyond the log end (a partial trailing batch, which a
 * leader may send when a size limit cuts it, is left for the next fetch). Returns the number of bytes appended.
 * Throws KafkaError when the data does not fit the log (a batch straddling the log end means the logs diverged).
 */
export function appendAsFollower(p: Partition, records: Buffer): number {
  const log = p.log;
  const maxChunk = Math.max(1, log.config.segmentBytes);
  let start = -1;
  let end = -1;
  let appended = 0;
  const flush = () => {
    if (start < 0) return;
    // Offsets and epochs are the leader's: kept as they are, checked for order, CRCs verified.
    const slice = records.subarray(start, end);
    const from = log.logEndOffset;
    log.append(slice, { leaderEpoch: -1, assignOffsets: false, cacheTail: false });
    p.producers.syncWithAppended(slice, from);
    appended += end - start;
    start = end = -1;
  };
  let expected = log.logEndOffset;
  forEachBatch(records, (pos, size) => {
    const base = batch.baseOffset(records, pos);
    const last = batch.lastOffset(records, pos);
    if (last < expected) return; // already here (the fetch began inside a batch we hold)
    if (base < expected) {
      throw new KafkaError(ErrorCode.OFFSET_OUT_OF_RANGE, `${log.name}: fetched batch ${base}..${last} straddles offset ${expected}`);
    }
    // Consecutive batches go in one append, split so that no append exceeds a segment.
    if (start >= 0 && end - start + size > maxChunk) flush();
    if (start < 0) start = pos;
    end = pos + size;
    expected = last + 1;
  });
  flush();
  return appended;
}

/** The leader's high watermark and log start offset, as far as this follower's log reaches. */
export function applyLeaderOffsets(p: Partition, leaderHighWatermark: number, leaderLogStartOffset: number): void {
  const leo = p.log.logEndOffset;
  if (leaderHighWatermark >= 0) p.advanceHighWatermark(Math.min(leaderHighWatermark, leo));
  // Records the leader deleted (retention, DeleteRecords) go here too.
  if (leaderLogStartOffset > p.log.logStartOffset) p.log.advanceLogStartOffset(Math.min(leaderLogStartOffset, leo));
}

/** Cuts the log at `offset` (nothing from there on is the leader's data); the high watermark follows. */
export function truncateFollower(p: Partition, offset: number): void {
  if (offset < p.log.logEndOffset) p.truncateTo(offset);
}
