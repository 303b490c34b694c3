#!/usr/bin/env node
// Container health check: opens a TCP connection to the broker, sends an ApiVersions v0 request (the first thing
// every Kafka client sends, answerable in any state after start-up) and exits 0 on a well-formed, error-free answer,
// 1 otherwise. Usage: node dist/src/healthcheck.js [host:port] [timeoutMs]   (default 127.0.0.1:9092, 5000 ms)

import * as net from 'node:net';
import { decodeResponseHeader } from './wire/header';
import { Reader, Writer } from './wire/primitives';
import { encodeRequestHeader } from './wire/generated/messages/RequestHeader';
import { encodeApiVersionsRequest } from './wire/generated/messages/ApiVersionsRequest';
import { decodeApiVersionsResponse } from './wire/generated/messages/ApiVersionsResponse';

const API_VERSIONS = 18;
/** An ApiVersions v0 response is a few hundred bytes; anything far larger is not a Kafka broker answering. */
const MAX_RESPONSE_BYTES = 1 << 20;

export type HealthResult = { ok: true; apiCount: number } | { ok: false; reason: string };

function request(correlationId: number): Buffer {
  const w = new Writer(64);
  w.writeInt32(0); // size, patched below
  encodeRequestHeader(w, 1, { requestApiKey: API_VERSIONS, requestApiVersion: 0, correlationId, clientId: 'nodekafka-healthcheck' });
  encodeApiVersionsRequest(w, 0, { clientSoftwareName: '', clientSoftwareVersion: '' });
  const buf = w.toBuffer();
  buf.writeInt32BE(buf.length - 4, 0);
  return buf;
}

function judge(payload: Buffer, correlationId: number): HealthResult {
  try {
    const r = new Reader(payload);
    const got = decodeResponseHeader(r, API_VERSIONS, 0);
    if (got !== correlationId) return { ok: false, reason: `correlation id ${got}, expected ${correlationId}` };
    const res = decodeApiVersionsResponse(r, 0);
    if (res.errorCode !== 0) return { ok: false, reason: `ApiVersions error code ${res.errorCode}` };
    if (!res.apiKeys.some((k) => k.apiKey === API_VERSIONS)) return { ok: false, reason: 'ApiVersions response does not list ApiVersions' };
    return { ok: true, apiCount: res.apiKeys.length };
  } catch (e) {
    return { ok: false, reason: `malformed ApiVersions response: ${(e as Error).message}` };
  }
}

export function checkBroker(host: string, port: number, timeoutMs: number): Promise<HealthResult> {
  const correlationId = (Math.random() * 0x7fffffff) | 0;
  return new Promise((resolve) => {
    let received = Buffer.alloc(0);
    let settled = false;
    const socket = net.connect({ host, port });
    const finish = (result: HealthResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => finish({ ok: false, reason: `no answer within ${timeoutMs} ms` }), timeoutMs);
    socket.on('connect', () => socket.write(request(correlationId)));
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 4) return;
      const size = received.readInt32BE(0);
      if (size < 0 || size > MAX_RESPONSE_BYTES) return finish({ ok: false, reason: `implausible response size ${size}` });
      if (received.length >= 4 + size) finish(judge(received.subarray(4, 4 + size), correlationId));
    });
    socket.on('error', (e) => finish({ ok: false, reason: e.message }));
    socket.on('close', () => finish({ ok: false, reason: 'connection closed before a response' }));
  });
}

/** host:port, [v6]:port, or a bare host (port 9092). */
export function parseAddress(arg: string): { host: string; port: number } {
  const m = /^\[(.+)\](?::(\d+))?$/.exec(arg) ?? /^([^:]*)(?::(\d+))?$/.exec(arg);
  if (!m) throw new Error(`cannot parse address "${arg}" (expected host:port)`);
  return { host: m[1] || '127.0.0.1', port: m[2] ? Number(m[2]) : 9092 };
}

async function main(): Promise<void> {
  const { host, port } = parseAddress(process.argv[2] ?? '127.0.0.1:9092');
  const timeoutMs = Number(process.argv[3] ?? 5000);
  const result = await checkBroker(host, port, timeoutMs);
  if (result.ok) {
    process.stdout.write(`healthy: ${host}:${port} answered ApiVersions (${result.apiCount} APIs)\n`);
    process.exit(0);
  }
  process.stderr.write(`unhealthy: ${host}:${port}: ${result.reason}\n`);
  process.exit(1);
}

if (require.main === module) {
  main().catch((e: unknown) => {
    process.stderr.write(`unhealthy: ${(e as Error).message}\n`);
    process.exit(1);
  });
}
