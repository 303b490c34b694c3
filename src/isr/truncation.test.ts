// Truncation on divergence (KIP-101, KIP-279, fetch-based truncation): the truncation rule itself, and a
// follower converging on its leader's log through rounds of "diverging epoch → truncate → fetch" between two real
// partition logs, including the multi-round case where the follower does not know the leader's epoch.

import { cleanupTmp, decodeChunks, openManager, tmpDir } from '../log/__tests__/helpers';
import { buildBatch } from '../wire/records/record';
import { Partition } from './partition';
import { appendAsFollower, applyLeaderOffsets, truncateFollower } from './follower-log';
import { divergingEpoch, truncationTarget } from './truncation';

afterEach(cleanupTmp);

const SETTINGS = { maxMessageBytes: 1 << 20, logAppendTime: false, requireKeys: false, minInsyncReplicas: 1, syncEveryAppend: false };

describe('truncationTarget', () => {
  const cache = (entries: [number, number][], leo: number) => (epoch: number) => {
    let i = -1;
    for (let k = 0; k < entries.length; k++) if (entries[k]![0] <= epoch) i = k;
    // Older than every entry: it ended where the first starts (LeaderEpochCache.endOffsetFor, as Kafka).
    if (i < 0) return entries.length > 0 ? { epoch, endOffset: entries[0]![1] } : { epoch: -1, endOffset: -1 };
    return { epoch: entries[i]![0], endOffset: i + 1 < entries.length ? entries[i + 1]![1] : leo };
  };

  test('same epoch known on both sides: the smaller end', () => {
    expect(truncationTarget(cache([[0, 0], [1, 2]], 7), 7, { epoch: 0, endOffset: 3 })).toEqual({ offset: 2, complete: true });
    expect(truncationTarget(cache([[0, 0]], 5), 5, { epoch: 0, endOffset: 9 })).toEqual({ offset: 5, complete: true });
  });
  test('the follower lacks the leader epoch: cut at its own older epoch end and ask again', () => {
    expect(truncationTarget(cache([[0, 0], [3, 5]], 9), 9, { epoch: 2, endOffset: 8 })).toEqual({ offset: 5, complete: false });
  });
  test('the follower knows no epoch that old: the leader end; unknown to the leader: null; v0 (no epoch): the leader end', () => {
    expect(truncationTarget(cache([[4, 10]], 12), 12, { epoch: 2, endOffset: 8 })).toEqual({ offset: 8, complete: true });
    expect(truncationTarget(cache([[0, 0]], 5), 5, { epoch: -1, endOffset: -1 })).toBeNull();
    expect(truncationTarget(cache([[0, 0]], 5), 5, { epoch: -1, endOffset: 3 })).toEqual({ offset: 3, complete: true });
  });
  test('leader side: diverging when the epoch ended earlier or is unknown here', () => {
    const leader = cache([[0, 0], [2, 4], [4, 8]], 10);
    expect(divergingEpoch(leader, 4, 10)).toBeNull();
    expect(divergingEpoch(leader, 2, 8)).toBeNull();
    expect(divergingEpoch(leader, 3, 9)).toEqual({ epoch: 2, endOffset: 8 });
    expect(divergingEpoch(leader, 0, 5)).toEqual({ epoch: 0, endOffset: 4 });
    // An epoch older than any the leader knows ended where the leader's first epoch starts (Kafka's answer).
    expect(divergingEpoch(cache([[5, 100]], 120), 3, 100)).toBeNull();
    expect(divergingEpoch(cache([[5, 100]], 120), 3, 104)).toEqual({ epoch: 3, endOffset: 100 });
    expect(divergingEpoch(cache([], 0), 3, 104)).toBe('unknown');
  });
});

/** A partition whose log holds batches of the given sizes, each written as leader in the given epoch. */
async function partitionWith(batches: [epoch: number, count: number, tag: string][]): Promise<Partition> {
  const logs = await openManager(tmpDir());
  const log = logs.createLog('t', 0, {});
  for (const [epoch, count, tag] of batches) {
    const records = Array.from({ length: count }, (_, i) => ({ key: null, value: `${tag}${i}` }));
    log.append(buildBatch({ records }), { leaderEpoch: epoch, assignOffsets: true });
  }
  return new Partition('t', 0, 'AAAAAAAAAAAAAAAAAAAAAA', log, SETTINGS);
}

