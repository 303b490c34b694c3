// Recovery after an unclean stop with damaged files: a segment cut mid-batch, garbage appended to a segment and
// a deleted offset index. The broker starts, serves every whole batch, logs what it truncated, and appends
// continue from the recovered end.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { startBroker, tempDir } from '../support/broker-process';
import { kcat } from '../support/kcat';

jest.setTimeout(60_000);

const SEGMENT = '00000000000000000000';

async function consume(bootstrap: string, topic: string, partition: number): Promise<string[]> {
  const r = await kcat(['-b', bootstrap, '-C', '-t', topic, '-p', String(partition), '-o', 'beginning', '-e', '-q', '-f', '%s\\n']);
  return r.stdout.split('\n').filter((l) => l !== '');
}

test('a torn tail, trailing garbage and a missing index are recovered', async () => {
  const dataDir = tempDir('nk-recovery-');
  const first = await startBroker({ dataDir, overrides: { 'num.partitions': 3 } });
  const topic = 'damaged';
  const values = Array.from({ length: 100 }, (_, i) => `value-${i}`);
  for (const p of [0, 1, 2]) {
    // Small batches (10 records each) so a cut loses only the last one.
    const r = await kcat(
      ['-b', first.bootstrap, '-P', '-t', topic, '-p', String(p), '-X', 'batch.num.messages=10', '-X', 'linger.ms=0'],
      values.join('\n') + '\n',
    );
    expect(r.code).toBe(0);
  }
  await first.kill();

  const dir = (p: number) => path.join(dataDir, `${topic}-${p}`);
  const log0 = path.join(dir(0), `${SEGMENT}.log`);
  fs.truncateSync(log0, fs.statSync(log0).size - 10);
  fs.appendFileSync(path.join(dir(1), `${SEGMENT}.log`), Buffer.alloc(100, 0xab));
  fs.rmSync(path.join(dir(2), `${SEGMENT}.index`), { force: true });

  const second = await startBroker({ dataDir });
  try {
    const p0 = await consume(second.bootstrap, topic, 0);
    expect(p0.length).toBeGreaterThanOrEqual(90);
    expect(p0.length).toBeLessThan(100);
    expect(p0).toEqual(values.slice(0, p0.length));
    expect(await consume(second.bootstrap, topic, 1)).toEqual(values);
    expect(await consume(second.bootstrap, topic, 2)).toEqual(values);
    const warnings = second.logs.filter((l) => /truncat/i.test(l));
    expect(warnings.some((l) => l.includes(`${topic}-0`))).toBe(true);
    expect(warnings.some((l) => l.includes(`${topic}-1`))).toBe(true);

    // Appends continue right after the last whole batch.
    await kcat(['-b', second.bootstrap, '-P', '-t', topic, '-p', '0'], 'after-recovery\n');
    const again = await consume(second.bootstrap, topic, 0);
    expect(again).toEqual([...p0, 'after-recovery']);
  } finally {
    expect(await second.stop()).toBe(0);
  }
});
