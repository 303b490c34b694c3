// One client connection to a Kafka-protocol server (another broker, or a controller). Requests are pipelined:
// each is written as soon as it is sent and matched to its response by correlation id. Kafka answers in request
// order on a connection, so a request that times out cannot be skipped: the connection is closed and every
// request still in flight fails with a NetworkError (the caller reconnects). On connect the server's ApiVersions
// are fetched, so callers can pick the highest version both sides implement.

import * as net from 'node:net';
import { ApiVersionsApi, type ApiDef } from '../wire/generated/apis';
import { decodeResponseHeader, requestHeaderVersion } from '../wire/header';
import { encodeRequestHeader } from '../wire/generated/messages/RequestHeader';
import { Reader, Writer } from '../wire/primitives';
import { ErrorCode } from '../wire/errors';
import { NetworkError, RequestTimeoutError, UnsupportedVersionError } from './errors';

export interface ConnectOptions {
  host: string;
  port: number;
  clientId: string;
  connectTimeoutMs: number;
  /** Skip the ApiVersions exchange (then versionFor answers from our own schemas only). */
  skipApiVersions?: boolean;
  /** Responses larger than this close the connection (a corrupt size prefix must not allocate gigabytes). */
  maxResponseBytes?: number;
}

interface Pending {
  correlationId: number;
  apiKey: number;
  version: number;
  decode(r: Reader): unknown;
  resolve(v: unknown): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout | null;
}

const API_VERSIONS_REQUEST_VERSION = 3;
const SOFTWARE_NAME = 'nodekafka-broker';
const SOFTWARE_VERSION = '1.0';
const DEFAULT_MAX_RESPONSE_BYTES = 256 * 1024 * 1024;
/** Read buffer shared by all connections between responses (one read is handled at a time on this thread). */
const SCRATCH = Buffer.allocUnsafe(64 * 1024);

export class KafkaConnection {
  private nextCorrelationId = 1;
  /** In send order; responses must arrive in the same order. */
  private readonly inFlight: Pending[] = [];
  /** Up to 3 bytes of a size prefix that a read cut short. */
  private prefix = Buffer.alloc(4);
  private prefixBytes = 0;
  /** The response being received straight into its own buffer (sized from its prefix), and how much is in. */
  private frame: Buffer | null = null;
  private frameFilled = 0;
  private closedWith: Error | null = null;
  private readonly closeListeners: ((err: Error) => void)[] = [];
  /** The server's version ranges by API key; null until ApiVersions answered (or when skipped). */
  private serverVersions: Map<number, { min: number; max: number }> | null = null;

  private constructor(
    private readonly socket: net.Socket,
    readonly host: string,
    readonly port: number,
    private readonly clientId: string,
    private readonly maxResponseBytes: number,
  ) {
    socket.setNoDelay(true);
    socket.on('error', (e) => this.close(new NetworkError(`connection to ${host}:${port} failed: ${e.message}`)));
    socket.on('close', () => this.close(new NetworkError(`connection to ${host}:${port} closed`)));
  }

