// One member of the metadata quorum (voter or observer), as a sans-IO state machine: the caller feeds it time
// (tick), messages (receive) and writes (append), and collects what it wants done (takeOutputs): messages to
// send, newly committed entries, snapshots to load, role changes. Storage is injected and synchronous, time is
// whatever clock the caller passes in, randomness is a seeded source — so a run is reproducible from its inputs,
// which is what the deterministic simulation tests rely on.
//
// Protocol, as KRaft (KIP-595, KIP-630, KIP-996): pull-based replication. A voter whose timer runs out first
// asks in a pre-vote round whether it could win; if so it bumps the epoch, votes for itself (durably) and asks
// for votes. Voters grant one vote per epoch, only to logs at least as up to date as theirs. The winner writes a
// LeaderChange entry and announces itself (BeginQuorumEpoch); followers fetch from it with (fetchOffset,
// lastFetchedEpoch), get entries or a divergence point or a snapshot id, and learn the high watermark from the
// responses. The leader advances the high watermark to what a majority of voters hold once that includes an
// entry of its own epoch.

import { ErrorCode } from '../../wire/errors';
import type { RaftConfig } from './config';
import {
  VoteTally,
  electionBackoff,
  endQuorumBackoff,
  isLogUpToDate,
  randomElectionTimeout,
} from './election';
import { LeaderState, type QuorumDescription } from './leader-state';
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
  VoteRequest,
  VoteResponse,
} from './messages';
import type { QuorumStateStore } from './quorum-state';
import type { RaftLog } from './raft-log';
import type { RandomSource } from './random';
import { divergenceTruncationOffset, validateFetchPosition, type FetchPosition } from './replication';
import type { FollowerState, InflightFetch, RaftRole, RoleState, UnattachedState } from './roles';
import { SnapshotDownload, serveSnapshotChunk } from './snapshots';
import type { RaftEntry, SnapshotId } from './types';

export type { RaftRole } from './roles';

export type RaftOutput =
  | { kind: 'send'; to: number; message: RaftMessage }
  /** Entries newly below the high watermark, in offset order, continuing exactly where the last batch ended. */
  | { kind: 'committed'; entries: RaftEntry[]; highWatermark: number }
  /** Replace the application state with this snapshot; committed entries continue from snapshotId.endOffset. */
  | { kind: 'loadSnapshot'; snapshotId: SnapshotId; data: Buffer }
  | { kind: 'roleChange'; role: RaftRole; epoch: number; leaderId: number | null };

export type AppendResult =
  /** Appended as offsets baseOffset..offset in `epoch`; committed once a 'committed' output holds (offset, epoch). */
  | { baseOffset: number; offset: number; epoch: number }
  | { notLeader: true; leaderId: number | null; epoch: number };

export interface RaftNodeOptions {
  config: RaftConfig;
  log: RaftLog;
  quorumStore: QuorumStateStore;
  random: RandomSource;
  /** The caller's clock at start-up. */
  nowMs: number;
}

/** A protocol invariant broke: a bug, or peers that disagree about the cluster (two leaders in one epoch). */
export class RaftInvariantError extends Error {}

const EMPTY = Buffer.alloc(0);

export class RaftNode {
  readonly id: number;
  private readonly cfg: RaftConfig;
  private readonly log: RaftLog;
  private readonly store: QuorumStateStore;
  private readonly rnd: RandomSource;
  private readonly voters: readonly number[];
  private readonly isVoter: boolean;
  private readonly checkQuorumTimeoutMs: number;

  private now: number;
  // Durable election state, mirrored from the store (written through persist() only).
  private epoch = 0;
  private votedId: number | null = null;
  private leaderId: number | null = null;

  private state: RoleState;
  private hw: number;
  /** Offset up to which committed entries (or a snapshot) have been handed to the application. */
  private applied: number;
  private electionRetries = 0;
  private nextCorrelationId = 1;
  private outputs: RaftOutput[] = [];
  private lastRole: { role: RaftRole; epoch: number; leaderId: number | null } | null = null;

