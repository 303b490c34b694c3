// Runs a RaftNode in the process: feeds it time (a tick every few milliseconds), requests from other members (the
// quorum API handlers call deliver()) and their answers, and carries out what it asks for — messages go out through
// the transport, everything else (committed entries, snapshots to load, role changes) goes to the subscribers, in
// the order the core decided it.
//
// Answers to inbound requests leave the core as ordinary 'send' outputs; the driver matches each to the request it
// answers (fetches by a correlation id the driver assigns, the rest first-in first-out per sender and kind), so a
// handler's deliver() resolves with it. A fetch the leader holds (long poll) is answered whenever the core decides.

import { ErrorCode, KafkaError } from '../wire/errors';
import type { Logger } from '../handlers/types';
import type { AppendResult, RaftNode, RaftOutput } from './raft/raft-node';
import { RaftInvariantError } from './raft/raft-node';
import type {
  BeginQuorumEpochRequest,
  BeginQuorumEpochResponse,
  EndQuorumEpochRequest,
  EndQuorumEpochResponse,
  FetchRequest,
  FetchResponse,
  FetchSnapshotRequest,
  FetchSnapshotResponse,
  RaftMessage,
  RaftRequest,
  RaftResponse,
  VoteRequest,
  VoteResponse,
} from './raft/messages';
import type { RaftLog } from './raft/raft-log';
import type { QuorumDescription } from './raft/leader-state';
import type { SnapshotId } from './raft/types';
import type { RaftClient, RaftEvent } from './metadata/raft-metadata-log';
import type { QuorumTransport } from './quorum-transport';

export type ResponseFor<T extends RaftRequest> = T extends VoteRequest
  ? VoteResponse
  : T extends BeginQuorumEpochRequest
    ? BeginQuorumEpochResponse
    : T extends EndQuorumEpochRequest
      ? EndQuorumEpochResponse
      : T extends FetchRequest
        ? FetchResponse
        : T extends FetchSnapshotRequest
          ? FetchSnapshotResponse
          : never;

const RESPONSE_OF: Record<RaftRequest['type'], RaftResponse['type']> = {
  VoteRequest: 'VoteResponse',
  BeginQuorumEpochRequest: 'BeginQuorumEpochResponse',
  EndQuorumEpochRequest: 'EndQuorumEpochResponse',
  FetchRequest: 'FetchResponse',
  FetchSnapshotRequest: 'FetchSnapshotResponse',
};

export interface QuorumDriverOptions {
  node: RaftNode;
  /** The node's log (read only here: where the next append lands). */
  raftLog: RaftLog;
  transport: QuorumTransport;
  /** Tick interval; the core's timers are only as precise as this. */
  tickMs?: number;
  now?: () => number;
  /** An inbound request the core has not answered by then gets REQUEST_TIMED_OUT (the core always answers; defensive). */
  inboundTimeoutMs?: number;
  logger?: Logger;
  /** The core reported a broken protocol invariant: the driver has stopped; the node must not go on. */
  onFatal?: (e: Error) => void;
}

interface PendingInbound {
  from: number;
  type: RaftResponse['type'];
  resolve(r: RaftResponse): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

export class QuorumDriver implements RaftClient {
  readonly nodeId: number;
  private readonly node: RaftNode;
  private readonly now: () => number;
  private readonly log: Logger | undefined;
  private timer: NodeJS.Timeout | null = null;
  private started = false;
  private stopped = false;
  private draining = false;
  private tickScheduled = false;
  private readonly subscribers: ((e: RaftEvent) => void)[] = [];
  private readonly highWatermarkListeners: (() => void)[] = [];
  /** Inbound fetches and snapshot fetches by the correlation id the driver gave them. */
  private readonly inboundById = new Map<number, PendingInbound>();
  /** Other inbound requests, first-in first-out by `${from}:${responseType}`. */
  private readonly inboundFifo = new Map<string, PendingInbound[]>();
  /** The inbound fetch of each replica (a new one replaces it in the core without an answer). */
  private readonly fetchOfReplica = new Map<number, number>();
  private nextInboundId = 1;
  private leaderHighWatermark = -1;
  private readonly inflightSends = new Set<Promise<unknown>>();

