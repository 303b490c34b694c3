// The log manager: owns the log directories, loads and recovers every partition log on start, creates and deletes
// logs, runs retention, compaction and checkpointing in the background, and shuts down cleanly.
//
// Per log dir (Kafka's layout and file formats):
//   <topic>-<partition>/                 one directory per partition (segments, indexes, leader-epoch-checkpoint)
//   recovery-point-offset-checkpoint     offsets below which each log is fsynced (recovery scans from there)
//   log-start-offset-checkpoint          each log's start offset (DeleteRecords, retention)
//   cleaner-offset-checkpoint            where each compacted log's dirty section starts
//   .kafka_cleanshutdown                 written last on clean close, removed on open: its absence means a crash

import * as fs from 'fs';
import * as path from 'path';
import { ErrorCode, KafkaError } from '../wire/errors';
import { CheckpointWriter, formatOffsetCheckpoint, fsyncDir, readOffsetCheckpoint, writeFileAtomicSync } from './checkpoint';
import { DEFAULT_CLEANER_OPTIONS, cleanLog, cleanableRange, needsCleaning, type CleanStats } from './cleaner';
import { LogConfig, mergeLogConfig } from './config';
import { LogEnv, PartitionLog } from './partition-log';
import { FdPool, MemLru } from './resources';
import { applyRetention } from './retention';
import type { Logger } from './segment';
import { TailCache } from './tail-cache';

export const CLEAN_SHUTDOWN_FILE = '.kafka_cleanshutdown';
export const RECOVERY_POINT_CHECKPOINT = 'recovery-point-offset-checkpoint';
export const LOG_START_OFFSET_CHECKPOINT = 'log-start-offset-checkpoint';
export const CLEANER_OFFSET_CHECKPOINT = 'cleaner-offset-checkpoint';

export interface LogManagerOptions {
  logDirs: string[];
  defaultConfig: LogConfig;
  logger?: Logger;
  now?: () => number;
  /** Per-topic overrides applied when loading existing logs (e.g. from the metadata image). */
  topicConfig?: (topic: string, partition: number) => Partial<LogConfig> | undefined;
  /** log.retention.check.interval.ms (default 300000). */
  retentionCheckIntervalMs?: number;
  /** log.cleaner.backoff.ms: pause when no log needs cleaning (default 15000). */
  cleanerBackoffMs?: number;
  /** log.flush.offset.checkpoint.interval.ms / log.flush.start.offset.checkpoint.interval.ms (default 60000). */
  checkpointIntervalMs?: number;
  /** log.cleaner.enable (default true). */
  cleanerEnabled?: boolean;
  /** log.cleaner.dedupe.buffer.size (default 64 MiB). */
  dedupeBufferBytes?: number;
  /** Cap on open fds of closed segments (default 1024). */
  maxOpenFiles?: number;
  /** Memory for indexes of closed segments (default 64 MiB). */
  indexCacheBytes?: number;
  /** Memory for recently appended batches served to tail readers (default 64 MiB, all partitions together). */
  tailCacheBytes?: number;
}

const silentLogger: Logger = { info() {}, warn() {}, error() {} };

interface DirState {
  dir: string;
  recovery: CheckpointWriter;
  logStart: CheckpointWriter;
  cleaner: CheckpointWriter;
  count: number;
}

const PARTITION_DIR = /^(.+)-(\d+)$/;

export class LogManager {
  private readonly logs = new Map<string, PartitionLog>();
  private readonly logDir = new Map<PartitionLog, DirState>();
  private readonly dirs: DirState[];
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly env: LogEnv;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly pendingDeletes = new Map<NodeJS.Timeout, string[]>();
  private cleanerRun: Promise<unknown> | null = null;
  private cleanerTimer: NodeJS.Timeout | null = null;
  private opened = false;
  private closing = false;

