// Assembles one node of the multi-node metadata quorum from its parts: the Raft log on the __cluster_metadata-0
// partition log, the quorum-state file, the Raft core, the network transport and driver, the metadata log that
// applies committed records to the image, and — on controllers — the Controller, broker lifecycle and the channel
// that forwards controller operations from non-active nodes. The broker assembly creates one KraftNode, binds its
// services to the BrokerContext (bindKraft) and serves the quorum APIs on the controller listener.
//
// Controllers are voters (their id is in controller.quorum.voters); broker-only nodes are observers: they fetch
// the metadata log from the leader and apply it, but never vote.

import { randomBytes } from 'node:crypto';
import type { PartitionLog } from '../log/partition-log';
import type { Logger } from '../handlers/types';
import { NodeClientPool } from '../net/node-client-pool';
import { PoolControllerChannel } from '../net/controller-channel';
import { Controller, type ControllerDefaults } from './controller/controller';
import { BrokerLifecycle } from './controller/broker-lifecycle';
import type { MetadataImage, MetadataDelta } from './metadata/image';
import { RaftMetadataLog } from './metadata/raft-metadata-log';
import { RaftNode } from './raft/raft-node';
import { resolveRaftConfig, type RaftConfig } from './raft/config';
import { SeededRandom, type RandomSource } from './raft/random';
import { DiskRaftLog } from './raft/disk-log';
import { FileQuorumStateStore } from './raft/quorum-state-file';
import { QuorumDriver } from './quorum-driver';
import { NetworkQuorumTransport, type QuorumTransport } from './quorum-transport';
import type { Endpoint } from './quorum-wire';
import { KraftControllerChannel, type ControllerOps } from './controller-channel';
import type { KraftServices } from './kraft-services';

export interface KraftNodeOptions {
  nodeId: number;
  clusterId: string;
  /** Voter id → controller endpoint (controller.quorum.voters). */
  voters: ReadonlyMap<number, Endpoint>;
  /** controller.listener.names. */
  controllerListenerNames: readonly string[];
  /** This node's controller listener as others reach it; null on broker-only nodes. */
  controllerListener: { name: string; host: string; port: number } | null;
  /** The __cluster_metadata-0 partition log (from the log manager). */
  metadataPartitionLog: PartitionLog;
  image: MetadataImage;
  /** controller.quorum.* timeouts; preVote is always off (our Vote schema has no PreVote flag). */
  raft?: Partial<Omit<RaftConfig, 'nodeId' | 'voters' | 'preVote'>>;
  /** Controller role: the defaults the Controller needs; null for a broker-only node. */
  controller: ControllerDefaults | null;
  /** broker.session.timeout.ms */
  sessionTimeoutMs: number;
  snapshot?: { maxBytes?: number; maxRecords?: number; intervalMs?: number };
  /** How long a forwarded controller operation keeps looking for the controller. */
  forwardTimeoutMs?: number;
  tickMs?: number;
  random?: RandomSource;
  now?: () => number;
  logger?: Logger;
  /** The quorum member hit a broken protocol invariant and stopped (the process should exit). */
  onFatal?: (e: Error) => void;
  /** Replaces the network transport (tests). */
  transport?: QuorumTransport;
}

export class KraftNode {
  readonly raftLog: DiskRaftLog;
  readonly raft: RaftNode;
  readonly driver: QuorumDriver;
  readonly metadataLog: RaftMetadataLog;
  /** The local Controller (controller nodes), null on broker-only nodes. */
  readonly controller: Controller | null;
  readonly lifecycle: BrokerLifecycle | null;
  readonly channel: KraftControllerChannel;
  readonly services: KraftServices;
  private readonly remotePool: NodeClientPool;
  private started = false;

