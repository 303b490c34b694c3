// An in-process cluster for replication tests, until the controller quorum runs in several processes: N broker
// nodes (each its own logs, metadata image, replica manager, fetchers and TCP listener with the real dispatcher)
// share ONE in-memory controller. Its committer plays the metadata log: committed records are kept (so a
// restarted broker replays them all), applied to the controller's image, then to every running broker's own image
// copy, whose delta goes to that broker, as the KRaft metadata log will deliver them. Stopping a broker fences it
// through the controller (what the heartbeat timeout will do with KRaft): it leaves every ISR and its partitions
// get new leaders from their ISR. Brokers reach "the controller" (AlterPartition) through the lowest running node,
// whose handler calls the shared controller, so the wire path is the real one.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { BrokerConfig } from '../../config/broker-config';
import { Controller, type MetadataCommitter, type MetadataRecordOut } from '../../kraft/controller/controller';
import { MetadataImage, emptyDelta } from '../../kraft/metadata/image';
import { decodeMetadataRecord, encodeMetadataRecord } from '../../kraft/metadata/record-serde';
import { BrokerNode, openLogManager } from '../../broker/broker-node';
import type { Partition } from '../partition';

export interface ClusterOptions {
  brokers?: number;
  /** server.properties keys for every broker. */
  config?: Record<string, string | number | boolean>;
  logLevel?: string;
  /** Caps followers' Fetch version (below 12: truncation through OffsetForLeaderEpoch). */
  replicaFetchMaxVersion?: number;
  /** broker.rack of each broker id. */
  racks?: Record<number, string>;
}

/** Quick defaults: fast ISR changes and retries, small groups topic. */
export const HARNESS_DEFAULTS: Readonly<Record<string, string | number | boolean>> = {
  'group.initial.rebalance.delay.ms': 0,
  'offsets.topic.num.partitions': 3,
  'transaction.state.log.num.partitions': 3,
  'default.replication.factor': 3,
  'num.partitions': 1,
  'replica.lag.time.max.ms': 2000,
  'replica.fetch.wait.max.ms': 200,
  'replica.fetch.backoff.ms': 100,
  'replica.socket.timeout.ms': 5000,
};

/** The shared controller's metadata log: every committed record, in order, applied everywhere. */
class HarnessMetadataLog implements MetadataCommitter {
  readonly records: Buffer[] = [];
  constructor(
    private readonly controllerImage: MetadataImage,
    private readonly running: () => Iterable<BrokerNode>,
  ) {}

  async commit(records: MetadataRecordOut[]): Promise<void> {
    const values = records.map((r) => encodeMetadataRecord(r.apiKey, r.version, r.data));
    this.records.push(...values);
    applyAll(this.controllerImage, values);
    for (const node of this.running()) node.applyDelta(applyAll(node.image, values), node.image);
  }
}

function applyAll(image: MetadataImage, values: Buffer[]) {
  const delta = emptyDelta();
  for (const v of values) {
    const { apiKey, data } = decodeMetadataRecord(v);
    image.apply(apiKey, data, delta);
  }
  return delta;
}

export class ClusterHarness {
  readonly controllerImage = new MetadataImage();
  readonly controller: Controller;
  readonly nodes = new Map<number, BrokerNode>();
  private readonly metadataLog: HarnessMetadataLog;
  private readonly dirs = new Map<number, string>();
  private readonly root: string;

  private constructor(
    private readonly opts: ClusterOptions,
    readonly brokerIds: number[],
  ) {
    this.root = fs.mkdtempSync(path.join(os.tmpdir(), 'nk-cluster-'));
    this.metadataLog = new HarnessMetadataLog(this.controllerImage, () => this.nodes.values());
    const cfg = this.configFor(brokerIds[0]!);
    this.controller = new Controller(this.controllerImage, this.metadataLog, {
      numPartitions: cfg.num('num.partitions'),
      defaultReplicationFactor: cfg.num('default.replication.factor'),
      deleteTopicEnable: true,
      validateBrokerConfig: () => null,
      uncleanLeaderElectionEnable: cfg.bool('unclean.leader.election.enable'),
    });
  }

  static async start(opts: ClusterOptions = {}): Promise<ClusterHarness> {
    const ids = Array.from({ length: opts.brokers ?? 3 }, (_, i) => i + 1);
    const h = new ClusterHarness(opts, ids);
    // Register every broker before any serves, so topics created by the first clients see all of them.
    await Promise.all(ids.map((id) => h.startBroker(id)));
    return h;
  }