/** One fetch round of `follower` against `leader`, as the fetcher and the leader's fetch handler do it. */
function fetchRound(leader: Partition, follower: Partition): 'diverged' | 'fetched' | 'done' {
  const fetchOffset = follower.log.logEndOffset;
  // As the fetch handler: no divergence check for a follower with no epoch yet (an empty log).
  const lastEpoch = follower.log.latestEpoch;
  const d = lastEpoch < 0 ? null : divergingEpoch((e) => leader.log.endOffsetForEpoch(e), lastEpoch, fetchOffset);
  if (d === 'unknown') throw new Error('epoch unknown to the leader');
  if (d) {
    const t = truncationTarget((e) => follower.log.endOffsetForEpoch(e), fetchOffset, d)!;
    truncateFollower(follower, t.offset);
    return 'diverged';
  }
  if (fetchOffset === leader.log.logEndOffset) return 'done';
  const r = leader.log.read(fetchOffset, 1 << 20, { minOneBatch: true });
  appendAsFollower(follower, Buffer.concat(r.chunks));
  applyLeaderOffsets(follower, leader.log.logEndOffset, leader.log.logStartOffset);
  return 'fetched';
}

function contents(p: Partition): string[] {
  const r = p.log.read(p.log.logStartOffset, 1 << 20, { minOneBatch: true });
  return decodeChunks(r.chunks).map((x) => `${x.offset}:${x.value}`);
}

test('a follower with an unreplicated tail from an older leader truncates it and copies the new leader', async () => {
  const leader = await partitionWith([[0, 2, 'a'], [0, 1, 'b'], [2, 3, 'c']]); // epoch 0: 0..2, epoch 2: 3..5
  const follower = await partitionWith([[0, 2, 'a'], [0, 1, 'b'], [1, 4, 'x']]); // epoch 1 (its own term): 3..6
  const rounds: string[] = [];
  for (let r = fetchRound(leader, follower); r !== 'done'; r = fetchRound(leader, follower)) rounds.push(r);
  expect(rounds).toEqual(['diverged', 'fetched']);
  expect(contents(follower)).toEqual(contents(leader));
  expect(follower.log.leaderEpochCache.all).toEqual(leader.log.leaderEpochCache.all);
  expect(follower.highWatermark).toBe(6);
});

test('a follower whose whole log is from an epoch the new leader never had truncates all of it', async () => {
  // The old leader wrote epoch 0 [0..10] and nothing was committed; the new leader (empty then) wrote epoch 1 from
  // offset 0. The follower's data at 0..10 is not the leader's: keeping it and appending from 11 would leave two
  // different histories at the same offsets (and lose the leader's 0..10 if the follower led again).
  const leader = await partitionWith([[1, 11, 'new'], [1, 4, 'more']]);
  const follower = await partitionWith([[0, 10, 'old'], [0, 1, 'old-tail']]);
  const rounds: string[] = [];
  for (let r = fetchRound(leader, follower); r !== 'done'; r = fetchRound(leader, follower)) rounds.push(r);
  expect(rounds).toEqual(['diverged', 'fetched']);
  expect(contents(follower)).toEqual(contents(leader));
  expect(follower.log.leaderEpochCache.all).toEqual(leader.log.leaderEpochCache.all);
});

test('KIP-279: the follower does not know the epoch the leader answers with, so truncation takes two rounds', async () => {
  // Leader: epoch 0 [0..3], epoch 2 [4..7], epoch 4 [8..9]. Follower: epoch 0 [0..3] [4], epoch 3 [5..8].
  const leader = await partitionWith([[0, 4, 'a'], [2, 4, 'c'], [4, 2, 'e']]);
  const follower = await partitionWith([[0, 4, 'a'], [0, 1, 'b'], [3, 4, 'x']]);
  const rounds: string[] = [];
  const ends: number[] = [];
  for (let r = fetchRound(leader, follower); r !== 'done'; r = fetchRound(leader, follower)) {
    rounds.push(r);
    ends.push(follower.log.logEndOffset);
  }
  expect(rounds).toEqual(['diverged', 'diverged', 'fetched']);
  expect(ends).toEqual([5, 4, 10]);
  expect(contents(follower)).toEqual(contents(leader));
  expect(follower.log.leaderEpochCache.all).toEqual(leader.log.leaderEpochCache.all);
});

test('follower appends skip what it already has and keep offsets and epochs; a straddling batch is refused', async () => {
  const leader = await partitionWith([[0, 3, 'a'], [1, 2, 'b']]);
  const follower = await partitionWith([[0, 3, 'a']]);
  const all = Buffer.concat(leader.log.read(0, 1 << 20, { minOneBatch: true }).chunks);
  expect(appendAsFollower(follower, all)).toBeGreaterThan(0);
  expect(follower.log.logEndOffset).toBe(5);
  expect(appendAsFollower(follower, all)).toBe(0); // nothing new
  const other = await partitionWith([[0, 2, 'z']]);
  expect(() => appendAsFollower(other, all)).toThrow(/straddles/);
});