  constructor(opts: RaftNodeOptions) {
    this.cfg = opts.config;
    this.id = opts.config.nodeId;
    this.log = opts.log;
    this.store = opts.quorumStore;
    this.rnd = opts.random;
    this.voters = opts.config.voters;
    this.isVoter = this.voters.includes(this.id);
    this.checkQuorumTimeoutMs = Math.floor(this.cfg.fetchTimeoutMs * 1.5);
    this.now = opts.nowMs;
    // Start correlation ids somewhere random so a late answer to a previous incarnation's request cannot pass
    // for an answer to ours.
    this.nextCorrelationId = 1 + Math.floor(this.rnd.next() * 0x3fffffff);

    const saved = this.store.read();
    if (saved !== null) {
      this.epoch = saved.leaderEpoch;
      this.votedId = saved.votedId;
      this.leaderId = saved.leaderId;
    }
    // The high watermark is volatile: after a restart only the snapshot is known to be committed, the rest is
    // learned again from the leader (or re-established by a new leader).
    this.hw = this.log.startOffset();
    this.applied = this.hw;
    const snapshot = this.log.latestSnapshot();
    if (snapshot !== null) {
      const data = this.log.readSnapshot(snapshot, 0, Number.MAX_SAFE_INTEGER);
      if (data === null) throw new RaftInvariantError('raft: latest snapshot is not readable');
      this.outputs.push({ kind: 'loadSnapshot', snapshotId: snapshot, data: data.bytes });
    }

    this.state = this.unattachedState();
    if (this.leaderId === this.id && this.isVoter) {
      // It led this epoch before the restart and cannot know what it lost since: step down and let the
      // quorum elect (possibly itself again) in a later epoch.
      this.becomeResigned([]);
    } else if (this.leaderId !== null && this.leaderId !== this.id) {
      this.becomeFollower(this.epoch, this.leaderId);
    } else {
      this.emitRole();
    }
  }

  // --- public API ---

  get role(): RaftRole {
    const s = this.state;
    return s.role === 'unattached' && this.votedId !== null ? 'voted' : s.role;
  }

  get currentEpoch(): number {
    return this.epoch;
  }

  /**
   * The leader this node vouches for: itself while leading, its leader while following one that has not
   * resigned; null otherwise (also while a prospective, whose old leader went quiet).
   */
  get currentLeader(): number | null {
    return this.activeLeader();
  }

  get votedFor(): number | null {
    return this.votedId;
  }

  get highWatermark(): number {
    return this.hw;
  }

  /** Offset up to which committed entries or a snapshot have been handed out. */
  get appliedOffset(): number {
    return this.applied;
  }

  /** Drains everything the node wants done, in the order it decided it. */
  takeOutputs(): RaftOutput[] {
    const out = this.outputs;
    this.outputs = [];
    return out;
  }

  tick(nowMs: number): void {
    this.advanceClock(nowMs);
    const s = this.state;
    switch (s.role) {
      case 'leader':
        this.leaderTick();
        break;
      case 'follower':
        if (this.now >= s.fetchDeadline) {
          if (this.isVoter) this.startElection();
          else this.becomeUnattached(this.epoch);
          break;
        }
        if (s.inflight !== null && this.now - s.inflight.sentAtMs >= this.cfg.requestTimeoutMs) {
          s.inflight = null;
          s.nextFetchAt = this.now;
        }
        this.maybeSendFetch();
        break;
      case 'unattached':
        if (this.isVoter) {
          if (this.now >= s.electionDeadline) this.startElection();
        } else {
          this.discoverLeader();
        }
        break;
      case 'prospective':
        if (this.now >= s.electionDeadline) {
          this.startElection();
        } else if (this.now - s.lastSentAtMs >= this.cfg.requestTimeoutMs) {
          s.lastSentAtMs = this.now;
          this.sendVoteRequests(s.tally.pending(), true);
        }
        break;
      case 'candidate':
        if (s.backoffUntil === null && (this.now >= s.electionDeadline || s.tally.lost())) {
          s.backoffUntil = this.now + electionBackoff(this.cfg, this.rnd, this.electionRetries);
        }
        if (s.backoffUntil !== null) {
          if (this.now >= s.backoffUntil) this.startElection();
        } else if (this.now - s.lastSentAtMs >= this.cfg.requestTimeoutMs) {
          s.lastSentAtMs = this.now;
          this.sendVoteRequests(s.tally.pending(), false);
        }
        break;
      case 'resigned':
        if (this.now >= s.electionDeadline) {
          this.startElection();
        } else if (s.unacknowledged.size > 0 && this.now - s.lastSentAtMs >= this.cfg.requestTimeoutMs) {
          s.lastSentAtMs = this.now;
          this.sendEndQuorumEpoch([...s.unacknowledged], s.preferredSuccessors);
        }
        break;
    }
  }

  receive(from: number, message: RaftMessage, nowMs: number): void {
    this.advanceClock(nowMs);
    switch (message.type) {
      case 'VoteRequest':
        return this.onVoteRequest(from, message);
      case 'VoteResponse':
        return this.onVoteResponse(from, message);
      case 'BeginQuorumEpochRequest':
        return this.onBeginQuorumEpochRequest(from, message);
      case 'BeginQuorumEpochResponse':
        return this.onBeginQuorumEpochResponse(from, message);
      case 'EndQuorumEpochRequest':
        return this.onEndQuorumEpochRequest(from, message);
      case 'EndQuorumEpochResponse':
        return this.onEndQuorumEpochResponse(from, message);
      case 'FetchRequest':
        return this.onFetchRequest(from, message);
      case 'FetchResponse':
        return this.onFetchResponse(from, message);
      case 'FetchSnapshotRequest':
        return this.onFetchSnapshotRequest(from, message);
      case 'FetchSnapshotResponse':
        return this.onFetchSnapshotResponse(from, message);
    }
  }

