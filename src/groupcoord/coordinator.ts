// The group coordinator: the entry points the API handlers call, ownership and loading of __consumer_offsets
// partitions, committed offsets (commit, fetch, delete, expiry; transactional commits, which wait for their
// transaction's marker) and group administration (describe, list, delete). The classic membership protocol itself
// lives in membership.ts.
//
// Node runs this single-threaded, so each synchronous stretch of a method is atomic; across an await (a log
// append) the group may have moved on, and every continuation re-checks the state it relies on.

import { ErrorCode } from '../wire/errors';
import { type Clock, KeyedTimers, SystemClock, type TimerHandle } from './clock';
import { type GroupCoordinatorConfig, resolveConfig } from './config';
import { CONSUMER_PROTOCOL_TYPE } from './consumer-protocol';
import { commitAppendError, groupAppendError } from './errors';
import { ClassicGroup } from './group';
import { type CoordinatorLogger, Membership, joinError, syncError } from './membership';
import type { CommittedOffset, TopicPartitionRef } from './offsets';
import { partitionFor } from './partition';
import {
  buildGroups,
  type CoordinatorLog,
  type CoordinatorRecord,
  groupMetadataRecord,
  groupTombstone,
  offsetCommitRecord,
  offsetTombstone,
  replayPartition,
} from './persistence';
import type {
  CommitOffsetsParams,
  CommitOffsetsResult,
  DeleteGroupsResult,
  DeleteOffsetsParams,
  DeleteOffsetsResult,
  DescribedGroup,
  FetchOffsetsParams,
  FetchOffsetsPartitionResult,
  FetchOffsetsResult,
  HeartbeatParams,
  HeartbeatResult,
  JoinGroupParams,
  JoinGroupResult,
  LeaveGroupParams,
  LeaveGroupResult,
  ListGroupsResult,
  SyncGroupParams,
  SyncGroupResult,
  TxnCommitOffsetsParams,
} from './types';

export interface GroupCoordinatorOptions {
  log: CoordinatorLog;
  clock?: Clock;
  config?: Partial<GroupCoordinatorConfig>;
  logger?: CoordinatorLogger;
  /** Member id generator (tests make ids predictable); default `${prefix}-${uuid}`. */
  newMemberId?: (prefix: string) => string;
}

/** Kafka's group type name for classic groups (ListGroups v5+). */
export const CLASSIC_GROUP_TYPE = 'classic';

const NO_LOGGER: CoordinatorLogger = { info: () => {}, warn: () => {} };

type PartitionOwnership = { state: 'loading'; token: object; done: Promise<void> } | { state: 'active' };

export class GroupCoordinator {
  readonly config: GroupCoordinatorConfig;
  private readonly clock: Clock;
  private readonly log: CoordinatorLog;
  private readonly logger: CoordinatorLogger;
  private readonly timers: KeyedTimers;
  private readonly membership: Membership;
  private readonly groups = new Map<string, ClassicGroup>();
  private readonly partitions = new Map<number, PartitionOwnership>();
  private active = false;
  private retentionTimer: TimerHandle | null = null;
  /** Issue order of log writes; see GroupOffsets. */
  private writeSeq = 0;
  /** Groups holding offsets of each producer's undecided transaction (Kafka's openGroupsForProducer). */
  private readonly txnGroups = new Map<number, Set<string>>();
  /** Markers that landed in a partition while it was loading (the replay may have read past them). */
  private readonly markersDuringLoad = new Map<number, { producerId: number; commit: boolean }[]>();

  constructor(opts: GroupCoordinatorOptions) {
    this.config = resolveConfig(opts.config);
    this.clock = opts.clock ?? new SystemClock();
    this.log = opts.log;
    this.logger = opts.logger ?? NO_LOGGER;
    // A failing timer (a coordinator bug) is logged rather than allowed to take the broker down.
    this.timers = new KeyedTimers(this.clock, (err) =>
      this.logger.warn(`group coordinator timer failed: ${String(err)}`),
    );
    this.membership = new Membership({
      config: this.config,
      timers: this.timers,
      now: () => this.clock.now(),
      storeGroup: (group, assignment) => this.log.append(group.partition, [groupMetadataRecord(group, assignment)]),
      isLive: (group) => this.groups.get(group.groupId) === group,
      logger: this.logger,
      ...(opts.newMemberId !== undefined ? { newMemberId: opts.newMemberId } : {}),
    });
  }

