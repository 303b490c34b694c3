// The replica manager owns the partitions this broker hosts. It follows the metadata image (creating, updating and
// deleting partition logs as the controller's records say, making each partition leader or follower), validates and
// appends produced batches on leaders, serves reads up to the high watermark (followers' reads to the log end), and
// wakes waiting fetches when data lands. Replication itself lives beside it: leader-replication.ts (HW, ISR,
// acks=all) and the replica fetchers (fetcher-manager.ts) that it starts and stops as leadership moves.

import { configDef, type BrokerConfig } from '../config/broker-config';
import { effectiveTopicConfigs } from '../config/topic-configs';
import type { LogManager } from '../log/log-manager';
import { logConfigFromTopicProps } from '../log/config';
import type { MetadataDelta, MetadataImage } from '../kraft/metadata/image';
import { ErrorCode, KafkaError } from '../wire/errors';
import { validateRecordSet, type RecordSetInfo } from '../wire/records/validate';
import { batch, forEachBatch, setMaxTimestamp } from '../wire/records/batch';
import { Partition, ProduceSettings } from './partition';
import { DEFAULT_PRODUCER_STATE_OPTIONS, type AppendOrigin, type ProducerStateOptions } from './producer-state';
import { buildControlBatch, ControlRecordType } from '../wire/records/record';
import type { AbortedTxn } from '../txn/partition-txns';
import { FETCH_API, PRODUCE_API, type TrafficObserver } from '../metrics/hooks';
import { LeaderReplication } from './leader-replication';
import type { ReplicaFetcherManager } from './fetcher-manager';
import type { AlterPartitionSender } from './alter-partition-sender';

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
  /** read_committed reads: aborted transactions overlapping the records returned (null otherwise). */
  abortedTransactions: AbortedTxn[] | null;
}

/** A COMMIT or ABORT marker for one producer's transaction, as the transaction coordinator writes it. */
export interface TxnMarker {
  producerId: number;
  producerEpoch: number;
  coordinatorEpoch: number;
  commit: boolean;
}

export const READ_UNCOMMITTED = 0;
export const READ_COMMITTED = 1;