  /**
   * Appends records in the current epoch (leader only). They are replicated at once but count toward the high
   * watermark only after the leader's next flush, which tick() does: call tick() soon after appending.
   */
  append(records: Buffer[]): AppendResult {
    const s = this.state;
    if (s.role !== 'leader') return { notLeader: true, leaderId: this.activeLeader(), epoch: this.epoch };
    if (records.length === 0) throw new Error('raft: append of no records');
    const base = this.log.endOffset();
    this.log.append(records.map((value, i) => ({ offset: base + i, epoch: this.epoch, value })));
    this.completeParkedFetches();
    return { baseOffset: base, offset: base + records.length - 1, epoch: this.epoch };
  }

  /** Graceful resignation: stop leading and tell the voters who should take over (EndQuorumEpoch). */
  resign(nowMs: number): boolean {
    this.advanceClock(nowMs);
    const s = this.state;
    if (s.role !== 'leader') return false;
    this.becomeResigned(s.leader.preferredSuccessors());
    return true;
  }

  /**
   * Records a snapshot of the application state after applying every entry below endOffset (which must already
   * have been handed out as committed), then deletes the log entries it covers. Followers that need them later
   * get the snapshot through FetchSnapshot instead.
   */
  createSnapshot(endOffset: number, data: Buffer): SnapshotId {
    if (endOffset > this.applied) throw new Error(`raft: snapshot at ${endOffset} beyond applied ${this.applied}`);
    const latest = this.log.latestSnapshot();
    if (endOffset <= this.log.startOffset() || (latest !== null && endOffset <= latest.endOffset)) {
      throw new Error(`raft: snapshot at ${endOffset} is not past the log start ${this.log.startOffset()}`);
    }
    const epoch = this.log.epochAt(endOffset - 1);
    if (epoch === null) throw new RaftInvariantError(`raft: no entry at ${endOffset - 1} to snapshot`);
    const id = { endOffset, epoch };
    this.log.storeSnapshot(id, data);
    this.log.deleteBeforeSnapshot(id);
    return id;
  }

  /** The DescribeQuorum view; only the leader has one (others answer NOT_LEADER_OR_FOLLOWER). */
  describeQuorum(nowMs: number): QuorumDescription | null {
    const s = this.state;
    if (s.role !== 'leader') return null;
    return s.leader.describe(Math.max(this.now, nowMs), this.hw, this.log.endOffset());
  }

  // --- transitions ---

  /** Writes the durable election state; everything that depends on it happens after this returns. */
  private persist(epoch: number, votedId: number | null, leaderId: number | null): void {
    if (epoch < this.epoch) throw new RaftInvariantError(`raft: epoch going back from ${this.epoch} to ${epoch}`);
    if (epoch === this.epoch && this.votedId !== null && votedId !== this.votedId) {
      throw new RaftInvariantError(`raft: second vote in epoch ${epoch}`);
    }
    if (epoch === this.epoch && votedId === this.votedId && leaderId === this.leaderId) return;
    this.store.write({ leaderEpoch: epoch, votedId, leaderId });
    this.epoch = epoch;
    this.votedId = votedId;
    this.leaderId = leaderId;
  }

  private setState(next: RoleState): void {
    const prev = this.state;
    this.state = next;
    if (prev.role === 'leader' && next.role !== 'leader') {
      // Only a leader ever holds unflushed entries; flushing on the way out keeps that true, so the log a
      // non-leader offers in elections cannot shrink in a crash. (Defensive: commitment itself rests on
      // followers flushing before they acknowledge, and on the leader counting only its flushed end.)
      this.log.flush();
      for (const p of prev.parked.values()) this.sendFetchError(p.from, p.request);
    }
    this.emitRole();
  }

  private emitRole(): void {
    const role = this.role;
    const leaderId = this.activeLeader();
    const last = this.lastRole;
    if (last !== null && last.role === role && last.epoch === this.epoch && last.leaderId === leaderId) return;
    this.lastRole = { role, epoch: this.epoch, leaderId };
    this.outputs.push({ kind: 'roleChange', role, epoch: this.epoch, leaderId });
  }

  private unattachedState(): UnattachedState {
    return {
      role: 'unattached',
      electionDeadline: this.isVoter ? this.now + this.electionTimeout() : Number.POSITIVE_INFINITY,
      discovery: null,
      nextDiscoveryAt: this.now,
    };
  }

  /** A sole voter need not wait for anyone: it stands at once. */
  private electionTimeout(): number {
    return this.voters.length === 1 ? 0 : randomElectionTimeout(this.cfg, this.rnd);
  }