  // ---------------------------------------------------------------- lifecycle and ownership

  /** Starts serving requests and the periodic offset expiry. */
  startup(): void {
    if (this.active) return;
    this.active = true;
    this.scheduleRetentionCheck();
  }

  /** Stops serving: every owned partition is unloaded and all timers stop. */
  shutdown(): void {
    this.active = false;
    for (const p of [...this.partitions.keys()]) this.onResignation(p);
    this.timers.cancelAll();
    if (this.retentionTimer !== null) this.clock.cancel(this.retentionTimer);
    this.retentionTimer = null;
  }

  /** The __consumer_offsets partition that owns a group. */
  partitionFor(groupId: string): number {
    return partitionFor(groupId, this.config.offsetsTopicNumPartitions);
  }

  /**
   * This broker became leader of a __consumer_offsets partition: replay it into memory. Its groups answer
   * COORDINATOR_LOAD_IN_PROGRESS until the returned promise resolves.
   */
  onElection(partition: number): Promise<void> {
    const cur = this.partitions.get(partition);
    if (cur !== undefined) return cur.state === 'loading' ? cur.done : Promise.resolve();
    const token = {};
    const done = this.load(partition, token);
    this.partitions.set(partition, { state: 'loading', token, done });
    return done;
  }

  private async load(partition: number, token: object): Promise<void> {
    const started = this.clock.now();
    let loaded;
    try {
      loaded = await replayPartition(this.log, partition);
    } catch (err) {
      const cur = this.partitions.get(partition);
      if (cur?.state === 'loading' && cur.token === token) this.partitions.delete(partition);
      this.logger.warn(`__consumer_offsets-${partition}: load failed: ${String(err)}`);
      throw err;
    }
    const cur = this.partitions.get(partition);
    if (cur?.state !== 'loading' || cur.token !== token) return; // resigned while loading
    const groups = buildGroups(loaded, partition, this.clock.now());
    for (const g of groups) {
      this.groups.set(g.groupId, g);
      this.membership.afterLoad(g);
      for (const pid of g.txnOffsets.producers()) this.noteTxnGroup(pid, g.groupId);
    }
    this.partitions.set(partition, { state: 'active' });
    const markers = this.markersDuringLoad.get(partition) ?? [];
    this.markersDuringLoad.delete(partition);
    for (const m of markers) this.completeTransaction(partition, m.producerId, m.commit);
    this.logger.info(
      `__consumer_offsets-${partition}: loaded ${groups.length} groups in ${this.clock.now() - started} ms`,
    );
  }

  /** This broker is no longer leader of the partition: drop its groups, answering parked requests. */
  onResignation(partition: number): void {
    this.partitions.delete(partition);
    this.markersDuringLoad.delete(partition);
    for (const g of [...this.groups.values()]) {
      if (g.partition !== partition) continue;
      this.membership.unload(g, ErrorCode.NOT_COORDINATOR);
      this.groups.delete(g.groupId);
    }
  }

  isLoading(partition: number): boolean {
    return this.partitions.get(partition)?.state === 'loading';
  }

  ownsPartition(partition: number): boolean {
    return this.partitions.get(partition)?.state === 'active';
  }

  /**
   * NONE when requests for the group can be served here. Commits, fetches, describes and deletes accept an empty
   * group id (old clients committed offsets under ""); the membership APIs do not.
   */
  private groupStatus(groupId: string, allowEmptyId: boolean): number {
    if (!allowEmptyId && groupId === '') return ErrorCode.INVALID_GROUP_ID;
    if (!this.active) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const owned = this.partitions.get(this.partitionFor(groupId));
    if (owned === undefined) return ErrorCode.NOT_COORDINATOR;
    if (owned.state === 'loading') return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
    return ErrorCode.NONE;
  }