function key(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

/** The offset after the last whole batch in a read's chunks. */
function endOfChunks(chunks: Buffer[]): number {
  let end = -1;
  for (const c of chunks) forEachBatch(c, (pos) => (end = batch.lastOffset(c, pos) + 1));
  return end;
}

/** What a broker in a replicated cluster adds to the replica manager (absent in single-log unit tests). */
export interface ReplicationServices {
  fetchers: ReplicaFetcherManager;
  isrSender: AlterPartitionSender;
  brokerEpoch(): number;
}

/** acks=all produces wait this long for replication when the caller gives no timeout. */
const DEFAULT_PRODUCE_TIMEOUT_MS = 30_000;

export class ReplicaManager {
  private readonly partitions = new Map<string, Partition>();
  /** Metrics: bytes and records appended per topic, partition-level errors. Null when metrics are off. */
  observer: TrafficObserver | null = null;
  /** High watermarks, follower progress, ISR changes and acks=all waits of the partitions led here. */
  readonly leaders: LeaderReplication;
  private fetchers: ReplicaFetcherManager | null = null;
  private isrSender: AlterPartitionSender | null = null;
  private isrCheckTimer: NodeJS.Timeout | null = null;
  private image: MetadataImage | null = null;

  constructor(
    private readonly nodeId: number,
    private readonly logs: LogManager,
    private readonly config: BrokerConfig,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.leaders = new LeaderReplication({ nodeId, now, replicaLagTimeMaxMs: config.num('replica.lag.time.max.ms'), log });
  }

  /**
   * Turns on replication between brokers: followed partitions are fetched from their leaders, and ISR changes of
   * led partitions are proposed to the controller (checked every replica.lag.time.max.ms / 2, as Kafka does).
   */
  enableReplication(services: ReplicationServices): void {
    this.fetchers = services.fetchers;
    this.isrSender = services.isrSender;
    this.leaders.sender = services.isrSender;
    this.leaders.brokerEpoch = services.brokerEpoch;
    this.leaders.isEligible = (id) => {
      const b = this.image?.brokers.get(id);
      return b !== undefined && !b.fenced && !b.inControlledShutdown;
    };
    const interval = Math.max(1, Math.floor(this.config.num('replica.lag.time.max.ms') / 2));
    this.isrCheckTimer = setInterval(() => this.checkIsrs(), interval);
    this.isrCheckTimer.unref();
    // Partitions created before replication was on (start-up replay) follow their leaders now.
    for (const p of this.partitions.values()) if (!p.isLeader && p.leader >= 0) this.fetchers.addPartition(p, p.leader, p.leaderEpoch);
  }

  /** Proposes removing out-of-sync followers from the ISRs of led partitions (the periodic check). */
  checkIsrs(): void {
    for (const p of this.partitions.values()) if (p.isLeader) this.leaders.maybeShrinkIsr(p);
  }

  getPartition(topic: string, partition: number): Partition | undefined {
    return this.partitions.get(key(topic, partition));
  }

  allPartitions(): IterableIterator<Partition> {
    return this.partitions.values();
  }

  /** Brings hosted partitions in line with the image after records were applied. */
  async applyDelta(delta: MetadataDelta, image: MetadataImage): Promise<void> {
    this.image = image;
    for (const [name, topic] of delta.deletedTopics) {
      for (const p of topic.partitions.keys()) {
        const k = key(name, p);
        const gone = this.partitions.get(k);
        if (!gone) continue;
        this.partitions.delete(k);
        this.fetchers?.removePartition(gone);
        gone.isLeader = false;
        this.leaders.produces.failAll(gone, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        gone.wakeWaiters();
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
      const created = !p;
      if (!p) {
        const overrides = image.topicConfig(topic);
        const log =
          this.logs.getLog(topic, info.partition) ?? this.logs.createLog(topic, info.partition, this.logConfigFor(overrides));
        p = new Partition(topic, info.partition, t.id, log, this.produceSettings(overrides), this.producerStateOptions());
        // A replicated log's tail may not be committed (no high watermark checkpoint yet): start from nothing known
        // committed; a leader recomputes it from its ISR, a follower learns it from its leader.
        if (info.replicas.length > 1) p.resetHighWatermark(Math.min(p.highWatermark, log.logStartOffset));
        this.partitions.set(key(topic, info.partition), p);
      }
      // The controller's answer to our own ISR change can arrive before the record carrying it: never go back, and
      // do not let the late record of a state we already hold cancel a newer ISR change in flight.
      const sameTerm = info.leaderEpoch === p.leaderEpoch && info.leader === p.leader;
      if (!created && (info.leaderEpoch < p.leaderEpoch || (sameTerm && info.partitionEpoch <= p.partitionEpoch))) continue;
      const wasLeader = p.isLeader;
      const newTerm = info.leaderEpoch !== p.leaderEpoch || info.leader !== p.leader;
      p.topicId = t.id;
      p.replicas = info.replicas;
      p.isr = info.isr;
      p.partitionEpoch = info.partitionEpoch;
      p.leader = info.leader;
      p.leaderEpoch = info.leaderEpoch;
      p.isLeader = info.leader === this.nodeId;
      if (p.isLeader) {
        p.log.leaderEpochCache.assign(info.leaderEpoch, p.log.logEndOffset);
        this.fetchers?.removePartition(p);
        // Follower progress restarts with the term; a sole in-sync replica has committed all of its log.
        this.leaders.becomeLeader(p, newTerm || !wasLeader);
      } else {
        if (wasLeader) this.leaders.resign(p);
        if (info.leader >= 0) this.fetchers?.addPartition(p, info.leader, info.leaderEpoch);
        else this.fetchers?.removePartition(p);
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
  appendToLeader(
    topic: string,
    partition: number,
    records: Buffer | null,
    produceVersion: number,
    acks: number,
    origin: AppendOrigin = 'client',
    timeoutMs = DEFAULT_PRODUCE_TIMEOUT_MS,
  ): AppendOutcome {
    const fail = (errorCode: number, errorMessage: string | null = null, logStartOffset = -1): AppendOutcome => {
      this.observer?.partitionError(PRODUCE_API, errorCode);
      return { errorCode, errorMessage, baseOffset: -1, logAppendTime: -1, logStartOffset, done: null };
    };
    const p = this.partitions.get(key(topic, partition));
    if (!p) return fail(this.notHostedError(topic, partition));
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
    const seq = p.producers.check(info, origin);
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
        done: this.completion(p, dup.lastOffset, acks, timeoutMs),
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
    // With one in-sync replica the leader alone commits; with more, followers' fetches move the HW.
    this.leaders.maybeIncrementHighWatermark(p);
    this.observer?.appended(topic, records.length, appended.recordCount);
    const done = this.completion(p, appended.lastOffset, acks, timeoutMs);
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      baseOffset: appended.firstOffset,
      logAppendTime: appended.logAppendTime,
      logStartOffset: p.log.logStartOffset,
      done,
    };
  }

  /**
   * Appends a transaction marker on the leader (the transaction coordinator's WriteTxnMarkers, local or remote).
   * The producer state checks its epochs first and records it after, which closes the producer's transaction here.
   */
  appendMarker(topic: string, partition: number, marker: TxnMarker): AppendOutcome {
    const fail = (errorCode: number, errorMessage: string | null = null): AppendOutcome => ({
      errorCode,
      errorMessage,
      baseOffset: -1,
      logAppendTime: -1,
      logStartOffset: -1,
      done: null,
    });
    const p = this.partitions.get(key(topic, partition));
    if (!p) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    if (!p.isLeader) return fail(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    const check = p.producers.checkMarker(marker.producerId, marker.producerEpoch, marker.coordinatorEpoch);
    if (check.kind === 'error') return fail(check.errorCode, check.message);
    const records = buildControlBatch({
      type: marker.commit ? ControlRecordType.COMMIT : ControlRecordType.ABORT,
      producerId: marker.producerId,
      producerEpoch: marker.producerEpoch,
      coordinatorEpoch: marker.coordinatorEpoch,
      timestamp: this.now(),
    });
    let appended;
    try {
      appended = p.log.append(records, { leaderEpoch: p.leaderEpoch, assignOffsets: true });
    } catch (e) {
      this.log.error({ topic, partition, err: (e as Error).message }, 'marker append failed');
      return fail(e instanceof KafkaError ? e.code : ErrorCode.KAFKA_STORAGE_ERROR, (e as Error).message);
    }
    p.producers.syncWithLog();
    this.leaders.maybeIncrementHighWatermark(p);
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      baseOffset: appended.firstOffset,
      logAppendTime: -1,
      logStartOffset: p.log.logStartOffset,
      // Markers are written as acks=all produces are (Kafka's coordinator requires all in-sync replicas).
      done: this.completion(p, appended.lastOffset, -1, DEFAULT_PRODUCE_TIMEOUT_MS),
    };
  }

  /**
   * Reads committed data for a consumer (below the high watermark, or below the last stable offset for
   * read_committed, with the aborted transactions the records overlap), or up to the log end for a follower.
   */
  read(
    topic: string,
    partition: number,
    fetchOffset: number,
    maxBytes: number,
    minOneBatch: boolean,
    toLogEnd = false,
    isolation = READ_UNCOMMITTED,
    /** A consumer's fetch that a follower may serve, up to its own high watermark (KIP-392, Fetch v11+). */
    followerMayServe = false,
  ): ReadOutcome {
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
        abortedTransactions: isolation === READ_COMMITTED ? [] : null,
      };
    };
    if (!p) return empty(this.notHostedError(topic, partition));
    if (!p.isLeader && !(followerMayServe && !toLogEnd)) return empty(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    const limit = toLogEnd ? p.log.logEndOffset : isolation === READ_COMMITTED ? p.lastStableOffset : p.highWatermark;
    if (fetchOffset < p.log.logStartOffset || fetchOffset > p.log.logEndOffset) return empty(ErrorCode.OFFSET_OUT_OF_RANGE);
    if (fetchOffset >= limit) return empty(ErrorCode.NONE);
    try {
      const r = p.log.read(fetchOffset, maxBytes, { minOneBatch, maxOffset: limit });
      const out = { ...empty(ErrorCode.NONE), records: r.chunks, size: r.size };
      if (isolation === READ_COMMITTED && r.size > 0) {
        out.abortedTransactions = p.producers.txns.abortedOverlapping(fetchOffset, endOfChunks(r.chunks));
      }
      return out;
    } catch (e) {
      if (e instanceof KafkaError) return empty(e.code);
      throw e;
    }
  }

  /**
   * A partition this broker does not host: NOT_LEADER_OR_FOLLOWER when it exists on other brokers (the client's
   * metadata is stale and it should look again), UNKNOWN_TOPIC_OR_PARTITION when it does not exist at all.
   */
  private notHostedError(topic: string, partition: number): number {
    return this.image?.partition(topic, partition) ? ErrorCode.NOT_LEADER_OR_FOLLOWER : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
  }

  /**
   * What a produce ending at `lastOffset` waits for before its response: the fsync when flush.messages=1, and for
   * acks=all the high watermark passing it (the delayed-produce purgatory). Null when nothing is pending.
   */
  private completion(p: Partition, lastOffset: number, acks: number, timeoutMs: number): Promise<void> | null {
    const durable = p.settings.syncEveryAppend ? p.log.waitForDurable(lastOffset) : null;
    const replicated = acks === -1 ? this.leaders.produces.wait(p, lastOffset + 1, timeoutMs) : null;
    if (durable && replicated) return Promise.all([durable, replicated]).then(() => undefined);
    return durable ?? replicated;
  }

  /**
   * A follower's fetch of a partition led here, at `fetchOffset`, served while the log ended at `leaderEndOffset`:
   * records its progress, which may move the high watermark and grow the ISR. Returns an error code when the
   * fetcher is not one of the partition's replicas.
   */
  recordFollowerFetch(p: Partition, replicaId: number, brokerEpoch: number, fetchOffset: number, logStartOffset: number, leaderEndOffset: number): number {
    if (!p.isLeader) return ErrorCode.NOT_LEADER_OR_FOLLOWER;
    return this.leaders.recordFollowerFetch(p, replicaId, brokerEpoch, fetchOffset, logStartOffset, leaderEndOffset);
  }

  async shutdown(): Promise<void> {
    if (this.isrCheckTimer) clearInterval(this.isrCheckTimer);
    this.isrCheckTimer = null;
    this.isrSender?.close();
    await this.fetchers?.shutdown();
    this.leaders.produces.close();
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