  private becomeUnattached(epoch: number): void {
    // Seeing a higher epoch does not restart the election timer (Raft restarts it only on granting a vote or
    // hearing from a leader): otherwise a candidate that can never win — its log is behind — would keep the
    // others from ever standing by bumping the epoch faster than their timeouts run out.
    const s = this.state;
    const running =
      s.role === 'unattached' || s.role === 'prospective' || s.role === 'candidate'
        ? s.electionDeadline
        : s.role === 'follower'
          ? s.fetchDeadline
          : null;
    this.persist(epoch, epoch === this.epoch ? this.votedId : null, null);
    const next = this.unattachedState();
    if (running !== null && this.isVoter) next.electionDeadline = Math.min(next.electionDeadline, running);
    this.setState(next);
  }

  private becomeVoted(candidateId: number): void {
    this.persist(this.epoch, candidateId, null);
    this.setState(this.unattachedState());
  }

  private becomeFollower(epoch: number, leaderId: number): void {
    this.persist(epoch, epoch === this.epoch ? this.votedId : null, leaderId);
    this.electionRetries = 0;
    this.setState({
      role: 'follower',
      fetchDeadline: this.now + this.cfg.fetchTimeoutMs,
      inflight: null,
      nextFetchAt: this.now,
      download: null,
      leaderResigned: false,
    });
    this.maybeSendFetch();
  }

  private startElection(): void {
    this.electionRetries++;
    if (this.cfg.preVote) this.becomeProspective();
    else this.becomeCandidate();
  }

  /** Pre-vote: same epoch, nothing persisted, nobody's state changes; just asks whether it could win. */
  private becomeProspective(): void {
    const tally = new VoteTally(this.voters, this.id);
    this.setState({
      role: 'prospective',
      tally,
      electionDeadline: this.now + this.electionTimeout(),
      lastSentAtMs: this.now,
    });
    if (tally.won()) return this.becomeCandidate();
    this.sendVoteRequests(tally.pending(), true);
  }

  private becomeCandidate(): void {
    // Offer a durable log for comparison (defensive, as the flush on leaving leadership: see setState).
    this.log.flush();
    this.persist(this.epoch + 1, this.id, null);
    const tally = new VoteTally(this.voters, this.id);
    this.setState({
      role: 'candidate',
      tally,
      electionDeadline: this.now + this.electionTimeout(),
      backoffUntil: null,
      lastSentAtMs: this.now,
    });
    if (tally.won()) return this.becomeLeader(tally);
    this.sendVoteRequests(tally.pending(), false);
  }

  private becomeLeader(tally: VoteTally): void {
    this.persist(this.epoch, this.votedId, this.id);
    const epochStart = this.log.endOffset();
    const leader = new LeaderState(this.id, this.voters, this.epoch, epochStart, this.now);
    this.log.append([
      {
        offset: epochStart,
        epoch: this.epoch,
        value: EMPTY,
        control: {
          type: 'leaderChange',
          leaderId: this.id,
          voters: [...this.voters],
          grantingVoters: [...tally.granted].sort((a, b) => a - b),
        },
      },
    ]);
    this.electionRetries = 0;
    this.setState({ role: 'leader', leader, parked: new Map() });
    for (const v of this.voters) {
      if (v === this.id) continue;
      leader.beginQuorumSentAt.set(v, this.now);
      this.send(v, { type: 'BeginQuorumEpochRequest', leaderId: this.id, leaderEpoch: this.epoch });
    }
  }

  private becomeResigned(preferredSuccessors: number[]): void {
    const others = this.voters.filter((v) => v !== this.id);
    this.setState({
      role: 'resigned',
      electionDeadline: this.now + this.electionTimeout(),
      preferredSuccessors,
      unacknowledged: new Set(others),
      lastSentAtMs: this.now,
    });
    this.sendEndQuorumEpoch(others, preferredSuccessors);
  }

  /**
   * KIP-595's common handling of the (epoch, leader) every message carries: a higher epoch is adopted at once
   * (following the leader if one is named), and a leader named for our own epoch is followed if we had none.
   * A prospective that lost touch with its leader goes back to it only on word from the leader itself: other
   * followers vouching for it may simply not have timed out yet, and heeding them would keep every follower
   * of a dead leader bouncing between prospective and follower.
   */
  private observe(epoch: number, leaderId: number | null, from: number): void {
    if (epoch > this.epoch) {
      if (leaderId !== null && leaderId !== this.id) this.becomeFollower(epoch, leaderId);
      else this.becomeUnattached(epoch);
      return;
    }
    if (epoch < this.epoch || leaderId === null || leaderId === this.id) return;
    const s = this.state;
    if (s.role === 'leader' || (s.role === 'resigned' && this.leaderId === this.id)) {
      throw new RaftInvariantError(`raft: ${leaderId} claims epoch ${epoch}, which ${this.id} leads`);
    }
    if (this.leaderId !== null && this.leaderId !== leaderId) {
      throw new RaftInvariantError(`raft: epoch ${epoch} has leaders ${this.leaderId} and ${leaderId}`);
    }
    if (s.role === 'follower') return;
    if (s.role === 'prospective' && this.leaderId === leaderId && from !== leaderId) return;
    this.becomeFollower(epoch, leaderId);
  }

