// In-process metadata quorums for tests: each node is a real KraftNode (disk Raft log in a temp dir, quorum-state
// file, network transport) behind a real TCP listener on loopback, serving the registered API handlers through the
// real Dispatcher. Quorum Fetch is routed the way the broker's Fetch handler will route it (isQuorumFetch first).

import { randomBytes } from 'node:crypto';
import { BrokerConfig } from '../../config/broker-config';
import { Dispatcher } from '../../handlers/dispatcher';
import { FetchSessionCache } from '../../handlers/fetch-sessions';
import { handleQuorumFetch, isQuorumFetch } from '../../handlers/apis/quorum-fetch';
import type { BrokerContext, Logger, RequestContext } from '../../handlers/types';
import type { LogManager } from '../../log/log-manager';
import { openManager, tmpDir } from '../../log/__tests__/helpers';
import type { ConnectionInfo, FrameDispatcher } from '../../server/connection';
import { TcpServer } from '../../server/tcp-server';
import { decodeRequestHeader, encodeResponseHeader } from '../../wire/header';
import { Reader, Writer } from '../../wire/primitives';
import { decodeFetchRequest } from '../../wire/generated/messages/FetchRequest';
import { encodeFetchResponse } from '../../wire/generated/messages/FetchResponse';
import type { Controller } from '../controller/controller';
import { MetadataImage } from '../metadata/image';
import { METADATA_TOPIC } from '../raft/entry-batches';
import { bindKraft } from '../kraft-services';
import { KraftNode, type KraftNodeOptions } from '../quorum-node';
import type { Endpoint } from '../quorum-wire';

export const silent: Logger = { info() {}, warn() {}, error() {}, debug() {} };

export const FAST_RAFT = {
  electionTimeoutMs: 200,
  electionBackoffMaxMs: 200,
  fetchTimeoutMs: 600,
  requestTimeoutMs: 500,
  retryBackoffMs: 20,
  fetchMaxWaitMs: 150,
};

/** What the Fetch handler will do once it delegates: quorum fetches first, everything else as before. */
class QuorumFetchRouting implements FrameDispatcher {
  constructor(
    private readonly base: Dispatcher,
    private readonly ctx: () => BrokerContext | undefined,
  ) {}

  dispatch(frame: Buffer, conn: ConnectionInfo): Promise<Buffer[] | null> | Buffer[] | null {
    const broker = this.ctx();
    const r = new Reader(frame);
    const h = decodeRequestHeader(r);
    if (h.apiKey !== 1 || broker === undefined) return this.base.dispatch(frame, conn);
    const req = decodeFetchRequest(r, h.apiVersion);
    const rc: RequestContext = { apiKey: 1, apiVersion: h.apiVersion, correlationId: h.correlationId, clientId: h.clientId, connection: conn, broker };
    if (!isQuorumFetch(req, rc)) return this.base.dispatch(frame, conn);
    return handleQuorumFetch(req, rc).then((res) => {
      const w = new Writer(256);
      encodeResponseHeader(w, 1, h.apiVersion, h.correlationId);
      encodeFetchResponse(w, h.apiVersion, res);
      return w.toChunks();
    });
  }
}

export interface NodeSpec {
  id: number;
  dir: string;
  /** The controller listener's port (0: pick one at first start, then keep it across restarts). */
  port: number;
  voter: boolean;
}

export interface ClusterOptions {
  raft?: KraftNodeOptions['raft'];
  snapshot?: KraftNodeOptions['snapshot'];
  sessionTimeoutMs?: number;
}

export class TestNode {
  private constructor(
    readonly spec: NodeSpec,
    readonly mgr: LogManager,
    readonly image: MetadataImage,
    readonly kraft: KraftNode,
    readonly server: TcpServer,
    readonly ctx: BrokerContext,
  ) {}

  /** Binds the listener only (to learn the port before the voter map exists). */
  static async bind(spec: NodeSpec): Promise<{ server: TcpServer; port: number; ctxRef: { ctx?: BrokerContext }; dispatcher: Dispatcher }> {
    const ctxRef: { ctx?: BrokerContext } = {};
    const dispatcher = new Dispatcher(() => ctxRef.ctx, silent, null);
    const server = new TcpServer(new QuorumFetchRouting(dispatcher, () => ctxRef.ctx), { maxFrameBytes: 100 * 1024 * 1024, log: silent });
    const [bound] = await server.listen([{ name: 'CONTROLLER', host: '127.0.0.1', port: spec.port }]);
    return { server, port: bound!.boundPort, ctxRef, dispatcher };
  }

