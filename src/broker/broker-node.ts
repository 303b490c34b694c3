// The broker role of one node, assembled from its parts: the replica manager over opened logs, the request
// dispatcher and its TCP listeners, the group and transaction coordinators, and replication (replica fetchers and
// the ISR change sender). What lies around it is the caller's: where metadata comes from (the node's image is
// updated by whoever applies committed records, and each delta is handed to applyDelta in commit order) and which
// controller takes changes. Broker.start wires it to a single-node quorum's local metadata log; the cluster test
// harness to one shared in-memory controller; quorum-member.ts to the replicated metadata log of a multi-node quorum.
//
// Life cycle: construct → deltas of the replayed metadata → listen → register (the broker epoch; leaders elected
// where missing) → startServices (coordinators, request handling, replication) → stop.

import { randomBytes } from 'node:crypto';
import type { BrokerConfig } from '../config/broker-config';
import type { Controller } from '../kraft/controller/controller';
import type { ControllerOps } from '../kraft/controller-channel';
import type { BrokerEndpoint, MetadataDelta, MetadataImage } from '../kraft/metadata/image';
import { ReplicaManager } from '../isr/replica-manager';
import { ReplicaFetcherManager } from '../isr/fetcher-manager';
import { AlterPartitionSender } from '../isr/alter-partition-sender';
import { LogManager } from '../log/log-manager';
import { logConfigFromTopicProps } from '../log/config';
import { TcpServer, BoundListener } from '../server/tcp-server';
import { Dispatcher } from '../handlers/dispatcher';
import { FetchSessionCache } from '../handlers/fetch-sessions';
import type { BrokerContext } from '../handlers/types';
import { GroupCoordinatorService } from '../handlers/group-service';
import { ProducerIdManager } from '../txn/producer-id-manager';
import { TransactionService } from '../txn/txn-service';
import type { BrokerMetrics } from '../metrics';
import { NodeClientPool, type NodeEndpoint } from '../net/node-client-pool';
import { PoolControllerChannel } from '../net/controller-channel';
import { remoteMarkerWriter } from '../txn/remote-markers';
import type { BrokerLogger } from './logger';

export interface BrokerNodeOptions {
  config: BrokerConfig;
  log: BrokerLogger;
  clusterId: string;
  /** Opened (recovered) logs of this node. */
  logs: LogManager;
  /** This node's metadata image; the caller applies records to it and passes each delta to applyDelta. */
  image: MetadataImage;
  /** A local Controller (single node, test harness: register() uses it), or the channel to the active one. */
  controller: Controller | ControllerOps;
  /** The node that serves controller requests (AlterPartition), as clients should see it too. */
  controllerId(): number;
  /**
   * Where AlterPartition goes when that differs from what clients are told (a multi-node quorum: the quorum leader,
   * reached on its controller listener, while clients are shown a live broker). Defaults to controllerId.
   */
  isrControllerId?(): number;
  /** The broker epoch when registration is someone else's (the KRaft lifecycle client re-registers on its own). */
  brokerEpoch?(): number;
  /** Called with the request context as soon as it exists, before any request sees it (side tables like bindKraft). */
  bindContext?(ctx: BrokerContext): void;
  /** Where the controller node listens; defaults to its broker registration's inter-broker listener. */
  controllerEndpoint?(nodeId: number): NodeEndpoint | null;
  metrics?: BrokerMetrics | null;
  /** Rack reported at registration (defaults to broker.rack). */
  rack?: string | null;
  /** Caps the Fetch version followers use (tests of the pre-v12 OffsetForLeaderEpoch truncation path). */
  replicaFetchMaxVersion?: number;
}

/** AlterPartition retries (controller moving, network) wait this long. */
const ISR_CHANGE_RETRY_MS = 100;
/** Kafka's socket.connection.setup.timeout.ms default. */
const CONNECT_TIMEOUT_MS = 10_000;
const RECONNECT_BACKOFF_MS = 50;
const RECONNECT_BACKOFF_MAX_MS = 1000;
/** Kafka's request.timeout.ms default, which its marker channel uses. */
const MARKER_REQUEST_TIMEOUT_MS = 30_000;

export class BrokerNode {
  readonly nodeId: number;
  readonly replicas: ReplicaManager;
  readonly fetchSessions = new FetchSessionCache();
  readonly server: TcpServer;
  listeners: BoundListener[] = [];
  private ownEpoch = -1;
  groups: GroupCoordinatorService | null = null;
  transactions: TransactionService | null = null;
  private readonly dispatcher: Dispatcher;
  private ctx: BrokerContext | undefined;
  private applying: Promise<void> = Promise.resolve();
  private controllerPool: NodeClientPool | null = null;
  private markerPool: NodeClientPool | null = null;
  private stopped = false;