  private createGroup(groupId: string): ClassicGroup {
    const g = new ClassicGroup(groupId, this.partitionFor(groupId), this.clock.now());
    this.groups.set(groupId, g);
    return g;
  }

  /** A group created by a request that then failed, with nothing in it, is not kept around. */
  private dropIfUnused(group: ClassicGroup): void {
    if (
      this.groups.get(group.groupId) === group &&
      group.is('Empty') &&
      group.generationId === 0 &&
      group.size === 0 &&
      group.pendingMembers.size === 0 &&
      group.offsets.isEmpty &&
      !group.offsets.hasAnyPending &&
      group.txnOffsets.isEmpty
    ) {
      this.groups.delete(group.groupId);
    }
  }

  // ---------------------------------------------------------------- membership APIs

  async joinGroup(p: JoinGroupParams): Promise<JoinGroupResult> {
    const status = this.groupStatus(p.groupId, false);
    if (status !== ErrorCode.NONE) return joinError(p.memberId, status);
    const { groupMinSessionTimeoutMs: min, groupMaxSessionTimeoutMs: max } = this.config;
    if (p.sessionTimeoutMs < min || p.sessionTimeoutMs > max)
      return joinError(p.memberId, ErrorCode.INVALID_SESSION_TIMEOUT);
    let group = this.groups.get(p.groupId);
    if (group === undefined) {
      // Only a member without an id may create a group; a member id for a group we do not know is stale.
      if (p.memberId !== '') return joinError(p.memberId, ErrorCode.UNKNOWN_MEMBER_ID);
      group = this.createGroup(p.groupId);
    }
    const result = await this.membership.join(group, p);
    if (result.errorCode !== ErrorCode.NONE) this.dropIfUnused(group);
    return result;
  }

  async syncGroup(p: SyncGroupParams): Promise<SyncGroupResult> {
    const status = this.groupStatus(p.groupId, false);
    // A loading coordinator has lost the rebalance in progress; REBALANCE_IN_PROGRESS sends the member back to
    // JoinGroup without a coordinator lookup (older clients do not expect COORDINATOR_LOAD_IN_PROGRESS here).
    if (status === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS) return syncError(ErrorCode.REBALANCE_IN_PROGRESS);
    if (status !== ErrorCode.NONE) return syncError(status);
    const group = this.groups.get(p.groupId);
    if (group === undefined) return syncError(ErrorCode.UNKNOWN_MEMBER_ID);
    return this.membership.sync(group, p);
  }

  heartbeat(p: HeartbeatParams): HeartbeatResult {
    const status = this.groupStatus(p.groupId, false);
    // While loading, heartbeats are accepted blindly: the member's state is not known yet, and an error would
    // make every member of every group on the partition rejoin at once.
    if (status === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS) return { errorCode: ErrorCode.NONE };
    if (status !== ErrorCode.NONE) return { errorCode: status };
    const group = this.groups.get(p.groupId);
    if (group === undefined) return { errorCode: ErrorCode.UNKNOWN_MEMBER_ID };
    return this.membership.heartbeat(group, p);
  }

