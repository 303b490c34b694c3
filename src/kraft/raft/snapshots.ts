// Snapshot transfer (KIP-630): the leader serves a held snapshot in chunks by byte position, the follower
// assembles them and installs the result in one step, so a half-transferred snapshot is never visible.

import { ErrorCode } from '../../wire/errors';
import type { FetchSnapshotRequest, FetchSnapshotResponse } from './messages';
import type { RaftLog } from './raft-log';
import type { SnapshotId } from './types';
import { sameSnapshotId } from './types';

const EMPTY = Buffer.alloc(0);

/** The leader's answer to a FetchSnapshot chunk request (epoch checks are the caller's). */
export function serveSnapshotChunk(
  log: RaftLog,
  req: FetchSnapshotRequest,
  maxBytes: number,
): { errorCode: number; size: number; bytes: Buffer } {
  const chunk = log.readSnapshot(req.snapshotId, req.position, Math.min(req.maxBytes, maxBytes));
  if (chunk === null) return { errorCode: ErrorCode.SNAPSHOT_NOT_FOUND, size: 0, bytes: EMPTY };
  if (req.position < 0 || req.position > chunk.size) {
    return { errorCode: ErrorCode.POSITION_OUT_OF_RANGE, size: chunk.size, bytes: EMPTY };
  }
  return { errorCode: ErrorCode.NONE, size: chunk.size, bytes: chunk.bytes };
}

/** A follower's download in progress. Volatile: a restart or a new leader starts it over. */
export class SnapshotDownload {
  private readonly chunks: Buffer[] = [];
  private size = -1;
  position = 0;

  constructor(readonly id: SnapshotId) {}

  /**
   * Takes the next chunk. 'invalid' means the answer does not continue this download (another snapshot, a size
   * change, a gap): the caller drops the download and fetches again, which names the snapshot to get.
   */
  accept(resp: FetchSnapshotResponse): 'more' | 'done' | 'invalid' {
    if (!sameSnapshotId(resp.snapshotId, this.id) || resp.position !== this.position) return 'invalid';
    if (this.size >= 0 && resp.size !== this.size) return 'invalid';
    this.size = resp.size;
    if (resp.bytes.length === 0 && this.position < this.size) return 'invalid';
    this.chunks.push(Buffer.from(resp.bytes));
    this.position += resp.bytes.length;
    if (this.position > this.size) return 'invalid';
    return this.position === this.size ? 'done' : 'more';
  }

  data(): Buffer {
    return Buffer.concat(this.chunks);
  }
}