  constructor(private readonly opts: QuorumDriverOptions) {
    this.node = opts.node;
    this.nodeId = opts.node.id;
    this.now = opts.now ?? Date.now;
    this.log = opts.logger;
  }

  // --- lifecycle ---

  /** Hands out what the core decided at construction (a snapshot to load, its role) and starts the clock. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.drain();
    this.timer = setInterval(() => this.tick(), this.opts.tickMs ?? 10);
  }

  /**
   * Stops the node. A leader first resigns (EndQuorumEpoch), so the others elect a successor at once instead of
   * waiting out the fetch timeout; the announcements get up to `graceMs` to leave.
   */
  async stop(graceMs = 500, resign = true): Promise<void> {
    if (this.stopped) return;
    if (resign && this.started && this.node.resign(this.now())) {
      this.drain();
      const sends = [...this.inflightSends];
      if (sends.length > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([Promise.allSettled(sends), new Promise((r) => (timer = setTimeout(r, graceMs)))]);
        clearTimeout(timer);
      }
    }
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.opts.transport.close();
    const err = new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, 'the quorum member is shutting down');
    for (const p of this.inboundById.values()) this.settle(p, null, err);
    for (const q of this.inboundFifo.values()) for (const p of q) this.settle(p, null, err);
    this.inboundById.clear();
    this.inboundFifo.clear();
  }

  get isRunning(): boolean {
    return this.started && !this.stopped;
  }

  // --- RaftClient (the metadata log) ---

  subscribe(listener: (e: RaftEvent) => void): void {
    this.subscribers.push(listener);
  }

  onHighWatermark(listener: () => void): void {
    this.highWatermarkListeners.push(listener);
  }

  append(records: Buffer[]): AppendResult {
    // A stopped member cannot get anything committed: refuse rather than leave the writer waiting forever.
    if (!this.isRunning) return { notLeader: true, leaderId: null, epoch: this.node.currentEpoch };
    const r = this.node.append(records);
    // The leader counts its own entries only once flushed, which tick() does. Not synchronously here: the caller
    // has yet to note what it appended before the commit can be reported.
    if (!('notLeader' in r)) this.scheduleTick();
    return r;
  }

  createSnapshot(endOffset: number, data: Buffer): SnapshotId {
    return this.node.createSnapshot(endOffset, data);
  }

  endOffset(): number {
    return this.opts.raftLog.endOffset();
  }

  knownHighWatermark(): number {
    return this.node.role === 'leader' ? this.node.highWatermark : this.leaderHighWatermark;
  }

  // --- views for handlers ---

  get role(): string {
    return this.node.role;
  }

  get epoch(): number {
    return this.node.currentEpoch;
  }

  /** The quorum leader this node vouches for, or null. */
  get leaderId(): number | null {
    return this.node.currentLeader;
  }

  describeQuorum(): QuorumDescription | null {
    return this.node.describeQuorum(this.now());
  }

  // --- inbound requests (from the quorum API handlers) ---

