// A deterministic simulation of a metadata quorum: voters and observers running RaftNode over a SimNetwork,
// a virtual clock, and a seeded PRNG that decides everything — latencies, drops, duplicates, partitions,
// crashes (which lose volatile state and the unflushed log tail), restarts, client writes, snapshots and
// graceful resignations. Invariants are checked after every step; a seed reproduces a run exactly.

import { resolveRaftConfig, type RaftConfig } from '../config';
import { MemoryRaftLog } from '../memory-log';
import { MemoryQuorumStateStore } from '../quorum-state';
import { RaftNode, type RaftOutput } from '../raft-node';
import { SeededRandom } from '../random';
import type { RaftEntry } from '../types';
import { InvariantChecker, checkLogsMatch, encodeSimSnapshot, type SimApp } from './invariants';
import { CALM_NETWORK, SimNetwork, type NetworkFaults } from './sim-network';

/** A memory log that reports every append to the checker (log matching) and counts truncations. */
class CheckedLog extends MemoryRaftLog {
  truncated = 0;

  constructor(
    private readonly nodeId: number,
    private readonly checker: InvariantChecker,
  ) {
    super();
  }

  override append(entries: readonly RaftEntry[]): void {
    this.checker.onAppend(this.nodeId, this, entries);
    super.append(entries);
  }

  override truncateTo(offset: number): void {
    this.truncated += Math.max(0, this.endOffset() - offset);
    super.truncateTo(offset);
  }
}

interface Host {
  id: number;
  voter: boolean;
  log: CheckedLog;
  store: MemoryQuorumStateStore;
  node: RaftNode | null;
  app: SimApp;
  incarnation: number;
  restartAt: number;
  lastHw: number;
}

/** Per-step probabilities of the chaos the simulation injects. */
export interface ChaosRates {
  crash: number;
  isolate: number;
  split: number;
  cutOneWay: number;
  heal: number;
  resign: number;
  snapshot: number;
  append: number;
  maxDowntimeMs: number;
  /**
   * Chance that a node gets its tick in a step. Below 1 it models a busy event loop: a leader's flush (done on
   * tick) then lags behind replication, which opens the windows where unflushed entries matter.
   */
  tickRate: number;
}

export const DEFAULT_CHAOS: ChaosRates = {
  crash: 0.002,
  isolate: 0.002,
  split: 0.0015,
  cutOneWay: 0.002,
  heal: 0.004,
  resign: 0.0008,
  snapshot: 0.01,
  append: 0.3,
  maxDowntimeMs: 1500,
  tickRate: 1,
};

/** Timeouts scaled down from Kafka's defaults (same ratios), so a few thousand 5 ms steps see many elections. */
export const SIM_RAFT_CONFIG: Partial<RaftConfig> = {
  electionTimeoutMs: 100,
  electionBackoffMaxMs: 100,
  fetchTimeoutMs: 200,
  requestTimeoutMs: 60,
  retryBackoffMs: 5,
  fetchMaxWaitMs: 40,
  fetchMaxBytes: 100,
  fetchSnapshotMaxBytes: 256,
};

export interface SimOptions {
  seed: number;
  voters: number;
  observers: number;
  tickMs?: number;
  preVote?: boolean;
  config?: Partial<RaftConfig>;
  chaos?: Partial<ChaosRates>;
  faults?: NetworkFaults;
}

export interface SimStats {
  steps: number;
  committed: number;
  leadersElected: number;
  crashes: number;
  lostUnflushed: number;
  truncated: number;
  snapshotsTaken: number;
  snapshotsInstalled: number;
  messages: number;
  dropped: number;
  livenessMs: number;
}

export class SimCluster {
  readonly rnd: SeededRandom;
  readonly net: SimNetwork;
  readonly checker: InvariantChecker;
  readonly hosts: Host[] = [];
  readonly chaos: ChaosRates;
  now = 0;
  private readonly tickMs: number;
  private readonly voterIds: number[];
  private readonly config: Partial<RaftConfig>;
  private step = 0;
  private appendCounter = 0;
  private readonly stats = { crashes: 0, lostUnflushed: 0, snapshotsTaken: 0, snapshotsInstalled: 0 };

  constructor(private readonly opts: SimOptions) {
    this.rnd = new SeededRandom(opts.seed);
    this.tickMs = opts.tickMs ?? 5;
    this.chaos = { ...DEFAULT_CHAOS, tickRate: 0.4 + this.rnd.next() * 0.6, ...opts.chaos };
    this.config = { ...SIM_RAFT_CONFIG, preVote: opts.preVote ?? true, ...opts.config };
    this.checker = new InvariantChecker(() => `seed ${opts.seed} step ${this.step} t=${this.now}`);
    this.net = new SimNetwork(this.rnd, opts.faults ?? randomFaults(this.rnd), (id) => this.host(id).incarnation);
    this.voterIds = Array.from({ length: opts.voters }, (_, i) => i + 1);
    const ids = [...this.voterIds, ...Array.from({ length: opts.observers }, (_, i) => 101 + i)];
    for (const id of ids) {
      const host: Host = {
        id,
        voter: id <= opts.voters,
        log: new CheckedLog(id, this.checker),
        store: new MemoryQuorumStateStore(),
        node: null,
        app: { applied: 0, digest: 0 },
        incarnation: 0,
        restartAt: 0,
        lastHw: 0,
      };
      this.hosts.push(host);
      this.start(host);
    }
  }

