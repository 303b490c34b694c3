// The metadata log of a multi-node quorum: controller writes go through the Raft core, and the image follows the
// committed log. It has LocalMetadataLog's surface (MetadataCommitter for the controller, onDelta listeners,
// replay) so the broker assembly can use either.
//
// Entries: one Raft entry per metadata record, its value the record as KRaft frames it (record-serde), so offsets
// count records as in Kafka (a broker's epoch is the offset of its RegisterBrokerRecord). One commit() is one
// append, which the disk log stores as one batch and hands out whole (entry-batches.ts): a controller write is
// applied all at once or not at all, on every node.
//
// commit() is accepted only by the active controller: the quorum leader once the LeaderChange entry of its epoch is
// applied — by then everything committed before the epoch is in the image, so the controller validates against
// the whole history. It resolves once the records are committed and applied (listeners have seen the delta), and
// rejects with NOT_CONTROLLER when leadership is lost first or the entries were replaced by another leader's.
//
// Snapshots: after enough records or bytes (or time) since the last one, the image is written as a snapshot at the
// applied offset and the Raft core drops the log prefix it covers; a lagging follower then gets the snapshot.

import { ErrorCode, KafkaError } from '../../wire/errors';
import type { AppendResult, RaftOutput } from '../raft';
import type { SnapshotId } from '../raft/types';
import type { Logger } from '../../handlers/types';
import type { MetadataCommitter, MetadataRecordOut } from '../controller/controller';
import { MetadataDelta, MetadataImage, emptyDelta } from './image';
import type { DeltaListener } from './local-metadata-log';
import { decodeMetadataRecord, encodeMetadataRecord } from './record-serde';
import { snapshotOfImage, snapshotRecordValues } from './image-snapshot';

export type RaftEvent = Exclude<RaftOutput, { kind: 'send' }>;

/** What the metadata log needs from the node running the Raft core (the QuorumDriver). */
export interface RaftClient {
  readonly nodeId: number;
  append(records: Buffer[]): AppendResult;
  createSnapshot(endOffset: number, data: Buffer): SnapshotId;
  /** Where the next append lands (the log end offset). */
  endOffset(): number;
  /** The latest high watermark a leader reported to this node (-1 before any); the leader's own when leading. */
  knownHighWatermark(): number;
  /** Every non-network output of the core, in order. */
  subscribe(listener: (event: RaftEvent) => void): void;
  /** Called whenever knownHighWatermark() moves (a follower may be caught up with no new entry to apply). */
  onHighWatermark?(listener: () => void): void;
}

export interface RaftMetadataLogOptions {
  /** metadata.log.max.record.bytes.between.snapshots (Kafka: 20 MiB). */
  snapshotMaxBytes?: number;
  /** Also snapshot after this many records (tests; unbounded by default). */
  snapshotMaxRecords?: number;
  /** metadata.log.max.snapshot.interval.ms: snapshot at least this often while records arrive (Kafka: 1 hour). */
  snapshotIntervalMs?: number;
  now?: () => number;
  log?: Logger;
}

interface PendingCommit {
  lastOffset: number;
  epoch: number;
  resolve: () => void;
  reject: (e: Error) => void;
}

type LeadershipListener = (active: boolean, epoch: number) => void;

const notController = (why: string) => new KafkaError(ErrorCode.NOT_CONTROLLER, why);

export class RaftMetadataLog implements MetadataCommitter {
  private readonly listeners: DeltaListener[] = [];
  private readonly leadershipListeners: LeadershipListener[] = [];
  private pending: PendingCommit[] = [];
  /** Events that arrived before replay(): the image is built only once the assembly has attached its listeners. */
  private queued: RaftEvent[] | null = [];
  private role = 'unattached';
  private epoch = 0;
  /** The epoch in which this node is the active controller, -1 when it is not. */
  private activeEpoch = -1;
  private lastSnapshotEnd = 0;
  private recordsSinceSnapshot = 0;
  private bytesSinceSnapshot = 0;
  private lastSnapshotAt: number;
  private readonly caughtUpWaiters: (() => void)[] = [];
  private readonly now: () => number;

  constructor(
    private readonly raft: RaftClient,
    readonly image: MetadataImage,
    private readonly opts: RaftMetadataLogOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.lastSnapshotAt = this.now();
    raft.subscribe((e) => {
      if (this.queued !== null) this.queued.push(e);
      else this.onEvent(e);
    });
    raft.onHighWatermark?.(() => this.checkCaughtUp());
  }

