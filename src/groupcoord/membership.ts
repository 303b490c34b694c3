// The classic group protocol's state machine: JoinGroup, SyncGroup, Heartbeat and LeaveGroup against a group
// that the coordinator has already located and validated, plus the timers that drive it (initial rebalance delay,
// rebalance timeout, session timeouts, the deadline for members to sync).
//
//   Empty ──join──▶ PreparingRebalance ──all rejoined / timeout──▶ CompletingRebalance ──leader sync──▶ Stable
//                        ▲                                                │                           │
//                        └───────── join / leave / expiry ◀───────────────┴───────────────────────────┘
//   (a join phase that ends with no members goes back to Empty; unloading or deleting makes a group Dead)
//
// Every request parked here (a JoinGroup waiting for the rebalance, a SyncGroup waiting for the leader) is
// answered eventually: when the phase completes, when the member is removed or replaced, when a newer request
// from the same member supersedes it, or when the group is unloaded. Connections answer in order, so a request
// left hanging would stall every later response on its connection.

import { randomUUID } from 'node:crypto';

import { ErrorCode } from '../wire/errors';
import type { KeyedTimers } from './clock';
import type { GroupCoordinatorConfig } from './config';
import { groupAppendError } from './errors';
import type { ClassicGroup } from './group';
import { GroupMember, type JoinResolver } from './member';
import type {
  HeartbeatParams,
  HeartbeatResult,
  JoinGroupParams,
  JoinGroupResult,
  JoinProtocol,
  LeaveGroupMemberParams,
  LeaveGroupResult,
  SyncGroupParams,
  SyncGroupResult,
} from './types';

const EMPTY = Buffer.alloc(0);

export interface CoordinatorLogger {
  /** `fields` carries the ids of the line (groupId, generation, members) for structured logs. */
  info(msg: string, fields?: object): void;
  warn(msg: string): void;
}

/** What the state machine needs from the coordinator around it. */
export interface MembershipContext {
  readonly config: GroupCoordinatorConfig;
  readonly timers: KeyedTimers;
  now(): number;
  /** Persists the group's metadata with these member assignments; resolves when durable. */
  storeGroup(group: ClassicGroup, assignment: ReadonlyMap<string, Buffer>): Promise<void>;
  /** Whether this group object is still the live one (not unloaded, deleted or replaced). */
  isLive(group: ClassicGroup): boolean;
  readonly logger: CoordinatorLogger;
  /** Member id generator; Kafka uses `${clientId or groupInstanceId}-${uuid}`. */
  newMemberId?: (prefix: string) => string;
}

export function joinError(memberId: string, errorCode: number): JoinGroupResult {
  return {
    errorCode,
    generationId: -1,
    protocolType: null,
    protocolName: null,
    leader: '',
    skipAssignment: false,
    memberId,
    members: [],
  };
}

export function syncError(errorCode: number): SyncGroupResult {
  return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY };
}

// Timers live in a scope named by the group id, so all of a group's timers can be cancelled together.
// Names: the join-phase deadline, the sync deadline, and one session timer per member (or pending member).
const JOIN = 'join';
const SYNC = 'sync';
const heartbeat = (memberId: string): string => `hb:${memberId}`;

export class Membership {
  constructor(private readonly ctx: MembershipContext) {}

  // ---------------------------------------------------------------- JoinGroup

  /** Handles a JoinGroup for an existing (possibly just created) group; the result may wait for a rebalance. */
  join(group: ClassicGroup, p: JoinGroupParams): Promise<JoinGroupResult> {
    return new Promise<JoinGroupResult>((resolve) => {
      const isUnknown = p.memberId === '';
      if (!this.acceptJoiningMember(group, p.memberId)) {
        // Kafka kicks out a rejoining member that no longer fits (the max size may have been lowered).
        const m = group.get(p.memberId);
        if (m !== undefined) this.removeMemberAndUpdateGroup(group, m, 'group is over its maximum size');
        resolve(joinError('', ErrorCode.GROUP_MAX_SIZE_REACHED));
      } else if (isUnknown) {
        this.joinNewMember(group, p, resolve);
      } else {
        this.joinExistingMember(group, p, resolve);
      }
    });
  }

