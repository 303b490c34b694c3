// One node of a multi-node cluster (controller.quorum.voters set): the metadata log is the Raft-replicated
// __cluster_metadata-0 (a KraftNode), controller operations go to whichever node leads the quorum, and the broker
// registers and heartbeats over the network (BrokerLifecycleClient) instead of writing its registration itself.
//
// Roles: a controller is a voter (its id is in controller.quorum.voters) and serves the controller listener; a
// broker serves the client listeners; combined mode does both. A broker-only node is a quorum observer.
//
// Start-up: storage must already carry the cluster's shared id (`format --cluster-id`, or the `cluster` command)
// → open logs → controller listener → quorum member starts and catches up with the committed metadata → client
// listeners → register, wait to be unfenced → serve. Shutdown: controlled shutdown (the controller moves this
// broker's leaderships away first), stop heartbeats, leave the quorum (a leader resigns), close the listeners and logs.

import { randomBytes } from 'node:crypto';
import type { BrokerConfig, Listener } from '../config/broker-config';
import { ConfigError } from '../config/broker-config';
import { KraftNode } from '../kraft/quorum-node';
import { quorumSettings, type QuorumSettings } from '../kraft/quorum-config';
import { bindKraft } from '../kraft/kraft-services';
import { BrokerLifecycleClient } from '../kraft/broker-lifecycle-client';
import { MetadataImage } from '../kraft/metadata/image';
import type { LogManager } from '../log/log-manager';
import { Dispatcher } from '../handlers/dispatcher';
import type { BrokerContext } from '../handlers/types';
import { TcpServer, type BoundListener } from '../server/tcp-server';
import { NodeClientPool } from '../net/node-client-pool';
import { PoolControllerChannel } from '../net/controller-channel';
import type { BrokerMetrics } from '../metrics';
import { BrokerNode } from './broker-node';
import type { BrokerLogger } from './logger';
import { readMetaProperties, formatStorage, StorageError } from './storage-format';

export const METADATA_TOPIC = '__cluster_metadata';

/** How long a stopping broker waits for the controller to move its leaderships away. */
const CONTROLLED_SHUTDOWN_TIMEOUT_MS = 5000;

export interface QuorumMemberOptions {
  config: BrokerConfig;
  log: BrokerLogger;
  logs: LogManager;
  clusterId: string;
  metrics: BrokerMetrics | null;
}

/** Whether this configuration runs the multi-node quorum (else the single-node local metadata log). */
export function usesQuorum(config: BrokerConfig): boolean {
  return config.list('controller.quorum.voters').length > 0;
}

/**
 * The cluster id of a quorum node's storage. Unlike a zero-configuration single node, a quorum node never invents
 * one: every node must carry the same id, so the storage must have been formatted with it.
 */
export function quorumClusterId(dirs: string[], nodeId: number): string {
  const found = dirs.map((d) => readMetaProperties(d)).find((m) => m !== null);
  if (!found) {
    throw new StorageError(
      `${dirs.join(', ')} not formatted: with controller.quorum.voters set, every node must share one cluster id; run \`format --cluster-id <id>\` on each node first`,
    );
  }
  // Formats any further dir (a new log dir) with the same id, and checks the node id.
  return formatStorage(dirs, nodeId, found.clusterId);
}

export class QuorumMember {
  /** The broker role; on a controller-only node it is never started (only its replica manager backs the context). */
  readonly node: BrokerNode;
  readonly kraft: KraftNode;
  readonly image: MetadataImage;
  readonly isBroker: boolean;
  readonly isController: boolean;
  controllerListeners: BoundListener[] = [];
  private readonly controllerServer: TcpServer | null;
  private controllerCtx: BrokerContext | undefined;
  private lifecycle: BrokerLifecycleClient | null = null;
  private lifecyclePool: NodeClientPool | null = null;
  private stopped = false;
  private selfUnfencedWaiter: (() => void) | null = null;

