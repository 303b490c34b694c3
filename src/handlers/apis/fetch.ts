// Fetch (key 1), v4-17. Reads committed data of each requested partition as raw batches (no decoding), honours
// max_bytes and partition max_bytes (the first batch of the first non-empty partition is returned whole even when
// larger, KIP-74), long-polls on min_bytes/max_wait_ms and answers as soon as enough data has landed, and keeps
// incremental fetch sessions (KIP-227). v13+ names topics by id. read_committed (isolation_level 1) reads up to the
// last stable offset and lists the aborted transactions the returned records overlap, so consumers skip them.
//
// A fetch naming a replica id (a follower) reads up to the log end instead of the high watermark, long-polls on
// appends rather than on the high watermark, and reports the follower's progress to the partition, which moves
// the high watermark and the ISR. From v12 a fetcher's last fetched epoch is checked against the leader-epoch
// cache, and a diverging log is told where to truncate (the diverging epoch) instead of getting records.
// Consumers fetching with v11+ may be served by a follower, up to its high watermark, and a leader with the
// rack-aware replica selector points a consumer in another rack to an in-sync replica in its own (KIP-392).

import { FetchApi } from '../../wire/generated/apis';
import type { FetchRequest } from '../../wire/generated/messages/FetchRequest';
import type { FetchResponse, FetchResponsePartitionData } from '../../wire/generated/messages/FetchResponse';
import { ErrorCode } from '../../wire/errors';
import { defineHandler } from '../define';
import type { RequestContext } from '../types';
import { FetchSession, SessionPartition, partitionKey } from '../fetch-sessions';
import { divergingEpoch } from '../../isr/truncation';
import { preferredReadReplica, RACK_AWARE_SELECTOR } from '../../isr/replica-selector';
import type { Partition } from '../../isr/partition';
import { liveBrokerEndpoints } from './metadata';
import { handleQuorumFetch, isQuorumFetch } from './quorum-fetch';

/** The follower a replica fetch comes from (Fetch v15+ carries its broker epoch too). */
interface FollowerFetch {
  replicaId: number;
  brokerEpoch: number;
}

const READ_COMMITTED = 1;

/** One partition to read in this fetch, whether it came from the request or from the session. */
interface FetchTarget {
  topic: string | null;
  topicId: string;
  partition: number;
  fetchOffset: number;
  maxBytes: number;
  currentLeaderEpoch: number;
  /** The epoch of the fetcher's last batch (v12+), -1 when not given. */
  lastFetchedEpoch: number;
  /** The fetcher's own log start offset (a follower's), -1 for consumers. */
  logStartOffset: number;
  session: SessionPartition | null;
}

interface PartitionResult {
  target: FetchTarget;
  data: FetchResponsePartitionData;
  size: number;
}

function emptyPartition(partition: number, errorCode: number): FetchResponsePartitionData {
  return {
    partitionIndex: partition,
    errorCode,
    highWatermark: -1,
    lastStableOffset: -1,
    logStartOffset: -1,
    divergingEpoch: { epoch: -1, endOffset: -1 },
    currentLeader: { leaderId: -1, leaderEpoch: -1 },
    snapshotId: { endOffset: -1, epoch: -1 },
    abortedTransactions: null,
    preferredReadReplica: -1,
    records: null,
  };
}

/** Resolves the request's topics (by name before v13, by id from v13) into targets. */
function requestTargets(req: FetchRequest, ctx: RequestContext): FetchTarget[] {
  const byId = ctx.apiVersion >= 13;
  const out: FetchTarget[] = [];
  for (const t of req.topics) {
    const name = byId ? (ctx.broker.image.topicsById.get(t.topicId)?.name ?? null) : t.topic;
    const topicId = byId ? t.topicId : (ctx.broker.image.topics.get(t.topic)?.id ?? t.topicId);
    for (const p of t.partitions) {
      out.push({
        topic: name,
        topicId,
        partition: p.partition,
        fetchOffset: p.fetchOffset,
        maxBytes: p.partitionMaxBytes,
        currentLeaderEpoch: p.currentLeaderEpoch,
        lastFetchedEpoch: ctx.apiVersion >= 12 ? p.lastFetchedEpoch : -1,
        logStartOffset: p.logStartOffset,
        session: null,
      });
    }
  }
  return out;
}

