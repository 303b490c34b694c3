// The replica manager owns the partitions this broker hosts. It follows the metadata image (creating, updating and
// deleting partition logs as the controller's records say), validates and appends produced batches on leaders,
// serves reads up to the high watermark, and wakes waiting fetches when data lands.

import { configDef, type BrokerConfig } from '../config/broker-config';
import { effectiveTopicConfigs } from '../config/topic-configs';
import type { LogManager } from '../log/log-manager';
import { logConfigFromTopicProps } from '../log/config';
import type { MetadataDelta, MetadataImage } from '../kraft/metadata/image';
import { ErrorCode, KafkaError } from '../wire/errors';
import { validateRecordSet, type RecordSetInfo } from '../wire/records/validate';
import { setMaxTimestamp } from '../wire/records/batch';
import { Partition, ProduceSettings } from './partition';
import { DEFAULT_PRODUCER_STATE_OPTIONS, type ProducerStateOptions } from './producer-state';
import { FETCH_API, PRODUCE_API, type TrafficObserver } from '../metrics/hooks';

export interface Logger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface AppendOutcome {
  errorCode: number;
  errorMessage: string | null;
  baseOffset: number;
  logAppendTime: number;
  logStartOffset: number;
  /** Resolves when the append satisfies the durability the produce asked for (acks and flush policy). */
  done: Promise<void> | null;
}

export interface ReadOutcome {
  errorCode: number;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
  records: Buffer[];
  size: number;
}

