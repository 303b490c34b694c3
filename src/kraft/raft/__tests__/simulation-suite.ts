// The jest suite shared by the simulation test files (one per voter count).

import { addStats, batches, emptyTotals, runSeed, suiteSettings } from '../sim/seed-runner';

/**
 * The simulation suite for `voters` voters and one observer: batches of seeds whose invariants must hold, then a
 * check that the runs reached the situations the invariants are about. Each voter count has its own test file, so
 * jest runs them in parallel.
 */
export function describeSimulation(voters: number): void {
  const settings = suiteSettings(voters, 1, 200, 3000);
  const totals = emptyTotals();
  describe(`raft simulation, ${voters} voters + 1 observer`, () => {
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
}