  private acceptJoiningMember(group: ClassicGroup, memberId: string): boolean {
    const max = this.ctx.config.groupMaxSize;
    switch (group.state) {
      case 'Empty':
      case 'Dead':
        return true;
      case 'PreparingRebalance':
        // Counting members that have rejoined (not the group size) lets the last rejoiners be turned away when
        // the group is over capacity.
        return group.get(memberId)?.isAwaitingJoin === true || group.numAwaitingJoin < max;
      case 'CompletingRebalance':
      case 'Stable':
        return group.has(memberId) || group.size < max;
    }
  }

  private joinNewMember(group: ClassicGroup, p: JoinGroupParams, resolve: JoinResolver): void {
    if (group.is('Dead')) {
      // The group was just unloaded or deleted: the client looks the coordinator up again and retries.
      resolve(joinError('', ErrorCode.COORDINATOR_NOT_AVAILABLE));
      return;
    }
    if (!group.supportsProtocols(p.protocolType, p.protocols.map((x) => x.name))) {
      resolve(joinError('', ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
      return;
    }
    const newMemberId = this.generateMemberId(p.groupInstanceId ?? p.clientId);
    if (p.groupInstanceId !== null) {
      const existing = group.staticMemberId(p.groupInstanceId);
      if (existing !== undefined) this.updateStaticMemberAndRebalance(group, existing, newMemberId, p, resolve);
      else this.addMemberAndRebalance(group, newMemberId, p, resolve);
    } else if (p.requireKnownMemberId) {
      // KIP-394: hand out the id first and make the client come back with it, so a client that times out and
      // retries reuses its id instead of piling up phantom members. The id is forgotten after a session timeout.
      group.pendingMembers.add(newMemberId);
      this.ctx.timers.set(group.groupId, heartbeat(newMemberId), p.sessionTimeoutMs, () =>
        this.onHeartbeatExpired(group, newMemberId),
      );
      resolve(joinError(newMemberId, ErrorCode.MEMBER_ID_REQUIRED));
    } else {
      this.addMemberAndRebalance(group, newMemberId, p, resolve);
    }
  }

  private joinExistingMember(group: ClassicGroup, p: JoinGroupParams, resolve: JoinResolver): void {
    const memberId = p.memberId;
    if (group.is('Dead')) {
      resolve(joinError(memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE));
      return;
    }
    if (!group.supportsProtocols(p.protocolType, p.protocols.map((x) => x.name))) {
      resolve(joinError(memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
      return;
    }
    if (group.isPendingMember(memberId)) {
      // Ids handed out by MEMBER_ID_REQUIRED are dynamic; a static id never goes through the pending stage, so a
      // client mixing the two is confused and starts over.
      if (p.groupInstanceId !== null) {
        resolve(joinError(memberId, ErrorCode.UNKNOWN_MEMBER_ID));
        return;
      }
      this.addMemberAndRebalance(group, memberId, p, resolve);
      return;
    }
    const invalid = this.validateMember(group, memberId, p.groupInstanceId);
    if (invalid !== ErrorCode.NONE) {
      resolve(joinError(memberId, invalid));
      return;
    }
    const member = group.get(memberId)!;
    switch (group.state) {
      case 'PreparingRebalance':
        this.updateMemberAndRebalance(group, member, p, resolve);
        return;
      case 'CompletingRebalance':
        if (member.matches(p.protocols)) {
          // The member lost its JoinGroup response (or retried): answer with the current generation again.
          resolve(this.joinResponse(group, member, group.isLeader(memberId)));
        } else {
          this.updateMemberAndRebalance(group, member, p, resolve);
        }
        return;
      case 'Stable':
        if (group.isLeader(memberId) || !member.matches(p.protocols)) {
          // A leader's rejoin forces a rebalance: it is how the leader reacts to changes the member metadata does
          // not show (new partitions, new topics matching a pattern).
          this.updateMemberAndRebalance(group, member, p, resolve);
        } else {
          // A follower with unchanged metadata just gets the current generation and can SyncGroup for its
          // assignment.
          resolve(this.joinResponse(group, member, false));
        }
        return;
      case 'Empty':
      case 'Dead':
        resolve(joinError(memberId, ErrorCode.UNKNOWN_MEMBER_ID));
        return;
    }
  }

  private joinResponse(group: ClassicGroup, member: GroupMember, withMembers: boolean): JoinGroupResult {
    return {
      errorCode: ErrorCode.NONE,
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leader: group.leaderId ?? '',
      skipAssignment: false,
      memberId: member.memberId,
      members: withMembers ? group.currentMemberMetadata() : [],
    };
  }

  private addMemberAndRebalance(
    group: ClassicGroup,
    memberId: string,
    p: JoinGroupParams,
    resolve: JoinResolver,
  ): void {
    const member = new GroupMember(
      memberId,
      p.groupInstanceId,
      p.clientId,
      p.clientHost,
      p.rebalanceTimeoutMs,
      p.sessionTimeoutMs,
      p.protocolType,
      copyProtocols(p.protocols),
    );
    member.isNew = true;
    member.awaitingJoin = resolve;
    // Members arriving during the first rebalance of an empty group extend the initial delay.
    if (group.is('PreparingRebalance') && group.previousState === 'Empty') group.newMemberAdded = true;
    group.add(member);
    // A parked JoinGroup cannot heartbeat and its socket is not watched, so a client that gave up would linger
    // as a phantom member; new members are dropped if their join does not complete within this timeout.
    this.scheduleHeartbeat(group, member, this.ctx.config.newMemberJoinTimeoutMs);
    this.ctx.logger.info(
      `group ${group.groupId}: adding member ${memberId}${reasonSuffix(p.reason)} in state ${group.state}`,
    );
    this.maybePrepareRebalanceOrCompleteJoin(group, `new member ${memberId} joined`);
  }

  private updateMemberAndRebalance(
    group: ClassicGroup,
    member: GroupMember,
    p: JoinGroupParams,
    resolve: JoinResolver,
  ): void {
    this.updateMember(member, copyProtocols(p.protocols), p.rebalanceTimeoutMs, p.sessionTimeoutMs, resolve);
    this.maybePrepareRebalanceOrCompleteJoin(
      group,
      `member ${member.memberId} rejoined${reasonSuffix(p.reason)} in state ${group.state}`,
    );
  }

  private updateMember(
    member: GroupMember,
    protocols: JoinProtocol[],
    rebalanceTimeoutMs: number,
    sessionTimeoutMs: number,
    resolve: JoinResolver | null,
  ): void {
    member.protocols = protocols;
    member.rebalanceTimeoutMs = rebalanceTimeoutMs;
    member.sessionTimeoutMs = sessionTimeoutMs;
    // A second JoinGroup from the same member supersedes the first; the first still needs an answer.
    if (resolve !== null) member.completeJoin(joinError(member.memberId, ErrorCode.REBALANCE_IN_PROGRESS));
    member.awaitingJoin = resolve;
  }

  /** KIP-345: a known group.instance.id came back with no member id. */
  private updateStaticMemberAndRebalance(
    group: ClassicGroup,
    oldMemberId: string,
    newMemberId: string,
    p: JoinGroupParams,
    resolve: JoinResolver,
  ): void {
    const instanceId = p.groupInstanceId!;
    const currentLeader = group.leaderId;
    const member = group.get(oldMemberId)!;
    // The old incarnation is fenced: whatever it still waits for is answered with FENCED_INSTANCE_ID.
    member.completeJoin(joinError(oldMemberId, ErrorCode.FENCED_INSTANCE_ID));
    member.completeSync(syncError(ErrorCode.FENCED_INSTANCE_ID));
    this.ctx.timers.cancel(group.groupId, heartbeat(oldMemberId));
    group.replaceStaticMember(instanceId, oldMemberId, newMemberId);
    this.scheduleHeartbeat(group, member);

    const old = {
      protocols: member.protocols,
      rebalanceTimeoutMs: member.rebalanceTimeoutMs,
      sessionTimeoutMs: member.sessionTimeoutMs,
    };
    this.updateMember(member, copyProtocols(p.protocols), p.rebalanceTimeoutMs, p.sessionTimeoutMs, resolve);
    this.ctx.logger.info(
      `group ${group.groupId}: static member ${instanceId} rejoined as ${newMemberId} (was ${oldMemberId}) ` +
        `in state ${group.state}`,
    );

    switch (group.state) {
      case 'Stable': {
        if (group.protocolName !== group.selectProtocol()) {
          // The new metadata would change the group's protocol: the assignment must be redone.
          this.maybePrepareRebalanceOrCompleteJoin(group, `static member ${instanceId} changed protocols`);
          return;
        }
        // No rebalance: persist the new member id, then hand back the current generation. The member keeps its
        // assignment and fetches it with SyncGroup.
        const generation = group.generationId;
        const assignment = new Map(group.allMembers().map((m) => [m.memberId, m.assignment] as const));
        this.ctx.storeGroup(group, assignment).then(
          () => {
            if (member.awaitingJoin !== resolve) return; // a rebalance started meanwhile and answered it
            if (p.supportsSkipAssignment === true) {
              // KIP-814: the rejoined leader learns it leads but must not compute a new assignment, since a
              // stable group would not propagate it.
              const isLeader = group.isLeader(newMemberId);
              member.completeJoin({
                ...this.joinResponse(group, member, isLeader),
                skipAssignment: isLeader,
              });
            } else {
              // Older clients would compute an assignment if told they lead; name the previous leader id so that
              // no client believes it is the leader.
              member.completeJoin({ ...this.joinResponse(group, member, false), leader: currentLeader ?? '' });
            }
            this.scheduleHeartbeat(group, member);
          },
          (err: unknown) => {
            if (member.awaitingJoin !== resolve) return;
            const code = groupAppendError(err);
            this.ctx.logger.warn(
              `group ${group.groupId}: failed to persist static member ${instanceId} as ${newMemberId}; reverting`,
            );
            member.awaitingJoin = null;
            if (
              this.ctx.isLive(group) &&
              group.is('Stable') &&
              group.generationId === generation &&
              group.get(newMemberId) === member
            ) {
              this.updateMember(member, old.protocols, old.rebalanceTimeoutMs, old.sessionTimeoutMs, null);
              this.ctx.timers.cancel(group.groupId, heartbeat(newMemberId));
              group.replaceStaticMember(instanceId, newMemberId, oldMemberId);
              this.scheduleHeartbeat(group, member);
            }
            resolve({
              ...joinError('', code),
              generationId: group.generationId,
              protocolType: group.protocolType,
              protocolName: group.protocolName,
              leader: currentLeader ?? '',
            });
          },
        );
        return;
      }
      case 'CompletingRebalance':
        // The leader may already hold the old member id in its assignment; only a new rebalance gets the new id
        // an assignment.
        this.prepareRebalance(group, `static member ${instanceId} rejoined during CompletingRebalance`);
        return;
      case 'PreparingRebalance':
        this.maybeCompleteJoin(group);
        return;
      case 'Empty':
      case 'Dead':
        // A group with a static member is never Empty, and Dead groups were rejected earlier.
        throw new Error(`group ${group.groupId}: static member ${instanceId} rejoined in state ${group.state}`);
    }
  }

  // ---------------------------------------------------------------- rebalance phases

  private maybePrepareRebalanceOrCompleteJoin(group: ClassicGroup, reason: string): void {
    if (group.canRebalance) this.prepareRebalance(group, reason);
    else this.maybeCompleteJoin(group);
  }

  private prepareRebalance(group: ClassicGroup, reason: string): void {
    // Members waiting for the leader's assignment must rejoin instead.
    if (group.is('CompletingRebalance')) this.resetAndPropagateAssignmentError(group, ErrorCode.REBALANCE_IN_PROGRESS);
    this.ctx.timers.cancel(group.groupId, SYNC);
    const wasEmpty = group.is('Empty');
    group.transitionTo('PreparingRebalance', this.ctx.now());
    this.ctx.logger.info(
      `group ${group.groupId}: preparing to rebalance (generation ${group.generationId}, ${group.size} members): ${reason}`,
      { groupId: group.groupId, generation: group.generationId, members: group.size, reason },
    );
    if (wasEmpty) {
      // The first members of an empty group usually start together: wait a little for the rest so the group
      // does not rebalance once per arriving member.
      const delay = this.ctx.config.groupInitialRebalanceDelayMs;
      group.initialJoinDelayActive = true;
      this.scheduleInitialJoin(group, delay, Math.max(group.rebalanceTimeoutMs - delay, 0));
    } else {
      group.initialJoinDelayActive = false;
      this.ctx.timers.set(group.groupId, JOIN, group.rebalanceTimeoutMs, () => this.onJoinDeadline(group));
      this.maybeCompleteJoin(group);
    }
  }

  /** The initial delay: each expiry extends it (by at most the configured delay) while members keep arriving,
   *  never past the rebalance timeout. */
  private scheduleInitialJoin(group: ClassicGroup, delayMs: number, remainingMs: number): void {
    this.ctx.timers.set(group.groupId, JOIN, delayMs, () => {
      if (!this.ctx.isLive(group) || !group.is('PreparingRebalance')) return;
      if (group.newMemberAdded && remainingMs !== 0) {
        group.newMemberAdded = false;
        const next = Math.min(this.ctx.config.groupInitialRebalanceDelayMs, remainingMs);
        this.scheduleInitialJoin(group, next, Math.max(remainingMs - delayMs, 0));
      } else {
        this.completeJoin(group);
      }
    });
  }

  private onJoinDeadline(group: ClassicGroup): void {
    if (!this.ctx.isLive(group) || !group.is('PreparingRebalance')) return;
    this.completeJoin(group);
  }

  /** Ends the join phase early once everyone is in (never during the initial delay, which always runs out). */
  private maybeCompleteJoin(group: ClassicGroup): void {
    if (group.is('PreparingRebalance') && !group.initialJoinDelayActive && group.hasAllMembersJoined) {
      this.ctx.timers.cancel(group.groupId, JOIN);
      this.completeJoin(group);
    }
  }

  private completeJoin(group: ClassicGroup): void {
    group.initialJoinDelayActive = false;
    this.ctx.timers.cancel(group.groupId, JOIN);
    // Dynamic members that did not rejoin in time are dropped; static members stay (they may be restarting and
    // are expected back under the same instance id).
    for (const m of group.allMembers()) {
      if (!m.isAwaitingJoin && !m.isStatic) {
        this.ctx.logger.info(`group ${group.groupId}: removing member ${m.memberId}, which did not rejoin`);
        group.remove(m.memberId);
        this.ctx.timers.cancel(group.groupId, heartbeat(m.memberId));
      }
    }
    if (group.is('Dead')) return;
    if (!group.maybeElectNewJoinedLeader() && group.size > 0) {
      // Only static members that have not rejoined remain: wait another rebalance timeout (their sessions will
      // expire if they are really gone).
      this.ctx.logger.warn(`group ${group.groupId}: no member rejoined; extending the join phase`);
      this.ctx.timers.set(group.groupId, JOIN, group.rebalanceTimeoutMs, () => this.onJoinDeadline(group));
      return;
    }
    group.initNextGeneration(this.ctx.now());
    if (group.is('Empty')) {
      this.ctx.logger.info(`group ${group.groupId}: generation ${group.generationId} is empty`);
      this.ctx.storeGroup(group, new Map()).catch((err: unknown) => {
        this.ctx.logger.warn(`group ${group.groupId}: failed to persist empty group: ${String(err)}`);
      });
      return;
    }
    this.ctx.logger.info(
      `group ${group.groupId}: generation ${group.generationId} (${group.protocolName}) with ${group.size} members`,
      { groupId: group.groupId, generation: group.generationId, members: group.size, protocol: group.protocolName },
    );
    for (const m of group.allMembers()) {
      m.completeJoin(this.joinResponse(group, m, group.isLeader(m.memberId)));
      this.scheduleHeartbeat(group, m);
      m.isNew = false;
    }
    // Every member must now SyncGroup within the rebalance timeout, or it is removed and the group rebalances.
    const generation = group.generationId;
    this.ctx.timers.set(group.groupId, SYNC, group.rebalanceTimeoutMs, () => this.onSyncDeadline(group, generation));
  }

  private onSyncDeadline(group: ClassicGroup, generation: number): void {
    if (!this.ctx.isLive(group) || group.generationId !== generation) return;
    if (!group.is('CompletingRebalance') && !group.is('Stable')) return;
    if (group.pendingSyncMembers.size === 0) return;
    const missing = [...group.pendingSyncMembers];
    for (const id of missing) {
      const m = group.get(id);
      if (m === undefined) continue;
      m.completeJoin(joinError(id, ErrorCode.UNKNOWN_MEMBER_ID));
      group.remove(id);
      this.ctx.timers.cancel(group.groupId, heartbeat(id));
    }
    this.prepareRebalance(group, `members ${missing.join(', ')} did not sync in time`);
  }

  private removePendingSyncMember(group: ClassicGroup, memberId: string): void {
    group.pendingSyncMembers.delete(memberId);
    if (group.pendingSyncMembers.size === 0) this.ctx.timers.cancel(group.groupId, SYNC);
  }

  // ---------------------------------------------------------------- SyncGroup

  sync(group: ClassicGroup, p: SyncGroupParams): Promise<SyncGroupResult> {
    return new Promise<SyncGroupResult>((resolve) => {
      if (group.is('Dead')) return resolve(syncError(ErrorCode.COORDINATOR_NOT_AVAILABLE));
      const invalid = this.validateMember(group, p.memberId, p.groupInstanceId);
      if (invalid !== ErrorCode.NONE) return resolve(syncError(invalid));
      if (p.generationId !== group.generationId) return resolve(syncError(ErrorCode.ILLEGAL_GENERATION));
      if (p.protocolType !== null && p.protocolType !== group.protocolType)
        return resolve(syncError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
      if (p.protocolName !== null && p.protocolName !== group.protocolName)
        return resolve(syncError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL));

      const member = group.get(p.memberId)!;
      switch (group.state) {
        case 'Empty':
          return resolve(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
        case 'PreparingRebalance':
          return resolve(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
        case 'Dead':
          return resolve(syncError(ErrorCode.COORDINATOR_NOT_AVAILABLE));
        case 'Stable':
          // Already assigned (e.g. a follower that synced after the leader, or a retried SyncGroup).
          this.removePendingSyncMember(group, member.memberId);
          this.scheduleHeartbeat(group, member);
          return resolve({
            errorCode: ErrorCode.NONE,
            protocolType: group.protocolType,
            protocolName: group.protocolName,
            assignment: member.assignment,
          });
        case 'CompletingRebalance':
          member.completeSync(syncError(ErrorCode.REBALANCE_IN_PROGRESS)); // superseded by this request
          member.awaitingSync = resolve;
          this.removePendingSyncMember(group, member.memberId);
          if (group.isLeader(member.memberId)) this.onLeaderSync(group, p);
          return;
      }
    });
  }

  private onLeaderSync(group: ClassicGroup, p: SyncGroupParams): void {
    // Assignments for ids that are not members are ignored; members the leader left out get an empty one.
    const assignment = new Map<string, Buffer>();
    for (const m of group.allMembers()) assignment.set(m.memberId, EMPTY);
    for (const a of p.assignments) {
      if (assignment.has(a.memberId)) assignment.set(a.memberId, Buffer.from(a.assignment));
    }
    const generation = group.generationId;
    this.ctx.logger.info(`group ${group.groupId}: assignment received from leader for generation ${generation}`);
    const stillCurrent = (): boolean =>
      this.ctx.isLive(group) && group.is('CompletingRebalance') && group.generationId === generation;
    this.ctx.storeGroup(group, assignment).then(
      () => {
        // Another member may have joined (starting a new rebalance) while the write was in flight.
        if (!stillCurrent()) return;
        for (const m of group.allMembers()) m.assignment = assignment.get(m.memberId) ?? EMPTY;
        this.propagateAssignment(group, ErrorCode.NONE);
        group.transitionTo('Stable', this.ctx.now());
        this.ctx.logger.info(`group ${group.groupId}: rebalance complete, generation ${generation} is stable with ${group.size} members`, {
          groupId: group.groupId,
          generation,
          members: group.size,
        });
      },
      (err: unknown) => {
        if (!stillCurrent()) return;
        this.ctx.logger.warn(`group ${group.groupId}: failed to persist assignment: ${String(err)}`);
        this.resetAndPropagateAssignmentError(group, groupAppendError(err));
        this.maybePrepareRebalanceOrCompleteJoin(group, 'failed to persist the assignment');
      },
    );
  }

  private resetAndPropagateAssignmentError(group: ClassicGroup, errorCode: number): void {
    for (const m of group.allMembers()) m.assignment = EMPTY;
    this.propagateAssignment(group, errorCode);
  }

  private propagateAssignment(group: ClassicGroup, errorCode: number): void {
    for (const m of group.allMembers()) {
      const answered = m.completeSync({
        errorCode,
        protocolType: group.protocolType,
        protocolName: group.protocolName,
        assignment: errorCode === ErrorCode.NONE ? m.assignment : EMPTY,
      });
      // A session may have lapsed while the member waited (waiting members are not expired); restart it.
      if (answered) this.scheduleHeartbeat(group, m);
    }
  }

  // ---------------------------------------------------------------- Heartbeat

  heartbeat(group: ClassicGroup, p: HeartbeatParams): HeartbeatResult {
    if (group.is('Dead')) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE };
    const invalid = this.validateMember(group, p.memberId, p.groupInstanceId);
    if (invalid !== ErrorCode.NONE) return { errorCode: invalid };
    if (p.generationId !== group.generationId) return { errorCode: ErrorCode.ILLEGAL_GENERATION };
    const member = group.get(p.memberId)!;
    switch (group.state) {
      case 'Empty':
      case 'Dead':
        return { errorCode: ErrorCode.UNKNOWN_MEMBER_ID };
      case 'PreparingRebalance':
        // Still alive, but it must rejoin.
        this.scheduleHeartbeat(group, member);
        return { errorCode: ErrorCode.REBALANCE_IN_PROGRESS };
      case 'CompletingRebalance':
      case 'Stable':
        // Clients may heartbeat between their JoinGroup response and SyncGroup: that is a normal heartbeat.
        this.scheduleHeartbeat(group, member);
        return { errorCode: ErrorCode.NONE };
    }
  }

  /** Restarts a member's session timer (used by offset commits from members, which also prove liveness). */
  touch(group: ClassicGroup, memberId: string): void {
    const m = group.get(memberId);
    if (m !== undefined) this.scheduleHeartbeat(group, m);
  }

  private scheduleHeartbeat(group: ClassicGroup, member: GroupMember, timeoutMs = member.sessionTimeoutMs): void {
    const memberId = member.memberId;
    this.ctx.timers.set(group.groupId, heartbeat(memberId), timeoutMs, () =>
      this.onHeartbeatExpired(group, memberId),
    );
  }

  private onHeartbeatExpired(group: ClassicGroup, memberId: string): void {
    if (!this.ctx.isLive(group) || group.is('Dead')) return;
    if (group.isPendingMember(memberId)) {
      this.ctx.logger.info(`group ${group.groupId}: pending member ${memberId} did not rejoin in time`);
      this.removePendingMemberAndUpdateGroup(group, memberId);
      return;
    }
    const member = group.get(memberId);
    if (member === undefined) return;
    if (!member.isNew && (member.isAwaitingJoin || member.isAwaitingSync)) {
      // A member parked in JoinGroup/SyncGroup cannot heartbeat and counts as alive; the rebalance and sync
      // deadlines bound the wait. Keep a timer running so the session is checked again afterwards either way.
      this.scheduleHeartbeat(group, member);
      return;
    }
    this.removeMemberAndUpdateGroup(group, member, `session timeout of member ${memberId} expired`);
  }

  // ---------------------------------------------------------------- LeaveGroup

  leave(group: ClassicGroup, members: readonly LeaveGroupMemberParams[]): LeaveGroupResult {
    if (group.is('Dead')) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] };
    const results = members.map((lm) => {
      const out = (errorCode: number) => ({ memberId: lm.memberId, groupInstanceId: lm.groupInstanceId, errorCode });
      const reason = `member left${reasonSuffix(lm.reason)}`;
      if (lm.memberId === '') {
        // Administrative removal of a static member by instance id alone.
        const current = lm.groupInstanceId === null ? undefined : group.staticMemberId(lm.groupInstanceId);
        if (current === undefined) return out(ErrorCode.UNKNOWN_MEMBER_ID);
        this.removeMemberAndUpdateGroup(group, group.get(current)!, reason);
        return out(ErrorCode.NONE);
      }
      if (group.isPendingMember(lm.memberId)) {
        this.removePendingMemberAndUpdateGroup(group, lm.memberId);
        return out(ErrorCode.NONE);
      }
      const invalid = this.validateMember(group, lm.memberId, lm.groupInstanceId);
      if (invalid !== ErrorCode.NONE) return out(invalid);
      this.removeMemberAndUpdateGroup(group, group.get(lm.memberId)!, reason);
      return out(ErrorCode.NONE);
    });
    return { errorCode: ErrorCode.NONE, members: results };
  }

  // ---------------------------------------------------------------- removal and unloading

  private removeMemberAndUpdateGroup(group: ClassicGroup, member: GroupMember, reason: string): void {
    this.ctx.logger.info(`group ${group.groupId}: removing member ${member.memberId}: ${reason}`);
    // A member removed while its JoinGroup is parked (a new member that timed out) hears UNKNOWN_MEMBER_ID and
    // joins afresh if it is still alive.
    member.completeJoin(joinError('', ErrorCode.UNKNOWN_MEMBER_ID));
    member.completeSync(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    group.remove(member.memberId);
    this.ctx.timers.cancel(group.groupId, heartbeat(member.memberId));
    switch (group.state) {
      case 'Stable':
      case 'CompletingRebalance':
        this.prepareRebalance(group, reason);
        return;
      case 'PreparingRebalance':
        this.maybeCompleteJoin(group);
        return;
      case 'Empty':
      case 'Dead':
        return;
    }
  }

  private removePendingMemberAndUpdateGroup(group: ClassicGroup, memberId: string): void {
    group.pendingMembers.delete(memberId);
    this.ctx.timers.cancel(group.groupId, heartbeat(memberId));
    if (group.is('PreparingRebalance')) this.maybeCompleteJoin(group);
  }

  /** Re-checks the group's limits after loading it (the max size may have been lowered meanwhile). */
  afterLoad(group: ClassicGroup): void {
    for (const m of group.allMembers()) this.scheduleHeartbeat(group, m);
    if (group.size > this.ctx.config.groupMaxSize && group.canRebalance) {
      this.prepareRebalance(group, `loaded group has ${group.size} members, above group.max.size`);
    }
  }

  /** The group leaves this coordinator (partition resignation): answer everything parked and stop its timers. */
  unload(group: ClassicGroup, errorCode: number): void {
    group.transitionTo('Dead', this.ctx.now());
    for (const m of group.allMembers()) {
      m.completeJoin(joinError(m.memberId, errorCode));
      m.completeSync(syncError(errorCode));
    }
    this.ctx.timers.cancelScope(group.groupId);
  }

  // ---------------------------------------------------------------- helpers

  /** The instance id, when given, must map to this member id; the member id must be in the group. */
  validateMember(group: ClassicGroup, memberId: string, groupInstanceId: string | null): number {
    if (groupInstanceId !== null) {
      const current = group.staticMemberId(groupInstanceId);
      if (current === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
      if (current !== memberId) return ErrorCode.FENCED_INSTANCE_ID;
      return ErrorCode.NONE;
    }
    return group.has(memberId) ? ErrorCode.NONE : ErrorCode.UNKNOWN_MEMBER_ID;
  }

  private generateMemberId(prefix: string): string {
    return this.ctx.newMemberId?.(prefix) ?? `${prefix}-${randomUUID()}`;
  }
}

function copyProtocols(protocols: readonly JoinProtocol[]): JoinProtocol[] {
  // Request buffers may be views into a connection's read buffer; the group keeps metadata for a long time.
  return protocols.map((p) => ({ name: p.name, metadata: Buffer.from(p.metadata) }));
}

function reasonSuffix(reason: string | null | undefined): string {
  return reason ? ` (reason: ${reason})` : '';
}