/** Applies an incremental request to its session and returns every partition of the session as a target. */
function sessionTargets(session: FetchSession, req: FetchRequest, ctx: RequestContext, fresh: boolean): FetchTarget[] {
  const byId = ctx.apiVersion >= 13;
  if (!fresh) {
    for (const f of req.forgottenTopicsData) {
      for (const p of f.partitions) session.partitions.delete(partitionKey(byId ? f.topicId : f.topic, p));
    }
  }
  for (const target of requestTargets(req, ctx)) {
    const k = partitionKey(byId ? target.topicId : (target.topic ?? ''), target.partition);
    const existing = session.partitions.get(k);
    if (existing) {
      existing.fetchOffset = target.fetchOffset;
      existing.maxBytes = target.maxBytes;
      existing.currentLeaderEpoch = target.currentLeaderEpoch;
      existing.lastFetchedEpoch = target.lastFetchedEpoch;
      existing.logStartOffset = target.logStartOffset;
    } else {
      session.partitions.set(k, {
        topic: target.topic ?? '',
        topicId: target.topicId,
        partition: target.partition,
        fetchOffset: target.fetchOffset,
        logStartOffset: target.logStartOffset,
        maxBytes: target.maxBytes,
        currentLeaderEpoch: target.currentLeaderEpoch,
        lastFetchedEpoch: target.lastFetchedEpoch,
        lastHighWatermark: -1,
        lastLogStartOffset: -1,
        lastLastStableOffset: -1,
      });
    }
  }
  return [...session.partitions.values()].map((s) => ({
    topic: byId ? (ctx.broker.image.topicsById.get(s.topicId)?.name ?? null) : s.topic,
    topicId: s.topicId,
    partition: s.partition,
    fetchOffset: s.fetchOffset,
    maxBytes: s.maxBytes,
    currentLeaderEpoch: s.currentLeaderEpoch,
    lastFetchedEpoch: s.lastFetchedEpoch,
    logStartOffset: s.logStartOffset,
    session: s,
  }));
}

/** A partition answer carrying positions only (no records), for the answers that end a fetch at once. */
function positionsOnly(p: Partition, partition: number): FetchResponsePartitionData {
  const data = emptyPartition(partition, ErrorCode.NONE);
  Object.assign(data, { highWatermark: p.highWatermark, lastStableOffset: p.lastStableOffset, logStartOffset: p.log.logStartOffset });
  data.records = Buffer.alloc(0);
  return data;
}

