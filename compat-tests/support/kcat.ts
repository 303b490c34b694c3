// Runs kcat (librdkafka's command-line client) against a broker.

import { spawn } from 'node:child_process';

export interface KcatResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function kcat(args: string[], input?: string | Buffer, timeoutMs = 30_000): Promise<KcatResult> {
  return new Promise((resolve, reject) => {
    const proc = spawn('kcat', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`kcat ${args.join(' ')} timed out; stderr: ${Buffer.concat(err).toString()}`));
    }, timeoutMs);
    proc.stdout.on('data', (c: Buffer) => out.push(c));
    proc.stderr.on('data', (c: Buffer) => err.push(c));
    proc.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    proc.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    });
    if (input !== undefined) proc.stdin.end(input);
    else proc.stdin.end();
  });
}
