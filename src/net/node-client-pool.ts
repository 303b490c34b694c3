// Connections to other nodes of the cluster, one per node id, made on first use. A node's address comes from the
// caller (the metadata image's registration for brokers, the quorum configuration for controllers), so a node that
// re-registers elsewhere is reached at its new address. A failed connect is retried after an exponential backoff
// with jitter (reconnect.backoff.ms doubling up to reconnect.backoff.max.ms, as Kafka's clients do); a connection
// that breaks is re-made on the next request. Each user of the pool (a replica fetcher, the ISR change sender) owns
// its own pool, so a long-polling fetch never delays another component's request behind it.

import type { ApiDef } from '../wire/generated/apis';
import { NetworkError } from './errors';
import { KafkaConnection } from './kafka-connection';

export interface NodeEndpoint {
  host: string;
  port: number;
}

export interface NodeClientPoolOptions {
  clientId: string;
  /** Where node `nodeId` listens; null when it is unknown (not registered). */
  resolve(nodeId: number): NodeEndpoint | null;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  reconnectBackoffMs: number;
  reconnectBackoffMaxMs: number;
  now?: () => number;
  random?: () => number;
}

export interface RequestOptions {
  /** Highest version the caller can build (defaults to the schema's). */
  maxVersion?: number;
  minVersion?: number;
  timeoutMs?: number;
}

interface NodeSlot {
  conn: KafkaConnection | null;
  connecting: Promise<KafkaConnection> | null;
  /** Consecutive failed connects (drives the backoff). */
  failures: number;
  /** No connect attempt before this time. */
  retryAt: number;
}

const JITTER = 0.2;

export class NodeClientPool {
  private readonly slots = new Map<number, NodeSlot>();
  private closed = false;
  private readonly sleepers = new Set<{ timer: NodeJS.Timeout; reject: (e: Error) => void }>();
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(private readonly opts: NodeClientPoolOptions) {
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? Math.random;
  }

  /** An open connection to `nodeId`, connecting (after any backoff) when there is none. */
  async connection(nodeId: number): Promise<KafkaConnection> {
    if (this.closed) throw new NetworkError('client pool is closed');
    let slot = this.slots.get(nodeId);
    if (!slot) this.slots.set(nodeId, (slot = { conn: null, connecting: null, failures: 0, retryAt: 0 }));
    const endpoint = this.opts.resolve(nodeId);
    if (slot.conn && !slot.conn.closed) {
      // The node re-registered at another address: the old connection leads nowhere useful.
      if (endpoint && (endpoint.host !== slot.conn.host || endpoint.port !== slot.conn.port)) slot.conn.close();
      else return slot.conn;
    }
    if (!slot.connecting) slot.connecting = this.connect(nodeId, slot).finally(() => (slot.connecting = null));
    return slot.connecting;
  }

  /**
   * Sends a request built for the highest version both sides implement (within the caller's range). Rejects with
   * NetworkError (including timeouts) or UnsupportedVersionError.
   */
  async request<Req, Res>(
    nodeId: number,
    api: ApiDef<Req, Res>,
    build: (version: number) => Req,
    opts: RequestOptions = {},
  ): Promise<{ version: number; response: Res }> {
    const conn = await this.connection(nodeId);
    const version = conn.versionFor(api as ApiDef<unknown, unknown>, opts.maxVersion, opts.minVersion);
    const response = await conn.send(api, version, build(version), opts.timeoutMs ?? this.opts.requestTimeoutMs);
    return { version, response };
  }

  /** Closes the connection to `nodeId` (in-flight requests fail); the next request reconnects. */
  disconnect(nodeId: number): void {
    this.slots.get(nodeId)?.conn?.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.sleepers) {
      clearTimeout(s.timer);
      s.reject(new NetworkError('client pool is closed'));
    }
    this.sleepers.clear();
    for (const slot of this.slots.values()) slot.conn?.close(new NetworkError('client pool is closed'));
    this.slots.clear();
  }

  private async connect(nodeId: number, slot: NodeSlot): Promise<KafkaConnection> {
    const wait = slot.retryAt - this.now();
    if (wait > 0) await this.sleep(wait);
    if (this.closed) throw new NetworkError('client pool is closed');
    const endpoint = this.opts.resolve(nodeId);
    try {
      if (!endpoint) throw new NetworkError(`no known address for node ${nodeId}`);
      const conn = await KafkaConnection.connect({
        host: endpoint.host,
        port: endpoint.port,
        clientId: this.opts.clientId,
        connectTimeoutMs: this.opts.connectTimeoutMs,
      });
      if (this.closed) {
        conn.close();
        throw new NetworkError('client pool is closed');
      }
      slot.failures = 0;
      slot.retryAt = 0;
      slot.conn = conn;
      conn.onClose(() => {
        if (slot.conn === conn) slot.conn = null;
      });
      return conn;
    } catch (e) {
      slot.failures++;
      slot.retryAt = this.now() + this.backoff(slot.failures);
      throw e instanceof NetworkError ? e : new NetworkError(String(e));
    }
  }

  /** reconnect.backoff.ms × 2^(failures-1), capped at reconnect.backoff.max.ms, ±20 % jitter. */
  private backoff(failures: number): number {
    const base = Math.min(this.opts.reconnectBackoffMaxMs, this.opts.reconnectBackoffMs * 2 ** Math.min(failures - 1, 30));
    return Math.round(base * (1 - JITTER + 2 * JITTER * this.random()));
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const entry = {
        timer: setTimeout(() => {
          this.sleepers.delete(entry);
          resolve();
        }, ms),
        reject,
      };
      this.sleepers.add(entry);
    });
  }
}