  constructor(readonly opts: KraftNodeOptions) {
    const now = opts.now ?? Date.now;
    const voterIds = [...opts.voters.keys()];
    const config = resolveRaftConfig({ ...opts.raft, nodeId: opts.nodeId, voters: voterIds, preVote: false });
    this.raftLog = new DiskRaftLog(opts.metadataPartitionLog);
    this.raft = new RaftNode({
      config,
      log: this.raftLog,
      quorumStore: new FileQuorumStateStore(opts.metadataPartitionLog.dir, config.voters),
      random: opts.random ?? new SeededRandom(randomBytes(4).readUInt32BE(0)),
      nowMs: now(),
    });
    const transport =
      opts.transport ??
      new NetworkQuorumTransport({
        nodeId: opts.nodeId,
        clusterId: opts.clusterId,
        voters: opts.voters,
        localListener: opts.controllerListener,
        requestTimeoutMs: config.requestTimeoutMs,
        log: opts.logger,
      });
    this.driver = new QuorumDriver({
      node: this.raft,
      raftLog: this.raftLog,
      transport,
      tickMs: opts.tickMs,
      now,
      logger: opts.logger,
      onFatal: opts.onFatal,
    });
    this.metadataLog = new RaftMetadataLog(this.driver, opts.image, {
      snapshotMaxBytes: opts.snapshot?.maxBytes,
      snapshotMaxRecords: opts.snapshot?.maxRecords,
      snapshotIntervalMs: opts.snapshot?.intervalMs,
      now,
      log: opts.logger,
    });
    this.controller = opts.controller === null ? null : new Controller(opts.image, this.metadataLog, opts.controller);
    this.lifecycle =
      this.controller === null
        ? null
        : new BrokerLifecycle(this.controller, opts.image, {
            clusterId: opts.clusterId,
            sessionTimeoutMs: opts.sessionTimeoutMs,
            uncleanLeaderElectionEnable: opts.controller?.uncleanLeaderElectionEnable,
            isActive: () => this.metadataLog.isActive(),
            now,
            log: opts.logger,
          });
    const lifecycle = this.lifecycle;
    if (lifecycle !== null) this.metadataLog.onLeadership((active) => active && lifecycle.onActivated());

    this.remotePool = new NodeClientPool({
      clientId: `controller-channel-${opts.nodeId}`,
      resolve: (id) => opts.voters.get(id) ?? null,
      connectTimeoutMs: Math.min(config.requestTimeoutMs, 5000),
      requestTimeoutMs: config.requestTimeoutMs,
      reconnectBackoffMs: 50,
      reconnectBackoffMaxMs: 1000,
    });
    this.channel = new KraftControllerChannel({
      local: this.controller,
      isLocalActive: () => this.metadataLog.isActive(),
      remote: new PoolControllerChannel(this.remotePool, () => this.driver.leaderId ?? -1),
      forwardTimeoutMs: opts.forwardTimeoutMs,
      retryBackoffMs: Math.max(50, config.retryBackoffMs),
      log: opts.logger,
    });
    const controllerOps: ControllerOps = this.channel.localOnly();
    this.services = {
      clusterId: opts.clusterId,
      quorum: this.driver,
      metadataLog: this.metadataLog,
      lifecycle: this.lifecycle,
      channel: this.channel,
      controllerOps,
      controllerListenerNames: opts.controllerListenerNames.map((n) => n.toUpperCase()),
      voterEndpoints: opts.voters,
    };
  }

  /**
   * Starts the quorum member and applies what it already holds (the snapshot it starts from); attach onDelta
   * listeners before. Returns that first delta. Then await metadataLog.whenCaughtUp() before serving.
   */
  start(): MetadataDelta {
    if (this.started) throw new Error('KraftNode already started');
    this.started = true;
    this.driver.start();
    const delta = this.metadataLog.replay();
    this.lifecycle?.start();
    return delta;
  }

  /** Stops (a leader resigns first, so the others elect a successor at once). The partition log stays open. */
  async stop(): Promise<void> {
    this.lifecycle?.stop();
    await this.driver.stop();
    this.metadataLog.close();
    this.remotePool.close();
  }
}