  leaveGroup(p: LeaveGroupParams): LeaveGroupResult {
    const status = this.groupStatus(p.groupId, false);
    if (status !== ErrorCode.NONE) return { errorCode: status, members: [] };
    const group = this.groups.get(p.groupId);
    if (group === undefined) {
      return {
        errorCode: ErrorCode.NONE,
        members: p.members.map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          errorCode: ErrorCode.UNKNOWN_MEMBER_ID,
        })),
      };
    }
    return this.membership.leave(group, p.members);
  }

  // ---------------------------------------------------------------- offsets

  async commitOffsets(p: CommitOffsetsParams): Promise<CommitOffsetsResult> {
    const all = (code: number): CommitOffsetsResult => ({
      topics: p.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((x) => ({ partitionIndex: x.partitionIndex, errorCode: code })),
      })),
    });
    const status = this.groupStatus(p.groupId, true);
    if (status !== ErrorCode.NONE) return all(status);

    let group = this.groups.get(p.groupId);
    if (group === undefined) {
      // Without a generation the committer is not using group management (a standalone consumer or an admin
      // tool): the group exists just to hold offsets. With one, it is a member of a group we no longer know.
      if (p.generationIdOrMemberEpoch >= 0) return all(ErrorCode.ILLEGAL_GENERATION);
      group = this.createGroup(p.groupId);
    }

    const invalid = this.validateCommit(group, p);
    if (invalid !== ErrorCode.NONE) {
      this.dropIfUnused(group);
      return all(invalid);
    }
    switch (group.state) {
      case 'Empty':
        break;
      case 'Stable':
      case 'PreparingRebalance':
        // Commits are still accepted while preparing a rebalance; the member learns about the rebalance from its
        // next heartbeat. A commit proves the member is alive.
        this.membership.touch(group, p.memberId);
        break;
      case 'CompletingRebalance':
        // The member holds this generation's JoinGroup response but no assignment yet; it should not be
        // committing, so it is told to finish the rebalance first.
        return all(ErrorCode.REBALANCE_IN_PROGRESS);
      case 'Dead':
        return all(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    }
    return this.storeOffsets(group, p);
  }

  private validateCommit(group: ClassicGroup, p: CommitOffsetsParams): number {
    if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (p.generationIdOrMemberEpoch >= 0 || p.memberId !== '' || p.groupInstanceId !== null) {
      const invalid = this.membership.validateMember(group, p.memberId, p.groupInstanceId);
      if (invalid !== ErrorCode.NONE) return invalid;
      if (p.generationIdOrMemberEpoch !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
      return ErrorCode.NONE;
    }
    // Anonymous commits are only allowed while nobody is a member.
    return group.is('Empty') ? ErrorCode.NONE : ErrorCode.UNKNOWN_MEMBER_ID;
  }

  private async storeOffsets(group: ClassicGroup, p: CommitOffsetsParams): Promise<CommitOffsetsResult> {
    const now = this.clock.now();
    const expireTimestamp = p.retentionTimeMs >= 0 ? now + p.retentionTimeMs : null;
    const seq = ++this.writeSeq;
    const records: CoordinatorRecord[] = [];
    const writes: { topic: string; partition: number; value: CommittedOffset }[] = [];
    const results: CommitOffsetsResult['topics'] = p.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((x) => {
        const metadata = x.committedMetadata ?? '';
        if (Buffer.byteLength(metadata, 'utf8') > this.config.offsetMetadataMaxBytes)
          return { partitionIndex: x.partitionIndex, errorCode: ErrorCode.OFFSET_METADATA_TOO_LARGE };
        const value: CommittedOffset = {
          offset: x.committedOffset,
          leaderEpoch: x.committedLeaderEpoch,
          metadata,
          commitTimestamp: now,
          expireTimestamp,
        };
        writes.push({ topic: t.name, partition: x.partitionIndex, value });
        records.push(offsetCommitRecord(group.groupId, t.name, x.partitionIndex, value));
        return { partitionIndex: x.partitionIndex, errorCode: ErrorCode.NONE };
      }),
    }));
    if (records.length === 0) return { topics: results };

    for (const w of writes) group.offsets.beginCommit(w.topic, w.partition);
    let failure: number = ErrorCode.NONE;
    try {
      await this.log.append(group.partition, records);
    } catch (err) {
      failure = commitAppendError(err);
      this.logger.warn(`group ${group.groupId}: offset commit failed: ${String(err)}`);
    }
    for (const w of writes)
      group.offsets.endCommit(w.topic, w.partition, seq, failure === ErrorCode.NONE ? w.value : null);
    if (failure !== ErrorCode.NONE) {
      this.dropIfUnused(group);
      for (const t of results)
        for (const x of t.partitions) if (x.errorCode === ErrorCode.NONE) x.errorCode = failure;
    }
    return { topics: results };
  }

  /**
   * TxnOffsetCommit: offsets written as part of the producer's transaction. They are held as pending until the
   * transaction coordinator's marker reaches this partition (completeTransaction). A stale producer epoch fails
   * the write (the partition's producer state fences it) with INVALID_PRODUCER_EPOCH.
   */
  async commitTxnOffsets(p: TxnCommitOffsetsParams): Promise<CommitOffsetsResult> {
    const all = (code: number): CommitOffsetsResult => ({
      topics: p.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((x) => ({ partitionIndex: x.partitionIndex, errorCode: code })),
      })),
    });
    const status = this.groupStatus(p.groupId, true);
    if (status !== ErrorCode.NONE) return all(status);
    // As Kafka does, an unknown group is created to hold the offsets (a producer may commit for a group whose
    // consumers use manual assignment, or before the group has ever joined).
    const group = this.groups.get(p.groupId) ?? this.createGroup(p.groupId);
    let invalid: number = ErrorCode.NONE;
    if (group.is('Dead')) invalid = ErrorCode.COORDINATOR_NOT_AVAILABLE;
    else if (p.groupInstanceId !== null && group.staticMemberId(p.groupInstanceId) !== undefined && group.staticMemberId(p.groupInstanceId) !== p.memberId)
      invalid = ErrorCode.FENCED_INSTANCE_ID;
    else if (p.memberId !== '' && !group.has(p.memberId)) invalid = ErrorCode.UNKNOWN_MEMBER_ID;
    else if (p.generationId >= 0 && p.generationId !== group.generationId) invalid = ErrorCode.ILLEGAL_GENERATION;
    if (invalid !== ErrorCode.NONE) {
      this.dropIfUnused(group);
      return all(invalid);
    }

    const now = this.clock.now();
    const seq = ++this.writeSeq;
    const records: CoordinatorRecord[] = [];
    const results: CommitOffsetsResult['topics'] = p.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((x) => {
        const metadata = x.committedMetadata ?? '';
        if (Buffer.byteLength(metadata, 'utf8') > this.config.offsetMetadataMaxBytes)
          return { partitionIndex: x.partitionIndex, errorCode: ErrorCode.OFFSET_METADATA_TOO_LARGE };
        const value: CommittedOffset = {
          offset: x.committedOffset,
          leaderEpoch: x.committedLeaderEpoch,
          metadata,
          commitTimestamp: now,
          expireTimestamp: null,
        };
        group.txnOffsets.add(p.producerId, { topic: t.name, partition: x.partitionIndex, value, seq });
        records.push(offsetCommitRecord(group.groupId, t.name, x.partitionIndex, value));
        return { partitionIndex: x.partitionIndex, errorCode: ErrorCode.NONE };
      }),
    }));
    if (records.length === 0) return { topics: results };
    this.noteTxnGroup(p.producerId, group.groupId);
    let failure: number = ErrorCode.NONE;
    try {
      await this.log.append(group.partition, records, { producerId: p.producerId, producerEpoch: p.producerEpoch });
    } catch (err) {
      failure = commitAppendError(err);
      this.logger.warn(`group ${group.groupId}: transactional offset commit failed: ${String(err)}`);
    }
    if (failure !== ErrorCode.NONE) {
      group.txnOffsets.removeWrite(p.producerId, seq);
      this.dropIfUnused(group);
      for (const t of results)
        for (const x of t.partitions) if (x.errorCode === ErrorCode.NONE) x.errorCode = failure;
    }
    return { topics: results };
  }

  /**
   * A COMMIT or ABORT marker for the producer was written to __consumer_offsets `partition`: its pending offsets in
   * that partition's groups become committed (unless the partition was committed again since) or are dropped.
   */
  completeTransaction(partition: number, producerId: number, commit: boolean): void {
    if (this.isLoading(partition)) {
      // Applied once loaded; a marker the replay already saw finds nothing pending then.
      let l = this.markersDuringLoad.get(partition);
      if (!l) this.markersDuringLoad.set(partition, (l = []));
      l.push({ producerId, commit });
      return;
    }
    const ids = this.txnGroups.get(producerId);
    if (!ids) return;
    for (const id of [...ids]) {
      const group = this.groups.get(id);
      if (group === undefined || group.partition !== partition) {
        if (group === undefined) ids.delete(id);
        continue;
      }
      ids.delete(id);
      for (const o of group.txnOffsets.take(producerId)) {
        if (!commit) continue;
        // Same rule as an ordinary commit completing: a write of the partition issued after this one wins.
        group.offsets.beginCommit(o.topic, o.partition);
        group.offsets.endCommit(o.topic, o.partition, o.seq, o.value);
      }
      this.dropIfUnused(group);
    }
    if (ids.size === 0) this.txnGroups.delete(producerId);
  }

  private noteTxnGroup(producerId: number, groupId: string): void {
    let s = this.txnGroups.get(producerId);
    if (!s) this.txnGroups.set(producerId, (s = new Set()));
    s.add(groupId);
  }

  fetchOffsets(p: FetchOffsetsParams): FetchOffsetsResult {
    const status = this.groupStatus(p.groupId, true);
    if (status !== ErrorCode.NONE) {
      return {
        errorCode: status,
        topics: (p.topics ?? []).map((t) => ({
          name: t.name,
          partitions: t.partitionIndexes.map((i) => noOffset(i, status)),
        })),
      };
    }
    const group = this.groups.get(p.groupId);
    if (group === undefined || group.is('Dead')) {
      return {
        errorCode: ErrorCode.NONE,
        topics: (p.topics ?? []).map((t) => ({
          name: t.name,
          partitions: t.partitionIndexes.map((i) => noOffset(i, ErrorCode.NONE)),
        })),
      };
    }
    const wanted =
      p.topics ??
      [...group.offsets.topics()].map(([name, byPartition]) => ({ name, partitionIndexes: [...byPartition.keys()] }));
    return {
      errorCode: ErrorCode.NONE,
      topics: wanted.map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((i): FetchOffsetsPartitionResult => {
          // A commit still being written, or one waiting for its transaction, may be about to change this offset.
          if (p.requireStable && (group.offsets.hasPending(t.name, i) || group.txnOffsets.hasPending(t.name, i)))
            return noOffset(i, ErrorCode.UNSTABLE_OFFSET_COMMIT);
          const o = group.offsets.get(t.name, i);
          if (o === undefined) return noOffset(i, ErrorCode.NONE);
          return {
            partitionIndex: i,
            committedOffset: o.offset,
            committedLeaderEpoch: o.leaderEpoch,
            metadata: o.metadata,
            errorCode: ErrorCode.NONE,
          };
        }),
      })),
    };
  }

  async deleteOffsets(p: DeleteOffsetsParams): Promise<DeleteOffsetsResult> {
    const status = this.groupStatus(p.groupId, false);
    if (status !== ErrorCode.NONE) return { errorCode: status, topics: [] };
    const group = this.groups.get(p.groupId);
    if (group === undefined || group.is('Dead')) return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, topics: [] };

    let subscribed: (topic: string) => boolean;
    if (group.is('Empty')) {
      subscribed = () => false;
    } else if (group.protocolType === CONSUMER_PROTOCOL_TYPE) {
      // An active consumer group would immediately commit the offsets of topics it reads again.
      subscribed = (topic) => group.isSubscribedToTopic(topic);
    } else {
      return { errorCode: ErrorCode.NON_EMPTY_GROUP, topics: [] };
    }

    const eligible: TopicPartitionRef[] = [];
    const topics: DeleteOffsetsResult['topics'] = p.topics.map((t) => ({
      name: t.name,
      partitions: t.partitionIndexes.map((i) => {
        if (subscribed(t.name)) return { partitionIndex: i, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC };
        eligible.push({ topic: t.name, partition: i });
        return { partitionIndex: i, errorCode: ErrorCode.NONE };
      }),
    }));
    if (eligible.length > 0) {
      const failure = await this.removeOffsetsAndMaybeGroup(group, eligible);
      if (failure !== ErrorCode.NONE) {
        for (const t of topics) for (const x of t.partitions) if (x.errorCode === ErrorCode.NONE) x.errorCode = failure;
      }
    }
    return { errorCode: ErrorCode.NONE, topics };
  }

  /**
   * Removes offsets (all of them, including commits in flight, when partitions is null) and, if that leaves an
   * Empty group with nothing, the group itself; writes the tombstones. Returns NONE or the append's error.
   */
  private removeOffsetsAndMaybeGroup(group: ClassicGroup, partitions: TopicPartitionRef[] | null): Promise<number> {
    const seq = ++this.writeSeq;
    const targets = partitions ?? [
      ...group.offsets.all().map((o) => ({ topic: o.topic, partition: o.partition })),
      ...group.offsets.pendingPartitions(),
    ];
    const removed = group.offsets.remove(targets, seq);
    const records = removed.map((r) => offsetTombstone(group.groupId, r.topic, r.partition));
    // Deleting the whole group forgets its undecided transactional offsets too; their markers then find nothing.
    if (partitions === null) group.txnOffsets.clear();
    if (
      group.is('Empty') &&
      group.offsets.isEmpty &&
      group.txnOffsets.isEmpty &&
      (partitions === null || !group.offsets.hasAnyPending) &&
      group.pendingMembers.size === 0 &&
      this.groups.get(group.groupId) === group
    ) {
      group.transitionTo('Dead', this.clock.now());
      this.groups.delete(group.groupId);
      this.timers.cancelScope(group.groupId);
      // Generation 0 groups only ever held offsets and never had a metadata record.
      if (group.generationId > 0) records.push(groupTombstone(group.groupId));
    }
    if (records.length === 0) return Promise.resolve(ErrorCode.NONE);
    return this.log.append(group.partition, records).then(
      () => ErrorCode.NONE,
      (err: unknown) => {
        this.logger.warn(`group ${group.groupId}: failed to write tombstones: ${String(err)}`);
        return groupAppendError(err);
      },
    );
  }

  /** Periodic expiry of committed offsets (offsets.retention.minutes), then removal of groups left with nothing. */
  async expireOffsets(): Promise<void> {
    const now = this.clock.now();
    const retentionMs = this.config.offsetsRetentionMinutes * 60_000;
    const work: Promise<number>[] = [];
    for (const group of [...this.groups.values()]) {
      if (group.is('Dead') || !this.ownsPartition(group.partition)) continue;
      let expired: TopicPartitionRef[] = [];
      if (group.protocolType !== null && group.is('Empty')) {
        // Nobody consumes: everything expires a retention period after the group became empty.
        expired = group.offsets.expired(now, retentionMs, () => group.currentStateTimestamp);
      } else if (
        group.protocolType === CONSUMER_PROTOCOL_TYPE &&
        group.subscribedTopics !== null &&
        group.is('Stable')
      ) {
        // Active consumers: only topics nobody subscribes to any more expire, by commit time.
        expired = group.offsets.expired(now, retentionMs, (o) => o.commitTimestamp, group.subscribedTopics);
      } else if (group.protocolType === null) {
        // Standalone consumers (offsets only): by commit time.
        expired = group.offsets.expired(now, retentionMs, (o) => o.commitTimestamp);
      }
      if (expired.length > 0 || (group.is('Empty') && group.offsets.isEmpty && group.pendingMembers.size === 0)) {
        if (expired.length > 0) this.logger.info(`group ${group.groupId}: expiring ${expired.length} offsets`);
        work.push(this.removeOffsetsAndMaybeGroup(group, expired));
      }
    }
    await Promise.all(work);
  }

  private scheduleRetentionCheck(): void {
    this.retentionTimer = this.clock.schedule(this.config.offsetsRetentionCheckIntervalMs, () => {
      this.retentionTimer = null;
      if (!this.active) return;
      this.scheduleRetentionCheck();
      this.expireOffsets().catch((err: unknown) => this.logger.warn(`offset expiry failed: ${String(err)}`));
    });
  }

  // ---------------------------------------------------------------- administration

  describeGroups(groupIds: readonly string[]): DescribedGroup[] {
    return groupIds.map((groupId): DescribedGroup => {
      const status = this.groupStatus(groupId, true);
      if (status !== ErrorCode.NONE)
        return { errorCode: status, groupId, groupState: '', protocolType: '', protocolData: '', members: [] };
      const group = this.groups.get(groupId);
      if (group === undefined) {
        // Kafka describes an unknown group as Dead rather than failing.
        return { errorCode: ErrorCode.NONE, groupId, groupState: 'Dead', protocolType: '', protocolData: '', members: [] };
      }
      const stable = group.is('Stable') && group.protocolName !== null;
      const protocol = group.protocolName ?? '';
      return {
        errorCode: ErrorCode.NONE,
        groupId,
        groupState: group.state,
        protocolType: group.protocolType ?? '',
        // Member metadata and assignments are only meaningful once the generation is assigned.
        protocolData: stable ? protocol : '',
        members: group.allMembers().map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          memberMetadata: stable ? m.metadataFor(protocol) : Buffer.alloc(0),
          memberAssignment: stable ? m.assignment : Buffer.alloc(0),
        })),
      };
    });
  }

  /** Groups of the loaded partitions, optionally filtered by state and type names (case-insensitive). */
  listGroups(statesFilter: readonly string[] = [], typesFilter: readonly string[] = []): ListGroupsResult {
    if (!this.active) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, groups: [] };
    const loading = [...this.partitions.values()].some((p) => p.state === 'loading');
    const states = new Set(statesFilter.map((s) => s.toLowerCase()));
    const types = new Set(typesFilter.map((s) => s.toLowerCase()));
    const groups =
      types.size > 0 && !types.has(CLASSIC_GROUP_TYPE)
        ? []
        : [...this.groups.values()]
            .filter((g) => !g.is('Dead') && (states.size === 0 || states.has(g.state.toLowerCase())))
            .map((g) => ({
              groupId: g.groupId,
              protocolType: g.protocolType ?? '',
              groupState: g.state,
              groupType: CLASSIC_GROUP_TYPE,
            }));
    // Like Kafka, list what is known but flag that a partition is still loading.
    return { errorCode: loading ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : ErrorCode.NONE, groups };
  }

  async deleteGroups(groupIds: readonly string[]): Promise<DeleteGroupsResult[]> {
    return Promise.all(
      groupIds.map(async (groupId): Promise<DeleteGroupsResult> => {
        const status = this.groupStatus(groupId, true);
        if (status !== ErrorCode.NONE) return { groupId, errorCode: status };
        const group = this.groups.get(groupId);
        if (group === undefined || group.is('Dead')) return { groupId, errorCode: ErrorCode.GROUP_ID_NOT_FOUND };
        if (!group.is('Empty')) return { groupId, errorCode: ErrorCode.NON_EMPTY_GROUP };
        // Outstanding MEMBER_ID_REQUIRED ids are forgotten with the group: those clients start over.
        group.pendingMembers.clear();
        const errorCode = await this.removeOffsetsAndMaybeGroup(group, null);
        return { groupId, errorCode };
      }),
    );
  }

  // ---------------------------------------------------------------- introspection (tests, metrics)

  /** The group's current state, or undefined when this coordinator does not hold it. */
  groupState(groupId: string): string | undefined {
    return this.groups.get(groupId)?.state;
  }

  /** Read-only access to a held group (tests and metrics). */
  getGroup(groupId: string): Readonly<ClassicGroup> | undefined {
    return this.groups.get(groupId);
  }
}

function noOffset(partitionIndex: number, errorCode: number): FetchOffsetsPartitionResult {
  return { partitionIndex, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode };
}