  private configFor(id: number): BrokerConfig {
    let dir = this.dirs.get(id);
    if (!dir) {
      dir = path.join(this.root, `broker-${id}`);
      this.dirs.set(id, dir);
    }
    return BrokerConfig.load({
      values: {
        ...HARNESS_DEFAULTS,
        ...this.opts.config,
        'node.id': id,
        'log.dirs': dir,
        listeners: 'PLAINTEXT://127.0.0.1:0',
        'log.level': this.opts.logLevel ?? process.env.NK_HARNESS_LOG ?? 'error',
      },
    });
  }

  /** The node acting as controller endpoint: the lowest running broker. */
  controllerId(): number {
    let id = -1;
    for (const n of this.nodes.keys()) if (id < 0 || n < id) id = n;
    return id;
  }

  /** Starts (or restarts, on its old data) broker `id`: it replays every committed record, then registers. */
  async startBroker(id: number): Promise<BrokerNode> {
    if (this.nodes.has(id)) throw new Error(`broker ${id} is running`);
    const config = this.configFor(id);
    const log = pino({ level: config.str('log.level'), base: { node: id } }, pino.destination(2));
    const logs = await openLogManager(config, log);
    const image = new MetadataImage();
    const node = new BrokerNode({
      config,
      log,
      clusterId: 'harness-cluster',
      logs,
      image,
      controller: this.controller,
      controllerId: () => this.controllerId(),
      replicaFetchMaxVersion: this.opts.replicaFetchMaxVersion,
      rack: this.opts.racks?.[id] ?? null,
    });
    node.applyDelta(applyAll(image, this.metadataLog.records), image);
    await node.settled();
    await node.listen();
    this.nodes.set(id, node);
    await node.register();
    await node.startServices();
    return node;
  }

  /**
   * Stops broker `id` (in-flight requests dropped, as in a crash, but logs closed cleanly) and fences it through
   * the controller, which moves its leaderships to other ISR members.
   */
  async stopBroker(id: number, opts: { fence?: boolean } = {}): Promise<void> {
    const node = this.nodes.get(id);
    if (!node) return;
    this.nodes.delete(id);
    await node.stop({ drainTimeoutMs: 0 });
    if (opts.fence ?? true) await this.controller.fenceBroker(id);
  }

  node(id: number): BrokerNode {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`broker ${id} is not running`);
    return n;
  }

  /** host:port of every running broker (a client's bootstrap list). */
  bootstrap(): string[] {
    return [...this.nodes.values()].map((n) => `127.0.0.1:${n.listeners[0]!.boundPort}`);
  }

  /** The partition as the controller sees it. */
  partitionInfo(topic: string, partition = 0) {
    const p = this.controllerImage.partition(topic, partition);
    if (!p) throw new Error(`no partition ${topic}-${partition}`);
    return p;
  }

  hosted(id: number, topic: string, partition = 0): Partition {
    const p = this.node(id).replicas.getPartition(topic, partition);
    if (!p) throw new Error(`broker ${id} does not host ${topic}-${partition}`);
    return p;
  }

  async createTopic(name: string, assignments: number[][], configs: Record<string, string> = {}): Promise<void> {
    const [r] = await this.controller.createTopics(
      [
        {
          name,
          numPartitions: -1,
          replicationFactor: -1,
          assignments: assignments.map((brokerIds, partitionIndex) => ({ partitionIndex, brokerIds })),
          configs: Object.entries(configs).map(([n, value]) => ({ name: n, value })),
        },
      ],
      false,
    );
    if (r!.errorCode !== 0) throw new Error(`creating ${name} failed: ${r!.errorCode} ${r!.errorMessage}`);
    await Promise.all([...this.nodes.values()].map((n) => n.settled()));
  }

  async stop(): Promise<void> {
    for (const id of [...this.nodes.keys()]) {
      const node = this.nodes.get(id)!;
      this.nodes.delete(id);
      await node.stop({ drainTimeoutMs: 0 });
    }
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

/** Polls `check` until it returns a truthy value (returned) or `timeoutMs` passes (throws with `what`). */
export async function waitFor<T>(what: string, check: () => T | Promise<T>, timeoutMs = 10_000, intervalMs = 20): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v as NonNullable<T>;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