  /** The leader this node vouches for right now: itself when leading, its leader while following a live one. */
  private activeLeader(): number | null {
    const s = this.state;
    if (s.role === 'leader') return this.id;
    if (s.role === 'follower' && !s.leaderResigned) return this.leaderId;
    return null;
  }

  private advanceClock(nowMs: number): void {
    if (nowMs > this.now) this.now = nowMs;
  }

  private send(to: number, message: RaftMessage): void {
    this.outputs.push({ kind: 'send', to, message });
  }

  // --- elections ---

  private sendVoteRequests(to: number[], preVote: boolean): void {
    const message: VoteRequest = {
      type: 'VoteRequest',
      candidateEpoch: this.epoch,
      candidateId: this.id,
      lastOffsetEpoch: this.log.lastEpoch(),
      lastOffset: this.log.endOffset(),
      preVote,
    };
    for (const v of to) if (v !== this.id) this.send(v, message);
  }

  private localLogPosition(): { lastEpoch: number; endOffset: number } {
    return { lastEpoch: this.log.lastEpoch(), endOffset: this.log.endOffset() };
  }

  private onVoteRequest(from: number, req: VoteRequest): void {
    const reply = (granted: boolean, errorCode: number = ErrorCode.NONE): void =>
      this.send(from, {
        type: 'VoteResponse',
        errorCode,
        leaderEpoch: this.epoch,
        leaderId: this.activeLeader(),
        voteGranted: granted,
        preVote: req.preVote,
      });
    if (!this.isVoter || !this.voters.includes(req.candidateId)) return reply(false, ErrorCode.INCONSISTENT_VOTER_SET);
    const candidateLog = { lastEpoch: req.lastOffsetEpoch, endOffset: req.lastOffset };

    if (req.preVote) {
      // A pre-vote changes nothing here, whatever its epoch: that is what keeps a node that was cut off (and
      // kept timing out) from forcing an election when it comes back.
      if (req.candidateEpoch < this.epoch) return reply(false);
      const s = this.state;
      if (s.role === 'leader') return reply(false);
      if (s.role === 'follower' && !s.leaderResigned && this.now < s.fetchDeadline) return reply(false);
      return reply(isLogUpToDate(candidateLog, this.localLogPosition()));
    }

    if (req.candidateEpoch < this.epoch) return reply(false);
    if (req.candidateEpoch > this.epoch) this.becomeUnattached(req.candidateEpoch);
    if (this.votedId === req.candidateId) return reply(true);
    const role = this.state.role;
    if (this.votedId !== null || this.leaderId !== null || (role !== 'unattached' && role !== 'prospective')) {
      return reply(false);
    }
    if (!isLogUpToDate(candidateLog, this.localLogPosition())) return reply(false);
    this.becomeVoted(req.candidateId); // durable before the grant leaves
    reply(true);
  }

  private onVoteResponse(from: number, resp: VoteResponse): void {
    if (resp.errorCode !== ErrorCode.NONE) return;
    this.observe(resp.leaderEpoch, resp.leaderId, from);
    const s = this.state;
    if (resp.preVote) {
      if (s.role !== 'prospective') return;
      s.tally.record(from, resp.voteGranted);
      if (s.tally.won()) this.becomeCandidate();
      return;
    }
    // A grant in our epoch is a durable vote for us, however late it arrives.
    if (s.role !== 'candidate' || resp.leaderEpoch !== this.epoch) return;
    s.tally.record(from, resp.voteGranted);
    if (s.tally.won()) this.becomeLeader(s.tally);
    else if (s.tally.lost() && s.backoffUntil === null) {
      s.backoffUntil = this.now + electionBackoff(this.cfg, this.rnd, this.electionRetries);
    }
  }

  // --- leader announcements ---

  private onBeginQuorumEpochRequest(from: number, req: BeginQuorumEpochRequest): void {
    if (req.leaderEpoch >= this.epoch) this.observe(req.leaderEpoch, req.leaderId, from);
    const response: BeginQuorumEpochResponse = {
      type: 'BeginQuorumEpochResponse',
      errorCode: req.leaderEpoch < this.epoch ? ErrorCode.FENCED_LEADER_EPOCH : ErrorCode.NONE,
      leaderEpoch: this.epoch,
      leaderId: this.activeLeader(),
    };
    this.send(from, response);
  }

  private onBeginQuorumEpochResponse(from: number, resp: BeginQuorumEpochResponse): void {
    // A voter at a higher epoch answers with it: that fences this leader.
    this.observe(resp.leaderEpoch, resp.leaderId, from);
    const s = this.state;
    if (s.role === 'leader' && resp.errorCode === ErrorCode.NONE && resp.leaderEpoch === this.epoch) {
      s.leader.recordContact(from, this.now);
    }
  }

  private sendEndQuorumEpoch(to: number[], preferredSuccessors: number[]): void {
    for (const v of to) {
      this.send(v, { type: 'EndQuorumEpochRequest', leaderId: this.id, leaderEpoch: this.epoch, preferredSuccessors });
    }
  }

