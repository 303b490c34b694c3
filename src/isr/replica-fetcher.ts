// One fetcher per source broker: it replicates every partition this broker follows from that leader with one
// Fetch request at a time (replicaId/ReplicaState naming us as a follower, sessionless), long-polling like a
// consumer. For each partition it sends its log end as the fetch offset and, from v12, the epoch of its last
// batch, so the leader can say where the logs diverged (fetch-based truncation). Against a leader that cannot
// (Fetch < v12), or when the follower's position is in doubt (out of range, no epoch), it first asks
// OffsetForLeaderEpoch and truncates before fetching (KIP-101/279). Fetched batches are appended with their
// offsets; the follower's high watermark is the leader's, as far as its own log reaches.
//
// Errors back a partition off for replica.fetch.backoff.ms: a stale or unknown leader epoch, or a broker that is
// not (yet) the leader, resolve themselves when the next metadata update moves the partition; a failed request
// backs off every partition of the fetcher.

import { FetchApi, OffsetForLeaderEpochApi, type ApiDef } from '../wire/generated/apis';
import type { FetchRequest } from '../wire/generated/messages/FetchRequest';
import type { FetchResponsePartitionData } from '../wire/generated/messages/FetchResponse';
import type { OffsetForLeaderEpochRequest } from '../wire/generated/messages/OffsetForLeaderEpochRequest';
import { ErrorCode, KafkaError } from '../wire/errors';
import { ZERO_UUID } from '../wire/primitives';
import type { NodeClientPool } from '../net/node-client-pool';
import type { Partition } from './partition';
import type { Logger } from './replica-manager';
import { appendAsFollower, applyLeaderOffsets, truncateFollower } from './follower-log';
import { truncationTarget } from './truncation';

/** Fetch-based truncation (diverging epoch in the response) needs v12. */
const FETCH_TRUNCATION_VERSION = 12;
const FETCH_TOPIC_IDS_VERSION = 13;

export interface ReplicaFetcherConfig {
  nodeId: number;
  brokerEpoch(): number;
  /** replica.fetch.wait.max.ms */
  maxWaitMs: number;
  /** replica.fetch.min.bytes */
  minBytes: number;
  /** replica.fetch.response.max.bytes */
  maxBytes: number;
  /** replica.fetch.max.bytes (per partition) */
  partitionMaxBytes: number;
  /** replica.fetch.backoff.ms */
  backoffMs: number;
  /** replica.socket.timeout.ms: a fetch may take max wait plus this before it counts as lost. */
  socketTimeoutMs: number;
  /** Highest Fetch version to speak (tests use it to exercise the OffsetForLeaderEpoch path). */
  maxFetchVersion?: number;
  now?(): number;
}

type Mode = 'init' | 'truncating' | 'fetching';

interface FetchState {
  readonly p: Partition;
  readonly leaderEpoch: number;
  mode: Mode;
  delayedUntil: number;
  /** The next fetch omits the last fetched epoch: the leader could not place it, so the offset range decides. */
  skipEpochOnce: boolean;
}

interface Sent {
  s: FetchState;
  fetchOffset: number;
  lastFetchedEpoch: number;
}

function recordsOf(r: Buffer | Buffer[] | null): Buffer | null {
  if (r === null || Buffer.isBuffer(r)) return r;
  return r.length === 1 ? r[0]! : Buffer.concat(r);
}

export class ReplicaFetcher {
  private readonly states = new Map<Partition, FetchState>();
  private running = false;
  private loop: Promise<void> = Promise.resolve();
  private wakeFn: (() => void) | null = null;
  private failing = false;
  private readonly now: () => number;

  constructor(
    readonly sourceId: number,
    private readonly pool: NodeClientPool,
    private readonly cfg: ReplicaFetcherConfig,
    private readonly log: Logger,
  ) {
    this.now = cfg.now ?? Date.now;
  }

  get size(): number {
    return this.states.size;
  }

  has(p: Partition): boolean {
    return this.states.has(p);
  }

  /** Follows `p` from this source in `leaderEpoch`; a new epoch restarts the partition's state (it may diverge). */
  add(p: Partition, leaderEpoch: number): void {
    const cur = this.states.get(p);
    if (cur && cur.leaderEpoch === leaderEpoch) return;
    this.states.set(p, { p, leaderEpoch, mode: 'init', delayedUntil: 0, skipEpochOnce: false });
    this.wakeUp();
  }

