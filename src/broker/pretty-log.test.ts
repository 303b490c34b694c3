import { PrettyStream, formatLogLine } from './pretty-log';
import { createLogger } from './logger';

function localClock(iso: string): string {
  const d = new Date(iso);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

describe('formatLogLine', () => {
  const time = '2024-05-01T12:34:56.789Z';

  test('time, level and message, then the other fields as key=value', () => {
    const line = JSON.stringify({ level: 30, time, node: 1, clusterId: 'q1w2', listeners: ['PLAINTEXT://:9092'], msg: 'broker started' });
    expect(formatLogLine(line, false)).toBe(`${localClock(time)} INFO  broker started node=1 clusterId=q1w2 listeners=["PLAINTEXT://:9092"]\n`);
  });

  test('strings with spaces or quotes are quoted; null, booleans and objects as JSON', () => {
    const line = JSON.stringify({ level: 40, time, msg: 'm', a: 'two words', b: 'say "x"', c: null, d: true, e: { x: 1 }, f: '' });
    expect(formatLogLine(line, false)).toBe(`${localClock(time)} WARN  m a="two words" b="say \\"x\\"" c=null d=true e={"x":1} f=""\n`);
  });

  test('stack traces and other multi-line values follow on indented lines', () => {
    const line = JSON.stringify({ level: 50, time, msg: 'request failed', api: 'Fetch', err: 'Error: boom\n    at f (x.js:1:1)' });
    expect(formatLogLine(line, false)).toBe(
      `${localClock(time)} ERROR request failed api=Fetch err=(below)\n    Error: boom\n        at f (x.js:1:1)\n`,
    );
    const serialized = JSON.stringify({ level: 50, time, msg: 'x', err: { type: 'Error', message: 'boom', stack: 'Error: boom\n    at g' } });
    expect(formatLogLine(serialized, false)).toBe(`${localClock(time)} ERROR x err=boom\n    Error: boom\n        at g\n`);
  });

  test('colours the level (and dims the time) when asked', () => {
    const out = formatLogLine(JSON.stringify({ level: 40, time, msg: 'careful' }), true);
    expect(out).toContain('\x1b[33mWARN ');
    expect(out).toContain('\x1b[0m');
  });

  test('lines that are not JSON objects pass through unchanged', () => {
    expect(formatLogLine('plain text', false)).toBe('plain text\n');
    expect(formatLogLine('[1,2]', false)).toBe('[1,2]\n');
  });
});

describe('PrettyStream', () => {
  test('formats every whole line, keeping a fragment until its newline arrives', () => {
    const written: string[] = [];
    const s = new PrettyStream({ write: (t) => written.push(t) }, false);
    s.write('{"level":30,"time":0,"msg":"one"}\n{"level":30,"ti');
    expect(written).toHaveLength(1);
    expect(written[0]).toMatch(/ INFO  one\n$/);
    s.write('me":0,"msg":"two"}\n');
    expect(written[1]).toMatch(/ INFO  two\n$/);
  });

  test('works as the destination of the broker logger, honouring the level', () => {
    const written: string[] = [];
    const log = createLogger('info', 3, new PrettyStream({ write: (t) => written.push(t) }, false));
    log.debug({ hidden: true }, 'not shown');
    log.info({ topic: 't', partition: 0 }, 'leader changed');
    log.flush();
    expect(written.join('')).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO  leader changed node=3 topic=t partition=0\n$/);
  });
});