  private onEndQuorumEpochRequest(from: number, req: EndQuorumEpochRequest): void {
    if (req.leaderEpoch > this.epoch) this.becomeUnattached(req.leaderEpoch);
    if (req.leaderEpoch === this.epoch) {
      // Stand sooner than a timeout would make us: at once if we are the first preferred successor.
      const deadline = this.now + endQuorumBackoff(this.cfg, this.rnd, req.preferredSuccessors, this.id);
      const s = this.state;
      if (s.role === 'follower' && this.leaderId === req.leaderId) {
        s.leaderResigned = true;
        s.fetchDeadline = Math.min(s.fetchDeadline, deadline);
        this.emitRole(); // same role, but no leader any more
      } else if (s.role === 'unattached' && this.isVoter) {
        s.electionDeadline = Math.min(s.electionDeadline, deadline);
      }
    }
    const response: EndQuorumEpochResponse = {
      type: 'EndQuorumEpochResponse',
      errorCode: req.leaderEpoch < this.epoch ? ErrorCode.FENCED_LEADER_EPOCH : ErrorCode.NONE,
      leaderEpoch: this.epoch,
      leaderId: this.activeLeader(),
    };
    this.send(from, response);
  }

  private onEndQuorumEpochResponse(from: number, resp: EndQuorumEpochResponse): void {
    this.observe(resp.leaderEpoch, resp.leaderId, from);
    const s = this.state;
    if (s.role === 'resigned' && resp.errorCode === ErrorCode.NONE && resp.leaderEpoch === this.epoch) {
      s.unacknowledged.delete(from);
    }
  }

  // --- leader: serving fetches, high watermark ---

  private leaderTick(): void {
    const s = this.state;
    if (s.role !== 'leader') return;
    if (this.log.flushedEndOffset() < this.log.endOffset()) this.log.flush();
    this.updateLeaderHighWatermark();
    if (!s.leader.hasQuorumContact(this.now, this.checkQuorumTimeoutMs)) {
      this.becomeResigned([]);
      return;
    }
    for (const [replicaId, p] of s.parked) {
      if (this.now >= p.deadline) {
        s.parked.delete(replicaId);
        this.answerFetch(p.from, p.request);
      }
    }
    // Announce the epoch again to voters that have not acknowledged it or have gone quiet: a voter that missed
    // it, or that sits in a higher epoch of a failed election, must hear from us (the latter then fences us,
    // so the quorum can re-form in an epoch it accepts).
    for (const v of this.voters) {
      if (v === this.id) continue;
      const quiet = s.leader.unacknowledged.has(v) || this.now - s.leader.lastContactMs(v) >= this.cfg.fetchTimeoutMs;
      const lastSent = s.leader.beginQuorumSentAt.get(v) ?? -Infinity;
      if (quiet && this.now - lastSent >= this.cfg.requestTimeoutMs) {
        s.leader.beginQuorumSentAt.set(v, this.now);
        this.send(v, { type: 'BeginQuorumEpochRequest', leaderId: this.id, leaderEpoch: this.epoch });
      }
    }
  }

  private updateLeaderHighWatermark(): void {
    const s = this.state;
    if (s.role !== 'leader') return;
    s.leader.updateLocal(this.log.flushedEndOffset(), this.now);
    const candidate = s.leader.highWatermarkCandidate();
    if (candidate === null || candidate <= this.hw) return;
    this.hw = candidate;
    this.emitCommitted();
    // Followers learn the new high watermark from fetch responses: answer the waiting ones now.
    this.completeParkedFetches();
  }

  private completeParkedFetches(): void {
    const s = this.state;
    if (s.role !== 'leader' || s.parked.size === 0) return;
    const parked = [...s.parked.values()];
    s.parked.clear();
    for (const p of parked) this.answerFetch(p.from, p.request);
  }

  private fetchEpochError(currentLeaderEpoch: number): number {
    if (currentLeaderEpoch < this.epoch) return ErrorCode.FENCED_LEADER_EPOCH;
    if (currentLeaderEpoch > this.epoch) return ErrorCode.UNKNOWN_LEADER_EPOCH;
    return ErrorCode.NOT_LEADER_OR_FOLLOWER;
  }

  private sendFetchError(to: number, req: FetchRequest): void {
    this.sendFetchResponse(to, req, this.fetchEpochError(req.currentLeaderEpoch), null);
  }

