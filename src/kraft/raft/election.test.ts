import { resolveRaftConfig } from './config';
import { VoteTally, electionBackoff, endQuorumBackoff, isLogUpToDate, majority, randomElectionTimeout } from './election';
import { SeededRandom } from './random';

describe('election rules', () => {
  test('majority of a voter set', () => {
    expect([1, 2, 3, 4, 5].map(majority)).toEqual([1, 2, 2, 3, 3]);
  });

  test('a log is up to date by last epoch first, then by end offset', () => {
    const local = { lastEpoch: 3, endOffset: 10 };
    expect(isLogUpToDate({ lastEpoch: 3, endOffset: 10 }, local)).toBe(true);
    expect(isLogUpToDate({ lastEpoch: 3, endOffset: 11 }, local)).toBe(true);
    expect(isLogUpToDate({ lastEpoch: 3, endOffset: 9 }, local)).toBe(false);
    expect(isLogUpToDate({ lastEpoch: 4, endOffset: 1 }, local)).toBe(true);
    expect(isLogUpToDate({ lastEpoch: 2, endOffset: 100 }, local)).toBe(false);
  });

  test('the tally counts each voter once and knows when the election is lost', () => {
    const t = new VoteTally([1, 2, 3, 4, 5], 1);
    t.record(2, true);
    t.record(2, false); // duplicate or contradicting answer: first one stands
    t.record(9, true); // not a voter
    expect(t.granted.size).toBe(2);
    expect(t.won()).toBe(false);
    t.record(3, false);
    t.record(4, false);
    expect(t.lost()).toBe(false);
    t.record(5, false);
    expect(t.lost()).toBe(true);
    expect(t.pending()).toEqual([]);
  });

  test('timeouts stay within their bounds', () => {
    const cfg = resolveRaftConfig({ nodeId: 1, voters: [1, 2, 3] });
    const rnd = new SeededRandom(7);
    for (let i = 0; i < 1000; i++) {
      const t = randomElectionTimeout(cfg, rnd);
      expect(t).toBeGreaterThanOrEqual(1000);
      expect(t).toBeLessThan(2000);
      const b = electionBackoff(cfg, rnd, i % 30);
      expect(b).toBeGreaterThanOrEqual(0);
      expect(b).toBeLessThanOrEqual(cfg.electionBackoffMaxMs);
    }
    // Early retries back off less than later ones.
    expect(Math.max(...Array.from({ length: 200 }, () => electionBackoff(cfg, rnd, 1)))).toBeLessThanOrEqual(40);
  });

  test('after EndQuorumEpoch the first preferred successor stands at once, the rest later', () => {
    const cfg = resolveRaftConfig({ nodeId: 1, voters: [1, 2, 3, 4] });
    const rnd = new SeededRandom(1);
    expect(endQuorumBackoff(cfg, rnd, [3, 2, 4], 3)).toBe(0);
    const second = endQuorumBackoff(cfg, rnd, [3, 2, 4], 2);
    const third = endQuorumBackoff(cfg, rnd, [3, 2, 4], 4);
    expect(second).toBeGreaterThan(0);
    expect(third).toBeGreaterThan(second);
    expect(endQuorumBackoff(cfg, rnd, [3, 2], 4)).toBeGreaterThanOrEqual(cfg.electionTimeoutMs);
  });

  test('config validation', () => {
    expect(() => resolveRaftConfig({ nodeId: 1, voters: [] })).toThrow(/empty/);
    expect(() => resolveRaftConfig({ nodeId: 1, voters: [1], fetchMaxWaitMs: 3000 })).toThrow(/fetchMaxWaitMs/);
    expect(resolveRaftConfig({ nodeId: 1, voters: [3, 1, 3] }).voters).toEqual([1, 3]);
  });
});
