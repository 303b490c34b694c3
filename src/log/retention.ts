// Retention of `cleanup.policy=delete` logs: whole segments are deleted from the head of the log when their largest
// timestamp is older than retention.ms, and while the log is larger than retention.bytes. Only segments wholly below
// the high watermark qualify. The active segment is never deleted as such: when it is itself expired and non-empty
// it is rolled first (as Kafka does), so an idle partition's data still ages out.

import type { PartitionLog } from './partition-log';
import type { LogSegment } from './segment';

export interface RetentionResult {
  deletedSegments: number;
  deletedBytes: number;
}

/** Applies retention.ms and retention.bytes to one log. */
export function applyRetention(log: PartitionLog, now: number): RetentionResult {
  const cfg = log.config;
  const result = { deletedSegments: 0, deletedBytes: 0 };
  if (!cfg.cleanupPolicy.delete || log.closed || log.failed) return result;

  if (cfg.retentionMs >= 0) {
    const expired = (s: LogSegment) => now - s.largestTimestamp() > cfg.retentionMs;
    let victims = leadingDeletable(log, expired);
    const segs = log.segmentList();
    const active = segs[segs.length - 1];
    if (victims.length === segs.length - 1 && active.size > 0 && expired(active) && log.logEndOffset <= log.stableEnd) {
      log.roll();
      victims = leadingDeletable(log, expired);
    }
    remove(log, victims, `retention.ms ${cfg.retentionMs}`, result);
  }

  if (cfg.retentionBytes >= 0) {
    let excess = log.size - cfg.retentionBytes;
    const victims = leadingDeletable(log, (s) => {
      if (excess - s.size < 0) return false;
      excess -= s.size;
      return true;
    });
    remove(log, victims, `retention.bytes ${cfg.retentionBytes}`, result);
  }
  return result;
}

/** The closed segments from the head for which `pred` holds, stopping at the first that fails or is not stable. */
function leadingDeletable(log: PartitionLog, pred: (s: LogSegment) => boolean): LogSegment[] {
  const segs = log.segmentList();
  const bound = log.stableEnd;
  const out: LogSegment[] = [];
  for (let i = 0; i + 1 < segs.length; i++) {
    // A segment ends where the next begins; all of it must be below the high watermark.
    if (segs[i + 1].baseOffset > bound) break;
    if (!pred(segs[i])) break;
    out.push(segs[i]);
  }
  return out;
}

function remove(log: PartitionLog, victims: LogSegment[], reason: string, result: RetentionResult): void {
  if (victims.length === 0) return;
  for (const v of victims) result.deletedBytes += v.size;
  result.deletedSegments += victims.length;
  log.deleteSegments(victims, reason);
}