  private onFetchRequest(from: number, req: FetchRequest): void {
    const s = this.state;
    if (s.role !== 'leader' || req.currentLeaderEpoch !== this.epoch) return this.sendFetchError(from, req);
    s.leader.recordContact(req.replicaId, this.now);
    s.parked.delete(req.replicaId);
    const position = validateFetchPosition(this.log, req.fetchOffset, req.lastFetchedEpoch);
    if (position.kind === 'valid') {
      s.leader.recordFetch(req.replicaId, req.fetchOffset, this.now, this.log.endOffset());
      if (req.fetchOffset >= this.log.endOffset() && req.maxWaitMs > 0) {
        // Nothing new: hold it (long poll) until there is data, the high watermark moves, or it times out.
        const wait = Math.min(req.maxWaitMs, this.cfg.fetchMaxWaitMs);
        s.parked.set(req.replicaId, { from, request: req, deadline: this.now + wait });
        this.updateLeaderHighWatermark();
        return;
      }
      this.updateLeaderHighWatermark();
    }
    this.sendFetchResponse(from, req, ErrorCode.NONE, position);
  }

  /** Answers a fetch that was held, re-validating it against the log as it is now. */
  private answerFetch(to: number, req: FetchRequest): void {
    if (this.state.role !== 'leader' || req.currentLeaderEpoch !== this.epoch) return this.sendFetchError(to, req);
    this.sendFetchResponse(to, req, ErrorCode.NONE, validateFetchPosition(this.log, req.fetchOffset, req.lastFetchedEpoch));
  }

  private sendFetchResponse(to: number, req: FetchRequest, errorCode: number, position: FetchPosition | null): void {
    let entries: RaftEntry[] = [];
    if (position?.kind === 'valid' && req.fetchOffset < this.log.endOffset()) {
      entries = this.log.read(req.fetchOffset, Math.min(req.maxBytes, this.cfg.fetchMaxBytes));
    }
    const response: FetchResponse = {
      type: 'FetchResponse',
      correlationId: req.correlationId,
      errorCode,
      leaderEpoch: this.epoch,
      leaderId: this.activeLeader(),
      highWatermark: this.hw,
      logStartOffset: this.log.startOffset(),
      divergingEpoch: position?.kind === 'diverging' ? { epoch: position.epoch, endOffset: position.endOffset } : null,
      snapshotId: position?.kind === 'snapshot' ? { ...position.snapshotId } : null,
      entries,
    };
    this.send(to, response);
  }

  private onFetchSnapshotRequest(from: number, req: FetchSnapshotRequest): void {
    const s = this.state;
    const base = {
      type: 'FetchSnapshotResponse' as const,
      correlationId: req.correlationId,
      leaderEpoch: this.epoch,
      leaderId: this.activeLeader(),
      snapshotId: { ...req.snapshotId },
      position: req.position,
    };
    if (s.role !== 'leader' || req.currentLeaderEpoch !== this.epoch) {
      return this.send(from, { ...base, errorCode: this.fetchEpochError(req.currentLeaderEpoch), size: 0, bytes: EMPTY });
    }
    s.leader.recordContact(req.replicaId, this.now);
    const chunk = serveSnapshotChunk(this.log, req, this.cfg.fetchSnapshotMaxBytes);
    this.send(from, { ...base, ...chunk });
  }

  // --- follower: fetching ---

  private sendFetch(to: number, maxWaitMs: number): InflightFetch {
    const correlationId = this.nextCorrelationId++;
    const fetchOffset = this.log.endOffset();
    this.send(to, {
      type: 'FetchRequest',
      correlationId,
      replicaId: this.id,
      currentLeaderEpoch: this.epoch,
      fetchOffset,
      lastFetchedEpoch: this.log.lastEpoch(),
      maxWaitMs,
      maxBytes: this.cfg.fetchMaxBytes,
    });
    return { kind: 'fetch', correlationId, to, sentAtMs: this.now, fetchOffset };
  }

  private maybeSendFetch(): void {
    const s = this.state;
    if (s.role !== 'follower' || s.inflight !== null || this.now < s.nextFetchAt || this.leaderId === null) return;
    if (s.download === null) {
      s.inflight = this.sendFetch(this.leaderId, this.cfg.fetchMaxWaitMs);
      return;
    }
    const correlationId = this.nextCorrelationId++;
    this.send(this.leaderId, {
      type: 'FetchSnapshotRequest',
      correlationId,
      replicaId: this.id,
      currentLeaderEpoch: this.epoch,
      snapshotId: { ...s.download.id },
      position: s.download.position,
      maxBytes: this.cfg.fetchSnapshotMaxBytes,
    });
    s.inflight = { kind: 'fetchSnapshot', correlationId, to: this.leaderId, sentAtMs: this.now, fetchOffset: this.log.endOffset() };
  }

  /** Observers have no election to find the leader: they ask voters in turn until one names it. */
  private discoverLeader(): void {
    const s = this.state;
    if (s.role !== 'unattached') return;
    if (s.discovery !== null && this.now - s.discovery.sentAtMs >= this.cfg.requestTimeoutMs) s.discovery = null;
    if (s.discovery !== null || this.now < s.nextDiscoveryAt) return;
    const voter = this.voters[Math.floor(this.rnd.next() * this.voters.length)]!;
    s.discovery = this.sendFetch(voter, 0);
  }

