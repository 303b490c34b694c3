// One broker process (combined broker + controller roles for a single-voter quorum). Start-up order:
// format storage → open logs (recovery) → replay the metadata log into the image (which creates the hosted
// partitions) → bind listeners → register this broker through the controller → serve. Shutdown reverses it and
// ends with a clean-shutdown marker so the next start skips recovery. The broker role itself (replicas,
// coordinators, listeners, replication) is a BrokerNode; this file adds the local metadata log and controller.
// With controller.quorum.voters set, the node joins a multi-node quorum instead (quorum-member.ts).

import { BrokerConfig } from '../config/broker-config';
import { Controller } from '../kraft/controller/controller';
import { MetadataImage } from '../kraft/metadata/image';
import { LocalMetadataLog } from '../kraft/metadata/local-metadata-log';
import { ReplicaManager } from '../isr/replica-manager';
import { LogManager } from '../log/log-manager';
import { TcpServer, BoundListener } from '../server/tcp-server';
import { GroupCoordinatorService } from '../handlers/group-service';
import { TransactionService } from '../txn/txn-service';
import { BrokerMetrics, brokerStateView } from '../metrics';
import { BrokerLogger, createLogger } from './logger';
import { formatStorage } from './storage-format';
import { BrokerNode, openLogManager } from './broker-node';
import { QuorumMember, quorumClusterId, usesQuorum, METADATA_TOPIC } from './quorum-member';

export { METADATA_TOPIC };

export interface BrokerStartOptions {
  config: BrokerConfig;
  logger?: BrokerLogger;
}

export class Broker {
  private stopped = false;
  /** Null when metrics.port is unset. */
  private metrics: BrokerMetrics | null = null;

  private constructor(
    readonly config: BrokerConfig,
    readonly log: BrokerLogger,
    readonly clusterId: string,
    readonly logs: LogManager,
    readonly image: MetadataImage,
    /** The single-node metadata log and controller; null on a node of a multi-node quorum. */
    readonly metadataLog: LocalMetadataLog | null,
    readonly controller: Controller | null,
    /** The broker role of this process (replicas, coordinators, listeners, replication). */
    readonly node: BrokerNode,
    /** The multi-node quorum member (controller.quorum.voters set), else null. */
    readonly quorum: QuorumMember | null = null,
  ) {}

  get replicas(): ReplicaManager {
    return this.node.replicas;
  }
  get groups(): GroupCoordinatorService {
    return this.node.groups!;
  }
  get transactions(): TransactionService {
    return this.node.transactions!;
  }
  get server(): TcpServer {
    return this.node.server;
  }
  get listeners(): BoundListener[] {
    return this.node.listeners;
  }

  /** host:port of the first client listener, as clients should bootstrap. */
  get bootstrap(): string {
    const l = this.listeners[0]!;
    const host = l.host === '' || l.host === '::' || l.host === '0.0.0.0' ? '127.0.0.1' : l.host;
    return `${host.includes(':') ? `[${host}]` : host}:${l.boundPort}`;
  }

  static async start(opts: BrokerStartOptions): Promise<Broker> {
    const started = Date.now();
    const config = opts.config;
    const nodeId = config.nodeId;
    const log = opts.logger ?? createLogger(config.str('log.level'), nodeId);
    for (const k of config.ignoredKeys) log.warn({ key: k }, 'configuration key has no effect on this broker and is ignored');

    const dirs = [...new Set([...config.logDirs, config.metadataLogDir])];
    if (usesQuorum(config)) return Broker.startQuorumMember(config, log, quorumClusterId(dirs, nodeId), started);
    const clusterId = formatStorage(dirs, nodeId);

    const logs = await openLogManager(config, log);

    // The metadata log is always fsynced before a change counts as committed.
    const metaPartitionLog =
      logs.getLog(METADATA_TOPIC, 0) ??
      logs.createLog(METADATA_TOPIC, 0, { flushMessages: 1, retentionMs: -1, retentionBytes: -1, cleanupPolicy: { delete: false, compact: false } });
    const image = new MetadataImage();
    const metadataLog = new LocalMetadataLog(metaPartitionLog, image);
    const controller = new Controller(image, metadataLog, {
      numPartitions: config.num('num.partitions'),
      defaultReplicationFactor: config.num('default.replication.factor'),
      deleteTopicEnable: config.bool('delete.topic.enable'),
      // Dynamic broker configs would be stored but not applied yet: refuse them rather than pretend.
      validateBrokerConfig: (name) => `${name}: dynamic broker configuration is not supported by this broker; set it in server.properties`,
      uncleanLeaderElectionEnable: config.bool('unclean.leader.election.enable'),
    });
    const metricsPort = config.optNum('metrics.port');
    const metrics = metricsPort === null ? null : new BrokerMetrics();
    // A single-voter quorum: this process is the controller.
    const node = new BrokerNode({ config, log, clusterId, logs, image, controller, controllerId: () => nodeId, metrics });
    metadataLog.onDelta((delta, img) => node.applyDelta(delta, img));
    metadataLog.replay();
    await node.settled();
    await node.listen();
    await node.register();
    await node.startServices();

    const broker = new Broker(config, log, clusterId, logs, image, metadataLog, controller, node);
    if (metrics && metricsPort !== null) {
      metrics.watch(
        brokerStateView({ nodeId, replicas: node.replicas, image, server: node.server, groups: node.groups!.coordinator, controllerId: () => nodeId }),
      );
      broker.metrics = metrics;
      const port = await metrics.serve(metricsPort, log);
      log.info({ port }, 'metrics endpoint listening on /metrics');
    }
    log.info(
      { clusterId, listeners: node.listeners.map((b) => `${b.name}://${b.host}:${b.boundPort}`), logDirs: config.logDirs, startupMs: Date.now() - started },
      'broker started',
    );
    return broker;
  }

  /** A node of a multi-node cluster: the metadata log is the replicated quorum's (quorum-member.ts). */
  private static async startQuorumMember(config: BrokerConfig, log: BrokerLogger, clusterId: string, started: number): Promise<Broker> {
    const nodeId = config.nodeId;
    const logs = await openLogManager(config, log);
    const metricsPort = config.optNum('metrics.port');
    const metrics = metricsPort === null ? null : new BrokerMetrics();
    const member = await QuorumMember.start({ config, log, logs, clusterId, metrics });
    const node = member.node;
    const broker = new Broker(config, log, clusterId, logs, member.image, null, null, node, member);
    if (metrics && metricsPort !== null) {
      const leader = () => member.kraft.driver.leaderId ?? -1;
      metrics.watch(brokerStateView({ nodeId, replicas: node.replicas, image: member.image, server: node.server, groups: node.groups?.coordinator ?? null, controllerId: leader }));
      broker.metrics = metrics;
      const port = await metrics.serve(metricsPort, log);
      log.info({ port }, 'metrics endpoint listening on /metrics');
    }
    log.info(
      {
        clusterId,
        roles: config.processRoles,
        listeners: member.boundListeners.map((b) => `${b.name}://${b.host}:${b.boundPort}`),
        logDirs: config.logDirs,
        startupMs: Date.now() - started,
      },
      'broker started',
    );
    return broker;
  }

  /** Stops accepting, answers in-flight requests, flushes and closes the logs with a clean-shutdown marker. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.log.info({}, 'broker stopping');
    await this.metrics?.stop();
    if (this.quorum !== null) await this.quorum.stop();
    else await this.node.stop();
    this.log.info({}, 'broker stopped');
    this.log.flush();
  }
}
