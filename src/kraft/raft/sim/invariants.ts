// Safety invariants of the quorum, checked as the simulation runs. Any violation throws at once with the
// offending detail, so a failing seed points at the step where things went wrong.
//
//   election safety     at most one leader per epoch, ever (across crashes and restarts)
//   log matching        an (offset, epoch) pair identifies one entry and one predecessor epoch in every log
//                       that ever held it — by induction, the same (offset, epoch) means the same prefix
//   committed agreement every node's committed stream is contiguous, and every committed entry (and snapshot)
//                       any node reports agrees with what any other node ever reported for that offset
//   leader completeness a new leader's log holds every entry known committed when it takes over
//   durability          a majority of voters durably hold (flushed log or snapshot) every committed entry
//   HW monotonic        a node's high watermark never goes back within one incarnation

import type { RaftLog } from '../raft-log';
import type { RaftEntry, SnapshotId } from '../types';

/** What the simulated application keeps: how far it has applied, and a digest of everything applied. */
export interface SimApp {
  applied: number;
  digest: number;
}

export class InvariantViolation extends Error {}

export function entryKey(e: RaftEntry): string {
  return e.control !== undefined ? `leaderChange:${e.control.leaderId}` : e.value.toString('latin1');
}

/** FNV-1a over the entry's identity, chained from the digest of everything before it. */
export function chainDigest(prev: number, offset: number, epoch: number, key: string): number {
  let h = (prev ^ 0x811c9dc5) >>> 0;
  const s = `${offset}|${epoch}|${key}`;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** The simulated application's snapshot: its position and digest, padded so transfers take several chunks. */
export function encodeSimSnapshot(app: SimApp, padding: number): Buffer {
  const head = Buffer.from(`${JSON.stringify({ endOffset: app.applied, digest: app.digest })}\n`);
  const pad = Buffer.alloc(padding);
  for (let i = 0; i < padding; i++) pad[i] = (app.digest + i * 31) & 0xff;
  return Buffer.concat([head, pad]);
}

export function decodeSimSnapshot(data: Buffer): SimApp {
  const nl = data.indexOf(10);
  const { endOffset, digest } = JSON.parse(data.subarray(0, nl).toString()) as { endOffset: number; digest: number };
  const expected = encodeSimSnapshot({ applied: endOffset, digest }, data.length - nl - 1);
  if (!expected.equals(data)) throw new InvariantViolation('snapshot bytes were corrupted in transfer');
  return { applied: endOffset, digest };
}

interface CommittedEntry {
  epoch: number;
  key: string;
}

export class InvariantChecker {
  private readonly leaderOfEpoch = new Map<number, number>();
  /** Every entry any node has reported committed, by offset (contiguous from 0). */
  readonly committed: CommittedEntry[] = [];
  /** digestAt[o]: digest of the committed entries below o. */
  private readonly digestAt: number[] = [0];
  /** (offset, epoch) → the entry and the epoch before it, for every entry ever appended anywhere. */
  private readonly appended = new Map<number, { key: string; prevEpoch: number }>();
  leadersElected = 0;

  constructor(private readonly context: () => string) {}

  fail(message: string): never {
    throw new InvariantViolation(`${message} [${this.context()}]`);
  }

  /** Log matching, checked on every append to any log. */
  onAppend(nodeId: number, log: RaftLog, entries: readonly RaftEntry[]): void {
    let prevEpoch = log.lastEpoch();
    for (const e of entries) {
      const id = e.offset * 1_000_000 + e.epoch;
      const key = entryKey(e);
      const seen = this.appended.get(id);
      if (seen === undefined) {
        this.appended.set(id, { key, prevEpoch });
      } else if (seen.key !== key || seen.prevEpoch !== prevEpoch) {
        this.fail(
          `log matching: node ${nodeId} appends (${e.offset}, ${e.epoch}) = ${key} after epoch ${prevEpoch}; ` +
            `seen before as ${seen.key} after epoch ${seen.prevEpoch}`,
        );
      }
      prevEpoch = e.epoch;
    }
  }

  onLeader(nodeId: number, epoch: number, log: RaftLog): void {
    const known = this.leaderOfEpoch.get(epoch);
    if (known !== undefined && known !== nodeId) {
      this.fail(`election safety: epoch ${epoch} has leaders ${known} and ${nodeId}`);
    }
    if (known === undefined) {
      this.leaderOfEpoch.set(epoch, nodeId);
      this.leadersElected++;
    }
    // Leader completeness: by log matching, holding the last committed entry means holding all of them.
    const end = this.committed.length;
    if (end === 0 || this.holdsCommittedPrefix(log, end, log.endOffset())) return;
    this.fail(`leader completeness: leader ${nodeId} of epoch ${epoch} lacks committed entries below ${end}`);
  }

  /** The log (up to `limit`) or its snapshot covers the committed entries below `end`. */
  private holdsCommittedPrefix(log: RaftLog, end: number, limit: number): boolean {
    const snap = log.latestSnapshot();
    if (snap !== null && snap.endOffset >= end) return true;
    return limit >= end && end - 1 >= log.startOffset() && log.epochAt(end - 1) === this.committed[end - 1]!.epoch;
  }

  onCommitted(nodeId: number, app: SimApp, entries: readonly RaftEntry[], highWatermark: number): void {
    for (const e of entries) {
      if (e.offset !== app.applied) this.fail(`node ${nodeId} commits ${e.offset} after applying up to ${app.applied}`);
      const key = entryKey(e);
      const known = this.committed[e.offset];
      if (known === undefined) {
        if (e.offset !== this.committed.length) this.fail(`node ${nodeId} commits ${e.offset} past the known end ${this.committed.length}`);
        this.committed.push({ epoch: e.epoch, key });
      } else if (known.epoch !== e.epoch || known.key !== key) {
        this.fail(`committed entry changed: node ${nodeId} has (${e.offset}, ${e.epoch}) = ${key}, was (${known.epoch}) = ${known.key}`);
      }
      app.digest = chainDigest(app.digest, e.offset, e.epoch, key);
      app.applied = e.offset + 1;
      const d = this.digestAt[app.applied];
      if (d === undefined) this.digestAt[app.applied] = app.digest;
      else if (d !== app.digest) this.fail(`node ${nodeId} state digest differs at ${app.applied}`);
    }
    if (app.applied !== highWatermark) this.fail(`node ${nodeId} applied ${app.applied} but HW is ${highWatermark}`);
  }

  onLoadSnapshot(nodeId: number, app: SimApp, id: SnapshotId, data: Buffer): void {
    const loaded = decodeSimSnapshot(data);
    if (loaded.applied !== id.endOffset) this.fail(`node ${nodeId} snapshot ${id.endOffset} holds state at ${loaded.applied}`);
    const expected = this.digestAt[id.endOffset];
    if (expected === undefined) this.fail(`node ${nodeId} loads snapshot at ${id.endOffset}, beyond anything committed`);
    if (expected !== loaded.digest) this.fail(`node ${nodeId} snapshot at ${id.endOffset} disagrees with committed state`);
    const entry = this.committed[id.endOffset - 1];
    if (entry !== undefined && entry.epoch !== id.epoch) this.fail(`snapshot id epoch ${id.epoch} != committed ${entry.epoch}`);
    app.applied = loaded.applied;
    app.digest = loaded.digest;
  }

  /** Durability: committed entries survive any crash of a minority of voters. */
  checkDurability(voterLogs: readonly RaftLog[]): void {
    const end = this.committed.length;
    if (end === 0) return;
    let holding = 0;
    for (const log of voterLogs) if (this.holdsCommittedPrefix(log, end, log.flushedEndOffset())) holding++;
    if (holding < Math.floor(voterLogs.length / 2) + 1) {
      this.fail(`durability: only ${holding} of ${voterLogs.length} voters durably hold the ${end} committed entries`);
    }
  }
}

/** Full pairwise log matching over final logs (a cross-check of the incremental registry). */
export function checkLogsMatch(logs: ReadonlyMap<number, RaftEntry[]>, fail: (m: string) => never): void {
  const ids = [...logs.keys()];
  for (let i = 0; i < ids.length; i++) {
    for (let j = i + 1; j < ids.length; j++) {
      const a = logs.get(ids[i]!)!;
      const b = logs.get(ids[j]!)!;
      const byOffset = new Map(b.map((e) => [e.offset, e]));
      let lastCommon = -1;
      for (const e of a) if (byOffset.get(e.offset)?.epoch === e.epoch) lastCommon = e.offset;
      for (const e of a) {
        if (e.offset > lastCommon) break;
        const other = byOffset.get(e.offset);
        if (other !== undefined && (other.epoch !== e.epoch || entryKey(other) !== entryKey(e))) {
          fail(`logs of ${ids[i]} and ${ids[j]} agree at ${lastCommon} but differ at ${e.offset}`);
        }
      }
    }
  }
}
