// A TCP proxy between Kafka clients and a broker that can break connections on demand, to make clients retry.
// It reads the Kafka framing in both directions (request: size, apiKey, apiVersion, correlationId; response: size,
// correlationId) so it can cut a connection exactly when a chosen response comes back: the broker has then done the
// work (e.g. appended a batch) and the client never hears of it, which is the case idempotence must handle.
//
// Start the broker with advertised.listeners naming the proxy's port, so clients that bootstrap anywhere keep
// talking through the proxy after reading Metadata.

import * as net from 'node:net';

export interface CuttingProxy {
  readonly port: number;
  /** The broker port to forward to (set once the broker is up). */
  target: number;
  /**
   * Consulted for each response: returning true drops it and cuts the connection instead of delivering it.
   * `apiKey` is the key of the request the response answers.
   */
  cutOnResponse: ((apiKey: number) => boolean) | null;
  /** Responses dropped by cutOnResponse, by API key. */
  readonly dropped: Map<number, number>;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Closes every open connection at once; returns how many there were. */
  dropAll(): number;
  close(): Promise<void>;
}

/** Splits a byte stream into Kafka frames (4-byte big-endian size + payload). */
class FrameSplitter {
  private buf: Buffer = Buffer.alloc(0);
  push(chunk: Buffer): Buffer[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const frames: Buffer[] = [];
    while (this.buf.length >= 4) {
      const size = 4 + this.buf.readInt32BE(0);
      if (this.buf.length < size) break;
      frames.push(this.buf.subarray(0, size));
      this.buf = this.buf.subarray(size);
    }
    return frames;
  }
}

export async function startCuttingProxy(): Promise<CuttingProxy> {
  const open = new Set<{ client: net.Socket; upstream: net.Socket }>();
  let accepted = 0;
  let port = 0;
  const dropped = new Map<number, number>();

  const proxy: CuttingProxy = {
    get port() {
      return port;
    },
    target: 0,
    cutOnResponse: null,
    dropped,
    get accepted() {
      return accepted;
    },
    dropAll() {
      const n = open.size;
      for (const pair of [...open]) cut(pair);
      return n;
    },
    close: () =>
      new Promise<void>((resolve) => {
        proxy.dropAll();
        server.close(() => resolve());
      }),
  };

  function cut(pair: { client: net.Socket; upstream: net.Socket }): void {
    open.delete(pair);
    pair.client.destroy();
    pair.upstream.destroy();
  }

  const server = net.createServer((client) => {
    accepted++;
    client.setNoDelay(true);
    const upstream = net.connect({ host: '127.0.0.1', port: proxy.target });
    upstream.setNoDelay(true);
    const pair = { client, upstream };
    open.add(pair);
    // correlation id -> api key of the requests in flight on this connection
    const inflight = new Map<number, number>();
    const requests = new FrameSplitter();
    const responses = new FrameSplitter();

    client.on('data', (chunk: Buffer) => {
      for (const frame of requests.push(chunk)) {
        if (frame.length >= 12) inflight.set(frame.readInt32BE(8), frame.readInt16BE(4));
        upstream.write(frame);
      }
    });
    upstream.on('data', (chunk: Buffer) => {
      for (const frame of responses.push(chunk)) {
        if (!open.has(pair)) return;
        const correlationId = frame.length >= 8 ? frame.readInt32BE(4) : -1;
        const apiKey = inflight.get(correlationId) ?? -1;
        inflight.delete(correlationId);
        if (proxy.cutOnResponse?.(apiKey)) {
          dropped.set(apiKey, (dropped.get(apiKey) ?? 0) + 1);
          cut(pair);
          return;
        }
        client.write(frame);
      }
    });
    const end = () => {
      if (open.has(pair)) cut(pair);
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as net.AddressInfo).port;
  return proxy;
}
