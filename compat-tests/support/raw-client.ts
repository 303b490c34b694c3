// A minimal Kafka protocol client over a raw socket, for tests that need to send exactly chosen bytes: split or
// coalesced frames, malformed headers, pipelined requests, unsupported versions.

import * as net from 'node:net';
import { apiInfo } from '../../src/wire/generated/apis';
import { requestHeaderVersion, decodeResponseHeader } from '../../src/wire/header';
import { Reader, Writer } from '../../src/wire/primitives';

export class RawClient {
  private buffered = Buffer.alloc(0);
  private frames: Buffer[] = [];
  private waiters: ((f: Buffer | null) => void)[] = [];
  closed = false;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (c: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, c]);
      while (this.buffered.length >= 4) {
        const size = this.buffered.readInt32BE(0);
        if (this.buffered.length < 4 + size) break;
        this.push(this.buffered.subarray(4, 4 + size));
        this.buffered = this.buffered.subarray(4 + size);
      }
    });
    socket.on('close', () => {
      this.closed = true;
      for (const w of this.waiters.splice(0)) w(null);
    });
    socket.on('error', () => undefined);
  }

  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host: '127.0.0.1' }, () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  private push(frame: Buffer): void {
    const w = this.waiters.shift();
    if (w) w(frame);
    else this.frames.push(frame);
  }

  /** The next response frame, or null when the connection closes first (or after timeoutMs). */
  next(timeoutMs = 5000): Promise<Buffer | null> {
    const f = this.frames.shift();
    if (f) return Promise.resolve(f);
    if (this.closed) return Promise.resolve(null);
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== done);
        resolve(null);
      }, timeoutMs);
      const done = (frame: Buffer | null) => {
        clearTimeout(t);
        resolve(frame);
      };
      this.waiters.push(done);
    });
  }

  /** Encodes a full request frame (size prefix, header, body) with the generated codec. */
  static frame(apiKey: number, version: number, correlationId: number, body: unknown, clientId = 'raw-test'): Buffer {
    const api = apiInfo(apiKey)!;
    const w = new Writer();
    const hv = requestHeaderVersion(apiKey, version);
    w.writeInt16(apiKey).writeInt16(version).writeInt32(correlationId);
    if (hv >= 1) w.writeNullableString(clientId);
    if (hv >= 2) w.writeUnsignedVarint(0);
    (api as unknown as { encodeRequest(w: Writer, v: number, m: unknown): void }).encodeRequest(w, version, body);
    const payload = w.toBuffer();
    const out = Buffer.allocUnsafe(4 + payload.length);
    out.writeInt32BE(payload.length, 0);
    payload.copy(out, 4);
    return out;
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Decodes a response frame: correlation id and body. */
  static decode<T>(apiKey: number, version: number, frame: Buffer): { correlationId: number; body: T } {
    const api = apiInfo(apiKey)!;
    const r = new Reader(frame);
    const correlationId = decodeResponseHeader(r, apiKey, version);
    const body = (api as unknown as { decodeResponse(r: Reader, v: number): T }).decodeResponse(r, version);
    return { correlationId, body };
  }

  close(): void {
    this.socket.destroy();
  }
}
