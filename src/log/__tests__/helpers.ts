// Test helpers for the log engine: temp dirs, batch builders, record decoding, a captured logger.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildBatch, decodeBatches, type BuildRecord } from '../../wire/records/record';
import type { CompressionCodec } from '../../wire/records/batch';
import { DEFAULT_LOG_CONFIG, LogConfig, mergeLogConfig } from '../config';
import { LogManager, LogManagerOptions } from '../log-manager';

const dirs: string[] = [];

export function tmpDir(prefix = 'nk-log-'): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  dirs.push(d);
  return d;
}

export function cleanupTmp(): void {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

export interface CapturedLogger {
  info: (m: string) => void;
  warn: (m: string) => void;
  error: (m: string) => void;
  lines: { level: string; msg: string }[];
}

export function captureLogger(): CapturedLogger {
  const lines: { level: string; msg: string }[] = [];
  return {
    lines,
    info: (msg) => lines.push({ level: 'info', msg }),
    warn: (msg) => lines.push({ level: 'warn', msg }),
    error: (msg) => lines.push({ level: 'error', msg }),
  };
}

/** A batch of `count` records with values `${tag}-${i}` (padded to valueSize when given). */
export function makeBatch(
  count: number,
  opts: { tag?: string; valueSize?: number; timestamp?: number; keys?: (string | null)[]; values?: (string | null)[]; compression?: CompressionCodec } = {},
): Buffer {
  const records: BuildRecord[] = [];
  for (let i = 0; i < count; i++) {
    let value: string | null = opts.values ? opts.values[i] : `${opts.tag ?? 'v'}-${i}`;
    if (value !== null && opts.valueSize && value.length < opts.valueSize) value = value.padEnd(opts.valueSize, 'x');
    records.push({ key: opts.keys ? opts.keys[i] : null, value, timestamp: opts.timestamp ?? 1_700_000_000_000 + i });
  }
  return buildBatch({ records, compression: opts.compression });
}

export interface SimpleRecord {
  offset: number;
  key: string | null;
  value: string | null;
  timestamp: number;
}

export function decodeChunks(chunks: Buffer[]): SimpleRecord[] {
  const out: SimpleRecord[] = [];
  for (const b of decodeBatches(Buffer.concat(chunks))) {
    for (const r of b.records) {
      out.push({ offset: r.offset, key: r.key ? r.key.toString() : null, value: r.value ? r.value.toString() : null, timestamp: r.timestamp });
    }
  }
  return out;
}

export function config(partial: Partial<LogConfig> = {}): LogConfig {
  return mergeLogConfig(DEFAULT_LOG_CONFIG, partial);
}

export async function openManager(dir: string, partial: Partial<LogConfig> = {}, extra: Partial<LogManagerOptions> = {}): Promise<LogManager> {
  const m = new LogManager({ logDirs: [dir], defaultConfig: config(partial), ...extra });
  await m.open();
  return m;
}
