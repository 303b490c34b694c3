import { resolveRaftConfig } from './config';
import { MemoryRaftLog } from './memory-log';
import { ErrorCode, type FetchRequest, type FetchResponse, type VoteRequest, type VoteResponse } from './messages';
import { MemoryQuorumStateStore, type QuorumState, type QuorumStateStore } from './quorum-state';
import { RaftNode, type RaftOutput } from './raft-node';
import { SeededRandom } from './random';
import type { RaftEntry } from './types';
import { ManualCluster, dataValues } from './sim/manual-cluster';

const FAST = {
  electionTimeoutMs: 100,
  electionBackoffMaxMs: 100,
  fetchTimeoutMs: 200,
  requestTimeoutMs: 60,
  retryBackoffMs: 5,
  fetchMaxWaitMs: 40,
};

function entries(from: number, epochs: number[]): RaftEntry[] {
  return epochs.map((epoch, i) => ({ offset: from + i, epoch, value: Buffer.from(`e${epoch}@${from + i}`) }));
}

function lone(id: number, voters: number[], opts: { log?: MemoryRaftLog; store?: QuorumStateStore } = {}) {
  const log = opts.log ?? new MemoryRaftLog();
  const store = opts.store ?? new MemoryQuorumStateStore();
  const node = new RaftNode({
    config: resolveRaftConfig({ ...FAST, nodeId: id, voters }),
    log,
    quorumStore: store,
    random: new SeededRandom(id),
    nowMs: 0,
  });
  node.takeOutputs();
  return { node, log, store };
}

function vote(candidateId: number, candidateEpoch: number, lastOffsetEpoch = 0, lastOffset = 0, preVote = false): VoteRequest {
  return { type: 'VoteRequest', candidateId, candidateEpoch, lastOffsetEpoch, lastOffset, preVote };
}

function sent<T>(outs: RaftOutput[], type: string): T[] {
  return outs.filter((o) => o.kind === 'send' && o.message.type === type).map((o) => (o as { message: unknown }).message as T);
}

function voteAnswer(node: RaftNode, from: number, req: VoteRequest, now = 1): VoteResponse {
  node.receive(from, req, now);
  const [resp] = sent<VoteResponse>(node.takeOutputs(), 'VoteResponse');
  if (resp === undefined) throw new Error('no vote response');
  return resp;
}

/** Restarts every member over logs and quorum states set up by the test. */
function preload(c: ManualCluster, setup: Record<number, { epochs: number[]; state: QuorumState }>): void {
  for (const [id, s] of Object.entries(setup)) {
    const m = c.m(Number(id));
    m.log.append(entries(0, s.epochs));
    m.log.flush();
    m.store.write(s.state);
    c.start(Number(id));
  }
  c.pending = [];
}