function readAll(
  targets: FetchTarget[],
  req: FetchRequest,
  ctx: RequestContext,
  follower: FollowerFetch | null,
): { results: PartitionResult[]; bytes: number; anyError: boolean } {
  const { replicas, image } = ctx.broker;
  // KIP-392: a consumer's fetch carries client metadata from v11, which lets followers serve it.
  const followerMayServe = follower === null && ctx.apiVersion >= 11;
  const rackAware = followerMayServe && req.rackId !== '' && ctx.broker.config.raw('replica.selector.class') === RACK_AWARE_SELECTOR;
  const rackOf = (id: number) => {
    const b = image.brokers.get(id);
    return b && !b.fenced ? b.rack : undefined;
  };
  let remaining = ctx.apiVersion >= 3 ? req.maxBytes : 0x7fffffff;
  let minOneBatch = true;
  let bytes = 0;
  let anyError = false;
  const results = targets.map((target): PartitionResult => {
    if (target.topic === null) {
      anyError = true;
      return { target, data: emptyPartition(target.partition, ErrorCode.UNKNOWN_TOPIC_ID), size: 0 };
    }
    const p = replicas.getPartition(target.topic, target.partition);
    let errorCode: number = ErrorCode.NONE;
    if (p && target.currentLeaderEpoch !== -1) {
      if (target.currentLeaderEpoch < p.leaderEpoch) errorCode = ErrorCode.FENCED_LEADER_EPOCH;
      else if (target.currentLeaderEpoch > p.leaderEpoch) errorCode = ErrorCode.UNKNOWN_LEADER_EPOCH;
    }
    if (p && p.isLeader && errorCode === ErrorCode.NONE && target.lastFetchedEpoch >= 0) {
      const d = divergingEpoch((e) => p.log.endOffsetForEpoch(e), target.lastFetchedEpoch, target.fetchOffset);
      if (d === 'unknown') errorCode = ErrorCode.OFFSET_OUT_OF_RANGE;
      else if (d) {
        // The fetcher's log diverged from ours: no records, just where to truncate (answered at once).
        anyError = true;
        const data = positionsOnly(p, target.partition);
        data.divergingEpoch = { epoch: d.epoch, endOffset: d.endOffset };
        return { target, data, size: 0 };
      }
    }
    if (errorCode !== ErrorCode.NONE) {
      anyError = true;
      return { target, data: emptyPartition(target.partition, errorCode), size: 0 };
    }
    if (rackAware && p && p.isLeader) {
      const preferred = preferredReadReplica(p, ctx.broker.nodeId, req.rackId, target.fetchOffset, rackOf);
      if (preferred >= 0) {
        // The consumer should read from a replica in its rack: no records from here, answered at once.
        anyError = true;
        const data = positionsOnly(p, target.partition);
        data.preferredReadReplica = preferred;
        return { target, data, size: 0 };
      }
    }
    const maxBytes = Math.max(0, Math.min(target.maxBytes, remaining));
    // The log end when the read began: what the follower's fetch offset is compared with (Kafka's rule).
    const leaderEndOffset = p ? p.log.logEndOffset : -1;
    const out = replicas.read(
      target.topic,
      target.partition,
      target.fetchOffset,
      maxBytes,
      minOneBatch,
      follower !== null,
      req.isolationLevel,
      followerMayServe,
    );
    if (
      out.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE &&
      p && !p.isLeader && target.currentLeaderEpoch === -1 && target.fetchOffset > p.log.logEndOffset
    ) {
      // A follower behind a consumer that gives no leader epoch (no KIP-320): the consumer may simply be on stale
      // metadata, so it gets nothing rather than a reason to reset its position (as Kafka answers it).
      out.errorCode = ErrorCode.NONE;
    }
    if (follower && p && out.errorCode === ErrorCode.NONE) {
      out.errorCode = replicas.recordFollowerFetch(p, follower.replicaId, follower.brokerEpoch, target.fetchOffset, target.logStartOffset, leaderEndOffset);
      // The follower's fetch may have moved the high watermark: report the new one.
      out.highWatermark = p.highWatermark;
      out.lastStableOffset = p.lastStableOffset;
    }
    const data = emptyPartition(target.partition, out.errorCode);
    data.highWatermark = out.highWatermark;
    data.lastStableOffset = out.lastStableOffset;
    data.logStartOffset = out.logStartOffset;
    data.abortedTransactions =
      req.isolationLevel === READ_COMMITTED
        ? (out.abortedTransactions ?? []).map((t) => ({ producerId: t.producerId, firstOffset: t.firstOffset }))
        : null;
    if (out.errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER) {
      const info = image.partition(target.topic, target.partition);
      if (info) data.currentLeader = { leaderId: info.leader, leaderEpoch: info.leaderEpoch };
    }
    if (out.errorCode !== ErrorCode.NONE) anyError = true;
    if (out.size > 0) {
      data.records = out.records;
      remaining -= out.size;
      bytes += out.size;
      minOneBatch = false;
    } else {
      data.records = Buffer.alloc(0);
    }
    return { target, data, size: out.size };
  });
  return { results, bytes, anyError };
}

/**
 * Resolves when any of the partitions' high watermarks advances (a follower: when its log grows), when one
 * changes role, or after `ms`.
 */
function waitForData(targets: FetchTarget[], ctx: RequestContext, ms: number, follower: boolean): Promise<void> {
  return new Promise((resolve) => {
    const cancels: (() => void)[] = [];
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      for (const c of cancels) c();
      resolve();
    };
    const timer = setTimeout(finish, ms);
    for (const t of targets) {
      if (t.topic === null) continue;
      const p = ctx.broker.replicas.getPartition(t.topic, t.partition);
      if (p) cancels.push(follower ? p.onLogAppend(finish) : p.onAdvance(finish));
    }
  });
}

/** In an incremental session, a partition is sent only when something about it is new to the client. */
function changedForSession(r: PartitionResult): boolean {
  const s = r.target.session!;
  const d = r.data;
  return (
    r.size > 0 ||
    d.errorCode !== ErrorCode.NONE ||
    d.highWatermark !== s.lastHighWatermark ||
    d.logStartOffset !== s.lastLogStartOffset ||
    d.lastStableOffset !== s.lastLastStableOffset
  );
}

