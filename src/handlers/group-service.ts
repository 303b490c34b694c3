// Connects the group coordinator to the broker: its log is the `__consumer_offsets` topic (created through the
// controller on the first FindCoordinator, as Kafka does), and it coordinates the groups of the partitions this
// broker leads, loading a partition when it becomes leader and unloading it when it stops.

import type { BrokerConfig } from '../config/broker-config';
import type { ControllerOps } from '../kraft/controller-channel';
import type { MetadataDelta, MetadataImage } from '../kraft/metadata/image';
import type { ReplicaManager } from '../isr/replica-manager';
import { GroupCoordinator } from '../groupcoord/coordinator';
import { CONSUMER_OFFSETS_TOPIC } from '../groupcoord/partition';
import type { CoordinatorLog, CoordinatorRecord, StoredEntry, TxnWriter } from '../groupcoord/persistence';
import { ErrorCode, KafkaError } from '../wire/errors';
import { buildBatch, ControlRecordType, controlRecordType, decodeBatches } from '../wire/records/record';
import type { Logger } from './types';

const PRODUCE_VERSION = 11;
const READ_CHUNK = 4 * 1024 * 1024;

/** The coordinator's records, written to and replayed from __consumer_offsets through the replica manager. */
class OffsetsTopicLog implements CoordinatorLog {
  constructor(private readonly replicas: ReplicaManager) {}

  async append(partition: number, records: CoordinatorRecord[], txn?: TxnWriter): Promise<void> {
    // A transactional write (TxnOffsetCommit) is a transactional batch of the producer, as Kafka writes it; its
    // sequence is not checked (coordinator origin), its epoch is.
    const batch = buildBatch({
      records: records.map((r) => ({ key: r.key, value: r.value })),
      ...(txn ? { producerId: txn.producerId, producerEpoch: txn.producerEpoch, baseSequence: 0, transactional: true } : {}),
    });
    const out = this.replicas.appendToLeader(CONSUMER_OFFSETS_TOPIC, partition, batch, PRODUCE_VERSION, -1, txn ? 'coordinator' : 'client');
    if (out.errorCode !== ErrorCode.NONE) throw new KafkaError(out.errorCode, out.errorMessage ?? undefined);
    if (out.done) await out.done;
  }

  async *read(partition: number): AsyncIterable<StoredEntry> {
    const p = this.replicas.getPartition(CONSUMER_OFFSETS_TOPIC, partition);
    if (!p) return;
    let offset = p.log.logStartOffset;
    const end = p.log.logEndOffset;
    while (offset < end) {
      const { chunks } = p.log.read(offset, READ_CHUNK, { minOneBatch: true, maxOffset: end });
      if (chunks.length === 0) break;
      const data = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      let next = offset;
      for (const b of decodeBatches(data)) {
        next = Math.max(next, b.lastOffset + 1);
        if (b.isControl) {
          if (b.baseOffset < offset) continue;
          const type = controlRecordType(b.records[0]?.key ?? null);
          if (type === ControlRecordType.COMMIT || type === ControlRecordType.ABORT) {
            yield { offset: b.baseOffset, marker: { producerId: b.producerId, commit: type === ControlRecordType.COMMIT } };
          }
          continue;
        }
        const producerId = b.isTransactional ? { producerId: b.producerId } : {};
        for (const r of b.records) {
          if (r.offset < offset || r.key === null) continue;
          yield { offset: r.offset, key: r.key, value: r.value, ...producerId };
        }
      }
      if (next === offset) break;
      offset = next;
      // Let other work run between chunks of a long replay.
      await new Promise((r) => setImmediate(r));
    }
  }
}

export class GroupCoordinatorService {
  readonly coordinator: GroupCoordinator;
  private creating: Promise<void> | null = null;