  /** Takes the response to the fetch in flight, if it is that one; null otherwise (late, duplicated, stale). */
  private takeInflight(from: number, kind: InflightFetch['kind'], correlationId: number): FollowerState | null {
    const s = this.state;
    if (s.role === 'unattached' && s.discovery !== null && s.discovery.correlationId === correlationId) {
      s.discovery = null;
      s.nextDiscoveryAt = this.now + this.cfg.retryBackoffMs;
      return null;
    }
    if (s.role !== 'follower' || s.inflight === null) return null;
    if (s.inflight.kind !== kind || s.inflight.correlationId !== correlationId || s.inflight.to !== from) return null;
    const fetchOffset = s.inflight.fetchOffset;
    s.inflight = null;
    if (this.log.endOffset() !== fetchOffset) {
      s.nextFetchAt = this.now;
      return null;
    }
    return s;
  }

  private onFetchResponse(from: number, resp: FetchResponse): void {
    this.observe(resp.leaderEpoch, resp.leaderId, from);
    const s = this.takeInflight(from, 'fetch', resp.correlationId);
    if (s === null) return this.maybeSendFetch();
    if (resp.errorCode !== ErrorCode.NONE || resp.leaderEpoch !== this.epoch || from !== this.leaderId) {
      s.nextFetchAt = this.now + this.cfg.retryBackoffMs;
      return;
    }
    s.fetchDeadline = this.now + this.cfg.fetchTimeoutMs;
    s.nextFetchAt = this.now;
    if (resp.divergingEpoch !== null) {
      const offset = divergenceTruncationOffset(this.log, resp.divergingEpoch);
      if (offset < this.hw) {
        throw new RaftInvariantError(`raft: leader ${from} asks to truncate to ${offset}, below the high watermark ${this.hw}`);
      }
      this.log.truncateTo(offset);
    } else if (resp.snapshotId !== null) {
      s.download = new SnapshotDownload({ ...resp.snapshotId });
    } else {
      const first = resp.entries[0];
      if (first !== undefined) {
        if (first.offset !== this.log.endOffset()) return this.maybeSendFetch();
        this.log.append(resp.entries);
        // Durable before the next fetch reports the new end offset: the leader counts it toward commitment.
        this.log.flush();
      }
      // The log matches the leader's up to its end (the leader validated our position), so whatever of it is
      // below the leader's high watermark is committed.
      const hw = Math.min(resp.highWatermark, this.log.endOffset());
      if (hw > this.hw) {
        this.hw = hw;
        this.emitCommitted();
      }
    }
    this.maybeSendFetch();
  }

  private onFetchSnapshotResponse(from: number, resp: FetchSnapshotResponse): void {
    this.observe(resp.leaderEpoch, resp.leaderId, from);
    const s = this.takeInflight(from, 'fetchSnapshot', resp.correlationId);
    if (s === null || s.download === null) return this.maybeSendFetch();
    if (resp.errorCode !== ErrorCode.NONE || resp.leaderEpoch !== this.epoch || from !== this.leaderId) {
      // The snapshot may be gone (a newer one replaced it): go back to fetching, which names the current one.
      if (resp.errorCode === ErrorCode.SNAPSHOT_NOT_FOUND || resp.errorCode === ErrorCode.POSITION_OUT_OF_RANGE) {
        s.download = null;
      }
      s.nextFetchAt = this.now + this.cfg.retryBackoffMs;
      return;
    }
    s.fetchDeadline = this.now + this.cfg.fetchTimeoutMs;
    s.nextFetchAt = this.now;
    const progress = s.download.accept(resp);
    if (progress === 'invalid') {
      s.download = null;
    } else if (progress === 'done') {
      const download = s.download;
      s.download = null;
      this.installSnapshot(download.id, download.data());
    }
    this.maybeSendFetch();
  }

  private installSnapshot(id: SnapshotId, data: Buffer): void {
    const latest = this.log.latestSnapshot();
    if ((latest !== null && latest.endOffset >= id.endOffset) || id.endOffset <= this.applied) return;
    this.log.storeSnapshot(id, data);
    this.log.deleteBeforeSnapshot(id);
    // Leaders only snapshot committed state, so the snapshot's end is committed.
    if (this.hw < id.endOffset) this.hw = id.endOffset;
    this.applied = id.endOffset;
    this.outputs.push({ kind: 'loadSnapshot', snapshotId: { ...id }, data });
    this.emitCommitted();
  }

  // --- commits ---

  private emitCommitted(): void {
    if (this.applied >= this.hw) return;
    const entries: RaftEntry[] = [];
    let next = this.applied;
    while (next < this.hw) {
      const chunk = this.log.read(next, this.cfg.fetchMaxBytes);
      if (chunk.length === 0) throw new RaftInvariantError(`raft: committed offset ${next} missing from the log`);
      for (const e of chunk) {
        if (e.offset >= this.hw) break;
        entries.push(e);
        next = e.offset + 1;
      }
    }
    this.applied = next;
    this.outputs.push({ kind: 'committed', entries, highWatermark: this.hw });
  }
}
