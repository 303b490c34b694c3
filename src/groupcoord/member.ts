// One member of a classic group: its identity, timeouts, the protocols it supports (in preference order), its
// current assignment, and the JoinGroup/SyncGroup responses it is waiting for.

import type { JoinGroupResult, JoinProtocol, SyncGroupResult } from './types';

export type JoinResolver = (result: JoinGroupResult) => void;
export type SyncResolver = (result: SyncGroupResult) => void;

const EMPTY = Buffer.alloc(0);

export class GroupMember {
  /** Protocols by preference (the client's order). */
  protocols: JoinProtocol[];
  assignment: Buffer = EMPTY;
  /** Set while the member's JoinGroup waits for the rebalance to complete. */
  awaitingJoin: JoinResolver | null = null;
  /** Set while the member's SyncGroup waits for the leader's assignment. */
  awaitingSync: SyncResolver | null = null;
  /** A member added during this rebalance that has not yet received its first JoinGroup response: it can be
   *  expired even while its JoinGroup is parked (its session timer is the new-member join timeout). */
  isNew = false;

  constructor(
    public memberId: string,
    readonly groupInstanceId: string | null,
    public clientId: string,
    public clientHost: string,
    public rebalanceTimeoutMs: number,
    public sessionTimeoutMs: number,
    readonly protocolType: string,
    protocols: JoinProtocol[],
  ) {
    this.protocols = protocols;
  }

  get isStatic(): boolean {
    return this.groupInstanceId !== null;
  }

  get isAwaitingJoin(): boolean {
    return this.awaitingJoin !== null;
  }

  get isAwaitingSync(): boolean {
    return this.awaitingSync !== null;
  }

  protocolNames(): string[] {
    return this.protocols.map((p) => p.name);
  }

  /** The metadata the member sent for protocol; throws if it does not support it (a coordinator bug). */
  metadataFor(protocol: string): Buffer {
    const p = this.protocols.find((x) => x.name === protocol);
    if (p === undefined) throw new Error(`member ${this.memberId} does not support protocol ${protocol}`);
    return p.metadata;
  }

  /** Same protocols with the same metadata in the same order: a rejoin that changes nothing. */
  matches(protocols: readonly JoinProtocol[]): boolean {
    if (protocols.length !== this.protocols.length) return false;
    for (let i = 0; i < protocols.length; i++) {
      const a = protocols[i]!;
      const b = this.protocols[i]!;
      if (a.name !== b.name || !a.metadata.equals(b.metadata)) return false;
    }
    return true;
  }

  /** Completes the parked JoinGroup, if any. */
  completeJoin(result: JoinGroupResult): boolean {
    const r = this.awaitingJoin;
    if (r === null) return false;
    this.awaitingJoin = null;
    r(result);
    return true;
  }

  /** Completes the parked SyncGroup, if any. */
  completeSync(result: SyncGroupResult): boolean {
    const r = this.awaitingSync;
    if (r === null) return false;
    this.awaitingSync = null;
    r(result);
    return true;
  }
}
