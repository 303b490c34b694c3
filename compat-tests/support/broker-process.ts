// Starts the broker as a separate process (the built CLI, exactly as a user runs it) on a free port with its own
// data dir, and learns the bound port from its "broker started" log line.

import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

// From the sources (jest) the CLI is the build's; compiled into dist/ (benchmark scripts) it sits beside us.
export const CLI = path.resolve(__dirname, __dirname.split(path.sep).includes('dist') ? '../../src/cli.js' : '../../dist/src/cli.js');

export interface BrokerProcess {
  readonly bootstrap: string;
  readonly port: number;
  readonly dataDir: string;
  readonly logs: string[];
  readonly proc: ChildProcess;
  /** SIGTERM and wait for exit; resolves to the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL and wait for exit. */
  kill(): Promise<void>;
}

export interface StartOptions {
  dataDir?: string;
  overrides?: Record<string, string | number | boolean>;
  /** Fixed port (0 = any free port). */
  port?: number;
  /** A server.properties file passed before the overrides, as kafka-server-start.sh takes it. */
  configFile?: string;
}

export function tempDir(prefix = 'nk-compat-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export async function startBroker(opts: StartOptions = {}): Promise<BrokerProcess> {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
  const dataDir = opts.dataDir ?? tempDir();
  const overrides: Record<string, string | number | boolean> = {
    'log.dirs': dataDir,
    listeners: `PLAINTEXT://127.0.0.1:${opts.port ?? 0}`,
    'group.initial.rebalance.delay.ms': 0,
    'offsets.topic.num.partitions': 5,
    ...opts.overrides,
  };
  const args = [CLI, 'start', ...(opts.configFile ? [opts.configFile] : [])];
  for (const [k, v] of Object.entries(overrides)) args.push('--override', `${k}=${v}`);
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: string[] = [];
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => reject(new Error(`broker did not start in 20s:\n${logs.join('\n')}`)), 20_000);
    proc.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        logs.push(line);
        try {
          const obj = JSON.parse(line) as { msg?: string; listeners?: string[] };
          if (obj.msg === 'broker started' && obj.listeners) {
            clearTimeout(timer);
            resolve(Number(/:(\d+)$/.exec(obj.listeners[0]!)![1]));
          }
        } catch {
          // not a JSON log line
        }
      }
    });
    proc.stderr!.on('data', (chunk: Buffer) => logs.push(chunk.toString()));
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`broker exited with ${code} before starting:\n${logs.join('\n')}`));
    });
  });
  return {
    bootstrap: `127.0.0.1:${port}`,
    port,
    dataDir,
    logs,
    proc,
    async stop() {
      if (proc.exitCode !== null) return proc.exitCode;
      proc.kill('SIGTERM');
      return exited;
    },
    async kill() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGKILL');
      await exited;
    },
  };
}