  private constructor(
    private readonly opts: QuorumMemberOptions,
    private readonly q: QuorumSettings,
    private readonly controllerListener: Listener | null,
  ) {
    const { config, log, logs, clusterId } = opts;
    const nodeId = config.nodeId;
    this.isBroker = config.processRoles.includes('broker');
    this.isController = controllerListener !== null;
    this.image = new MetadataImage();
    const image = this.image;
    // The Raft log fsyncs what it must itself (before voting and acknowledging), so no flush per message here.
    const metadataPartitionLog =
      logs.getLog(METADATA_TOPIC, 0) ??
      logs.createLog(METADATA_TOPIC, 0, { retentionMs: -1, retentionBytes: -1, cleanupPolicy: { delete: false, compact: false } });
    const self = controllerListener === null ? null : q.voters.get(nodeId)!;
    this.kraft = new KraftNode({
      nodeId,
      clusterId,
      voters: q.voters,
      controllerListenerNames: q.controllerListenerNames,
      controllerListener: controllerListener === null || self === null ? null : { name: controllerListener.name, host: self.host, port: self.port },
      metadataPartitionLog,
      image,
      raft: q.raft,
      controller: this.isController
        ? {
            numPartitions: config.num('num.partitions'),
            defaultReplicationFactor: config.num('default.replication.factor'),
            deleteTopicEnable: config.bool('delete.topic.enable'),
            validateBrokerConfig: (name) => `${name}: dynamic broker configuration is not supported by this broker; set it in server.properties`,
            uncleanLeaderElectionEnable: config.bool('unclean.leader.election.enable'),
          }
        : null,
      sessionTimeoutMs: config.num('broker.session.timeout.ms'),
      snapshot: { maxBytes: q.snapshotMaxBytes, intervalMs: q.snapshotIntervalMs },
      logger: log,
      onFatal: (e) => {
        // A broken protocol invariant: continuing could corrupt the metadata log. Kafka halts the process too.
        log.error({ err: e.message }, 'metadata quorum failed; exiting');
        log.flush();
        process.exit(1);
      },
    });
    const kraft = this.kraft;
    const leaderId = () => kraft.driver.leaderId ?? -1;
    this.node = new BrokerNode({
      config,
      log,
      clusterId,
      logs,
      image,
      controller: kraft.channel,
      controllerId: () => this.clientControllerId(),
      isrControllerId: leaderId,
      controllerEndpoint: (id) => q.voters.get(id) ?? null,
      brokerEpoch: () => this.lifecycle?.brokerEpoch ?? -1,
      bindContext: (ctx) => bindKraft(ctx, kraft.services),
      metrics: opts.metrics,
    });
    kraft.metadataLog.onLeadership((active, epoch) =>
      log.info({ epoch }, active ? 'became the active controller' : 'no longer the active controller'),
    );
    if (this.isController) {
      const dispatcher = new Dispatcher(() => this.controllerCtx, log, opts.metrics?.requests ?? null);
      this.controllerServer = new TcpServer(dispatcher, { maxFrameBytes: config.num('socket.request.max.bytes'), log });
    } else {
      this.controllerServer = null;
    }
  }

  static async start(opts: QuorumMemberOptions): Promise<QuorumMember> {
    const { config } = opts;
    const q = quorumSettings(config);
    const nodeId = config.nodeId;
    const roles = config.processRoles;
    let controllerListener: Listener | null = null;
    if (roles.includes('controller')) {
      if (!q.voters.has(nodeId)) throw new ConfigError(`process.roles includes controller but node ${nodeId} is not in controller.quorum.voters`);
      controllerListener = config.listeners.find((l) => q.controllerListenerNames.includes(l.name)) ?? null;
      if (controllerListener === null) {
        throw new ConfigError(`process.roles includes controller but listeners names none of controller.listener.names (${q.controllerListenerNames.join(', ')})`);
      }
    } else if (q.voters.has(nodeId)) {
      throw new ConfigError(`node ${nodeId} is in controller.quorum.voters but process.roles does not include controller`);
    }
    const m = new QuorumMember(opts, q, controllerListener);
    await m.run();
    return m;
  }

  /** host:port entries of the bound listeners, for the start-up log line. */
  get boundListeners(): BoundListener[] {
    return [...this.node.listeners, ...this.controllerListeners];
  }