function key(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

export class ReplicaManager {
  private readonly partitions = new Map<string, Partition>();
  /** Metrics: bytes and records appended per topic, partition-level errors. Null when metrics are off. */
  observer: TrafficObserver | null = null;

  constructor(
    private readonly nodeId: number,
    private readonly logs: LogManager,
    private readonly config: BrokerConfig,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  getPartition(topic: string, partition: number): Partition | undefined {
    return this.partitions.get(key(topic, partition));
  }

  allPartitions(): IterableIterator<Partition> {
    return this.partitions.values();
  }

  /** Brings hosted partitions in line with the image after records were applied. */
  async applyDelta(delta: MetadataDelta, image: MetadataImage): Promise<void> {
    for (const [name, topic] of delta.deletedTopics) {
      for (const p of topic.partitions.keys()) {
        const k = key(name, p);
        if (!this.partitions.has(k)) continue;
        this.partitions.delete(k);
        await this.logs.deleteLog(name, p);
      }
      this.log.info({ topic: name, topicId: topic.id }, 'topic deleted');
    }
    for (const name of delta.createdTopics) {
      const t = image.topics.get(name);
      if (t) this.log.info({ topic: name, topicId: t.id, partitions: t.partitions.size }, 'topic created');
    }
    for (const { topic, partition: info } of delta.changedPartitions) {
      const t = image.topics.get(topic);
      if (!t || !info.replicas.includes(this.nodeId)) continue;
      let p = this.partitions.get(key(topic, info.partition));
      if (!p) {
        const overrides = image.topicConfig(topic);
        const log =
          this.logs.getLog(topic, info.partition) ?? this.logs.createLog(topic, info.partition, this.logConfigFor(overrides));
        p = new Partition(topic, info.partition, t.id, log, this.produceSettings(overrides), this.producerStateOptions());
        this.partitions.set(key(topic, info.partition), p);
      }
      const wasLeader = p.isLeader;
      p.topicId = t.id;
      p.replicas = info.replicas;
      p.isr = info.isr;
      p.leader = info.leader;
      p.leaderEpoch = info.leaderEpoch;
      p.isLeader = info.leader === this.nodeId;
      if (p.isLeader) {
        p.log.leaderEpochCache.assign(info.leaderEpoch, p.log.logEndOffset);
        // A sole in-sync replica has committed all of its log.
        if (info.isr.length === 1) p.advanceHighWatermark(p.log.logEndOffset);
      }
      if (wasLeader !== p.isLeader) {
        this.log.info({ topic, partition: info.partition, leader: info.leader, leaderEpoch: info.leaderEpoch }, 'leader changed');
      }
    }
    for (const c of delta.changedConfigs) {
      const t = image.topics.get(c.resourceName);
      if (!t) continue;
      const overrides = image.topicConfig(t.name);
      for (const pIndex of t.partitions.keys()) {
        const p = this.partitions.get(key(t.name, pIndex));
        if (!p) continue;
        p.log.updateConfig(this.logConfigFor(overrides));
        p.settings = this.produceSettings(overrides);
      }
    }
  }

  private effective(overrides: ReadonlyMap<string, string>): Map<string, string> {
    const m = new Map<string, string>();
    for (const c of effectiveTopicConfigs(overrides, this.config)) if (c.value !== null) m.set(c.name, c.value);
    return m;
  }

  private logConfigFor(overrides: ReadonlyMap<string, string>) {
    return logConfigFromTopicProps(Object.fromEntries(this.effective(overrides)));
  }

  private produceSettings(overrides: ReadonlyMap<string, string>): ProduceSettings {
    const m = this.effective(overrides);
    return {
      maxMessageBytes: Number(m.get('max.message.bytes')),
      logAppendTime: m.get('message.timestamp.type') === 'LogAppendTime',
      requireKeys: (m.get('cleanup.policy') ?? '').split(',').map((s) => s.trim()).includes('compact'),
      minInsyncReplicas: Number(m.get('min.insync.replicas')),
      syncEveryAppend: Number(m.get('flush.messages')) === 1,
    };
  }

  private producerStateOptions(): ProducerStateOptions {
    // producer.id.expiration.* are read when the configuration defines them; Kafka's defaults otherwise.
    const num = (key: string, dflt: number) => (configDef(key) ? this.config.num(key) : dflt);
    return {
      expirationMs: num('producer.id.expiration.ms', DEFAULT_PRODUCER_STATE_OPTIONS.expirationMs),
      expirationCheckIntervalMs: num(
        'producer.id.expiration.check.interval.ms',
        DEFAULT_PRODUCER_STATE_OPTIONS.expirationCheckIntervalMs,
      ),
      now: this.now,
      warn: (msg) => this.log.warn({}, msg),
    };
  }

  /**
   * Validates and appends one partition's record set on its leader. The append itself is synchronous, so
   * produces arriving in order on a connection are appended in that order.
   */
  appendToLeader(topic: string, partition: number, records: Buffer | null, produceVersion: number, acks: number): AppendOutcome {
    const fail = (errorCode: number, errorMessage: string | null = null, logStartOffset = -1): AppendOutcome => {
      this.observer?.partitionError(PRODUCE_API, errorCode);
      return { errorCode, errorMessage, baseOffset: -1, logAppendTime: -1, logStartOffset, done: null };
    };
    const p = this.partitions.get(key(topic, partition));
    if (!p) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    if (!p.isLeader) return fail(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    if (records === null || records.length === 0) return fail(ErrorCode.CORRUPT_MESSAGE, 'empty record set', p.log.logStartOffset);
    if (acks === -1 && p.isr.length < p.settings.minInsyncReplicas) {
      return fail(ErrorCode.NOT_ENOUGH_REPLICAS, null, p.log.logStartOffset);
    }
    let info: RecordSetInfo;
    try {
      info = validateRecordSet(records, {
        maxMessageBytes: p.settings.maxMessageBytes,
        produceVersion,
        requireKeys: p.settings.requireKeys,
      });
      // As Kafka does, a CreateTime batch whose header understates its records' newest timestamp is corrected, so
      // the time index and ListOffsets see the real maximum.
      if (!p.settings.logAppendTime && info.maxTimestamp !== info.headerMaxTimestamp) {
        for (const b of info.batches) setMaxTimestamp(records, b.pos, info.maxTimestamp);
      }
    } catch (e) {
      if (e instanceof KafkaError) return fail(e.code, e.message, p.log.logStartOffset);
      throw e;
    }
    // Idempotence: checked after the batch itself is valid (Kafka's order) and recorded after the append, in this
    // same synchronous run, so no other produce for the partition can slip in between.
    const seq = p.producers.check(info);
    if (seq.kind === 'error') return fail(seq.errorCode, seq.message, p.log.logStartOffset);
    if (seq.kind === 'duplicate') {
      // A retry of a batch already in the log: not appended again; the producer learns where the original went.
      const dup = seq.batch;
      return {
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        baseOffset: dup.firstOffset,
        logAppendTime: p.settings.logAppendTime ? dup.timestamp : -1,
        logStartOffset: p.log.logStartOffset,
        done: p.settings.syncEveryAppend ? p.log.waitForDurable(dup.lastOffset) : null,
      };
    }
    const logAppendTime = p.settings.logAppendTime ? this.now() : undefined;
    let appended;
    try {
      appended = p.log.append(records, { leaderEpoch: p.leaderEpoch, assignOffsets: true, logAppendTime });
    } catch (e) {
      this.log.error({ topic, partition, err: (e as Error).message }, 'append failed');
      return fail(ErrorCode.KAFKA_STORAGE_ERROR, (e as Error).message, p.log.logStartOffset);
    }
    p.producers.update(info, appended);
    // With one in-sync replica the leader alone commits; replication generalises this.
    if (p.isr.length <= 1) p.advanceHighWatermark(p.log.logEndOffset);
    this.observer?.appended(topic, records.length, appended.recordCount);
    const done = p.settings.syncEveryAppend ? p.log.waitForDurable(appended.lastOffset) : null;
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      baseOffset: appended.firstOffset,
      logAppendTime: appended.logAppendTime,
      logStartOffset: p.log.logStartOffset,
      done,
    };
  }

  /** Reads committed data (below the high watermark) for a consumer, or up to the log end for a follower. */
  read(topic: string, partition: number, fetchOffset: number, maxBytes: number, minOneBatch: boolean, toLogEnd = false): ReadOutcome {
    const p = this.partitions.get(key(topic, partition));
    const empty = (errorCode: number): ReadOutcome => {
      if (errorCode !== ErrorCode.NONE) this.observer?.partitionError(FETCH_API, errorCode);
      return {
        errorCode,
        highWatermark: p ? p.highWatermark : -1,
        lastStableOffset: p ? p.lastStableOffset : -1,
        logStartOffset: p ? p.log.logStartOffset : -1,
        records: [],
        size: 0,
      };
    };
    if (!p) return empty(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    if (!p.isLeader) return empty(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    const limit = toLogEnd ? p.log.logEndOffset : p.highWatermark;
    if (fetchOffset < p.log.logStartOffset || fetchOffset > p.log.logEndOffset) return empty(ErrorCode.OFFSET_OUT_OF_RANGE);
    if (fetchOffset >= limit) return empty(ErrorCode.NONE);
    try {
      const r = p.log.read(fetchOffset, maxBytes, { minOneBatch, maxOffset: limit });
      return { ...empty(ErrorCode.NONE), records: r.chunks, size: r.size };
    } catch (e) {
      if (e instanceof KafkaError) return empty(e.code);
      throw e;
    }
  }

  async shutdown(): Promise<void> {
    // Clean-shutdown producer snapshots at each log's end: the next start loads them instead of scanning.
    for (const p of this.partitions.values()) {
      if (p.log.closed || p.log.failed) continue;
      try {
        p.producers.takeSnapshot(true);
      } catch (e) {
        this.log.warn({ topic: p.topic, partition: p.index, err: (e as Error).message }, 'producer snapshot failed');
      }
    }
    this.partitions.clear();
  }
}
