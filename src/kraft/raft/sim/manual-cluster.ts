// A hand-driven cluster for focused tests: messages wait in a FIFO until the test delivers them (all, or those
// a predicate lets through), time moves only when the test says so, and every node's outputs are recorded.

import { resolveRaftConfig, type RaftConfig } from '../config';
import { MemoryRaftLog } from '../memory-log';
import type { RaftMessage } from '../messages';
import { MemoryQuorumStateStore } from '../quorum-state';
import { RaftNode, type RaftOutput } from '../raft-node';
import { SeededRandom } from '../random';
import type { RaftEntry, SnapshotId } from '../types';

export interface Sent {
  from: number;
  to: number;
  message: RaftMessage;
}

export interface ManualMember {
  id: number;
  log: MemoryRaftLog;
  store: MemoryQuorumStateStore;
  node: RaftNode;
  committed: RaftEntry[];
  snapshots: { id: SnapshotId; data: Buffer }[];
  roles: string[];
}

export class ManualCluster {
  now = 0;
  readonly members = new Map<number, ManualMember>();
  pending: Sent[] = [];
  /** Every message ever sent, for assertions about traffic. */
  readonly history: Sent[] = [];
  down = new Set<number>();
  private seed = 1;

  constructor(
    readonly voters: number[],
    observers: number[] = [],
    readonly config: Partial<RaftConfig> = {},
  ) {
    for (const id of [...voters, ...observers]) {
      const log = new MemoryRaftLog();
      const store = new MemoryQuorumStateStore();
      this.members.set(id, { id, log, store, node: this.makeNode(id, log, store), committed: [], snapshots: [], roles: [] });
      this.collect(id);
    }
  }

  private makeNode(id: number, log: MemoryRaftLog, store: MemoryQuorumStateStore): RaftNode {
    return new RaftNode({
      config: resolveRaftConfig({ ...this.config, nodeId: id, voters: this.voters }),
      log,
      quorumStore: store,
      random: new SeededRandom(this.seed++),
      nowMs: this.now,
    });
  }

  m(id: number): ManualMember {
    const m = this.members.get(id);
    if (m === undefined) throw new Error(`no member ${id}`);
    return m;
  }

  node(id: number): RaftNode {
    return this.m(id).node;
  }

  /** (Re)starts a member over its log and quorum state; volatile state and recorded outputs start afresh. */
  start(id: number): void {
    const m = this.m(id);
    m.committed = [];
    m.snapshots = [];
    m.node = this.makeNode(id, m.log, m.store);
    this.down.delete(id);
    this.collect(id);
  }

  crash(id: number): number {
    this.down.add(id);
    this.pending = this.pending.filter((s) => s.to !== id);
    return this.m(id).log.crash();
  }

  collect(id: number): RaftOutput[] {
    const m = this.m(id);
    const outs = m.node.takeOutputs();
    for (const o of outs) {
      if (o.kind === 'send') {
        const s = { from: id, to: o.to, message: o.message };
        this.pending.push(s);
        this.history.push(s);
      } else if (o.kind === 'committed') {
        m.committed.push(...o.entries);
      } else if (o.kind === 'loadSnapshot') {
        m.snapshots.push({ id: o.snapshotId, data: o.data });
      } else {
        m.roles.push(`${o.role}@${o.epoch}`);
      }
    }
    return outs;
  }

  /** Delivers pending messages (FIFO, including the ones they cause) until none pass the filter. */
  deliver(pass: (s: Sent) => boolean = () => true, max = 10_000): number {
    let n = 0;
    for (;;) {
      const i = this.pending.findIndex((s) => !this.down.has(s.to) && pass(s));
      if (i < 0) return n;
      const [s] = this.pending.splice(i, 1);
      this.m(s!.to).node.receive(s!.from, s!.message, this.now);
      this.collect(s!.to);
      if (++n >= max) throw new Error('message storm');
    }
  }

  /** Drops pending messages that match. */
  drop(match: (s: Sent) => boolean): void {
    this.pending = this.pending.filter((s) => !match(s));
  }

  /** Advances time in steps, ticking every live node and delivering what passes after each step. */
  advance(ms: number, pass: (s: Sent) => boolean = () => true, stepMs = 5): void {
    const end = this.now + ms;
    while (this.now < end) {
      this.now = Math.min(end, this.now + stepMs);
      for (const id of this.members.keys()) {
        if (this.down.has(id)) continue;
        this.m(id).node.tick(this.now);
        this.collect(id);
      }
      this.deliver(pass);
    }
  }

  /** Runs until some node leads and every live voter follows it; returns the leader id. */
  electLeader(withinMs = 10_000): number {
    const end = this.now + withinMs;
    while (this.now < end) {
      this.advance(5);
      const leaders = this.voters.filter((v) => !this.down.has(v) && this.node(v).role === 'leader');
      if (leaders.length !== 1) continue;
      const l = leaders[0]!;
      const epoch = this.node(l).currentEpoch;
      if (this.voters.every((v) => v === l || this.down.has(v) || (this.node(v).role === 'follower' && this.node(v).currentEpoch === epoch))) {
        return l;
      }
    }
    throw new Error('no leader elected');
  }

  appendAndCommit(leader: number, values: string[], withinMs = 5_000): { offset: number; epoch: number } {
    const res = this.node(leader).append(values.map((v) => Buffer.from(v)));
    if ('notLeader' in res) throw new Error(`${leader} is not the leader`);
    this.collect(leader);
    const end = this.now + withinMs;
    while (this.node(leader).highWatermark <= res.offset) {
      if (this.now >= end) throw new Error(`offset ${res.offset} not committed`);
      this.advance(5);
    }
    return { offset: res.offset, epoch: res.epoch };
  }
}

export function dataValues(entries: readonly RaftEntry[]): string[] {
  return entries.filter((e) => e.control === undefined).map((e) => e.value.toString());
}
