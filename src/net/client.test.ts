// The broker-to-broker client against a scripted server speaking the protocol through the generated codecs:
// pipelining and in-order matching, version negotiation from ApiVersions, timeouts closing the connection,
// responses split into single bytes, and reconnecting with backoff through the pool.

import * as net from 'node:net';
import { ApiVersionsApi, MetadataApi, FetchApi, ProduceApi, type ApiDef } from '../wire/generated/apis';
import { decodeRequestHeader, encodeResponseHeader } from '../wire/header';
import { Reader, Writer } from '../wire/primitives';
import { defaultMetadataResponse, type MetadataResponse } from '../wire/generated/messages/MetadataResponse';
import { defaultApiVersionsResponse } from '../wire/generated/messages/ApiVersionsResponse';
import { KafkaConnection } from './kafka-connection';
import { NodeClientPool } from './node-client-pool';
import { NetworkError, RequestTimeoutError, UnsupportedVersionError } from './errors';

interface Script {
  /** Return the response or a promise of it; undefined means never answer. */
  metadata(correlationId: number): Promise<MetadataResponse | undefined> | MetadataResponse | undefined;
  dribble?: boolean;
  /** Write each response in pieces of these sizes (cycled), yielding to the event loop between pieces. */
  pieces?: number[];
}