  onDelta(listener: DeltaListener): void {
    this.listeners.push(listener);
  }

  /** Called with (true, epoch) when this node becomes the active controller and (false, epoch) when it stops. */
  onLeadership(listener: LeadershipListener): void {
    this.leadershipListeners.push(listener);
  }

  /**
   * Starts applying: everything the core handed out so far (the snapshot loaded at start-up, entries committed
   * since) is applied and published as one delta, and later commits are applied as they come. Unlike the local log,
   * a restarted node learns what is committed from the quorum: wait for whenCaughtUp() before serving.
   */
  replay(): MetadataDelta {
    const queued = this.queued ?? [];
    this.queued = null;
    const delta = emptyDelta();
    for (const e of queued) this.onEvent(e, delta);
    this.publish(delta);
    return delta;
  }

  /** True on the quorum leader once its epoch's LeaderChange entry is applied. */
  isActive(): boolean {
    return this.activeEpoch >= 0 && this.activeEpoch === this.epoch && this.role === 'leader';
  }

  /** The epoch of the active controller as this node knows it (its Raft epoch). */
  get controllerEpoch(): number {
    return this.epoch;
  }

  get lastAppliedOffset(): number {
    return this.image.lastAppliedOffset;
  }

  /** Where the next commit's first record will land (Kafka's broker epoch for a registration). */
  nextWriteOffset(): number {
    return this.raft.endOffset();
  }

  /**
   * Resolves once this node has applied everything committed as of the last high watermark a leader told it (or
   * leads, with its epoch's entry applied): its image is then as current as the quorum's.
   */
  whenCaughtUp(): Promise<void> {
    if (this.isCaughtUp()) return Promise.resolve();
    return new Promise((resolve) => this.caughtUpWaiters.push(resolve));
  }

  isCaughtUp(): boolean {
    if (this.queued !== null) return false;
    if (this.isActive()) return true;
    const hw = this.raft.knownHighWatermark();
    return hw >= 0 && this.image.lastAppliedOffset + 1 >= hw;
  }

  async commit(records: MetadataRecordOut[]): Promise<void> {
    if (records.length === 0) return;
    if (!this.isActive()) throw notController(`node ${this.raft.nodeId} is not the active controller`);
    const values = records.map((r) => encodeMetadataRecord(r.apiKey, r.version, r.data));
    const r = this.raft.append(values);
    if ('notLeader' in r) throw notController(`node ${this.raft.nodeId} is no longer the quorum leader`);
    return new Promise<void>((resolve, reject) => this.pending.push({ lastOffset: r.offset, epoch: r.epoch, resolve, reject }));
  }

  /** Fails every commit still waiting (shutdown). */
  close(): void {
    this.failPending('the metadata log is closed');
  }

  // --- events from the core ---

  private onEvent(e: RaftEvent, into?: MetadataDelta): void {
    switch (e.kind) {
      case 'roleChange':
        return this.onRoleChange(e.role, e.epoch);
      case 'committed':
        return this.onCommitted(e.entries, into);
      case 'loadSnapshot':
        return this.onLoadSnapshot(e.snapshotId, e.data, into);
    }
  }

  private onRoleChange(role: string, epoch: number): void {
    const wasActive = this.isActive();
    if (role !== 'leader' || epoch !== this.epoch) {
      // Whatever this node appended as leader may yet be committed by the next leader, or replaced: the writer
      // cannot know, so it hears NOT_CONTROLLER and retries against the new controller (as with Kafka).
      this.failPending(`leadership of epoch ${this.epoch} was lost`);
      this.activeEpoch = -1;
    }
    this.role = role;
    this.epoch = epoch;
    if (wasActive && !this.isActive()) this.notifyLeadership(false);
  }

  private onCommitted(entries: readonly { offset: number; epoch: number; value: Buffer; control?: unknown }[], into?: MetadataDelta): void {
    if (entries.length === 0) return;
    const delta = into ?? emptyDelta();
    let lastEpoch = -1;
    for (const e of entries) {
      lastEpoch = e.epoch;
      if (e.control !== undefined || e.value.length === 0) continue;
      const { apiKey, data } = decodeMetadataRecord(e.value);
      this.image.apply(apiKey, data, delta);
      this.recordsSinceSnapshot++;
      this.bytesSinceSnapshot += e.value.length;
    }
    const last = entries[entries.length - 1]!;
    this.image.lastAppliedOffset = last.offset;
    if (into === undefined) this.publish(delta);
    this.settlePending(entries);
    const becameActive = !this.isActive() && this.role === 'leader' && lastEpoch === this.epoch;
    if (becameActive) {
      this.activeEpoch = this.epoch;
      this.notifyLeadership(true);
    }
    this.maybeSnapshot(last.offset + 1, last.epoch);
    this.checkCaughtUp();
  }

