// The state of one classic group: members, pending members (issued an id, not yet joined), static members
// (group.instance.id → member id), leader, generation, selected protocol, and its committed offsets. It enforces
// the classic state machine's legal transitions; the timers and the decisions live in the coordinator.

import { CONSUMER_PROTOCOL_TYPE, parseSubscriptionTopics } from './consumer-protocol';
import type { GroupMember } from './member';
import { GroupOffsets } from './offsets';
import { PendingTxnOffsets } from './txn-offsets';
import { selectProtocol, supportsProtocols } from './protocol-selection';
import type { JoinGroupMember } from './types';

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

// Legal previous states for each state, as in Kafka's classic coordinator.
const VALID_PREVIOUS: Record<GroupState, readonly GroupState[]> = {
  Empty: ['PreparingRebalance'],
  PreparingRebalance: ['Stable', 'CompletingRebalance', 'Empty'],
  CompletingRebalance: ['PreparingRebalance'],
  Stable: ['CompletingRebalance'],
  Dead: ['Stable', 'PreparingRebalance', 'CompletingRebalance', 'Empty', 'Dead'],
};

export class ClassicGroup {
  private _state: GroupState;
  private _previousState: GroupState | null = null;
  /** When the group entered its current state; offsets of an Empty group expire relative to it. */
  currentStateTimestamp: number;
  generationId = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  /** Topics the members subscribe to (consumer groups whose subscriptions parse); null when unknown. */
  subscribedTopics: Set<string> | null = null;
  /** Set when a member joins during the first rebalance of an empty group, so the initial delay is extended. */
  newMemberAdded = false;
  /** True while the initial rebalance delay runs: the join phase then waits out the delay even if everyone is in. */
  initialJoinDelayActive = false;

  readonly members = new Map<string, GroupMember>();
  readonly pendingMembers = new Set<string>();
  readonly staticMembers = new Map<string, string>();
  /** Members that got their JoinGroup response for this generation but have not yet sent SyncGroup. */
  readonly pendingSyncMembers = new Set<string>();
  readonly offsets = new GroupOffsets();
  /** Offsets committed by transactions that are not decided yet. */
  readonly txnOffsets = new PendingTxnOffsets();

  constructor(
    readonly groupId: string,
    readonly partition: number,
    now: number,
    initialState: GroupState = 'Empty',
  ) {
    this._state = initialState;
    this.currentStateTimestamp = now;
  }

  get state(): GroupState {
    return this._state;
  }

  get previousState(): GroupState | null {
    return this._previousState;
  }

  is(s: GroupState): boolean {
    return this._state === s;
  }

  transitionTo(s: GroupState, now: number): void {
    if (!VALID_PREVIOUS[s].includes(this._state))
      throw new Error(`group ${this.groupId}: illegal transition ${this._state} -> ${s}`);
    this._previousState = this._state;
    this._state = s;
    this.currentStateTimestamp = now;
  }

  /** Rebalance can start from these states (PreparingRebalance is already rebalancing; Dead is gone). */
  get canRebalance(): boolean {
    return this._state === 'Stable' || this._state === 'CompletingRebalance' || this._state === 'Empty';
  }

  get size(): number {
    return this.members.size;
  }

  has(memberId: string): boolean {
    return this.members.has(memberId);
  }

  get(memberId: string): GroupMember | undefined {
    return this.members.get(memberId);
  }

  allMembers(): GroupMember[] {
    return [...this.members.values()];
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId;
  }

  isPendingMember(memberId: string): boolean {
    return this.pendingMembers.has(memberId);
  }

  staticMemberId(groupInstanceId: string): string | undefined {
    return this.staticMembers.get(groupInstanceId);
  }

  get numAwaitingJoin(): number {
    let n = 0;
    for (const m of this.members.values()) if (m.isAwaitingJoin) n++;
    return n;
  }

  /** Every member has rejoined and no issued member id is still outstanding. */
  get hasAllMembersJoined(): boolean {
    return this.members.size === this.numAwaitingJoin && this.pendingMembers.size === 0;
  }

  /** Largest rebalance timeout among members: how long a rebalance waits for everyone. */
  get rebalanceTimeoutMs(): number {
    let t = 0;
    for (const m of this.members.values()) t = Math.max(t, m.rebalanceTimeoutMs);
    return t;
  }

