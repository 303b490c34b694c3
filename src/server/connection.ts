// One client connection: splits the byte stream into length-prefixed frames, hands each frame to the dispatcher
// as soon as it is whole (many requests in flight), and writes responses strictly in request order, as Kafka does.
//
// Frames are views of the socket's chunks whenever a frame lies inside one chunk; only frames that straddle
// chunks are copied together.

import type { Socket } from 'node:net';
import { ProtocolError } from '../wire/errors';

export interface ConnectionInfo {
  readonly id: number;
  readonly remoteAddress: string;
  readonly listenerName: string;
}

/** What the connection needs from the request layer. */
export interface FrameDispatcher {
  /**
   * Handles one request frame (without its size prefix). Returns the response bytes (without size prefix) or
   * null when the request takes no response (acks=0 produce). Throwing ProtocolError closes the connection.
   */
  dispatch(frame: Buffer, conn: ConnectionInfo): Promise<Buffer[] | null> | Buffer[] | null;
}

export interface ConnectionOptions {
  maxFrameBytes: number;
  /** Pause reading when this many responses are pending (back-pressure on pipelining clients). */
  maxInFlight: number;
  /** Pause reading while the socket holds more unsent bytes than this. */
  maxBufferedWriteBytes: number;
  onError(conn: ConnectionInfo, reason: string, err?: unknown): void;
}

interface Slot {
  ready: boolean;
  response: Buffer[] | null;
}

const EMPTY = Buffer.alloc(0);

export class Connection implements ConnectionInfo {
  readonly remoteAddress: string;
  private pending: Buffer = EMPTY;
  private readonly slots: Slot[] = [];
  private closed = false;
  private paused = false;
  /** Resolves when every in-flight request has been answered (used by graceful shutdown). */
  private idleWaiters: (() => void)[] = [];

  constructor(
    readonly id: number,
    readonly listenerName: string,
    private readonly socket: Socket,
    private readonly dispatcher: FrameDispatcher,
    private readonly opts: ConnectionOptions,
  ) {
    this.remoteAddress = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.maybeResume());
    socket.on('error', () => this.close());
    socket.on('close', () => this.close());
  }

  get inFlight(): number {
    return this.slots.length;
  }

  private onData(chunk: Buffer): void {
    let buf = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    let pos = 0;
    while (!this.closed && buf.length - pos >= 4) {
      const size = buf.readInt32BE(pos);
      if (size < 0 || size > this.opts.maxFrameBytes) {
        this.fail(`frame of ${size} bytes exceeds socket.request.max.bytes (${this.opts.maxFrameBytes})`);
        return;
      }
      if (buf.length - pos - 4 < size) break;
      const frame = buf.subarray(pos + 4, pos + 4 + size);
      pos += 4 + size;
      this.handleFrame(frame);
    }
    this.pending = pos === buf.length ? EMPTY : buf.subarray(pos);
    // A large frame still arriving: keep its bytes, but avoid re-concatenating a growing buffer on every chunk
    // by copying once into a buffer of the announced size.
    if (this.pending.length >= 4) {
      const size = this.pending.readInt32BE(0);
      if (size > 65536 && this.pending.length < size + 4) {
        buf = Buffer.allocUnsafe(size + 4);
        this.pending.copy(buf);
        this.pending = buf.subarray(0, this.pending.length);
        this.socket.removeAllListeners('data');
        this.receiveLargeFrame(buf, this.pending.length);
      }
    }
    this.maybePause();
  }

  /** Fills a preallocated frame buffer directly from the socket, then returns to normal frame splitting. */
  private receiveLargeFrame(target: Buffer, filled: number): void {
    const onChunk = (chunk: Buffer): void => {
      const room = target.length - filled;
      const n = Math.min(room, chunk.length);
      chunk.copy(target, filled, 0, n);
      filled += n;
      if (filled < target.length) return;
      this.socket.removeListener('data', onChunk);
      this.socket.on('data', (c: Buffer) => this.onData(c));
      this.pending = EMPTY;
      this.handleFrame(target.subarray(4));
      if (n < chunk.length) this.onData(chunk.subarray(n));
    };
    this.socket.on('data', onChunk);
  }

  private handleFrame(frame: Buffer): void {
    const slot: Slot = { ready: false, response: null };
    this.slots.push(slot);
    let result: Promise<Buffer[] | null> | Buffer[] | null;
    try {
      result = this.dispatcher.dispatch(frame, this);
    } catch (e) {
      this.failWith(e);
      return;
    }
    if (result instanceof Promise) {
      result.then(
        (r) => this.complete(slot, r),
        (e) => this.failWith(e),
      );
    } else {
      this.complete(slot, result);
    }
  }

  private complete(slot: Slot, response: Buffer[] | null): void {
    slot.ready = true;
    slot.response = response;
    this.flushReady();
  }

  private flushReady(): void {
    if (this.closed) return;
    let wrote = false;
    while (this.slots.length > 0 && this.slots[0]!.ready) {
      const slot = this.slots.shift()!;
      if (slot.response === null) continue;
      let size = 0;
      for (const b of slot.response) size += b.length;
      const prefix = Buffer.allocUnsafe(4);
      prefix.writeInt32BE(size, 0);
      if (!wrote) this.socket.cork();
      wrote = true;
      this.socket.write(prefix);
      for (const b of slot.response) if (b.length > 0) this.socket.write(b);
    }
    if (wrote) this.socket.uncork();
    if (this.slots.length === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
    this.maybeResume();
  }

  private maybePause(): void {
    if (this.paused || this.closed) return;
    if (this.slots.length >= this.opts.maxInFlight || this.socket.writableLength > this.opts.maxBufferedWriteBytes) {
      this.paused = true;
      this.socket.pause();
    }
  }

  private maybeResume(): void {
    if (!this.paused || this.closed) return;
    if (this.slots.length < this.opts.maxInFlight && this.socket.writableLength <= this.opts.maxBufferedWriteBytes) {
      this.paused = false;
      this.socket.resume();
    }
  }

  private failWith(e: unknown): void {
    if (e instanceof ProtocolError) this.fail(`malformed request: ${e.message}`, e);
    else this.fail('request handling failed', e);
  }

  private fail(reason: string, err?: unknown): void {
    if (this.closed) return;
    this.opts.onError(this, reason, err);
    this.close();
  }

  /** Resolves once every request received so far has been answered (or the connection closed). */
  whenIdle(): Promise<void> {
    if (this.slots.length === 0 || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops reading new requests (graceful shutdown); in-flight ones are still answered. */
  stopReading(): void {
    this.socket.pause();
    this.paused = true;
    this.socket.removeAllListeners('drain');
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  get isClosed(): boolean {
    return this.closed;
  }
}