  constructor(
    private readonly nodeId: number,
    private readonly config: BrokerConfig,
    private readonly controller: ControllerOps,
    private readonly image: MetadataImage,
    replicas: ReplicaManager,
    private readonly log: Logger,
  ) {
    this.coordinator = new GroupCoordinator({
      log: new OffsetsTopicLog(replicas),
      config: {
        groupInitialRebalanceDelayMs: config.num('group.initial.rebalance.delay.ms'),
        groupMinSessionTimeoutMs: config.num('group.min.session.timeout.ms'),
        groupMaxSessionTimeoutMs: config.num('group.max.session.timeout.ms'),
        groupMaxSize: config.num('group.max.size'),
        offsetsTopicNumPartitions: this.numPartitions(),
        offsetsRetentionMinutes: config.num('offsets.retention.minutes'),
        offsetsRetentionCheckIntervalMs: config.num('offsets.retention.check.interval.ms'),
        offsetMetadataMaxBytes: config.num('offset.metadata.max.bytes'),
      },
      logger: {
        info: (msg: string, fields?: object) => log.info({ component: 'group-coordinator', ...fields }, msg),
        warn: (msg: string) => log.warn({ component: 'group-coordinator' }, msg),
      },
    });
  }

  /** The partition count of an existing __consumer_offsets wins over the configured one (it cannot change). */
  private numPartitions(): number {
    return this.image.topics.get(CONSUMER_OFFSETS_TOPIC)?.partitions.size || this.config.num('offsets.topic.num.partitions');
  }

  async start(): Promise<void> {
    this.coordinator.startup();
    const t = this.image.topics.get(CONSUMER_OFFSETS_TOPIC);
    if (!t) return;
    await Promise.all(
      [...t.partitions.values()].filter((p) => p.leader === this.nodeId).map((p) => this.coordinator.onElection(p.partition)),
    );
  }

  async stop(): Promise<void> {
    this.coordinator.shutdown();
  }

  /** Follows leadership of __consumer_offsets partitions. */
  onMetadataDelta(delta: MetadataDelta): void {
    for (const { topic, partition } of delta.changedPartitions) {
      if (topic !== CONSUMER_OFFSETS_TOPIC) continue;
      const owned = this.coordinator.ownsPartition(partition.partition) || this.coordinator.isLoading(partition.partition);
      if (partition.leader === this.nodeId && !owned) {
        this.coordinator.onElection(partition.partition).catch((e: Error) => {
          this.log.error({ partition: partition.partition, err: e.message }, 'loading __consumer_offsets partition failed');
        });
      } else if (partition.leader !== this.nodeId && owned) {
        this.coordinator.onResignation(partition.partition);
      }
    }
    const removed = delta.deletedTopics.get(CONSUMER_OFFSETS_TOPIC);
    if (removed) for (const p of removed.partitions.keys()) this.coordinator.onResignation(p);
  }

  /** Creates __consumer_offsets when it does not exist yet (once, however many lookups race). */
  private ensureOffsetsTopic(): Promise<void> {
    if (this.image.topics.has(CONSUMER_OFFSETS_TOPIC)) return Promise.resolve();
    if (!this.creating) {
      const live = this.image.liveBrokers().length;
      const rf = Math.max(1, Math.min(this.config.num('offsets.topic.replication.factor'), live));
      this.creating = this.controller
        .createTopics(
          [
            {
              name: CONSUMER_OFFSETS_TOPIC,
              numPartitions: this.config.num('offsets.topic.num.partitions'),
              replicationFactor: rf,
              assignments: [],
              configs: [
                { name: 'cleanup.policy', value: 'compact' },
                { name: 'segment.bytes', value: String(this.config.num('offsets.topic.segment.bytes')) },
              ],
            },
          ],
          false,
        )
        .then((r) => {
          const code = r[0]!.errorCode;
          if (code !== ErrorCode.NONE && code !== ErrorCode.TOPIC_ALREADY_EXISTS) {
            this.log.warn({ errorCode: code, message: r[0]!.errorMessage }, 'could not create __consumer_offsets');
          }
        })
        .finally(() => (this.creating = null));
    }
    return this.creating;
  }

  /** The broker coordinating `groupId`, creating the offsets topic on first use. */
  async findCoordinator(groupId: string): Promise<{ errorCode: number; nodeId: number }> {
    await this.ensureOffsetsTopic();
    const t = this.image.topics.get(CONSUMER_OFFSETS_TOPIC);
    if (!t) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, nodeId: -1 };
    const p = t.partitions.get(this.coordinator.partitionFor(groupId));
    if (!p || p.leader < 0) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, nodeId: -1 };
    return { errorCode: ErrorCode.NONE, nodeId: p.leader };
  }
}