  remove(p: Partition): void {
    this.states.delete(p);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Stops the loop, abandoning any fetch in flight. */
  async stop(): Promise<void> {
    this.running = false;
    this.wakeUp();
    this.pool.disconnect(this.sourceId);
    await this.loop;
  }

  private wakeUp(): void {
    const w = this.wakeFn;
    this.wakeFn = null;
    w?.();
  }

  private current(s: FetchState): boolean {
    return this.states.get(s.p) === s;
  }

  private async run(): Promise<void> {
    while (this.running) {
      const ready = [...this.states.values()].filter((s) => s.delayedUntil <= this.now());
      if (ready.length === 0) {
        await this.idle();
        continue;
      }
      try {
        const conn = await this.pool.connection(this.sourceId);
        const version = conn.versionFor(FetchApi as ApiDef<unknown, unknown>, this.cfg.maxFetchVersion ?? FetchApi.maxVersion, 4);
        for (const s of ready) if (s.mode === 'init') s.mode = version >= FETCH_TRUNCATION_VERSION && s.p.log.latestEpoch >= 0 ? 'fetching' : 'truncating';
        const truncating = ready.filter((s) => this.current(s) && s.mode === 'truncating');
        if (truncating.length > 0) await this.truncateByLeaderEpochs(truncating);
        const fetching = ready.filter((s) => this.current(s) && s.mode === 'fetching' && s.delayedUntil <= this.now());
        if (fetching.length > 0 && this.running) await this.fetch(fetching, version);
        if (this.failing) {
          this.failing = false;
          this.log.info({ source: this.sourceId }, 'replica fetcher recovered');
        }
      } catch (e) {
        if (!this.running) break;
        if (!this.failing) {
          this.failing = true;
          this.log.warn({ source: this.sourceId, err: (e as Error).message }, 'replica fetch failed; backing off');
        }
        const until = this.now() + this.cfg.backoffMs;
        for (const s of ready) if (this.current(s)) s.delayedUntil = until;
      }
    }
  }

  /** Sleeps until a partition's backoff ends or a partition is added. */
  private idle(): Promise<void> {
    let wait = Infinity;
    for (const s of this.states.values()) wait = Math.min(wait, s.delayedUntil - this.now());
    return new Promise((resolve) => {
      const timer = wait === Infinity ? null : setTimeout(() => this.wakeUp(), Math.max(1, wait));
      this.wakeFn = () => {
        if (timer) clearTimeout(timer);
        resolve();
      };
    });
  }

  private backOff(s: FetchState): void {
    s.delayedUntil = this.now() + this.cfg.backoffMs;
  }

  /** OffsetForLeaderEpoch round: truncate each partition to where its log matches the leader's. */
  private async truncateByLeaderEpochs(states: FetchState[]): Promise<void> {
    const asking: { s: FetchState; epoch: number }[] = [];
    for (const s of states) {
      const epoch = s.p.log.latestEpoch;
      if (epoch >= 0) {
        asking.push({ s, epoch });
        continue;
      }
      // No epoch to compare (an empty log): only what is known committed can be kept.
      truncateFollower(s.p, Math.min(s.p.highWatermark, s.p.log.logEndOffset));
      s.mode = 'fetching';
    }
    if (asking.length === 0) return;
    const topics = new Map<string, OffsetForLeaderEpochRequest['topics'][number]>();
    for (const { s, epoch } of asking) {
      let t = topics.get(s.p.topic);
      if (!t) topics.set(s.p.topic, (t = { topic: s.p.topic, partitions: [] }));
      t.partitions.push({ partition: s.p.index, currentLeaderEpoch: s.leaderEpoch, leaderEpoch: epoch });
    }
    const { response } = await this.pool.request(
      this.sourceId,
      OffsetForLeaderEpochApi,
      () => ({ replicaId: this.cfg.nodeId, topics: [...topics.values()] }),
      { timeoutMs: this.cfg.socketTimeoutMs },
    );
    for (const t of response.topics) {
      for (const r of t.partitions) {
        const s = asking.find((a) => a.s.p.topic === t.topic && a.s.p.index === r.partition)?.s;
        if (!s || !this.current(s)) continue;
        if (r.errorCode !== ErrorCode.NONE) {
          this.backOff(s);
          continue;
        }
        const p = s.p;
        const before = p.log.logEndOffset;
        const d = truncationTarget((e) => p.log.endOffsetForEpoch(e), before, { epoch: r.leaderEpoch, endOffset: r.endOffset });
        if (d === null) {
          // The leader's log no longer reaches back to our epoch: keep what is committed, then let the offset
          // range decide.
          truncateFollower(p, Math.min(p.highWatermark, before));
          s.skipEpochOnce = true;
          s.mode = 'fetching';
        } else {
          truncateFollower(p, d.offset);
          if (d.complete) s.mode = 'fetching';
        }
        if (p.log.logEndOffset < before) {
          this.log.info({ topic: p.topic, partition: p.index, from: before, to: p.log.logEndOffset, leader: this.sourceId }, 'truncated diverging log');
        }
      }
    }
  }

  private async fetch(states: FetchState[], version: number): Promise<void> {
    const byId = version >= FETCH_TOPIC_IDS_VERSION;
    const sent = new Map<string, Sent>();
    const topics = new Map<string, FetchRequest['topics'][number]>();
    for (const s of states) {
      const p = s.p;
      const lastFetchedEpoch = s.skipEpochOnce ? -1 : p.log.latestEpoch;
      const fetchOffset = p.log.logEndOffset;
      const tkey = byId ? p.topicId : p.topic;
      sent.set(`${tkey}:${p.index}`, { s, fetchOffset, lastFetchedEpoch });
      let t = topics.get(tkey);
      if (!t) topics.set(tkey, (t = { topic: p.topic, topicId: p.topicId, partitions: [] }));
      t.partitions.push({
        partition: p.index,
        currentLeaderEpoch: s.leaderEpoch,
        fetchOffset,
        lastFetchedEpoch,
        logStartOffset: p.log.logStartOffset,
        partitionMaxBytes: this.cfg.partitionMaxBytes,
        replicaDirectoryId: ZERO_UUID,
      });
    }
    const request: FetchRequest = {
      clusterId: null,
      replicaId: this.cfg.nodeId,
      replicaState: { replicaId: this.cfg.nodeId, replicaEpoch: this.cfg.brokerEpoch() },
      maxWaitMs: this.cfg.maxWaitMs,
      minBytes: this.cfg.minBytes,
      maxBytes: this.cfg.maxBytes,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [...topics.values()],
      forgottenTopicsData: [],
      rackId: '',
    };
    const { response } = await this.pool.request(this.sourceId, FetchApi, () => request, {
      maxVersion: version,
      minVersion: version,
      timeoutMs: this.cfg.maxWaitMs + this.cfg.socketTimeoutMs,
    });
    if (response.errorCode !== ErrorCode.NONE) throw new KafkaError(response.errorCode, `fetch from ${this.sourceId} failed`);
    for (const t of response.responses) {
      for (const pd of t.partitions) {
        const entry = sent.get(`${byId ? t.topicId : t.topic}:${pd.partitionIndex}`);
        // Dropped or restarted meanwhile (new leader epoch), or the log moved: the answer is about a past state.
        if (!entry || !this.current(entry.s) || entry.fetchOffset !== entry.s.p.log.logEndOffset) continue;
        try {
          this.processPartition(entry, pd, version);
        } catch (e) {
          this.log.warn({ topic: entry.s.p.topic, partition: entry.s.p.index, err: (e as Error).message }, 'applying fetched data failed');
          if (e instanceof KafkaError && e.code === ErrorCode.OFFSET_OUT_OF_RANGE) entry.s.mode = 'truncating';
          this.backOff(entry.s);
        }
      }
    }
  }

  private processPartition(entry: Sent, pd: FetchResponsePartitionData, version: number): void {
    const { s } = entry;
    const p = s.p;
    switch (pd.errorCode) {
      case ErrorCode.NONE: {
        if (version >= FETCH_TRUNCATION_VERSION && pd.divergingEpoch.epoch >= 0) {
          const before = p.log.logEndOffset;
          const d = truncationTarget((e) => p.log.endOffsetForEpoch(e), before, pd.divergingEpoch);
          // Incomplete: the next fetch sends our new last epoch and the leader checks again.
          if (d) truncateFollower(p, d.offset);
          else s.skipEpochOnce = true;
          this.log.info(
            { topic: p.topic, partition: p.index, from: before, to: p.log.logEndOffset, leader: this.sourceId, divergingEpoch: pd.divergingEpoch },
            'truncated diverging log',
          );
          return;
        }
        const records = recordsOf(pd.records);
        if (records && records.length > 0) appendAsFollower(p, records);
        applyLeaderOffsets(p, pd.highWatermark, pd.logStartOffset);
        s.skipEpochOnce = false;
        return;
      }
      case ErrorCode.OFFSET_OUT_OF_RANGE: {
        if (pd.logStartOffset >= 0 && entry.fetchOffset < pd.logStartOffset) {
          // The leader no longer has what we would fetch next (retention, DeleteRecords): start over at its start.
          this.log.info({ topic: p.topic, partition: p.index, from: entry.fetchOffset, to: pd.logStartOffset }, 'follower behind the leader log start');
          p.truncateFullyAndStartAt(pd.logStartOffset);
        } else if (entry.lastFetchedEpoch >= 0 && !s.skipEpochOnce) {
          // The leader could not place our last epoch (Kafka answers that with OFFSET_OUT_OF_RANGE).
          s.skipEpochOnce = true;
        } else {
          // Our log reaches past the leader's: find the point of divergence.
          s.mode = 'truncating';
        }
        return;
      }
      default:
        // FENCED_LEADER_EPOCH (our metadata is behind), UNKNOWN_LEADER_EPOCH (the leader's is), NOT_LEADER_OR_FOLLOWER,
        // UNKNOWN_TOPIC_*: the next metadata update settles it; until then, retry slowly.
        this.backOff(s);
    }
  }
}