  /** Hands a request from `from` to the core; resolves with the core's answer. */
  deliver<T extends RaftRequest>(from: number, request: T): Promise<ResponseFor<T>> {
    if (!this.isRunning) return Promise.reject(new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, 'the quorum member is not running'));
    const type = RESPONSE_OF[request.type];
    return new Promise<ResponseFor<T>>((resolve, reject) => {
      const pending: PendingInbound = {
        from,
        type,
        resolve: resolve as (r: RaftResponse) => void,
        reject,
        timer: setTimeout(() => this.expire(pending), this.opts.inboundTimeoutMs ?? 30_000),
      };
      let message: RaftRequest = request;
      if (request.type === 'FetchRequest' || request.type === 'FetchSnapshotRequest') {
        const id = this.nextInboundId++;
        this.inboundById.set(id, pending);
        message = { ...request, correlationId: id };
        if (request.type === 'FetchRequest') this.replaceFetchOf(request.replicaId, id);
      } else {
        const key = `${from}:${type}`;
        const q = this.inboundFifo.get(key);
        if (q) q.push(pending);
        else this.inboundFifo.set(key, [pending]);
      }
      this.receive(from, message);
    });
  }

  // --- the core ---

  private tick(): void {
    if (this.stopped) return;
    this.tickScheduled = false;
    this.guard(() => this.node.tick(this.now()));
    this.drain();
  }

  private scheduleTick(): void {
    if (this.tickScheduled || !this.isRunning) return;
    this.tickScheduled = true;
    setImmediate(() => this.tick());
  }

  private receive(from: number, message: RaftMessage): void {
    if (this.stopped) return;
    this.guard(() => this.node.receive(from, message, this.now()));
    this.drain();
  }

  private guard(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.fatal(e as Error);
    }
  }

  private fatal(e: Error): void {
    if (this.stopped) return;
    this.log?.error({ err: e.message, invariant: e instanceof RaftInvariantError }, 'metadata quorum member stopped');
    void this.stop(0, false);
    this.opts.onFatal?.(e);
  }

  /** Carries out everything the core decided; re-entrant calls leave it to the running loop. */
  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    try {
      for (;;) {
        const outputs: RaftOutput[] = this.node.takeOutputs();
        if (outputs.length === 0) break;
        for (const o of outputs) {
          if (o.kind === 'send') this.dispatch(o.to, o.message);
          else this.emit(o);
        }
      }
    } finally {
      this.draining = false;
    }
  }

  private emit(e: RaftEvent): void {
    for (const s of this.subscribers) {
      try {
        s(e);
      } catch (err) {
        this.log?.error({ err: (err as Error).message, event: e.kind }, 'metadata quorum subscriber failed');
      }
    }
  }

  private dispatch(to: number, message: RaftMessage): void {
    if (message.type.endsWith('Response')) return this.answer(to, message as RaftResponse);
    if (this.stopped) return;
    const sent = this.opts.transport.send(to, message as RaftRequest).then(
      (resp) => {
        if (resp === null || this.stopped) return;
        const moved = resp.type === 'FetchResponse' && resp.errorCode === ErrorCode.NONE && resp.highWatermark !== this.leaderHighWatermark;
        if (moved) this.leaderHighWatermark = resp.highWatermark;
        this.receive(to, resp);
        // Also when the response brought nothing to apply: a follower may be caught up already.
        if (moved) for (const l of this.highWatermarkListeners) l();
      },
      (e: unknown) => this.log?.debug({ to, err: (e as Error).message }, 'quorum send failed'),
    );
    this.inflightSends.add(sent);
    void sent.finally(() => this.inflightSends.delete(sent));
  }

  /** Routes the core's answer to the inbound request it answers. */
  private answer(to: number, resp: RaftResponse): void {
    let pending: PendingInbound | undefined;
    if (resp.type === 'FetchResponse' || resp.type === 'FetchSnapshotResponse') {
      pending = this.inboundById.get(resp.correlationId);
      this.inboundById.delete(resp.correlationId);
      if (resp.type === 'FetchResponse' && this.fetchOfReplica.get(to) === resp.correlationId) this.fetchOfReplica.delete(to);
    } else {
      const key = `${to}:${resp.type}`;
      const q = this.inboundFifo.get(key);
      pending = q?.shift();
      if (q && q.length === 0) this.inboundFifo.delete(key);
    }
    if (pending) this.settle(pending, resp, null);
  }

  /** A replica's new fetch supersedes its previous one, which the core drops unanswered: answer it empty. */
  private replaceFetchOf(replicaId: number, id: number): void {
    const prev = this.fetchOfReplica.get(replicaId);
    this.fetchOfReplica.set(replicaId, id);
    if (prev === undefined) return;
    const p = this.inboundById.get(prev);
    if (!p) return;
    this.inboundById.delete(prev);
    this.settle(p, null, new KafkaError(ErrorCode.REQUEST_TIMED_OUT, 'superseded by a newer fetch from the same replica'));
  }

  private expire(p: PendingInbound): void {
    for (const [id, x] of this.inboundById) if (x === p) this.inboundById.delete(id);
    for (const [key, q] of this.inboundFifo) {
      const i = q.indexOf(p);
      if (i >= 0) q.splice(i, 1);
      if (q.length === 0) this.inboundFifo.delete(key);
    }
    p.reject(new KafkaError(ErrorCode.REQUEST_TIMED_OUT, 'the quorum member did not answer in time'));
  }

  private settle(p: PendingInbound, resp: RaftResponse | null, err: Error | null): void {
    clearTimeout(p.timer);
    if (resp !== null) p.resolve(resp);
    else p.reject(err ?? new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR));
  }
}