  constructor(private readonly opts: LogManagerOptions) {
    if (opts.logDirs.length === 0) throw new Error('at least one log dir is required');
    this.logger = opts.logger ?? silentLogger;
    this.now = opts.now ?? Date.now;
    this.dirs = opts.logDirs.map((d) => {
      const dir = path.resolve(d);
      return {
        dir,
        recovery: new CheckpointWriter(path.join(dir, RECOVERY_POINT_CHECKPOINT)),
        logStart: new CheckpointWriter(path.join(dir, LOG_START_OFFSET_CHECKPOINT)),
        cleaner: new CheckpointWriter(path.join(dir, CLEANER_OFFSET_CHECKPOINT)),
        count: 0,
      };
    });
    this.env = {
      fdPool: new FdPool(opts.maxOpenFiles ?? 1024),
      indexLru: new MemLru(opts.indexCacheBytes ?? 64 * 1024 * 1024),
      tailCache: new TailCache(opts.tailCacheBytes ?? 64 * 1024 * 1024),
      logger: this.logger,
      now: this.now,
      deleteLater: (paths, delayMs) => this.deleteLater(paths, delayMs),
      logStartOffsetChanged: (log) => this.writeLogStartCheckpoint(log),
    };
  }

  /** Bytes of appended data the shared tail cache holds (whole backing buffers, as it charges them). */
  get tailCacheUsedBytes(): number {
    return this.env.tailCache.usedBytes;
  }

  get defaultConfig(): LogConfig {
    return this.opts.defaultConfig;
  }

  // ------------------------------------------------------------------------------------------------------------

  /** Loads every partition directory, recovering after an unclean shutdown, then removes the clean marker. */
  async open(): Promise<void> {
    if (this.opened) throw new Error('LogManager already opened');
    this.opened = true;
    const started = performance.now();
    let recoveredBytes = 0;
    for (const d of this.dirs) {
      fs.mkdirSync(d.dir, { recursive: true });
      const marker = path.join(d.dir, CLEAN_SHUTDOWN_FILE);
      const clean = fs.existsSync(marker);
      const recoveryPoints = this.readCheckpoint(path.join(d.dir, RECOVERY_POINT_CHECKPOINT));
      const logStarts = this.readCheckpoint(path.join(d.dir, LOG_START_OFFSET_CHECKPOINT));
      const cleanerOffsets = this.readCheckpoint(path.join(d.dir, CLEANER_OFFSET_CHECKPOINT));
      if (!clean) this.logger.info(`log dir ${d.dir}: no clean shutdown marker, recovering unflushed segments`);
      for (const name of fs.readdirSync(d.dir).sort()) {
        const full = path.join(d.dir, name);
        if (!fs.statSync(full).isDirectory()) continue;
        if (name.endsWith('-delete')) {
          await fs.promises.rm(full, { recursive: true, force: true });
          continue;
        }
        const m = PARTITION_DIR.exec(name);
        if (!m || name.endsWith('-future') || name.endsWith('-stray')) {
          this.logger.warn(`log dir ${d.dir}: ignoring directory ${name}`);
          continue;
        }
        const topic = m[1];
        const partition = Number(m[2]);
        if (this.logs.has(name)) throw new Error(`duplicate log directory for ${name} in ${d.dir}`);
        const config = mergeLogConfig(this.opts.defaultConfig, this.opts.topicConfig?.(topic, partition));
        const log = await PartitionLog.load(full, topic, partition, config, this.env, {
          hadCleanShutdown: clean,
          recoveryPoint: recoveryPoints.get(name) ?? 0,
          logStartOffset: logStarts.get(name) ?? 0,
        });
        log.firstDirtyOffset = Math.max(cleanerOffsets.get(name) ?? 0, log.logStartOffset);
        recoveredBytes += log.recoveredBytes;
        this.register(log, d);
      }
      if (clean) {
        fs.rmSync(marker, { force: true });
        await fsyncDir(d.dir);
      }
    }
    const ms = Math.round(performance.now() - started);
    const recovered = recoveredBytes > 0 ? `, ${recoveredBytes} bytes re-validated after an unclean shutdown` : '';
    this.logger.info(`loaded ${this.logs.size} partition logs in ${ms} ms${recovered}`);
  }

  private readCheckpoint(file: string): Map<string, number> {
    try {
      return readOffsetCheckpoint(file);
    } catch (e) {
      this.logger.warn(`ignoring unreadable checkpoint ${file}: ${String(e)}`);
      return new Map();
    }
  }

  private register(log: PartitionLog, d: DirState): void {
    this.logs.set(log.name, log);
    this.logDir.set(log, d);
    d.count++;
  }

  getLog(topic: string, partition: number): PartitionLog | undefined {
    return this.logs.get(`${topic}-${partition}`);
  }

