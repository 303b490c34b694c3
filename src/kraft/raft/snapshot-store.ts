// Snapshot files of the metadata log, named as Kafka names them: `<endOffset, 20 digits>-<epoch, 10 digits>.checkpoint`
// in the partition directory. A snapshot is written to `<name>.checkpoint.part`, fsynced and renamed, so a crash
// leaves either no snapshot or a whole one; leftover `.part` files are removed on open. Only the latest snapshot is
// kept: once a newer one is durable the log prefix it covers can go, and so can the older snapshot.

import * as fs from 'fs';
import * as path from 'path';
import type { SnapshotId } from './types';

const SUFFIX = '.checkpoint';
const PART_SUFFIX = '.checkpoint.part';
const NAME = /^(\d{20})-(\d{10})\.checkpoint$/;

export function snapshotFileName(id: SnapshotId): string {
  return `${String(id.endOffset).padStart(20, '0')}-${String(id.epoch).padStart(10, '0')}${SUFFIX}`;
}

export function fsyncDirSync(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } catch {
    // Some file systems refuse fsync on directories; the rename is still atomic there.
  } finally {
    fs.closeSync(fd);
  }
}

function writeFileDurably(file: string, data: Buffer): void {
  const fd = fs.openSync(file, 'w', 0o644);
  try {
    let off = 0;
    while (off < data.length) off += fs.writeSync(fd, data, off, data.length - off);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

export class SnapshotStore {
  private current: { id: SnapshotId; size: number } | null = null;

  constructor(readonly dir: string) {
    fs.mkdirSync(dir, { recursive: true });
    const ids: SnapshotId[] = [];
    for (const f of fs.readdirSync(dir)) {
      if (f.endsWith(PART_SUFFIX)) {
        fs.rmSync(path.join(dir, f), { force: true });
        continue;
      }
      const m = NAME.exec(f);
      if (m) ids.push({ endOffset: Number(m[1]), epoch: Number(m[2]) });
    }
    ids.sort((a, b) => a.endOffset - b.endOffset || a.epoch - b.epoch);
    const latest = ids[ids.length - 1];
    if (latest !== undefined) {
      this.current = { id: latest, size: fs.statSync(this.file(latest)).size };
      // An older snapshot left by a crash between storing a newer one and deleting it.
      for (const old of ids.slice(0, -1)) fs.rmSync(this.file(old), { force: true });
    }
  }

  latest(): SnapshotId | null {
    return this.current === null ? null : { ...this.current.id };
  }

  /** Bytes [position, position + maxBytes) of snapshot `id` and its size; null unless it is the one held. */
  read(id: SnapshotId, position: number, maxBytes: number): { size: number; bytes: Buffer } | null {
    const c = this.current;
    if (c === null || c.id.endOffset !== id.endOffset || c.id.epoch !== id.epoch) return null;
    const from = Math.max(0, Math.min(position, c.size));
    const len = Math.max(0, Math.min(c.size - from, maxBytes));
    const bytes = Buffer.allocUnsafe(len);
    if (len > 0) {
      const fd = fs.openSync(this.file(c.id), 'r');
      try {
        let got = 0;
        while (got < len) {
          const n = fs.readSync(fd, bytes, got, len - got, from + got);
          if (n === 0) throw new Error(`snapshot ${snapshotFileName(c.id)} is shorter than ${c.size} bytes`);
          got += n;
        }
      } finally {
        fs.closeSync(fd);
      }
    }
    return { size: c.size, bytes };
  }

  /** Stores a complete snapshot durably and drops the previous one. */
  write(id: SnapshotId, data: Buffer): void {
    const c = this.current;
    if (c !== null && id.endOffset < c.id.endOffset) {
      throw new Error(`snapshot at ${id.endOffset} is older than the one held at ${c.id.endOffset}`);
    }
    const final = this.file(id);
    const part = path.join(this.dir, snapshotFileName(id).slice(0, -SUFFIX.length) + PART_SUFFIX);
    writeFileDurably(part, data);
    fs.renameSync(part, final);
    fsyncDirSync(this.dir);
    this.current = { id: { ...id }, size: data.length };
    if (c !== null && (c.id.endOffset !== id.endOffset || c.id.epoch !== id.epoch)) fs.rmSync(this.file(c.id), { force: true });
  }

  private file(id: SnapshotId): string {
    return path.join(this.dir, snapshotFileName(id));
  }
}
