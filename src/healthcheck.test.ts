import * as net from 'node:net';
import { checkBroker, parseAddress } from './healthcheck';

/** A TCP server that answers every connection with `reply` (or closes it / stays silent). */
async function fakeServer(behaviour: (socket: net.Socket) => void): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    behaviour(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

test('parseAddress: host:port, [v6]:port, a bare host', () => {
  expect(parseAddress('kafka:19092')).toEqual({ host: 'kafka', port: 19092 });
  expect(parseAddress('[::1]:9093')).toEqual({ host: '::1', port: 9093 });
  expect(parseAddress('broker')).toEqual({ host: 'broker', port: 9092 });
  expect(parseAddress(':9094')).toEqual({ host: '127.0.0.1', port: 9094 });
});

test('unhealthy when nothing listens', async () => {
  const s = await fakeServer(() => {});
  const port = s.port;
  await s.close();
  const r = await checkBroker('127.0.0.1', port, 2000);
  expect(r.ok).toBe(false);
});

test('unhealthy when the peer is not a Kafka broker', async () => {
  const http = await fakeServer((sock) => sock.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
  const closing = await fakeServer((sock) => sock.destroy());
  const silent = await fakeServer(() => {});
  const wrongId = await fakeServer((sock) => {
    // A well-framed response whose correlation id does not match the request's.
    const b = Buffer.alloc(10);
    b.writeInt32BE(6, 0);
    b.writeInt32BE(-5, 4);
    sock.write(b);
  });
  try {
    const results = await Promise.all([http, closing, silent, wrongId].map((s) => checkBroker('127.0.0.1', s.port, 500)));
    expect(results.map((r) => r.ok)).toEqual([false, false, false, false]);
    expect(results[2]).toEqual({ ok: false, reason: 'no answer within 500 ms' });
    expect((results[3] as { reason: string }).reason).toMatch(/correlation id -5/);
  } finally {
    await Promise.all([http, closing, silent, wrongId].map((s) => s.close()));
  }
});
