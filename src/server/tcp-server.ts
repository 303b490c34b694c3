// TCP listeners of the broker. Each accepted socket becomes a Connection; shutdown stops accepting, lets in-flight
// requests finish, then closes every connection.

import * as net from 'node:net';
import type { Listener } from '../config/broker-config';
import { Connection, ConnectionInfo, FrameDispatcher } from './connection';

export interface TcpServerOptions {
  maxFrameBytes: number;
  maxInFlight?: number;
  maxBufferedWriteBytes?: number;
  log: {
    info(obj: object, msg: string): void;
    warn(obj: object, msg: string): void;
  };
  onConnectionCountChange?: (count: number) => void;
}

export interface BoundListener extends Listener {
  /** The port actually bound (differs from the configured one when that was 0). */
  boundPort: number;
}

export class TcpServer {
  private readonly servers: net.Server[] = [];
  private readonly connections = new Set<Connection>();
  private nextId = 1;

  constructor(
    private readonly dispatcher: FrameDispatcher,
    private readonly opts: TcpServerOptions,
  ) {}

  get connectionCount(): number {
    return this.connections.size;
  }

  async listen(listeners: Listener[]): Promise<BoundListener[]> {
    const bound: BoundListener[] = [];
    for (const l of listeners) {
      const server = net.createServer((socket) => this.accept(l.name, socket));
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        // An empty host binds every interface; Node then listens on :: (dual-stack) so both 127.0.0.1 and ::1
        // reach the broker, whichever "localhost" resolves to in the client.
        server.listen({ port: l.port, host: l.host === '' ? undefined : l.host, exclusive: true }, () => {
          server.removeListener('error', reject);
          resolve();
        });
      });
      const addr = server.address() as net.AddressInfo;
      this.servers.push(server);
      bound.push({ ...l, boundPort: addr.port });
    }
    return bound;
  }

  private accept(listenerName: string, socket: net.Socket): void {
    const conn = new Connection(this.nextId++, listenerName, socket, this.dispatcher, {
      maxFrameBytes: this.opts.maxFrameBytes,
      maxInFlight: this.opts.maxInFlight ?? 1000,
      maxBufferedWriteBytes: this.opts.maxBufferedWriteBytes ?? 64 * 1024 * 1024,
      onError: (c: ConnectionInfo, reason: string, err?: unknown) => {
        this.opts.log.warn(
          { connection: c.id, remote: c.remoteAddress, listener: c.listenerName, err: err instanceof Error ? err.message : err },
          `closing connection: ${reason}`,
        );
      },
    });
    this.connections.add(conn);
    this.opts.onConnectionCountChange?.(this.connections.size);
    socket.once('close', () => {
      this.connections.delete(conn);
      this.opts.onConnectionCountChange?.(this.connections.size);
    });
  }

  /** Stop accepting, stop reading, answer what is in flight (bounded by timeoutMs), then close everything. */
  async shutdown(timeoutMs = 10_000): Promise<void> {
    for (const s of this.servers) s.close();
    for (const c of this.connections) c.stopReading();
    const idle = Promise.all([...this.connections].map((c) => c.whenIdle()));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([idle, new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)))]);
    if (timer) clearTimeout(timer);
    for (const c of this.connections) c.close();
    this.connections.clear();
  }
}
