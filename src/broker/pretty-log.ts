// Readable log lines for a terminal. pino writes one JSON object per line; this stream turns each into
//   12:34:56.789 INFO  broker started clusterId=q1w2 listeners=["PLAINTEXT://:9092"] node=1
// with the local time, the level, the message, then every other field as key=value. Multi-line values (stack
// traces) follow on indented lines. Anything that is not a JSON object is passed through unchanged.

export interface TextSink {
  write(text: string): unknown;
}

const LEVEL_NAMES: Readonly<Record<number, string>> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const LEVEL_COLORS: Readonly<Record<number, string>> = { 10: '\x1b[90m', 20: '\x1b[90m', 30: '\x1b[32m', 40: '\x1b[33m', 50: '\x1b[31m', 60: '\x1b[35m' };
const RESET = '\x1b[0m';
const DIM = '\x1b[2m';
/** Fields shown in the line's fixed part, or not at all. */
const HEADER_FIELDS = new Set(['level', 'time', 'msg', 'pid', 'hostname']);
const BARE = /^[^\s="\\]+$/;

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

function clock(time: unknown): string {
  const d = new Date(typeof time === 'number' || typeof time === 'string' ? time : Date.now());
  if (Number.isNaN(d.getTime())) return String(time);
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

function inline(value: unknown): string {
  if (typeof value === 'string') return value !== '' && BARE.test(value) ? value : JSON.stringify(value);
  if (value === undefined) return 'undefined';
  return JSON.stringify(value);
}

/** Formats one pino JSON line (without its newline); returns the text to print, newline included. */
export function formatLogLine(line: string, colors: boolean): string {
  let obj: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(line);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return `${line}\n`;
    obj = parsed as Record<string, unknown>;
  } catch {
    return `${line}\n`;
  }
  const level = typeof obj.level === 'number' ? obj.level : 30;
  const name = (LEVEL_NAMES[level] ?? `L${level}`).padEnd(5);
  let out = `${colors ? DIM : ''}${clock(obj.time)}${colors ? RESET : ''} ${colors ? (LEVEL_COLORS[level] ?? '') : ''}${name}${colors ? RESET : ''}`;
  if (obj.msg !== undefined) out += ` ${String(obj.msg)}`;
  const blocks: string[] = [];
  for (const [k, v] of Object.entries(obj)) {
    if (HEADER_FIELDS.has(k)) continue;
    // A serialized Error ({ type, message, stack }) shows its message inline and its stack below.
    const stack = v !== null && typeof v === 'object' && typeof (v as { stack?: unknown }).stack === 'string' ? (v as { stack: string }).stack : null;
    if (stack !== null) {
      out += ` ${k}=${inline((v as { message?: unknown }).message ?? '')}`;
      blocks.push(stack);
    } else if (typeof v === 'string' && v.includes('\n')) {
      out += ` ${k}=(below)`;
      blocks.push(v);
    } else {
      out += ` ${k}=${inline(v)}`;
    }
  }
  for (const b of blocks) out += `\n${b.replace(/^/gm, '    ')}`;
  return `${out}\n`;
}

/** A pino destination that prints formatted lines to `sink` (a TTY: its writes are synchronous). */
export class PrettyStream {
  private partial = '';

  constructor(
    private readonly sink: TextSink,
    private readonly colors: boolean,
  ) {}

  write(chunk: string): boolean {
    // pino writes whole lines, but nothing guarantees it: keep a trailing fragment for the next write.
    const text = this.partial + chunk;
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    let out = '';
    for (const l of lines) if (l !== '') out += formatLogLine(l, this.colors);
    if (out !== '') this.sink.write(out);
    return true;
  }
}
