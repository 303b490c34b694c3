// Checkpoint files in Kafka's text format: a version line, a count line, then one entry per line.
//   recovery-point-offset-checkpoint, log-start-offset-checkpoint, cleaner-offset-checkpoint: `topic partition offset`
//   leader-epoch-checkpoint (per partition): `epoch startOffset`
// Writes are atomic: the content goes to `<file>.tmp`, is fsynced, renamed over the file, and the directory is
// fsynced, so a crash leaves either the old or the new file, never a torn one.

import * as fs from 'fs';
import * as path from 'path';

export const CHECKPOINT_VERSION = 0;

export function formatCheckpoint(lines: string[]): string {
  return `${CHECKPOINT_VERSION}\n${lines.length}\n${lines.map((l) => l + '\n').join('')}`;
}

/** Parses the entry lines (split on whitespace). Returns null when the file is absent; throws when malformed. */
export function readCheckpointLines(file: string): string[][] | null {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  const lines = text.split('\n').filter((l) => l.trim().length > 0);
  if (lines.length < 2) throw new Error(`malformed checkpoint ${file}: missing header`);
  const version = Number(lines[0]);
  if (version !== CHECKPOINT_VERSION) throw new Error(`unsupported checkpoint version ${lines[0]} in ${file}`);
  const count = Number(lines[1]);
  if (!Number.isInteger(count) || count !== lines.length - 2) {
    throw new Error(`malformed checkpoint ${file}: expected ${lines[1]} entries, found ${lines.length - 2}`);
  }
  return lines.slice(2).map((l) => l.trim().split(/\s+/));
}

/** `topic partition offset` entries keyed by `topic-partition` (the directory name). */
export function readOffsetCheckpoint(file: string): Map<string, number> {
  const out = new Map<string, number>();
  const rows = readCheckpointLines(file);
  if (!rows) return out;
  for (const row of rows) {
    if (row.length !== 3) throw new Error(`malformed checkpoint ${file}: ${row.join(' ')}`);
    const partition = Number(row[1]);
    const offset = Number(row[2]);
    if (!Number.isInteger(partition) || !Number.isInteger(offset)) {
      throw new Error(`malformed checkpoint ${file}: ${row.join(' ')}`);
    }
    out.set(`${row[0]}-${partition}`, offset);
  }
  return out;
}

export function formatOffsetCheckpoint(entries: Iterable<{ topic: string; partition: number; offset: number }>): string {
  const lines: string[] = [];
  for (const e of entries) lines.push(`${e.topic} ${e.partition} ${e.offset}`);
  return formatCheckpoint(lines);
}

function fsyncDirSync(dir: string): void {
  let fd = -1;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Some file systems refuse fsync on directories; the rename is still atomic there.
  } finally {
    if (fd >= 0) fs.closeSync(fd);
  }
}

export async function fsyncDir(dir: string): Promise<void> {
  let fh: fs.promises.FileHandle | undefined;
  try {
    fh = await fs.promises.open(dir, 'r');
    await fh.sync();
  } catch {
    // see fsyncDirSync
  } finally {
    await fh?.close();
  }
}

/** Atomic durable write, synchronous (used at close, where blocking is fine). */
export function writeFileAtomicSync(file: string, content: string | Buffer): void {
  const tmp = file + '.tmp';
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeFileSync(fd, content);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  fsyncDirSync(path.dirname(file));
}

/** Atomic durable write off the event loop. */
export async function writeFileAtomic(file: string, content: string | Buffer): Promise<void> {
  const tmp = file + '.tmp';
  const fh = await fs.promises.open(tmp, 'w');
  try {
    await fh.writeFile(content);
    await fh.datasync();
  } finally {
    await fh.close();
  }
  await fs.promises.rename(tmp, file);
  await fsyncDir(path.dirname(file));
}

/**
 * Serialises the writes of one checkpoint file and coalesces bursts: while a write is in flight, later requests
 * only replace the pending content, and one more write covers them all. `write` resolves once content at least as
 * new as the caller's is durable.
 */
export class CheckpointWriter {
  private pending: (() => string) | null = null;
  private running: Promise<void> | null = null;
  private waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  private closed = false;

  constructor(readonly file: string) {}

  /** `content` is evaluated when the write starts, so coalesced writes always store the latest state. */
  write(content: () => string): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.pending = content;
    const p = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (!this.running) this.running = this.loop();
    return p;
  }

  private async loop(): Promise<void> {
    while (this.pending) {
      const content = this.pending;
      this.pending = null;
      const waiters = this.waiters;
      this.waiters = [];
      try {
        await fs.promises.mkdir(path.dirname(this.file), { recursive: true });
        await writeFileAtomic(this.file, content());
        for (const w of waiters) w.resolve();
      } catch (e) {
        for (const w of waiters) w.reject(e);
      }
    }
    this.running = null;
  }

  /** Waits for in-flight writes; later write() calls are ignored (the directory may be going away). */
  async close(): Promise<void> {
    while (this.running) await this.running;
    this.closed = true;
  }

  async idle(): Promise<void> {
    while (this.running) await this.running;
  }
}