describe('votes', () => {
  test('one vote per epoch, durable before it is granted, again to the same candidate only', () => {
    const { node, store } = lone(2, [1, 2, 3]);
    expect(voteAnswer(node, 1, vote(1, 1)).voteGranted).toBe(true);
    expect(store.read()).toEqual({ leaderEpoch: 1, votedId: 1, leaderId: null });
    expect(node.role).toBe('voted');
    expect(voteAnswer(node, 3, vote(3, 1)).voteGranted).toBe(false);
    expect(voteAnswer(node, 1, vote(1, 1)).voteGranted).toBe(true); // a retried request
    const next = voteAnswer(node, 3, vote(3, 2));
    expect(next).toMatchObject({ voteGranted: true, leaderEpoch: 2 });
    expect(store.read()).toEqual({ leaderEpoch: 2, votedId: 3, leaderId: null });
  });

  test('a vote that cannot be stored is not granted', () => {
    const failing: QuorumStateStore = {
      read: () => null,
      write: () => {
        throw new Error('disk full');
      },
    };
    const { node } = lone(2, [1, 2, 3], { store: failing });
    expect(() => node.receive(1, vote(1, 1), 1)).toThrow('disk full');
    expect(sent<VoteResponse>(node.takeOutputs(), 'VoteResponse').filter((r) => r.voteGranted)).toEqual([]);
  });

  test('only for a log at least as up to date', () => {
    const log = new MemoryRaftLog();
    log.append(entries(0, [1, 1, 2]));
    log.flush();
    const { node } = lone(2, [1, 2, 3], { log });
    expect(voteAnswer(node, 1, vote(1, 3, 2, 2)).voteGranted).toBe(false); // same last epoch, shorter
    expect(voteAnswer(node, 1, vote(1, 4, 1, 9)).voteGranted).toBe(false); // longer but older last epoch
    expect(voteAnswer(node, 1, vote(1, 5, 2, 3)).voteGranted).toBe(true); // same
    expect(voteAnswer(node, 3, vote(3, 6, 3, 1)).voteGranted).toBe(true); // newer last epoch
  });

  test('a stale candidate is told the current epoch', () => {
    const { node } = lone(2, [1, 2, 3]);
    voteAnswer(node, 3, vote(3, 5));
    expect(voteAnswer(node, 1, vote(1, 4))).toMatchObject({ voteGranted: false, leaderEpoch: 5 });
  });

  test('a restarted voter remembers its vote', () => {
    const log = new MemoryRaftLog();
    const store = new MemoryQuorumStateStore();
    expect(voteAnswer(lone(2, [1, 2, 3], { log, store }).node, 1, vote(1, 1)).voteGranted).toBe(true);
    const restarted = lone(2, [1, 2, 3], { log, store }).node;
    expect(restarted.role).toBe('voted');
    expect(voteAnswer(restarted, 3, vote(3, 1)).voteGranted).toBe(false);
  });

  test('a pre-vote changes no state; a follower of a live leader refuses it', () => {
    const store = new MemoryQuorumStateStore();
    const { node } = lone(2, [1, 2, 3], { store });
    const writes = store.writes;
    expect(voteAnswer(node, 1, vote(1, 7, 0, 0, true))).toMatchObject({ voteGranted: true, preVote: true, leaderEpoch: 0 });
    expect(store.writes).toBe(writes);
    expect(node.currentEpoch).toBe(0);

    // Follow leader 3 in epoch 1; while its fetches succeed, pre-votes are refused.
    node.receive(3, { type: 'BeginQuorumEpochRequest', leaderId: 3, leaderEpoch: 1 }, 10);
    expect(node.role).toBe('follower');
    node.takeOutputs();
    expect(voteAnswer(node, 1, vote(1, 1, 0, 0, true), 20).voteGranted).toBe(false);
    // Once the fetch timeout has run out the leader is presumed gone.
    expect(voteAnswer(node, 1, vote(1, 1, 0, 0, true), 10 + FAST.fetchTimeoutMs).voteGranted).toBe(true);
  });

  test('observers do not vote', () => {
    const { node } = lone(101, [1, 2, 3]);
    expect(voteAnswer(node, 1, vote(1, 1))).toMatchObject({ voteGranted: false, errorCode: ErrorCode.INCONSISTENT_VOTER_SET });
  });
});

