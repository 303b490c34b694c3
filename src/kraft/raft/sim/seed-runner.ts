// Runs many seeds of the simulation with a deterministic mix of settings per seed, and sums their statistics
// so a suite can assert that the runs actually reached the situations the invariants are about (snapshot
// installs, divergence truncations, lost unflushed tails, many elections).
//
// Environment overrides for longer local runs: RAFT_SIM_SEEDS (seeds per suite), RAFT_SIM_FIRST_SEED,
// RAFT_SIM_STEPS (chaos steps per seed).

import { runSimulation, type ChaosRates, type SimStats } from './sim-cluster';

export const HARD_CHAOS: Partial<ChaosRates> = {
  crash: 0.006,
  isolate: 0.004,
  split: 0.003,
  cutOneWay: 0.004,
  heal: 0.003,
  resign: 0.003,
  snapshot: 0.03,
};

export interface SuiteSettings {
  voters: number;
  observers: number;
  seeds: number[];
  steps: number;
}

export function suiteSettings(voters: number, observers: number, defaultSeeds: number, defaultSteps: number): SuiteSettings {
  const count = Number(process.env.RAFT_SIM_SEEDS ?? defaultSeeds);
  const first = Number(process.env.RAFT_SIM_FIRST_SEED ?? 1);
  return {
    voters,
    observers,
    seeds: Array.from({ length: count }, (_, i) => first + i),
    steps: Number(process.env.RAFT_SIM_STEPS ?? defaultSteps),
  };
}

/**
 * One seed's run. Even seeds run without pre-vote: plain Raft elections let stale candidates and disruptive
 * epochs through, which reaches more of the dangerous interleavings (figure-8 style overwrites of old-epoch
 * entries, for one); odd seeds run KRaft's default with pre-vote. Every third seed uses heavier chaos.
 */
export function runSeed(s: SuiteSettings, seed: number): SimStats {
  return runSimulation({
    seed,
    voters: s.voters,
    observers: s.observers,
    steps: s.steps,
    preVote: seed % 2 === 1,
    chaos: seed % 3 === 0 ? HARD_CHAOS : {},
  });
}

export type Totals = SimStats & { seeds: number; maxLivenessMs: number };

export function emptyTotals(): Totals {
  return {
    seeds: 0,
    steps: 0,
    committed: 0,
    leadersElected: 0,
    crashes: 0,
    lostUnflushed: 0,
    truncated: 0,
    snapshotsTaken: 0,
    snapshotsInstalled: 0,
    messages: 0,
    dropped: 0,
    livenessMs: 0,
    maxLivenessMs: 0,
  };
}

export function addStats(t: Totals, s: SimStats): void {
  t.seeds++;
  t.steps += s.steps;
  t.committed += s.committed;
  t.leadersElected += s.leadersElected;
  t.crashes += s.crashes;
  t.lostUnflushed += s.lostUnflushed;
  t.truncated += s.truncated;
  t.snapshotsTaken += s.snapshotsTaken;
  t.snapshotsInstalled += s.snapshotsInstalled;
  t.messages += s.messages;
  t.dropped += s.dropped;
  t.livenessMs += s.livenessMs;
  t.maxLivenessMs = Math.max(t.maxLivenessMs, s.livenessMs);
}

/** Splits the seeds into batches, one jest test each, so a failure names its batch and the suite shows progress. */
export function batches(seeds: number[], size: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < seeds.length; i += size) out.push(seeds.slice(i, i + size));
  return out;
}