  constructor(private readonly opts: BrokerNodeOptions) {
    const { config, log, metrics } = opts;
    this.nodeId = config.nodeId;
    this.replicas = new ReplicaManager(this.nodeId, opts.logs, config, log);
    this.replicas.observer = metrics?.traffic ?? null;
    this.dispatcher = new Dispatcher(() => this.ctx, log, metrics?.requests ?? null);
    this.server = new TcpServer(this.dispatcher, { maxFrameBytes: config.num('socket.request.max.bytes'), log });
  }

  get brokerEpoch(): number {
    return this.opts.brokerEpoch?.() ?? this.ownEpoch;
  }
  set brokerEpoch(epoch: number) {
    this.ownEpoch = epoch;
  }

  get image(): MetadataImage {
    return this.opts.image;
  }

  get context(): BrokerContext | undefined {
    return this.ctx;
  }

  /**
   * A committed metadata delta: partitions follow it in commit order (creation is synchronous, log deletion
   * completes in order), then the coordinators see it.
   */
  applyDelta(delta: MetadataDelta, image: MetadataImage): void {
    this.applying = this.applying
      .then(() => this.replicas.applyDelta(delta, image))
      .catch((e) => this.opts.log.error({ err: (e as Error).message }, 'applying metadata failed'));
    this.groups?.onMetadataDelta(delta);
    this.transactions?.onMetadataDelta(delta);
  }

  /** Resolves when every delta handed in so far is applied to the partitions. */
  settled(): Promise<void> {
    return this.applying;
  }

  /** Binds the client listeners; requests arriving before startServices wait for it. */
  async listen(): Promise<BoundListener[]> {
    this.listeners = await this.server.listen(this.opts.config.clientListeners);
    return this.listeners;
  }

  /** The endpoints to register: the advertised listeners, with the bound port where none was advertised. */
  advertisedEndpoints(): BrokerEndpoint[] {
    const advertised = this.opts.config.advertisedListeners;
    return this.listeners.map((b) => {
      const adv = advertised.find((a) => a.name === b.name);
      const port = adv && adv.port !== 0 ? adv.port : b.boundPort;
      const host = adv?.host ?? (b.host === '' ? 'localhost' : b.host);
      return { name: b.name, host, port, securityProtocol: 0 };
    });
  }

  /** Registers with the controller (a new broker epoch) and elects leaders that were missing. */
  async register(): Promise<number> {
    const { controller, config } = this.opts;
    // With a multi-node quorum the BrokerLifecycleClient registers over the network instead.
    if (!('registerBroker' in controller)) throw new Error('register() needs a local Controller');
    this.brokerEpoch = await controller.registerBroker({
      brokerId: this.nodeId,
      incarnationId: randomBytes(16).toString('base64url'),
      endpoints: this.advertisedEndpoints(),
      rack: this.opts.rack !== undefined ? this.opts.rack : config.raw('broker.rack'),
      fenced: false,
    });
    await controller.electLeadersWhereMissing(this.nodeId);
    await this.settled();
    return this.brokerEpoch;
  }

  /** Starts the coordinators, request handling, background log tasks and replication. */
  async startServices(): Promise<void> {
    const { config, controller, image, log } = this.opts;
    const nodeId = this.nodeId;
    const replicas = this.replicas;
    const groups = new GroupCoordinatorService(nodeId, config, controller, image, replicas, log);
    const producerIds = new ProducerIdManager(controller, {
      brokerId: nodeId,
      brokerEpoch: () => this.brokerEpoch,
      onPrefetchError: (e) => log.warn({ err: e.message }, 'producer id block prefetch failed'),
    });
    // Markers for partitions led by other brokers go there as WriteTxnMarkers, over a pool of their own.
    const requestTimeoutMs = MARKER_REQUEST_TIMEOUT_MS;
    this.markerPool = new NodeClientPool({
      clientId: `broker-${nodeId}-txn-markers`,
      resolve: (id) => this.interBrokerEndpoint(id),
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
      requestTimeoutMs,
      reconnectBackoffMs: RECONNECT_BACKOFF_MS,
      reconnectBackoffMaxMs: RECONNECT_BACKOFF_MAX_MS,
    });
    const remoteMarkers = remoteMarkerWriter(this.markerPool, requestTimeoutMs);
    const transactions = new TransactionService({ nodeId, config, controller, image, replicas, groups, producerIds, log, remoteMarkers });
    this.ctx = {
      nodeId,
      clusterId: this.opts.clusterId,
      config,
      image,
      controller,
      replicas,
      groups,
      fetchSessions: this.fetchSessions,
      producerIds,
      transactions,
      log,
      controllerId: () => this.opts.controllerId(),
      advertisedEndpoint: (brokerId, listenerName) => {
        const b = image.brokers.get(brokerId);
        const e = b?.endpoints.find((x) => x.name === listenerName) ?? b?.endpoints[0];
        return e ? { host: e.host, port: e.port } : null;
      },
      now: Date.now,
    };
    this.opts.bindContext?.(this.ctx);
    this.groups = groups;
    this.transactions = transactions;
    this.dispatcher.setReady();
    await groups.start();
    await transactions.start();
    this.opts.logs.startBackgroundTasks();
    this.startReplication();
  }