  supportsProtocols(protocolType: string, protocolNames: readonly string[]): boolean {
    return supportsProtocols(this.is('Empty'), this.protocolType, this.allMembers(), protocolType, protocolNames);
  }

  selectProtocol(): string {
    const p = selectProtocol(this.allMembers());
    if (p === undefined) throw new Error(`group ${this.groupId}: members share no protocol`);
    return p;
  }

  add(member: GroupMember): void {
    if (member.groupInstanceId !== null) {
      if (this.staticMembers.has(member.groupInstanceId))
        throw new Error(`group ${this.groupId}: static member ${member.groupInstanceId} already present`);
      this.staticMembers.set(member.groupInstanceId, member.memberId);
    }
    if (this.members.size === 0) this.protocolType = member.protocolType;
    if (this.leaderId === null) this.leaderId = member.memberId;
    this.members.set(member.memberId, member);
    this.pendingMembers.delete(member.memberId);
  }

  /** Removes a member; a departing leader is replaced by any remaining member. */
  remove(memberId: string): GroupMember | undefined {
    const m = this.members.get(memberId);
    if (m === undefined) return undefined;
    this.members.delete(memberId);
    if (m.groupInstanceId !== null && this.staticMembers.get(m.groupInstanceId) === memberId)
      this.staticMembers.delete(m.groupInstanceId);
    this.pendingSyncMembers.delete(memberId);
    if (this.leaderId === memberId) {
      const next = this.members.keys().next();
      this.leaderId = next.done ? null : next.value;
    }
    return m;
  }

  /**
   * A static member came back under a new member id: the member keeps its place (and leadership, assignment),
   * only its id changes. The caller fences any request still parked under the old id first.
   */
  replaceStaticMember(groupInstanceId: string, oldMemberId: string, newMemberId: string): GroupMember {
    const m = this.members.get(oldMemberId);
    if (m === undefined) throw new Error(`group ${this.groupId}: no member ${oldMemberId} to replace`);
    this.members.delete(oldMemberId);
    m.memberId = newMemberId;
    this.members.set(newMemberId, m);
    if (this.leaderId === oldMemberId) this.leaderId = newMemberId;
    this.staticMembers.set(groupInstanceId, newMemberId);
    if (this.pendingSyncMembers.delete(oldMemberId)) this.pendingSyncMembers.add(newMemberId);
    return m;
  }

  /**
   * When the leader did not rejoin, any member that did becomes leader. False when nobody rejoined (or the group
   * has no leader at all).
   */
  maybeElectNewJoinedLeader(): boolean {
    if (this.leaderId === null) return false;
    const leader = this.members.get(this.leaderId);
    if (leader !== undefined && leader.isAwaitingJoin) return true;
    for (const m of this.members.values()) {
      if (m.isAwaitingJoin) {
        this.leaderId = m.memberId;
        return true;
      }
    }
    return false;
  }

  /** Starts the next generation after the join phase: CompletingRebalance with members, else Empty. */
  initNextGeneration(now: number): void {
    this.generationId += 1;
    if (this.members.size > 0) {
      this.protocolName = this.selectProtocol();
      this.subscribedTopics = this.computeSubscribedTopics();
      this.transitionTo('CompletingRebalance', now);
    } else {
      this.protocolName = null;
      this.subscribedTopics = this.computeSubscribedTopics();
      this.transitionTo('Empty', now);
    }
    this.pendingSyncMembers.clear();
    for (const id of this.members.keys()) this.pendingSyncMembers.add(id);
  }

  computeSubscribedTopics(): Set<string> | null {
    if (this.protocolType !== CONSUMER_PROTOCOL_TYPE) return null;
    if (this.members.size === 0) return new Set();
    if (this.protocolName === null) return null;
    const topics = new Set<string>();
    for (const m of this.members.values()) {
      const parsed = parseSubscriptionTopics(m.metadataFor(this.protocolName));
      if (parsed === null) return null;
      for (const t of parsed) topics.add(t);
    }
    return topics;
  }

  isSubscribedToTopic(topic: string): boolean {
    return this.subscribedTopics?.has(topic) ?? false;
  }

  /** Member list for the leader's JoinGroup response: each member's metadata for the selected protocol. */
  currentMemberMetadata(): JoinGroupMember[] {
    const protocol = this.protocolName;
    if (protocol === null) throw new Error(`group ${this.groupId}: no protocol selected`);
    return this.allMembers().map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      metadata: m.metadataFor(protocol),
    }));
  }
}
