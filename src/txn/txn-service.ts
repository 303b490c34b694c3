// Connects the transaction coordinator to the broker: its log is the `__transaction_state` topic (compacted,
// created through the controller on the first FindCoordinator for a transactional id, as Kafka does), it
// coordinates the ids of the partitions this broker leads (loading a partition when it becomes leader, dropping it
// when it stops), and its markers go to partition leaders through the replica manager.

import type { BrokerConfig } from '../config/broker-config';
import type { GroupCoordinatorService } from '../handlers/group-service';
import type { Logger } from '../handlers/types';
import { CONSUMER_OFFSETS_TOPIC } from '../groupcoord/partition';
import type { ReplicaManager } from '../isr/replica-manager';
import type { ControllerOps } from '../kraft/controller-channel';
import type { MetadataDelta, MetadataImage } from '../kraft/metadata/image';
import { ErrorCode, KafkaError } from '../wire/errors';
import { buildBatch, decodeBatches } from '../wire/records/record';
import { TransactionCoordinator, type ProducerIdSource, type TxnStateLog } from './coordinator';
import { BrokerMarkerTransport, type RemoteMarkerWriter } from './local-markers';
import { TxnMarkerChannel } from './marker-channel';

export const TRANSACTION_STATE_TOPIC = '__transaction_state';

const PRODUCE_VERSION = 11;
const READ_CHUNK = 4 * 1024 * 1024;

/** __transaction_state through the replica manager. */
class TransactionStateTopicLog implements TxnStateLog {
  constructor(private readonly replicas: ReplicaManager) {}

  async append(partition: number, key: Buffer, value: Buffer | null): Promise<void> {
    const out = this.replicas.appendToLeader(TRANSACTION_STATE_TOPIC, partition, buildBatch({ records: [{ key, value }] }), PRODUCE_VERSION, -1);
    if (out.errorCode !== ErrorCode.NONE) throw new KafkaError(out.errorCode, out.errorMessage ?? undefined);
    if (out.done) await out.done;
  }

  async *read(partition: number): AsyncIterable<{ key: Buffer | null; value: Buffer | null }> {
    const p = this.replicas.getPartition(TRANSACTION_STATE_TOPIC, partition);
    if (!p) return;
    let offset = p.log.logStartOffset;
    const end = p.log.logEndOffset;
    while (offset < end) {
      const { chunks } = p.log.read(offset, READ_CHUNK, { minOneBatch: true, maxOffset: end });
      if (chunks.length === 0) break;
      let next = offset;
      for (const b of decodeBatches(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks))) {
        next = Math.max(next, b.lastOffset + 1);
        if (b.isControl) continue;
        for (const r of b.records) if (r.offset >= offset) yield { key: r.key, value: r.value };
      }
      if (next === offset) break;
      offset = next;
      await new Promise((r) => setImmediate(r));
    }
  }
}

export interface TransactionServiceDeps {
  nodeId: number;
  config: BrokerConfig;
  controller: ControllerOps;
  image: MetadataImage;
  replicas: ReplicaManager;
  groups: GroupCoordinatorService | null;
  producerIds: ProducerIdSource;
  log: Logger;
  /** WriteTxnMarkers to other brokers; null while the broker has no inter-broker client (single node). */
  remoteMarkers?: RemoteMarkerWriter | null;
}

export class TransactionService {
  readonly coordinator: TransactionCoordinator;
  private creating: Promise<void> | null = null;

  constructor(private readonly deps: TransactionServiceDeps) {
    const { config, image, replicas, groups, log } = deps;
    const transport = new BrokerMarkerTransport(
      deps.nodeId,
      image,
      replicas,
      groups ? (partition, producerId, commit) => groups.coordinator.completeTransaction(partition, producerId, commit) : null,
      deps.remoteMarkers ?? null,
    );
    this.coordinator = new TransactionCoordinator({
      log: new TransactionStateTopicLog(replicas),
      producerIds: deps.producerIds,
      markers: new TxnMarkerChannel(transport, { warn: (msg) => log.warn({ component: 'txn-coordinator' }, msg) }),
      offsetsPartitionFor: (groupId) => ({
        topic: CONSUMER_OFFSETS_TOPIC,
        partition: groups ? groups.coordinator.partitionFor(groupId) : 0,
      }),
      config: {
        numPartitions: this.numPartitions(),
        maxTimeoutMs: config.num('transaction.max.timeout.ms'),
        abortTimedOutIntervalMs: config.num('transaction.abort.timed.out.transaction.cleanup.interval.ms'),
        idExpirationMs: config.num('transactional.id.expiration.ms'),
        removeExpiredIntervalMs: config.num('transaction.remove.expired.transaction.cleanup.interval.ms'),
      },
      logger: {
        info: (msg) => log.info({ component: 'txn-coordinator' }, msg),
        warn: (msg) => log.warn({ component: 'txn-coordinator' }, msg),
      },
    });
  }