  private async run(): Promise<void> {
    const { config, log, clusterId } = this.opts;
    const { kraft, node, image } = this;
    const nodeId = config.nodeId;
    if (this.isBroker) {
      kraft.metadataLog.onDelta((delta, img) => {
        node.applyDelta(delta, img);
        this.checkSelfUnfenced();
      });
    }

    // The controller listener comes first: voters must answer each other's votes before anything is committed.
    // Until the broker role is up it serves the quorum and lifecycle APIs from a context without coordinators.
    this.controllerCtx = {
      nodeId,
      clusterId,
      config,
      image,
      controller: kraft.services.controllerOps,
      replicas: node.replicas,
      groups: null,
      fetchSessions: node.fetchSessions,
      log,
      controllerId: () => this.clientControllerId(),
      advertisedEndpoint: () => null,
      now: Date.now,
    };
    bindKraft(this.controllerCtx, kraft.services);
    if (this.controllerServer !== null) this.controllerListeners = await this.controllerServer.listen([this.controllerListener!]);

    kraft.start();
    await kraft.metadataLog.whenCaughtUp();
    log.info({ lastAppliedOffset: image.lastAppliedOffset, leaderId: kraft.driver.leaderId }, 'caught up with the metadata log');
    if (!this.isBroker) return;

    await node.settled();
    await node.listen();
    this.lifecyclePool = new NodeClientPool({
      clientId: `broker-${nodeId}-lifecycle`,
      resolve: (id) => this.q.voters.get(id) ?? null,
      connectTimeoutMs: Math.min(5000, this.q.raft.requestTimeoutMs),
      requestTimeoutMs: this.q.raft.requestTimeoutMs,
      reconnectBackoffMs: 50,
      reconnectBackoffMaxMs: 1000,
    });
    this.lifecycle = new BrokerLifecycleClient({
      brokerId: nodeId,
      clusterId,
      incarnationId: randomBytes(16).toString('base64url'),
      listeners: node.advertisedEndpoints(),
      rack: config.raw('broker.rack'),
      channel: new PoolControllerChannel(this.lifecyclePool, () => kraft.driver.leaderId ?? -1),
      heartbeatIntervalMs: config.num('broker.heartbeat.interval.ms'),
      metadataOffset: () => image.lastAppliedOffset,
      log,
    });
    await this.lifecycle.start();
    await this.lifecycle.whenUnfenced();
    // The controller's answer can arrive before its unfence record reaches this node: serve once this broker's own
    // metadata lists it as live, so its first Metadata responses name itself.
    await new Promise<void>((resolve) => {
      this.selfUnfencedWaiter = resolve;
      this.checkSelfUnfenced();
    });
    await node.settled();
    await node.startServices();
    // From now on the controller listener answers with the full broker context too (Metadata, ApiVersions, ...).
    const full: BrokerContext = { ...node.context!, controller: kraft.services.controllerOps };
    bindKraft(full, kraft.services);
    this.controllerCtx = full;
  }

  private checkSelfUnfenced(): void {
    const self = this.image.brokers.get(this.opts.config.nodeId);
    if (this.selfUnfencedWaiter !== null && self !== undefined && !self.fenced) {
      this.selfUnfencedWaiter();
      this.selfUnfencedWaiter = null;
    }
  }

  /**
   * The controller id clients are shown. Kafka's KRaft brokers name a live broker (clients send admin requests
   * there and it forwards them): the quorum leader when it is also a live broker (combined mode), else this
   * broker, else the lowest live one.
   */
  clientControllerId(): number {
    const live = (id: number) => {
      const b = this.image.brokers.get(id);
      return b !== undefined && !b.fenced;
    };
    const leader = this.kraft.driver.leaderId;
    if (leader !== null && live(leader)) return leader;
    if (live(this.opts.config.nodeId)) return this.opts.config.nodeId;
    const ids = [...this.image.brokers.keys()].filter(live).sort((a, b) => a - b);
    return ids[0] ?? -1;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const log = this.opts.log;
    if (this.lifecycle !== null) {
      await this.lifecycle.controlledShutdown(CONTROLLED_SHUTDOWN_TIMEOUT_MS);
      this.lifecycle.stop();
    }
    this.lifecyclePool?.close();
    // Leave the quorum before the logs close (the Raft log lives on the __cluster_metadata-0 partition log).
    await this.kraft.stop().catch((e) => log.warn({ err: (e as Error).message }, 'stopping the quorum member failed'));
    await this.controllerServer?.shutdown();
    await this.node.stop();
  }
}