  static async start(spec: NodeSpec, voters: ReadonlyMap<number, Endpoint>, clusterId: string, opts: ClusterOptions): Promise<TestNode> {
    const { server, port, ctxRef, dispatcher } = await TestNode.bind(spec);
    spec.port = port;
    const mgr = await openManager(spec.dir, { retentionMs: -1, retentionBytes: -1 });
    const plog = mgr.getLog(METADATA_TOPIC, 0) ?? mgr.createLog(METADATA_TOPIC, 0);
    const image = new MetadataImage();
    const kraft = new KraftNode({
      nodeId: spec.id,
      clusterId,
      voters,
      controllerListenerNames: ['CONTROLLER'],
      controllerListener: spec.voter ? { name: 'CONTROLLER', host: '127.0.0.1', port } : null,
      metadataPartitionLog: plog,
      image,
      raft: opts.raft ?? FAST_RAFT,
      controller: spec.voter
        ? { numPartitions: 1, defaultReplicationFactor: 1, deleteTopicEnable: true, validateBrokerConfig: () => null }
        : null,
      sessionTimeoutMs: opts.sessionTimeoutMs ?? 9000,
      snapshot: opts.snapshot,
      forwardTimeoutMs: 5000,
      logger: silent,
    });
    const ctx = {
      nodeId: spec.id,
      clusterId,
      config: BrokerConfig.load({ values: { 'node.id': spec.id, listeners: 'PLAINTEXT://:0,CONTROLLER://:0' } }),
      image,
      // The controller listener serves controller operations here or refuses them (no second forward).
      controller: kraft.services.controllerOps as unknown as Controller,
      replicas: undefined as never,
      groups: null,
      fetchSessions: new FetchSessionCache(),
      log: silent,
      controllerId: () => kraft.driver.leaderId ?? -1,
      advertisedEndpoint: () => null,
      now: Date.now,
    } satisfies BrokerContext;
    bindKraft(ctx, kraft.services);
    ctxRef.ctx = ctx;
    dispatcher.setReady();
    kraft.start();
    return new TestNode(spec, mgr, image, kraft, server, ctx);
  }

  get id(): number {
    return this.spec.id;
  }

  async stop(): Promise<void> {
    await this.kraft.stop();
    await this.server.shutdown(1000);
    await this.mgr.close();
  }
}

export class TestCluster {
  readonly clusterId = randomBytes(16).toString('base64url');
  readonly nodes = new Map<number, TestNode>();
  readonly voters = new Map<number, Endpoint>();
  private readonly specs = new Map<number, NodeSpec>();

  private constructor(private readonly opts: ClusterOptions) {}

  /** Voters 1..n (and observers listed), all started. */
  static async start(voterCount: number, opts: ClusterOptions = {}, observers: number[] = []): Promise<TestCluster> {
    const c = new TestCluster(opts);
    // Reserve the voters' ports first: every node needs the whole voter map.
    for (let id = 1; id <= voterCount; id++) {
      const spec: NodeSpec = { id, dir: tmpDir(`nk-kraft-${id}-`), port: 0, voter: true };
      const probe = await TestNode.bind(spec);
      spec.port = probe.port;
      await probe.server.shutdown(100);
      c.specs.set(id, spec);
      c.voters.set(id, { host: '127.0.0.1', port: spec.port });
    }
    for (const id of observers) c.specs.set(id, { id, dir: tmpDir(`nk-kraft-${id}-`), port: 0, voter: false });
    await Promise.all([...c.specs.keys()].map((id) => c.startNode(id)));
    return c;
  }

  async startNode(id: number): Promise<TestNode> {
    const spec = this.specs.get(id)!;
    const node = await TestNode.start(spec, this.voters, this.clusterId, this.opts);
    this.nodes.set(id, node);
    return node;
  }

  async stopNode(id: number): Promise<void> {
    const node = this.nodes.get(id);
    this.nodes.delete(id);
    await node?.stop();
  }

  /** The running node that is the active controller, if any. */
  activeController(): TestNode | undefined {
    return [...this.nodes.values()].find((n) => n.kraft.metadataLog.isActive());
  }

  async waitForActive(timeoutMs = 10_000): Promise<TestNode> {
    await waitFor(() => this.activeController() !== undefined, timeoutMs, 'an active controller');
    return this.activeController()!;
  }

  async stop(): Promise<void> {
    await Promise.all([...this.nodes.keys()].map((id) => this.stopNode(id)));
  }
}

export async function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