  private onLoadSnapshot(id: SnapshotId, data: Buffer, into?: MetadataDelta): void {
    const values = snapshotRecordValues(data);
    const before = {
      topics: new Map([...this.image.topics].map(([name, t]) => [name, t])),
      brokers: [...this.image.brokers.keys()],
      configs: this.image.configResources().map((c) => ({ resourceType: c.resourceType, resourceName: c.resourceName })),
    };
    this.image.reset();
    const delta = into ?? emptyDelta();
    for (const v of values) {
      const { apiKey, data: record } = decodeMetadataRecord(v);
      this.image.apply(apiKey, record, delta);
    }
    // The snapshot replaces the image: whatever it no longer holds is gone, and listeners must hear so.
    for (const [name, t] of before.topics) {
      const now = this.image.topics.get(name);
      if (now === undefined || now.id !== t.id) {
        delta.deletedTopics.set(name, t);
        if (now === undefined) delta.createdTopics.delete(name);
      }
    }
    for (const b of before.brokers) delta.changedBrokers.add(b);
    for (const c of before.configs) delta.changedConfigs.push(c);
    this.image.lastAppliedOffset = id.endOffset - 1;
    this.lastSnapshotEnd = Math.max(this.lastSnapshotEnd, id.endOffset);
    this.recordsSinceSnapshot = 0;
    this.bytesSinceSnapshot = 0;
    this.lastSnapshotAt = this.now();
    this.failPending('the metadata image was replaced by a snapshot');
    if (into === undefined) this.publish(delta);
    this.checkCaughtUp();
  }

  // --- helpers ---

  private settlePending(entries: readonly { offset: number; epoch: number }[]): void {
    if (this.pending.length === 0) return;
    const first = entries[0]!.offset;
    const last = entries[entries.length - 1]!.offset;
    const still: PendingCommit[] = [];
    for (const p of this.pending) {
      if (p.lastOffset > last) {
        still.push(p);
        continue;
      }
      const e = p.lastOffset >= first ? entries[p.lastOffset - first] : undefined;
      if (e !== undefined && e.epoch === p.epoch) p.resolve();
      else p.reject(notController(`the write at offset ${p.lastOffset} was replaced by another leader's`));
    }
    this.pending = still;
  }

  private failPending(why: string): void {
    const pending = this.pending;
    this.pending = [];
    for (const p of pending) p.reject(notController(why));
  }

  private publish(delta: MetadataDelta): void {
    for (const l of this.listeners) {
      try {
        l(delta, this.image);
      } catch (e) {
        this.opts.log?.error({ err: (e as Error).message }, 'metadata delta listener failed');
      }
    }
  }

  private notifyLeadership(active: boolean): void {
    for (const l of this.leadershipListeners) {
      try {
        l(active, this.epoch);
      } catch (e) {
        this.opts.log?.error({ err: (e as Error).message }, 'controller leadership listener failed');
      }
    }
  }

  private checkCaughtUp(): void {
    if (this.caughtUpWaiters.length === 0 || !this.isCaughtUp()) return;
    for (const w of this.caughtUpWaiters.splice(0)) w();
  }

  private maybeSnapshot(endOffset: number, epoch: number): void {
    if (this.recordsSinceSnapshot === 0 || endOffset <= this.lastSnapshotEnd) return;
    const o = this.opts;
    const due =
      this.bytesSinceSnapshot >= (o.snapshotMaxBytes ?? 20 * 1024 * 1024) ||
      this.recordsSinceSnapshot >= (o.snapshotMaxRecords ?? Number.POSITIVE_INFINITY) ||
      this.now() - this.lastSnapshotAt >= (o.snapshotIntervalMs ?? 3_600_000);
    if (!due) return;
    try {
      const id = this.raft.createSnapshot(endOffset, snapshotOfImage(this.image, epoch, this.now()));
      this.lastSnapshotEnd = id.endOffset;
      this.recordsSinceSnapshot = 0;
      this.bytesSinceSnapshot = 0;
      this.lastSnapshotAt = this.now();
      this.opts.log?.info({ endOffset: id.endOffset, epoch: id.epoch }, 'metadata snapshot written');
    } catch (e) {
      this.opts.log?.warn({ err: (e as Error).message, endOffset }, 'metadata snapshot failed');
    }
  }
}