async function fakeServer(script: Script): Promise<{ port: number; seen: number[]; close(): Promise<void>; connections: number }> {
  const seen: number[] = [];
  const sockets = new Set<net.Socket>();
  const state = { connections: 0 };
  const server = net.createServer((socket) => {
    state.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let buf = Buffer.alloc(0);
    // Responses are written in request order, as a broker does.
    let chain: Promise<void> = Promise.resolve();
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        const frame = buf.subarray(4, 4 + buf.readInt32BE(0));
        buf = buf.subarray(4 + frame.length);
        const r = new Reader(frame);
        const h = decodeRequestHeader(r);
        seen.push(h.apiKey);
        const reply = async (): Promise<void> => {
          let api: ApiDef<unknown, unknown>;
          let body: unknown;
          if (h.apiKey === ApiVersionsApi.apiKey) {
            api = ApiVersionsApi as ApiDef<unknown, unknown>;
            body = {
              ...defaultApiVersionsResponse(),
              apiKeys: [
                { apiKey: 18, minVersion: 0, maxVersion: 3 },
                { apiKey: 3, minVersion: 0, maxVersion: 12 },
                { apiKey: 1, minVersion: 4, maxVersion: 12 },
              ],
            };
          } else {
            api = MetadataApi as ApiDef<unknown, unknown>;
            body = await script.metadata(h.correlationId);
            if (body === undefined) return new Promise(() => undefined);
          }
          const w = new Writer();
          encodeResponseHeader(w, h.apiKey, h.apiVersion, h.correlationId);
          api.encodeResponse(w, h.apiVersion, body);
          const payload = w.toBuffer();
          const out = Buffer.allocUnsafe(4 + payload.length);
          out.writeInt32BE(payload.length, 0);
          payload.copy(out, 4);
          if (script.dribble) for (let i = 0; i < out.length; i++) socket.write(out.subarray(i, i + 1));
          else if (script.pieces) {
            for (let i = 0, k = 0; i < out.length; k++) {
              const n = script.pieces[k % script.pieces.length]!;
              socket.write(out.subarray(i, i + n));
              i += n;
              await new Promise((r) => setTimeout(r, 1));
            }
          } else socket.write(out);
        };
        chain = chain.then(reply);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    seen,
    get connections() {
      return state.connections;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

const metadataWith = (clusterId: string): MetadataResponse => ({ ...defaultMetadataResponse(), clusterId });
const metadataRequest = { topics: [], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false };

test('pipelined requests are all written at once and matched to their responses in order', async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const srv = await fakeServer({ metadata: async (cid) => (await gate, metadataWith(`c${cid}`)) });
  const conn = await KafkaConnection.connect({ host: '127.0.0.1', port: srv.port, clientId: 't', connectTimeoutMs: 2000 });
  const v = conn.versionFor(MetadataApi as ApiDef<unknown, unknown>);
  expect(v).toBe(12);
  const all = Promise.all([1, 2, 3].map(() => conn.send(MetadataApi, v, metadataRequest, 5000)));
  await new Promise((r) => setTimeout(r, 50));
  expect(srv.seen.filter((k) => k === 3)).toHaveLength(3); // all three arrived before any answer
  release();
  const res = await all;
  expect(res.map((r) => r.clusterId)).toEqual(['c2', 'c3', 'c4']); // correlation 1 was ApiVersions
  conn.close();
  await srv.close();
});

test('versions are negotiated from ApiVersions; an API the peer lacks is refused', async () => {
  const srv = await fakeServer({ metadata: () => metadataWith('x') });
  const conn = await KafkaConnection.connect({ host: '127.0.0.1', port: srv.port, clientId: 't', connectTimeoutMs: 2000 });
  expect(conn.versionFor(FetchApi as ApiDef<unknown, unknown>)).toBe(12);
  expect(conn.versionFor(FetchApi as ApiDef<unknown, unknown>, 10)).toBe(10);
  expect(() => conn.versionFor(FetchApi as ApiDef<unknown, unknown>, 3)).toThrow(UnsupportedVersionError);
  expect(() => conn.versionFor(ApiVersionsApi as ApiDef<unknown, unknown>, 4, 4)).toThrow(UnsupportedVersionError);
  expect(() => conn.versionFor(ProduceApi as ApiDef<unknown, unknown>)).toThrow(UnsupportedVersionError);
  conn.close();
  await srv.close();
});

test('responses arriving one byte at a time are reassembled', async () => {
  const srv = await fakeServer({ metadata: (cid) => metadataWith(`id-${cid}`), dribble: true });
  const conn = await KafkaConnection.connect({ host: '127.0.0.1', port: srv.port, clientId: 't', connectTimeoutMs: 2000 });
  const [a, b] = await Promise.all([conn.send(MetadataApi, 12, metadataRequest, 5000), conn.send(MetadataApi, 1, metadataRequest, 5000)]);
  expect(a.clusterId).toBe('id-2');
  expect(b.brokers).toEqual([]);
  conn.close();
  await srv.close();
});

test('large and small responses, split anywhere or coalesced, arrive whole and in order', async () => {
  // Sizes around the client's 64 KiB read scratch: responses read straight into their own buffer and ones
  // assembled from scratch reads, with size prefixes cut at every offset by the 1-3 byte pieces.
  const sizes = [10, 70_000, 1 << 20, 3, 65_530, 200_000];
  const id = (cid: number) => String.fromCharCode(97 + (cid % 26)).repeat(sizes[cid % sizes.length]!);
  for (const pieces of [[1, 2, 3, 70_001, 5], [65_536], [1 << 22]]) {
    const srv = await fakeServer({ metadata: (cid) => metadataWith(id(cid)), pieces });
    const conn = await KafkaConnection.connect({ host: '127.0.0.1', port: srv.port, clientId: 't', connectTimeoutMs: 2000 });
    const res = await Promise.all(sizes.map(() => conn.send(MetadataApi, 12, metadataRequest, 10_000)));
    // Correlation 1 was ApiVersions, so the metadata requests are 2..7.
    expect(res.map((r) => r.clusterId)).toEqual(sizes.map((_, i) => id(i + 2)));
    conn.close();
    await srv.close();
  }
});

test('a timed-out request closes the connection and fails the others in flight; the pool reconnects', async () => {
  let answer = false;
  const srv = await fakeServer({ metadata: (cid) => (answer ? metadataWith(`ok${cid}`) : undefined) });
  const pool = new NodeClientPool({
    clientId: 't',
    resolve: () => ({ host: '127.0.0.1', port: srv.port }),
    connectTimeoutMs: 1000,
    requestTimeoutMs: 100,
    reconnectBackoffMs: 10,
    reconnectBackoffMaxMs: 100,
  });
  const first = pool.request(7, MetadataApi, () => metadataRequest);
  const second = pool.request(7, MetadataApi, () => metadataRequest, { timeoutMs: 5000 });
  await expect(first).rejects.toBeInstanceOf(RequestTimeoutError);
  await expect(second).rejects.toBeInstanceOf(NetworkError);
  answer = true;
  const again = await pool.request(7, MetadataApi, () => metadataRequest);
  expect(again.response.clusterId).toMatch(/^ok/);
  expect(srv.connections).toBe(2);
  pool.close();
  await srv.close();
});

test('failed connects back off exponentially; an unknown node fails fast', async () => {
  // A port nobody listens on: bind and close to find one.
  const tmp = net.createServer();
  await new Promise<void>((r) => tmp.listen(0, '127.0.0.1', r));
  const port = (tmp.address() as net.AddressInfo).port;
  await new Promise<void>((r) => tmp.close(() => r()));
  const pool = new NodeClientPool({
    clientId: 't',
    resolve: (id) => (id === 1 ? { host: '127.0.0.1', port } : null),
    connectTimeoutMs: 500,
    requestTimeoutMs: 500,
    reconnectBackoffMs: 150,
    reconnectBackoffMaxMs: 1000,
    random: () => 0.5,
  });
  await expect(pool.connection(2)).rejects.toThrow(/no known address/);
  await expect(pool.connection(1)).rejects.toBeInstanceOf(NetworkError);
  const t0 = Date.now();
  await expect(pool.connection(1)).rejects.toBeInstanceOf(NetworkError);
  const t1 = Date.now();
  expect(t1 - t0).toBeGreaterThanOrEqual(140); // first backoff: 150 ms
  await expect(pool.connection(1)).rejects.toBeInstanceOf(NetworkError);
  expect(Date.now() - t1).toBeGreaterThanOrEqual(290); // doubled
  pool.close();
  await expect(pool.connection(1)).rejects.toThrow(/closed/);
});
