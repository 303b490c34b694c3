// Child process for the crash test: appends with flush.messages=1 and prints each offset only once
// waitForDurable has resolved for it. The parent SIGKILLs it mid-stream.
//
// It runs the TypeScript sources directly through a tiny require hook on @swc/core (a dev dependency already used by
// jest), so the test needs no prior build.
'use strict';
const fs = require('fs');
const swc = require('@swc/core');

require.extensions['.ts'] = function compileTs(module, filename) {
  const { code } = swc.transformSync(fs.readFileSync(filename, 'utf8'), {
    filename,
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'commonjs' },
  });
  module._compile(code, filename);
};

const { LogManager } = require('../log-manager.ts');
const { DEFAULT_LOG_CONFIG } = require('../config.ts');
const { buildBatch } = require('../../wire/records/record.ts');

async function main() {
  const dir = process.argv[2];
  const m = new LogManager({
    logDirs: [dir],
    defaultConfig: { ...DEFAULT_LOG_CONFIG, flushMessages: 1, segmentBytes: 32 * 1024, indexIntervalBytes: 512 },
  });
  await m.open();
  const log = m.getLog('crash', 0) || m.createLog('crash', 0);
  let n = log.logEndOffset;
  process.stdout.write(`ready ${n}\n`);
  const tick = () => {
    for (let k = 0; k < 8; k++) {
      const value = `rec-${n}`.padEnd(40 + (n % 50), '.');
      n++;
      const r = log.append(buildBatch({ records: [{ key: null, value }] }), { leaderEpoch: 0, assignOffsets: true });
      log.waitForDurable(r.lastOffset).then(() => process.stdout.write(`${r.lastOffset}\n`));
    }
    setImmediate(tick);
  };
  tick();
}

main().catch((e) => {
  process.stderr.write(String(e && e.stack ? e.stack : e) + '\n');
  process.exit(1);
});