function buildResponse(results: PartitionResult[], sessionId: number, incremental: boolean): FetchResponse {
  const topics = new Map<string, FetchResponse['responses'][number]>();
  for (const r of results) {
    if (incremental && !changedForSession(r)) continue;
    if (r.target.session) {
      r.target.session.lastHighWatermark = r.data.highWatermark;
      r.target.session.lastLogStartOffset = r.data.logStartOffset;
      r.target.session.lastLastStableOffset = r.data.lastStableOffset;
    }
    const key = `${r.target.topicId}\u0000${r.target.topic ?? ''}`;
    let t = topics.get(key);
    if (!t) topics.set(key, (t = { topic: r.target.topic ?? '', topicId: r.target.topicId, partitions: [] }));
    t.partitions.push(r.data);
  }
  return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId, responses: [...topics.values()], nodeEndpoints: [] };
}

async function handleFetch(req: FetchRequest, ctx: RequestContext): Promise<FetchResponse> {
  // The metadata quorum's own replication arrives as Fetch of __cluster_metadata on a controller listener.
  if (isQuorumFetch(req, ctx)) return handleQuorumFetch(req, ctx);
  const replicaId = ctx.apiVersion >= 15 ? req.replicaState.replicaId : req.replicaId;
  const follower: FollowerFetch | null =
    replicaId >= 0 ? { replicaId, brokerEpoch: ctx.apiVersion >= 15 ? req.replicaState.replicaEpoch : -1 } : null;
  const lookup = ctx.broker.fetchSessions.begin(req.sessionId, req.sessionEpoch);
  if (lookup.kind === 'error') {
    return { throttleTimeMs: 0, errorCode: lookup.errorCode, sessionId: 0, responses: [], nodeEndpoints: [] };
  }
  const session = lookup.kind === 'sessionless' ? null : lookup.session;
  const targets = session ? sessionTargets(session, req, ctx, lookup.kind === 'new') : requestTargets(req, ctx);
  const deadline = ctx.broker.now() + Math.max(0, req.maxWaitMs);
  let read = readAll(targets, req, ctx, follower);
  while (read.bytes < req.minBytes && !read.anyError && targets.length > 0) {
    const left = deadline - ctx.broker.now();
    if (left <= 0) break;
    await waitForData(targets, ctx, left, follower !== null);
    read = readAll(targets, req, ctx, follower);
  }
  // Bytes out are counted here, once per response: the reads of a long poll that did not answer are not sent.
  const traffic = ctx.broker.replicas.observer;
  if (traffic) for (const r of read.results) if (r.size > 0) traffic.sent(r.target.topic!, r.size);
  const res = buildResponse(read.results, session?.id ?? 0, lookup.kind === 'incremental');
  if (ctx.apiVersion >= 16) res.nodeEndpoints = leaderEndpoints(res, ctx);
  if (session && lookup.kind === 'incremental') ctx.broker.fetchSessions.advance(session);
  return res;
}

/** KIP-951 (v16+): the addresses of the leaders named in NOT_LEADER_OR_FOLLOWER answers. */
function leaderEndpoints(res: FetchResponse, ctx: RequestContext): FetchResponse['nodeEndpoints'] {
  const leaders = new Set<number>();
  for (const t of res.responses) {
    for (const p of t.partitions) if (p.errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER && p.currentLeader.leaderId >= 0) leaders.add(p.currentLeader.leaderId);
  }
  if (leaders.size === 0) return [];
  return liveBrokerEndpoints(ctx).filter((e) => leaders.has(e.nodeId));
}

function errorFetchResponse(req: FetchRequest, errorCode: number): FetchResponse {
  return {
    throttleTimeMs: 0,
    errorCode: ErrorCode.NONE,
    sessionId: 0,
    responses: req.topics.map((t) => ({
      topic: t.topic,
      topicId: t.topicId,
      partitions: t.partitions.map((p) => ({ ...emptyPartition(p.partition, errorCode), records: Buffer.alloc(0) })),
    })),
    nodeEndpoints: [],
  };
}

export const fetchHandler = defineHandler(FetchApi, {
  minVersion: 4,
  maxVersion: 17,
  handle: handleFetch,
  errorResponse(req, errorCode, ctx) {
    // Whole-request failures of fetch sessions are reported at the top level (v7+); others per partition.
    if (ctx.apiVersion >= 7 && (errorCode === ErrorCode.UNSUPPORTED_VERSION || errorCode === ErrorCode.UNKNOWN_SERVER_ERROR)) {
      return { throttleTimeMs: 0, errorCode, sessionId: 0, responses: [], nodeEndpoints: [] };
    }
    return errorFetchResponse(req, errorCode);
  },
});