  allLogs(): PartitionLog[] {
    return [...this.logs.values()];
  }

  /**
   * Creates the log (in the log dir holding fewest partitions) or returns the existing one, applying `config`
   * overrides to it in that case.
   */
  createLog(topic: string, partition: number, config?: Partial<LogConfig>): PartitionLog {
    if (this.closing) throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, 'log manager is shutting down');
    const existing = this.getLog(topic, partition);
    if (existing) {
      if (config) existing.updateConfig(config);
      return existing;
    }
    if (!/^[a-zA-Z0-9._-]+$/.test(topic) || !Number.isInteger(partition) || partition < 0) {
      throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, `invalid topic partition ${topic}-${partition}`);
    }
    let d = this.dirs[0];
    for (const x of this.dirs) if (x.count < d.count) d = x;
    const name = `${topic}-${partition}`;
    const log = PartitionLog.create(path.join(d.dir, name), topic, partition, mergeLogConfig(this.opts.defaultConfig, config), this.env);
    this.register(log, d);
    return log;
  }

  /** Removes the log and its directory (renamed `-delete` at once, removed in the background). */
  async deleteLog(topic: string, partition: number): Promise<void> {
    const log = this.getLog(topic, partition);
    if (!log) return;
    const d = this.logDir.get(log)!;
    this.logs.delete(log.name);
    this.logDir.delete(log);
    d.count--;
    await log.closeForDelete();
    const doomed = path.join(d.dir, `${log.name}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}-delete`);
    fs.renameSync(log.dir, doomed);
    await fsyncDir(d.dir);
    await Promise.all([this.writeDirCheckpoints(d), fs.promises.rm(doomed, { recursive: true, force: true })]);
  }

  // ------------------------------------------------------------------------------------------------------------
  // Background work

  startBackgroundTasks(): void {
    if (this.timers.length > 0) return;
    const every = (ms: number, fn: () => unknown) => {
      const t = setInterval(() => {
        if (!this.closing) fn();
      }, ms);
      t.unref();
      this.timers.push(t);
    };
    every(this.opts.retentionCheckIntervalMs ?? 300000, () => this.runRetention());
    every(this.opts.checkpointIntervalMs ?? 60000, () => {
      for (const d of this.dirs) void this.writeDirCheckpoints(d).catch((e) => this.logger.error(`checkpoint write failed: ${String(e)}`));
    });
    if (this.opts.cleanerEnabled ?? true) this.scheduleCleaner(0);
  }

  /** One retention pass over every log (also what the scheduler runs). */
  runRetention(): void {
    const now = this.now();
    const touched = new Set<DirState>();
    for (const log of this.logs.values()) {
      try {
        const r = applyRetention(log, now);
        if (r.deletedSegments > 0) touched.add(this.logDir.get(log)!);
      } catch (e) {
        this.logger.error(`${log.name}: retention failed: ${String(e)}`);
      }
    }
    for (const d of touched) void d.logStart.write(() => this.logStartContent(d)).catch(() => undefined);
  }

  private scheduleCleaner(delayMs: number): void {
    if (this.closing) return;
    this.cleanerTimer = setTimeout(() => {
      this.cleanerTimer = null;
      this.cleanerRun = this.cleanOnce()
        .then((did) => this.scheduleCleaner(did ? 0 : (this.opts.cleanerBackoffMs ?? 15000)))
        .catch((e) => {
          this.logger.error(`log cleaner failed: ${String(e)}`);
          this.scheduleCleaner(this.opts.cleanerBackoffMs ?? 15000);
        })
        .finally(() => {
          this.cleanerRun = null;
        });
    }, delayMs);
    this.cleanerTimer.unref();
  }

  /**
   * Cleans the dirtiest compacted log whose ratio passes its threshold (or `log` when given, regardless of the
   * ratio). Returns the stats, or null when nothing was cleaned.
   */
  async cleanOnce(log?: PartitionLog): Promise<CleanStats | null> {
    const now = this.now();
    let target = log ?? null;
    if (!target) {
      let best = -1;
      for (const l of this.logs.values()) {
        const r = cleanableRange(l, now);
        if (!r || !needsCleaning(l, r)) continue;
        const score = r.forced ? 2 : r.ratio;
        if (score > best) {
          best = score;
          target = l;
        }
      }
    }
    if (!target) return null;
    const stats = await cleanLog(target, {
      ...DEFAULT_CLEANER_OPTIONS,
      dedupeBufferBytes: this.opts.dedupeBufferBytes ?? DEFAULT_CLEANER_OPTIONS.dedupeBufferBytes,
      now: this.now,
      force: log !== undefined,
    });
    if (stats) {
      const d = this.logDir.get(target);
      if (d) await d.cleaner.write(() => this.cleanerContent(d));
    }
    return stats;
  }

  private deleteLater(paths: string[], delayMs: number): void {
    if (paths.length === 0) return;
    const run = () => {
      for (const p of paths) fs.rm(p, { force: true }, () => undefined);
    };
    if (delayMs <= 0 || this.closing) {
      run();
      return;
    }
    const t = setTimeout(() => {
      this.pendingDeletes.delete(t);
      run();
    }, delayMs);
    t.unref();
    this.pendingDeletes.set(t, paths);
  }

  // ------------------------------------------------------------------------------------------------------------
  // Checkpoints

  private logsIn(d: DirState): PartitionLog[] {
    const out: PartitionLog[] = [];
    for (const [log, dir] of this.logDir) if (dir === d) out.push(log);
    return out;
  }

  private recoveryContent(d: DirState): string {
    return formatOffsetCheckpoint(this.logsIn(d).map((l) => ({ topic: l.topic, partition: l.partition, offset: l.recoveryPoint })));
  }
  private logStartContent(d: DirState): string {
    return formatOffsetCheckpoint(this.logsIn(d).map((l) => ({ topic: l.topic, partition: l.partition, offset: l.logStartOffset })));
  }
  private cleanerContent(d: DirState): string {
    return formatOffsetCheckpoint(
      this.logsIn(d)
        .filter((l) => l.config.cleanupPolicy.compact)
        .map((l) => ({ topic: l.topic, partition: l.partition, offset: l.firstDirtyOffset })),
    );
  }

  private writeLogStartCheckpoint(log: PartitionLog): Promise<void> {
    const d = this.logDir.get(log);
    if (!d) return Promise.resolve();
    return d.logStart.write(() => this.logStartContent(d));
  }

  private async writeDirCheckpoints(d: DirState): Promise<void> {
    await Promise.all([
      d.recovery.write(() => this.recoveryContent(d)),
      d.logStart.write(() => this.logStartContent(d)),
      d.cleaner.write(() => this.cleanerContent(d)),
    ]);
  }

  // ------------------------------------------------------------------------------------------------------------

  /** Flushes every log, writes all checkpoints and then the clean shutdown marker. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    for (const t of this.timers) clearInterval(t);
    this.timers.length = 0;
    if (this.cleanerTimer) clearTimeout(this.cleanerTimer);
    if (this.cleanerRun) await this.cleanerRun.catch(() => undefined);
    const logs = [...this.logs.values()];
    let failures = 0;
    await Promise.all(
      logs.map((l) =>
        l.close().catch((e) => {
          failures++;
          this.logger.error(`${l.name}: close failed: ${String(e)}`);
        }),
      ),
    );
    for (const [t, paths] of this.pendingDeletes) {
      clearTimeout(t);
      for (const p of paths) fs.rmSync(p, { force: true });
    }
    this.pendingDeletes.clear();
    for (const d of this.dirs) {
      await Promise.all([d.recovery.close(), d.logStart.close(), d.cleaner.close()]);
      writeFileAtomicSync(path.join(d.dir, RECOVERY_POINT_CHECKPOINT), this.recoveryContent(d));
      writeFileAtomicSync(path.join(d.dir, LOG_START_OFFSET_CHECKPOINT), this.logStartContent(d));
      writeFileAtomicSync(path.join(d.dir, CLEANER_OFFSET_CHECKPOINT), this.cleanerContent(d));
      const failedHere = this.logsIn(d).some((l) => l.failed);
      // A log that could not be flushed must be recovered next time: no marker then.
      if (failures === 0 && !failedHere) writeFileAtomicSync(path.join(d.dir, CLEAN_SHUTDOWN_FILE), '');
    }
    this.logs.clear();
    this.logDir.clear();
  }
}