  host(id: number): Host {
    const h = this.hosts.find((x) => x.id === id);
    if (h === undefined) throw new Error(`no node ${id}`);
    return h;
  }

  private start(host: Host): void {
    host.incarnation++;
    host.app = { applied: 0, digest: 0 };
    host.lastHw = 0;
    const config = resolveRaftConfig({ ...this.config, nodeId: host.id, voters: this.voterIds });
    host.node = new RaftNode({
      config,
      log: host.log,
      quorumStore: host.store,
      random: new SeededRandom(this.rnd.int(0x7fffffff)),
      nowMs: this.now,
    });
    this.drain(host, true);
  }

  private crash(host: Host): void {
    host.node = null;
    this.stats.crashes++;
    this.stats.lostUnflushed += host.log.crash();
    host.restartAt = this.now + 20 + this.rnd.int(this.chaos.maxDowntimeMs);
  }

  /** Routes a node's outputs: messages to the network, commits and snapshots to the checker. */
  private drain(host: Host, startingUp = false): void {
    const node = host.node;
    if (node === null) return;
    for (const out of node.takeOutputs()) this.route(host, out, startingUp);
    const hw = node.highWatermark;
    if (hw < host.lastHw) this.checker.fail(`node ${host.id} HW went back from ${host.lastHw} to ${hw}`);
    host.lastHw = hw;
    if (node.appliedOffset > hw) this.checker.fail(`node ${host.id} applied ${node.appliedOffset} beyond HW ${hw}`);
  }

  private route(host: Host, out: RaftOutput, startingUp: boolean): void {
    switch (out.kind) {
      case 'send':
        this.net.send(host.id, out.to, out.message, this.now);
        return;
      case 'committed':
        this.checker.onCommitted(host.id, host.app, out.entries, out.highWatermark);
        return;
      case 'loadSnapshot':
        if (!startingUp) this.stats.snapshotsInstalled++;
        this.checker.onLoadSnapshot(host.id, host.app, out.snapshotId, out.data);
        return;
      case 'roleChange':
        if (out.role === 'leader') this.checker.onLeader(host.id, out.epoch, host.log);
        return;
    }
  }

  /** One step: chaos, message delivery, timers, client work, invariant checks. */
  runStep(chaosOn: boolean): void {
    this.step++;
    this.now += this.tickMs;
    if (chaosOn) this.injectChaos();
    for (const host of this.hosts) if (host.node === null && this.now >= host.restartAt && !chaosOn) this.start(host);
    for (const env of this.net.due(this.now)) {
      const host = this.host(env.to);
      if (host.node === null) continue;
      host.node.receive(env.from, env.message, this.now);
      this.drain(host);
    }
    for (const host of this.rnd.shuffle([...this.hosts])) {
      if (host.node === null || (chaosOn && !this.rnd.chance(this.chaos.tickRate))) continue;
      host.node.tick(this.now);
      this.drain(host);
    }
    if (chaosOn) this.clientWork();
    this.checker.checkDurability(this.hosts.filter((h) => h.voter).map((h) => h.log));
  }

  private injectChaos(): void {
    const c = this.chaos;
    const r = this.rnd;
    const up = this.hosts.filter((h) => h.node !== null);
    const down = this.hosts.filter((h) => h.node === null);
    for (const h of down) if (this.now >= h.restartAt) this.start(h);
    // Crash a voter only while a majority stays up, mostly; now and then take down a majority too.
    const downVoters = down.filter((h) => h.voter).length;
    const minority = Math.floor((this.opts.voters - 1) / 2);
    if (up.length > 0 && r.chance(c.crash) && (downVoters < minority || r.chance(0.1))) this.crash(r.pick(up));
    const ids = this.hosts.map((h) => h.id);
    if (r.chance(c.isolate)) {
      const victim = r.pick(ids);
      this.net.partition([victim], ids.filter((x) => x !== victim));
    }
    if (r.chance(c.split)) {
      const shuffled = r.shuffle([...ids]);
      const cut = 1 + r.int(shuffled.length - 1);
      this.net.partition(shuffled.slice(0, cut), shuffled.slice(cut));
    }
    if (r.chance(c.cutOneWay)) {
      const a = r.pick(ids);
      const b = r.pick(ids.filter((x) => x !== a));
      this.net.cutLink(a, b);
    }
    if (r.chance(c.heal)) this.net.healAll();
    if (r.chance(c.resign)) {
      const leader = this.leaders()[0];
      leader?.node?.resign(this.now);
      if (leader !== undefined) this.drain(leader);
    }
  }

