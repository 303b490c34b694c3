import * as net from 'node:net';
import { Connection, FrameDispatcher } from './connection';
import { ProtocolError } from '../wire/errors';

/** A connected server-side Connection and the client socket talking to it. */
async function pair(dispatcher: FrameDispatcher, maxFrameBytes = 1024 * 1024) {
  const errors: string[] = [];
  let conn!: Connection;
  const server = net.createServer((s) => {
    conn = new Connection(1, 'PLAINTEXT', s, dispatcher, {
      maxFrameBytes,
      maxInFlight: 100,
      maxBufferedWriteBytes: 1 << 20,
      onError: (_c, reason) => errors.push(reason),
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const client = net.connect(port, '127.0.0.1');
  await new Promise<void>((r) => client.once('connect', r));
  await new Promise((r) => setTimeout(r, 10));
  const received: Buffer[] = [];
  let buf = Buffer.alloc(0);
  client.on('data', (c: Buffer) => {
    buf = Buffer.concat([buf, c]);
    while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
      received.push(buf.subarray(4, 4 + buf.readInt32BE(0)));
      buf = buf.subarray(4 + buf.readInt32BE(0));
    }
  });
  const closed = new Promise<void>((r) => client.once('close', () => r()));
  client.on('error', () => undefined);
  return { server, client, received, errors, closed, conn: () => conn };
}

function frame(payload: Buffer): Buffer {
  const b = Buffer.alloc(4 + payload.length);
  b.writeInt32BE(payload.length, 0);
  payload.copy(b, 4);
  return b;
}

async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const echo: FrameDispatcher = { dispatch: (f) => [Buffer.from(f)] };

test('frames split across many writes are reassembled', async () => {
  const p = await pair(echo);
  const data = frame(Buffer.from('hello world'));
  for (const b of data) {
    p.client.write(Buffer.from([b]));
    await new Promise((r) => setImmediate(r));
  }
  await until(() => p.received.length === 1);
  expect(p.received[0]!.toString()).toBe('hello world');
  p.client.destroy();
  p.server.close();
});

test('coalesced frames are split, and large frames arriving in pieces are whole', async () => {
  const p = await pair(echo);
  const big = Buffer.alloc(300_000, 7);
  const all = Buffer.concat([frame(Buffer.from('a')), frame(big), frame(Buffer.from('c'))]);
  // Three frames in odd-sized pieces.
  for (let i = 0; i < all.length; i += 7777) p.client.write(all.subarray(i, i + 7777));
  await until(() => p.received.length === 3);
  expect(p.received[0]!.toString()).toBe('a');
  expect(p.received[1]!.equals(big)).toBe(true);
  expect(p.received[2]!.toString()).toBe('c');
  p.client.destroy();
  p.server.close();
});

test('responses are written in request order even when handlers finish out of order', async () => {
  const slow: FrameDispatcher = {
    dispatch: (f) => new Promise((r) => setTimeout(() => r([Buffer.from(f)]), 50 - f[0]! * 5)),
  };
  const p = await pair(slow);
  p.client.write(Buffer.concat([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => frame(Buffer.from([i])))));
  await until(() => p.received.length === 10);
  expect(p.received.map((b) => b[0])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  p.client.destroy();
  p.server.close();
});

test('a null response sends nothing and keeps later responses in order', async () => {
  const d: FrameDispatcher = { dispatch: (f) => (f[0] === 0 ? null : [Buffer.from(f)]) };
  const p = await pair(d);
  p.client.write(Buffer.concat([frame(Buffer.from([1])), frame(Buffer.from([0])), frame(Buffer.from([2]))]));
  await until(() => p.received.length === 2);
  expect(p.received.map((b) => b[0])).toEqual([1, 2]);
  p.client.destroy();
  p.server.close();
});

test('an oversized frame closes the connection with a reason', async () => {
  const p = await pair(echo, 1000);
  const b = Buffer.alloc(4);
  b.writeInt32BE(5000, 0);
  p.client.write(b);
  await p.closed;
  expect(p.errors[0]).toMatch(/exceeds socket.request.max.bytes/);
  p.server.close();
});

test('a ProtocolError from the dispatcher closes the connection', async () => {
  const bad: FrameDispatcher = {
    dispatch: () => {
      throw new ProtocolError('garbage');
    },
  };
  const p = await pair(bad);
  p.client.write(frame(Buffer.from('x')));
  await p.closed;
  expect(p.errors[0]).toMatch(/malformed request: garbage/);
  p.server.close();
});

test('whenIdle resolves once in-flight requests are answered', async () => {
  let release!: () => void;
  const gated: FrameDispatcher = { dispatch: (f) => new Promise((r) => (release = () => r([Buffer.from(f)]))) };
  const p = await pair(gated);
  p.client.write(frame(Buffer.from('z')));
  await until(() => p.conn()?.inFlight === 1);
  let idle = false;
  void p.conn().whenIdle().then(() => (idle = true));
  await new Promise((r) => setTimeout(r, 20));
  expect(idle).toBe(false);
  release();
  await until(() => idle);
  p.client.destroy();
  p.server.close();
});
