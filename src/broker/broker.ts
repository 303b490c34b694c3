// One broker process (combined broker + controller roles for a single-voter quorum). Start-up order:
// format storage → open logs (recovery) → replay the metadata log into the image (which creates the hosted
// partitions) → bind listeners → register this broker through the controller → serve. Shutdown reverses it and
// ends with a clean-shutdown marker so the next start skips recovery.

import { randomBytes } from 'node:crypto';
import { BrokerConfig } from '../config/broker-config';
import { Controller } from '../kraft/controller/controller';
import { MetadataImage } from '../kraft/metadata/image';
import { LocalMetadataLog } from '../kraft/metadata/local-metadata-log';
import { ReplicaManager } from '../isr/replica-manager';
import { LogManager } from '../log/log-manager';
import { logConfigFromTopicProps } from '../log/config';
import { TcpServer, BoundListener } from '../server/tcp-server';
import { Dispatcher } from '../handlers/dispatcher';
import { FetchSessionCache } from '../handlers/fetch-sessions';
import type { BrokerContext } from '../handlers/types';
import { GroupCoordinatorService } from '../handlers/group-service';
import { ProducerIdManager } from '../txn/producer-id-manager';
import { BrokerMetrics, brokerStateView } from '../metrics';
import { BrokerLogger, createLogger } from './logger';
import { formatStorage } from './storage-format';

export const METADATA_TOPIC = '__cluster_metadata';

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
    readonly metadataLog: LocalMetadataLog,
    readonly controller: Controller,
    readonly replicas: ReplicaManager,
    readonly groups: GroupCoordinatorService,
    readonly server: TcpServer,
    readonly listeners: BoundListener[],
  ) {}

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
    const clusterId = formatStorage(dirs, nodeId);

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

    // The metadata log is always fsynced before a change counts as committed.
    const metaPartitionLog =
      logs.getLog(METADATA_TOPIC, 0) ??
      logs.createLog(METADATA_TOPIC, 0, { flushMessages: 1, retentionMs: -1, retentionBytes: -1, cleanupPolicy: { delete: false, compact: false } });
    const image = new MetadataImage();
    const metadataLog = new LocalMetadataLog(metaPartitionLog, image);
    const replicas = new ReplicaManager(nodeId, logs, config, log);
    const metricsPort = config.optNum('metrics.port');
    const metrics = metricsPort === null ? null : new BrokerMetrics();
    replicas.observer = metrics?.traffic ?? null;
    // Deltas are applied in commit order; partition creation is synchronous, log deletion completes in order.
    let applying: Promise<void> = Promise.resolve();
    metadataLog.onDelta((delta, img) => {
      applying = applying.then(() => replicas.applyDelta(delta, img)).catch((e) => log.error({ err: (e as Error).message }, 'applying metadata failed'));
    });
    const controller = new Controller(image, metadataLog, {
      numPartitions: config.num('num.partitions'),
      defaultReplicationFactor: config.num('default.replication.factor'),
      deleteTopicEnable: config.bool('delete.topic.enable'),
      // Dynamic broker configs would be stored but not applied yet: refuse them rather than pretend.
      validateBrokerConfig: (name) => `${name}: dynamic broker configuration is not supported by this broker; set it in server.properties`,
    });
    metadataLog.replay();
    await applying;

    const fetchSessions = new FetchSessionCache();
    const ctxRef: { ctx?: BrokerContext } = {};
    const dispatcher = new Dispatcher(() => ctxRef.ctx!, log, metrics?.requests ?? null);
    const server = new TcpServer(dispatcher, { maxFrameBytes: config.num('socket.request.max.bytes'), log });
    const bound = await server.listen(config.clientListeners);

    const advertised = config.advertisedListeners;
    const endpoints = bound.map((b) => {
      const adv = advertised.find((a) => a.name === b.name);
      const port = adv && adv.port !== 0 ? adv.port : b.boundPort;
      const host = adv?.host ?? (b.host === '' ? 'localhost' : b.host);
      return { name: b.name, host, port, securityProtocol: 0 };
    });
    const brokerEpoch = await controller.registerBroker({
      brokerId: nodeId,
      incarnationId: randomBytes(16).toString('base64url'),
      endpoints,
      rack: config.raw('broker.rack'),
      fenced: false,
    });
    await controller.electLeadersWhereMissing(nodeId);
    await applying;

    const groups = new GroupCoordinatorService(nodeId, config, controller, image, replicas, log);
    const ctx: BrokerContext = {
      nodeId,
      clusterId,
      config,
      image,
      controller,
      replicas,
      groups,
      fetchSessions,
      producerIds: new ProducerIdManager(controller, {
        brokerId: nodeId,
        brokerEpoch: () => brokerEpoch,
        onPrefetchError: (e) => log.warn({ err: e.message }, 'producer id block prefetch failed'),
      }),
      log,
      controllerId: () => nodeId,
      advertisedEndpoint: (brokerId, listenerName) => {
        const b = image.brokers.get(brokerId);
        const e = b?.endpoints.find((x) => x.name === listenerName) ?? b?.endpoints[0];
        return e ? { host: e.host, port: e.port } : null;
      },
      now: Date.now,
    };
    ctxRef.ctx = ctx;
    dispatcher.setReady();
    metadataLog.onDelta((delta) => groups.onMetadataDelta(delta));
    await groups.start();
    logs.startBackgroundTasks();

    const broker = new Broker(config, log, clusterId, logs, image, metadataLog, controller, replicas, groups, server, bound);
    if (metrics && metricsPort !== null) {
      metrics.watch(brokerStateView({ nodeId, replicas, image, server, groups: groups.coordinator, controllerId: () => ctx.controllerId() }));
      broker.metrics = metrics;
      const port = await metrics.serve(metricsPort, log);
      log.info({ port }, 'metrics endpoint listening on /metrics');
    }
    log.info(
      { clusterId, listeners: bound.map((b) => `${b.name}://${b.host}:${b.boundPort}`), logDirs: config.logDirs, startupMs: Date.now() - started },
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
    await this.server.shutdown();
    await this.groups.stop();
    await this.replicas.shutdown();
    await this.logs.close();
    this.log.info({}, 'broker stopped');
    this.log.flush();
  }
}