  /** The partition count of an existing __transaction_state wins over the configured one (it cannot change). */
  private numPartitions(): number {
    return (
      this.deps.image.topics.get(TRANSACTION_STATE_TOPIC)?.partitions.size ||
      this.deps.config.num('transaction.state.log.num.partitions')
    );
  }

  async start(): Promise<void> {
    this.coordinator.startup();
    const t = this.deps.image.topics.get(TRANSACTION_STATE_TOPIC);
    if (!t) return;
    await Promise.all(
      [...t.partitions.values()]
        .filter((p) => p.leader === this.deps.nodeId)
        .map((p) =>
          this.coordinator.onElection(p.partition, p.leaderEpoch).catch((e: Error) => {
            this.deps.log.error({ partition: p.partition, err: e.message }, 'loading __transaction_state partition failed');
          }),
        ),
    );
  }

  stop(): void {
    this.coordinator.shutdown();
  }

  /** Follows leadership of __transaction_state partitions. */
  onMetadataDelta(delta: MetadataDelta): void {
    const changes = delta.changedPartitions.filter((c) => c.topic === TRANSACTION_STATE_TOPIC);
    const removed = delta.deletedTopics.get(TRANSACTION_STATE_TOPIC);
    if (removed) for (const p of removed.partitions.keys()) this.coordinator.onResignation(p);
    if (changes.length === 0) return;
    // The replica manager creates the partitions from the same delta a moment later: load after it has.
    setImmediate(() => {
      for (const { partition } of changes) {
        if (partition.leader === this.deps.nodeId) {
          this.coordinator.onElection(partition.partition, partition.leaderEpoch).catch((e: Error) => {
            this.deps.log.error({ partition: partition.partition, err: e.message }, 'loading __transaction_state partition failed');
          });
        } else if (this.coordinator.ownsPartition(partition.partition) || this.coordinator.isLoading(partition.partition)) {
          this.coordinator.onResignation(partition.partition);
        }
      }
    });
  }

  /** Creates __transaction_state when it does not exist yet (once, however many lookups race). */
  private ensureTopic(): Promise<void> {
    const { image, config, controller, log } = this.deps;
    if (image.topics.has(TRANSACTION_STATE_TOPIC)) return Promise.resolve();
    if (!this.creating) {
      const live = image.liveBrokers().length;
      const rf = Math.max(1, Math.min(config.num('transaction.state.log.replication.factor'), live));
      // A min.isr above the replication factor could never be met; Kafka leaves that to the operator, here it is
      // capped so that a single broker with default settings can run transactions.
      const minIsr = Math.min(config.num('transaction.state.log.min.isr'), rf);
      this.creating = controller
        .createTopics(
          [
            {
              name: TRANSACTION_STATE_TOPIC,
              numPartitions: config.num('transaction.state.log.num.partitions'),
              replicationFactor: rf,
              assignments: [],
              configs: [
                { name: 'cleanup.policy', value: 'compact' },
                { name: 'min.insync.replicas', value: String(minIsr) },
                { name: 'segment.bytes', value: String(config.num('transaction.state.log.segment.bytes')) },
                { name: 'unclean.leader.election.enable', value: 'false' },
              ],
            },
          ],
          false,
        )
        .then((r) => {
          const code = r[0]!.errorCode;
          if (code !== ErrorCode.NONE && code !== ErrorCode.TOPIC_ALREADY_EXISTS) {
            log.warn({ errorCode: code, message: r[0]!.errorMessage }, 'could not create __transaction_state');
          }
        })
        .finally(() => (this.creating = null));
    }
    return this.creating;
  }

  /** The broker coordinating `transactionalId`, creating __transaction_state on first use. */
  async findCoordinator(transactionalId: string): Promise<{ errorCode: number; nodeId: number }> {
    await this.ensureTopic();
    const t = this.deps.image.topics.get(TRANSACTION_STATE_TOPIC);
    if (!t) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, nodeId: -1 };
    const p = t.partitions.get(this.coordinator.partitionFor(transactionalId));
    if (!p || p.leader < 0) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, nodeId: -1 };
    return { errorCode: ErrorCode.NONE, nodeId: p.leader };
  }
}