  /** Replica fetchers towards leaders and the ISR change sender towards the controller. */
  private startReplication(): void {
    const { config, log } = this.opts;
    const socketTimeoutMs = config.num('replica.socket.timeout.ms');
    const resolve = (id: number) => this.interBrokerEndpoint(id);
    const poolOptions = {
      connectTimeoutMs: Math.min(CONNECT_TIMEOUT_MS, socketTimeoutMs),
      requestTimeoutMs: socketTimeoutMs,
      reconnectBackoffMs: RECONNECT_BACKOFF_MS,
      reconnectBackoffMaxMs: RECONNECT_BACKOFF_MAX_MS,
    };
    const fetchers = new ReplicaFetcherManager(
      new NodeClientPool({ ...poolOptions, clientId: `broker-${this.nodeId}-fetcher`, resolve }),
      {
        nodeId: this.nodeId,
        brokerEpoch: () => this.brokerEpoch,
        maxWaitMs: config.num('replica.fetch.wait.max.ms'),
        minBytes: config.num('replica.fetch.min.bytes'),
        maxBytes: config.num('replica.fetch.response.max.bytes'),
        partitionMaxBytes: config.num('replica.fetch.max.bytes'),
        backoffMs: config.num('replica.fetch.backoff.ms'),
        socketTimeoutMs,
        maxFetchVersion: this.opts.replicaFetchMaxVersion,
      },
      log,
    );
    this.controllerPool = new NodeClientPool({
      ...poolOptions,
      clientId: `broker-${this.nodeId}-alter-partition`,
      resolve: this.opts.controllerEndpoint ?? resolve,
    });
    const isrSender = new AlterPartitionSender({
      brokerId: this.nodeId,
      brokerEpoch: () => this.brokerEpoch,
      channel: new PoolControllerChannel(this.controllerPool, () => (this.opts.isrControllerId ?? this.opts.controllerId)()),
      retryBackoffMs: ISR_CHANGE_RETRY_MS,
      requestTimeoutMs: socketTimeoutMs,
      log,
    });
    this.replicas.enableReplication({ fetchers, isrSender, brokerEpoch: () => this.brokerEpoch });
  }

  /** A broker's address on the inter-broker listener (inter.broker.listener.name, else the first client one). */
  private interBrokerEndpoint(brokerId: number): NodeEndpoint | null {
    const b = this.opts.image.brokers.get(brokerId);
    if (!b) return null;
    const name = this.opts.config.raw('inter.broker.listener.name') ?? this.opts.config.clientListeners[0]?.name;
    const e = b.endpoints.find((x) => x.name === name) ?? b.endpoints[0];
    return e ? { host: e.host, port: e.port } : null;
  }

  /**
   * Stops accepting, answers in-flight requests (waiting at most `drainTimeoutMs`; 0 drops them, as a crashed
   * process would), stops replication, closes the logs cleanly.
   */
  async stop(opts: { drainTimeoutMs?: number } = {}): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.server.shutdown(opts.drainTimeoutMs);
    this.transactions?.stop();
    await this.groups?.stop();
    await this.replicas.shutdown();
    this.controllerPool?.close();
    this.markerPool?.close();
    await this.opts.logs.close();
  }
}

/** Opens (and recovers) the node's partition logs with the broker-level log settings. */
export async function openLogManager(config: BrokerConfig, log: BrokerLogger): Promise<LogManager> {
  const logs = new LogManager({
    logDirs: config.logDirs,
    defaultConfig: logConfigFromTopicProps(Object.fromEntries(config.topicDefaults())),
    logger: {
      info: (msg: string, meta?: object) => log.info(meta ?? {}, msg),
      warn: (msg: string, meta?: object) => log.warn(meta ?? {}, msg),
      error: (msg: string, meta?: object) => log.error(meta ?? {}, msg),
    },
    retentionCheckIntervalMs: config.num('log.retention.check.interval.ms'),
    cleanerEnabled: config.bool('log.cleaner.enable'),
    cleanerBackoffMs: config.num('log.cleaner.backoff.ms'),
  });
  await logs.open();
  return logs;
}
