// Deterministic simulation of a 5-voter quorum plus an observer under message loss, duplication, reordering,
// partitions, crashes (losing the unflushed log tail) and restarts. Invariants are checked on every step (see
// sim/invariants.ts); each seed ends with healing and a liveness check. A failure names the seed:
// RAFT_SIM_FIRST_SEED=<seed> RAFT_SIM_SEEDS=1 reruns just that one.

import { addStats, batches, emptyTotals, runSeed, suiteSettings } from './sim/seed-runner';

const settings = suiteSettings(5, 1, 200, 3000);
const totals = emptyTotals();

describe('raft simulation, 5 voters + 1 observer', () => {
  for (const batch of batches(settings.seeds, 50)) {
    test(`seeds ${batch[0]}-${batch[batch.length - 1]}: safety invariants hold and the healed quorum commits`, () => {
      for (const seed of batch) addStats(totals, runSeed(settings, seed));
    });
  }

  test('the runs covered elections, divergence, lost unflushed tails and snapshot installs', () => {
    if (process.env.RAFT_SIM_VERBOSE) console.log(JSON.stringify(totals));
    if (totals.seeds < 50) return; // a single-seed rerun proves nothing about coverage
    expect(totals.leadersElected).toBeGreaterThan(totals.seeds * 3);
    expect(totals.committed).toBeGreaterThan(totals.seeds * 100);
    expect(totals.truncated).toBeGreaterThan(0);
    expect(totals.lostUnflushed).toBeGreaterThan(0);
    expect(totals.snapshotsInstalled).toBeGreaterThan(totals.seeds);
    expect(totals.maxLivenessMs).toBeLessThan(10_000);
  });
});