describe('election and replication', () => {
  test('a sole voter elects itself and commits after flushing', () => {
    const c = new ManualCluster([1], [], FAST);
    c.advance(5);
    const node = c.node(1);
    expect(node.role).toBe('leader');
    expect(node.currentEpoch).toBe(1);
    const res = node.append([Buffer.from('a'), Buffer.from('b')]);
    expect(res).toEqual({ baseOffset: 1, offset: 2, epoch: 1 });
    expect(node.highWatermark).toBeLessThanOrEqual(1);
    c.advance(5);
    expect(node.highWatermark).toBe(3);
    const committed = c.m(1).committed;
    expect(committed[0]!.control).toMatchObject({ type: 'leaderChange', leaderId: 1, voters: [1] });
    expect(dataValues(committed)).toEqual(['a', 'b']);
  });

  test('three voters elect one leader, replicate and commit everywhere; non-leaders refuse appends', () => {
    const c = new ManualCluster([1, 2, 3], [], FAST);
    const leader = c.electLeader();
    const other = [1, 2, 3].find((v) => v !== leader)!;
    expect(c.node(other).append([Buffer.from('x')])).toEqual({ notLeader: true, leaderId: leader, epoch: c.node(leader).currentEpoch });
    c.appendAndCommit(leader, ['a', 'b', 'c']);
    c.advance(50);
    for (const v of [1, 2, 3]) expect(dataValues(c.m(v).committed)).toEqual(['a', 'b', 'c']);
    // The leader change record is the first entry of the epoch, on every log.
    const lc = c.m(other).log.read(0, 1e9).find((e) => e.control !== undefined);
    expect(lc?.control).toMatchObject({ leaderId: leader, voters: [1, 2, 3] });
  });

  test('a diverging follower truncates to the leader and refetches', () => {
    const c = new ManualCluster([1, 2, 3], [], { ...FAST, fetchMaxBytes: 1000 });
    // Node 2 holds uncommitted entries of epoch 2 that node 1 (with epoch 3 entries) never had.
    preload(c, {
      1: { epochs: [1, 1, 1, 3, 3], state: { leaderEpoch: 3, votedId: null, leaderId: null } },
      2: { epochs: [1, 1, 1, 2, 2, 2, 2], state: { leaderEpoch: 3, votedId: null, leaderId: null } },
      3: { epochs: [1, 1, 1], state: { leaderEpoch: 3, votedId: null, leaderId: null } },
    });
    // Keep node 2 out until node 1 leads (node 2 could otherwise win with node 3's vote).
    while (c.node(1).role !== 'leader') c.advance(5, (s) => s.from !== 2 && s.to !== 2);
    c.advance(100);
    const fetches = c.history.filter((s) => s.from === 2 && s.message.type === 'FetchRequest').map((s) => s.message as FetchRequest);
    expect(fetches[0]).toMatchObject({ fetchOffset: 7, lastFetchedEpoch: 2 });
    const diverging = c.history.find((s) => s.to === 2 && s.message.type === 'FetchResponse' && (s.message as FetchResponse).divergingEpoch !== null);
    expect((diverging!.message as FetchResponse).divergingEpoch).toEqual({ epoch: 1, endOffset: 3 });
    expect(fetches[1]).toMatchObject({ fetchOffset: 3, lastFetchedEpoch: 1 });
    const epochsOf = (id: number) => c.m(id).log.read(0, 1e9).map((e) => e.epoch);
    expect(epochsOf(2)).toEqual(epochsOf(1));
    expect(epochsOf(1)).toEqual([1, 1, 1, 3, 3, 4]);
    expect(c.node(2).highWatermark).toBe(6);
  });

  test('the high watermark moves only once an entry of the leader epoch is on a majority', () => {
    const c = new ManualCluster([1, 2, 3], [], FAST);
    preload(c, {
      1: { epochs: [1, 1, 1, 3, 3], state: { leaderEpoch: 3, votedId: null, leaderId: null } },
      2: { epochs: [1, 1, 1], state: { leaderEpoch: 3, votedId: null, leaderId: null } },
      3: { epochs: [1, 1, 1], state: { leaderEpoch: 3, votedId: null, leaderId: null } },
    });
    // Elect node 1 with node 3's vote, then keep every fetch away from it: the test plays the followers.
    const isFetch = (s: { message: { type: string } }) => s.message.type.startsWith('Fetch');
    while (c.node(1).role !== 'leader') c.advance(5, (s) => s.from !== 2 && s.to !== 2 && !isFetch(s));
    c.advance(10, (s) => !isFetch(s));
    const leader = c.node(1);
    expect(leader.currentEpoch).toBe(4);
    const fetch = (replicaId: number, fetchOffset: number, lastFetchedEpoch: number): FetchResponse => {
      leader.receive(replicaId, { type: 'FetchRequest', correlationId: 1, replicaId, currentLeaderEpoch: 4, fetchOffset, lastFetchedEpoch, maxWaitMs: 0, maxBytes: 1e6 }, c.now);
      return sent<FetchResponse>(c.collect(1), 'FetchResponse')[0]!;
    };
    // Node 3 now holds offsets 0-4 (epochs 1 and 3): a majority with the leader, but none of epoch 4.
    expect(fetch(3, 5, 3).highWatermark).toBe(0);
    expect(leader.highWatermark).toBe(0);
    expect(c.m(1).committed).toEqual([]);
    // Once it holds the leader change record (offset 5, epoch 4) everything up to it is committed.
    expect(fetch(3, 6, 4).highWatermark).toBe(6);
    expect(c.m(1).committed.map((e) => e.offset)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  test('a follower behind the log start installs the snapshot through FetchSnapshot chunks, then fetches on', () => {
    const c = new ManualCluster([1, 2, 3], [], { ...FAST, fetchSnapshotMaxBytes: 64 });
    const leader = c.electLeader();
    const lagging = [1, 2, 3].find((v) => v !== leader)!;
    c.crash(lagging);
    c.appendAndCommit(leader, Array.from({ length: 30 }, (_, i) => `r${i}`));
    const node = c.node(leader);
    const data = Buffer.from('S'.repeat(300));
    const id = node.createSnapshot(node.appliedOffset, data);
    expect(c.m(leader).log.startOffset()).toBe(id.endOffset);
    c.start(lagging);
    c.advance(200);
    const m = c.m(lagging);
    expect(m.snapshots).toEqual([{ id, data }]);
    const chunks = c.history.filter((s) => s.from === lagging && s.message.type === 'FetchSnapshotRequest');
    expect(chunks.length).toBeGreaterThanOrEqual(Math.ceil(300 / 64));
    expect(m.log.startOffset()).toBe(id.endOffset);
    expect(m.log.latestSnapshot()).toEqual(id);
    c.appendAndCommit(leader, ['after']);
    c.advance(50);
    expect(dataValues(m.committed)).toEqual(['after']);
    expect(m.committed[0]!.offset).toBe(id.endOffset);
  });

  test('observers replicate but do not count toward the high watermark; DescribeQuorum shows both', () => {
    const c = new ManualCluster([1, 2, 3], [101], FAST);
    const leader = c.electLeader();
    c.appendAndCommit(leader, ['a']);
    c.advance(50);
    expect(dataValues(c.m(101).committed)).toEqual(['a']);
    expect(c.node(101).currentLeader).toBe(leader);

    const desc = c.node(leader).describeQuorum(c.now)!;
    expect(desc.leaderId).toBe(leader);
    expect(desc.highWatermark).toBe(c.node(leader).highWatermark);
    expect(desc.voters.map((v) => v.replicaId)).toEqual([1, 2, 3]);
    for (const v of desc.voters) {
      expect(v.logEndOffset).toBe(c.node(leader).highWatermark);
      expect(v.lastFetchTimestamp).toBeGreaterThan(0);
      expect(v.lastCaughtUpTimestamp).toBeGreaterThan(0);
    }
    expect(desc.observers).toMatchObject([{ replicaId: 101, logEndOffset: c.node(leader).highWatermark }]);
    expect(c.node(101).describeQuorum(c.now)).toBeNull();

    for (const v of [1, 2, 3]) if (v !== leader) c.crash(v);
    const hw = c.node(leader).highWatermark;
    c.node(leader).append([Buffer.from('b')]);
    c.advance(100);
    expect(c.m(101).log.endOffset()).toBeGreaterThan(hw); // the observer has it...
    expect(c.node(leader).highWatermark).toBe(hw); // ...but that commits nothing
  });

  test('graceful resignation hands over to the preferred successor before any timeout', () => {
    const c = new ManualCluster([1, 2, 3], [], FAST);
    const leader = c.electLeader();
    const epoch = c.node(leader).currentEpoch;
    c.appendAndCommit(leader, ['a']);
    expect(c.node(leader).resign(c.now)).toBe(true);
    c.collect(leader);
    const end = c.history.find((s) => s.from === leader && s.message.type === 'EndQuorumEpochRequest')!;
    const successor = (end.message as { preferredSuccessors: number[] }).preferredSuccessors[0]!;
    const started = c.now;
    const next = c.electLeader();
    expect(next).toBe(successor);
    expect(c.now - started).toBeLessThan(FAST.electionTimeoutMs);
    expect(c.node(next).currentEpoch).toBe(epoch + 1);
  });

  test('a leader cut off from the quorum resigns (check-quorum); the rest elect another; it rejoins after healing', () => {
    const c = new ManualCluster([1, 2, 3], [], FAST);
    const old = c.electLeader();
    const cut = (s: { from: number; to: number }) => s.from !== old && s.to !== old;
    c.advance(Math.floor(FAST.fetchTimeoutMs * 1.5) + 20, cut);
    expect(c.node(old).role).toBe('resigned');
    const others = [1, 2, 3].filter((v) => v !== old);
    while (!others.some((v) => c.node(v).role === 'leader')) c.advance(5, cut);
    c.drop((s) => !cut(s));
    const next = c.electLeader();
    expect(next).not.toBe(old);
    expect(c.node(old).role).toBe('follower');
    expect(c.node(old).currentLeader).toBe(next);
  });

  test('a leader restarts resigned, and the quorum moves on to a new epoch', () => {
    const c = new ManualCluster([1, 2, 3], [], FAST);
    const leader = c.electLeader();
    const epoch = c.node(leader).currentEpoch;
    c.appendAndCommit(leader, ['a']);
    c.crash(leader);
    c.start(leader);
    expect(c.node(leader).role).toBe('resigned');
    c.electLeader();
    for (const v of [1, 2, 3]) expect(c.node(v).currentEpoch).toBeGreaterThan(epoch);
  });

  test('a voter stranded in a higher epoch (failed candidacy) fences the leader, and the quorum re-forms', () => {
    const c = new ManualCluster([1, 2, 3], [], FAST);
    const leader = c.electLeader();
    const epoch = c.node(leader).currentEpoch;
    const x = [1, 2, 3].find((v) => v !== leader)!;
    c.crash(x);
    c.m(x).store.write({ leaderEpoch: epoch + 1, votedId: x, leaderId: null });
    c.start(x);
    const since = c.history.length;
    const next = c.electLeader();
    expect(c.node(next).currentEpoch).toBeGreaterThanOrEqual(epoch + 2);
    const fenced = c.history.slice(since).find((s) => s.from === x && s.message.type === 'BeginQuorumEpochResponse');
    expect(fenced?.message).toMatchObject({ errorCode: ErrorCode.FENCED_LEADER_EPOCH, leaderEpoch: epoch + 1 });
  });

  test('a fetch in an old epoch is fenced and told the current leader', () => {
    const c = new ManualCluster([1, 2, 3], [], FAST);
    const leader = c.electLeader();
    const node = c.node(leader);
    node.receive(2, { type: 'FetchRequest', correlationId: 9, replicaId: 2, currentLeaderEpoch: 0, fetchOffset: 0, lastFetchedEpoch: 0, maxWaitMs: 0, maxBytes: 100 }, c.now);
    const [resp] = sent<FetchResponse>(c.collect(leader), 'FetchResponse');
    expect(resp).toMatchObject({ correlationId: 9, errorCode: ErrorCode.FENCED_LEADER_EPOCH, leaderId: leader, leaderEpoch: node.currentEpoch, entries: [] });
  });
});