  private leaders(): Host[] {
    return this.hosts.filter((h) => h.node?.role === 'leader');
  }

  private clientWork(): void {
    const r = this.rnd;
    for (const h of this.leaders()) {
      if (!r.chance(this.chaos.append)) continue;
      const records = Array.from({ length: 1 + r.int(3) }, () => Buffer.from(`v${this.appendCounter++}@${h.id}`));
      h.node!.append(records);
      this.drain(h);
    }
    if (r.chance(this.chaos.snapshot)) {
      const h = r.pick(this.hosts);
      const node = h.node;
      const latest = h.log.latestSnapshot()?.endOffset ?? 0;
      if (node !== null && node.appliedOffset - Math.max(latest, h.log.startOffset()) >= 8) {
        node.createSnapshot(node.appliedOffset, encodeSimSnapshot(h.app, 300 + r.int(700)));
        this.stats.snapshotsTaken++;
      }
    }
  }

  /** Runs the chaos phase for `steps` steps. */
  runChaos(steps: number): void {
    for (let i = 0; i < steps; i++) this.runStep(true);
  }

  /**
   * Liveness after healing: with the network whole and calm and every node back up, one leader must be
   * followed by all voters and a new write must be committed everywhere within `boundMs` of simulated time.
   * Returns how long it took.
   */
  runLiveness(boundMs: number): number {
    this.net.healAll();
    this.net.faults = CALM_NETWORK;
    const started = this.now;
    for (const h of this.hosts) if (h.node === null) h.restartAt = this.now;
    let marker: { offset: number; epoch: number; leader: number } | null = null;
    while (this.now - started <= boundMs) {
      this.runStep(false);
      const leader = this.agreedLeader();
      if (leader === null) continue;
      const node = leader.node!;
      if (marker === null || marker.leader !== leader.id || marker.epoch !== node.currentEpoch) {
        const res = node.append([Buffer.from(`liveness@${this.now}`)]);
        if ('notLeader' in res) continue;
        marker = { offset: res.offset, epoch: res.epoch, leader: leader.id };
        this.drain(leader);
      }
      const m = marker;
      if (this.hosts.every((h) => h.node !== null && h.node.appliedOffset > m.offset)) {
        if (this.checker.committed[m.offset]?.epoch !== m.epoch) this.checker.fail('liveness marker lost');
        return this.now - started;
      }
    }
    const roles = this.hosts.map((h) => `${h.id}:${h.node?.role}@${h.node?.currentEpoch}->${h.node?.currentLeader} hw=${h.node?.highWatermark}`);
    return this.checker.fail(`liveness: no committed write within ${boundMs} ms after healing (${roles.join(' ')})`);
  }

  /** The leader every voter follows, if they all agree on one. */
  private agreedLeader(): Host | null {
    const leaders = this.leaders().filter((h) => h.voter);
    if (leaders.length !== 1) return null;
    const l = leaders[0]!;
    const epoch = l.node!.currentEpoch;
    const ok = this.hosts.every(
      (h) => h === l || !h.voter || (h.node?.role === 'follower' && h.node.currentEpoch === epoch && h.node.currentLeader === l.id),
    );
    return ok ? l : null;
  }

  /** Cross-checks final logs pairwise. */
  checkFinalLogs(): void {
    checkLogsMatch(new Map(this.hosts.map((h) => [h.id, h.log.allEntries()])), (m) => this.checker.fail(m));
  }

  summary(livenessMs: number): SimStats {
    return {
      steps: this.step,
      committed: this.checker.committed.length,
      leadersElected: this.checker.leadersElected,
      crashes: this.stats.crashes,
      lostUnflushed: this.stats.lostUnflushed,
      truncated: this.hosts.reduce((n, h) => n + h.log.truncated, 0),
      snapshotsTaken: this.stats.snapshotsTaken,
      snapshotsInstalled: this.stats.snapshotsInstalled,
      messages: this.net.sent,
      dropped: this.net.dropped,
      livenessMs,
    };
  }
}

/** Network faults drawn per seed, so runs range from clean to lossy. */
export function randomFaults(rnd: SeededRandom): NetworkFaults {
  return {
    dropRate: rnd.next() * 0.15,
    duplicateRate: rnd.next() * 0.05,
    minLatencyMs: 1,
    maxLatencyMs: 2 + rnd.int(15),
    spikeRate: rnd.next() * 0.02,
    spikeMaxMs: 200,
  };
}

/** One full seeded run: chaos, then healing and a liveness check, then the final log cross-check. */
export function runSimulation(opts: SimOptions & { steps: number; livenessBoundMs?: number }): SimStats {
  const sim = new SimCluster(opts);
  sim.runChaos(opts.steps);
  const livenessMs = sim.runLiveness(opts.livenessBoundMs ?? 10_000);
  sim.checkFinalLogs();
  return sim.summary(livenessMs);
}