  /** Connects and (unless skipped) learns the server's API versions. Rejects with NetworkError. */
  static async connect(opts: ConnectOptions): Promise<KafkaConnection> {
    // Reads go into buffers we choose (onread) rather than into chunks Node allocates: a response body is read
    // straight into one buffer of its announced size, so replication's large Fetch responses are never copied
    // from socket chunks into a frame. `target` is bound once the connection object exists.
    let target: KafkaConnection | null = null;
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect({
        host: opts.host,
        port: opts.port,
        onread: {
          buffer: () => (target ? target.nextReadBuffer() : SCRATCH),
          callback: (n: number, buf: Uint8Array) => {
            target?.onRead(n, buf as Buffer);
            return true;
          },
        },
      });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new NetworkError(`connecting to ${opts.host}:${opts.port} timed out after ${opts.connectTimeoutMs} ms`));
      }, opts.connectTimeoutMs);
      s.once('connect', () => {
        clearTimeout(timer);
        s.removeAllListeners('error');
        resolve(s);
      });
      s.once('error', (e) => {
        clearTimeout(timer);
        reject(new NetworkError(`connecting to ${opts.host}:${opts.port} failed: ${e.message}`));
      });
    });
    const conn = new KafkaConnection(socket, opts.host, opts.port, opts.clientId, opts.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES);
    target = conn;
    if (!opts.skipApiVersions) {
      try {
        await conn.fetchApiVersions(opts.connectTimeoutMs);
      } catch (e) {
        conn.close(e instanceof Error ? e : new NetworkError(String(e)));
        throw e;
      }
    }
    return conn;
  }

  get closed(): boolean {
    return this.closedWith !== null;
  }

  get inFlightCount(): number {
    return this.inFlight.length;
  }

  onClose(fn: (err: Error) => void): void {
    if (this.closedWith) fn(this.closedWith);
    else this.closeListeners.push(fn);
  }

  /**
   * The highest version of `api` both sides implement, at most `maxWanted` (our own handlers' or our code's limit)
   * and at least `minWanted`. Throws UnsupportedVersionError when the ranges do not meet.
   */
  versionFor(api: ApiDef<unknown, unknown>, maxWanted = api.maxVersion, minWanted = api.minVersion): number {
    let max = Math.min(maxWanted, api.maxVersion);
    let min = Math.max(minWanted, api.minVersion);
    const theirs = this.serverVersions?.get(api.apiKey);
    if (this.serverVersions && !theirs) {
      throw new UnsupportedVersionError(`${this.host}:${this.port} does not implement ${api.name}`);
    }
    if (theirs) {
      max = Math.min(max, theirs.max);
      min = Math.max(min, theirs.min);
    }
    if (max < min) throw new UnsupportedVersionError(`no common version of ${api.name} with ${this.host}:${this.port}`);
    return max;
  }

  /** Sends one request; resolves with the decoded response. Rejects with NetworkError / RequestTimeoutError. */
  send<Req, Res>(api: ApiDef<Req, Res>, version: number, request: Req, timeoutMs: number): Promise<Res> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    const correlationId = this.nextCorrelationId;
    this.nextCorrelationId = (this.nextCorrelationId + 1) & 0x7fffffff;
    const w = new Writer(256);
    w.writeInt32(0); // size, patched below
    encodeRequestHeader(w, requestHeaderVersion(api.apiKey, version), {
      requestApiKey: api.apiKey,
      requestApiVersion: version,
      correlationId,
      clientId: this.clientId,
    });
    api.encodeRequest(w, version, request);
    const chunks = w.toChunks();
    chunks[0]!.writeInt32BE(w.length - 4, 0);
    return new Promise<Res>((resolve, reject) => {
      const pending: Pending = {
        correlationId,
        apiKey: api.apiKey,
        version,
        decode: (r) => api.decodeResponse(r, version),
        resolve: resolve as (v: unknown) => void,
        reject,
        timer: null,
      };
      pending.timer = setTimeout(() => {
        pending.timer = null;
        this.close(
          new NetworkError(`connection to ${this.host}:${this.port} closed after a request timed out`),
          pending,
          new RequestTimeoutError(`${api.name} v${version} to ${this.host}:${this.port} timed out after ${timeoutMs} ms`),
        );
      }, timeoutMs);
      this.inFlight.push(pending);
      this.socket.cork();
      for (const c of chunks) this.socket.write(c);
      this.socket.uncork();
    });
  }

  /**
   * Closes the socket and fails everything in flight with `err` (`special` gets `specialErr`, e.g. the request
   * whose timeout caused the close).
   */
  close(err: Error = new NetworkError('connection closed'), special?: Pending, specialErr?: Error): void {
    if (this.closedWith) return;
    this.closedWith = err;
    this.socket.destroy();
    for (const p of this.inFlight.splice(0)) {
      if (p.timer) clearTimeout(p.timer);
      p.reject(p === special && specialErr ? specialErr : err);
    }
    for (const l of this.closeListeners.splice(0)) l(err);
  }

  private async fetchApiVersions(timeoutMs: number): Promise<void> {
    const res = await this.send(
      ApiVersionsApi,
      API_VERSIONS_REQUEST_VERSION,
      { clientSoftwareName: SOFTWARE_NAME, clientSoftwareVersion: SOFTWARE_VERSION },
      timeoutMs,
    );
    // A server older than v3 answers UNSUPPORTED_VERSION with its ranges in a v0 body (KIP-511), which our v3
    // decode cannot read; such servers do not exist among our peers, so this stays simple.
    if (res.errorCode !== ErrorCode.NONE) {
      throw new NetworkError(`ApiVersions to ${this.host}:${this.port} failed with error ${res.errorCode}`);
    }
    this.serverVersions = new Map(res.apiKeys.map((k) => [k.apiKey, { min: k.minVersion, max: k.maxVersion }]));
  }

  /** Where the next socket read lands: the rest of the response being received, else the shared scratch. */
  private nextReadBuffer(): Buffer {
    return this.frame !== null ? this.frame.subarray(this.frameFilled) : SCRATCH;
  }

  /** `n` bytes were read into `buf` (what nextReadBuffer returned). */
  private onRead(n: number, buf: Buffer): void {
    if (this.closedWith) return;
    if (this.frame !== null) {
      this.frameFilled += n;
      if (this.frameFilled === this.frame.length) this.completeFrame();
      return;
    }
    // Scratch: size prefixes and the responses that fit in this read. Scratch is reused by the next read (of any
    // connection: reads are handled one at a time on this thread), so whatever outlives this call is copied.
    let pos = 0;
    while (pos < n && !this.closedWith) {
      if (this.prefixBytes < 4) {
        const k = Math.min(4 - this.prefixBytes, n - pos);
        buf.copy(this.prefix, this.prefixBytes, pos, pos + k);
        this.prefixBytes += k;
        pos += k;
        if (this.prefixBytes < 4) return;
        const size = this.prefix.readInt32BE(0);
        if (size < 0 || size > this.maxResponseBytes) {
          this.close(new NetworkError(`response of ${size} bytes from ${this.host}:${this.port} is invalid`));
          return;
        }
        this.frame = Buffer.allocUnsafe(size);
        this.frameFilled = 0;
      }
      const frame = this.frame!;
      const k = Math.min(frame.length - this.frameFilled, n - pos);
      buf.copy(frame, this.frameFilled, pos, pos + k);
      this.frameFilled += k;
      pos += k;
      if (this.frameFilled === frame.length) this.completeFrame();
    }
  }

  private completeFrame(): void {
    const frame = this.frame!;
    this.frame = null;
    this.frameFilled = 0;
    this.prefixBytes = 0;
    this.onFrame(frame);
  }

  private onFrame(frame: Buffer): void {
    const pending = this.inFlight.shift();
    if (!pending) {
      this.close(new NetworkError(`unexpected response from ${this.host}:${this.port}`));
      return;
    }
    if (pending.timer) clearTimeout(pending.timer);
    try {
      const r = new Reader(frame);
      const correlationId = decodeResponseHeader(r, pending.apiKey, pending.version);
      if (correlationId !== pending.correlationId) {
        throw new NetworkError(`response correlation id ${correlationId} from ${this.host}:${this.port}, expected ${pending.correlationId}`);
      }
      pending.resolve(pending.decode(r));
    } catch (e) {
      const err = e instanceof NetworkError ? e : new NetworkError(`undecodable response from ${this.host}:${this.port}: ${(e as Error).message}`);
      pending.reject(err);
      this.close(err);
    }
  }
}
