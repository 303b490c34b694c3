import { ErrorCode, KafkaError } from '../wire/errors';
import type { GroupCoordinator } from './coordinator';
import type { FakeClock } from './fake-clock';
import { SUB, flush, harness, joinReq, syncReq, track } from './testkit';
import type { JoinGroupResult } from './types';

const E = ErrorCode;

/** Joins `n` members at once and completes the initial delay; returns their join results (leader first). */
async function stableGroup(
  coord: GroupCoordinator,
  clock: FakeClock,
  n: number,
  groupId = 'g',
): Promise<{ leader: JoinGroupResult; followers: JoinGroupResult[]; all: JoinGroupResult[] }> {
  const joins = Array.from({ length: n }, (_, i) => track(coord.joinGroup(joinReq({ groupId, clientId: `c${i}` }))));
  await flush();
  clock.advance(coord.config.groupInitialRebalanceDelayMs * 2);
  await flush();
  const all = joins.map((j) => {
    expect(j.done).toBe(true);
    return j.value;
  });
  const leader = all.find((r) => r.leader === r.memberId)!;
  const followers = all.filter((r) => r !== leader);
  const syncs = [
    ...followers.map((f) => coord.syncGroup(syncReq({ groupId, memberId: f.memberId, generationId: f.generationId }))),
    coord.syncGroup(
      syncReq({
        groupId,
        memberId: leader.memberId,
        generationId: leader.generationId,
        assignments: all.map((r) => ({ memberId: r.memberId, assignment: Buffer.from(`a:${r.memberId}`) })),
      }),
    ),
  ];
  for (const s of await Promise.all(syncs)) expect(s.errorCode).toBe(E.NONE);
  expect(coord.groupState(groupId)).toBe('Stable');
  return { leader, followers, all };
}

describe('join and sync', () => {
  test('a single member joins, becomes leader, syncs and heartbeats', async () => {
    const { coord, clock, log } = await harness();
    const join = track(coord.joinGroup(joinReq()));
    await flush();
    expect(join.done).toBe(false); // the initial rebalance delay runs first
    expect(coord.groupState('g')).toBe('PreparingRebalance');
    clock.advance(100);
    await flush();
    const r = join.value;
    expect(r).toMatchObject({
      errorCode: E.NONE,
      generationId: 1,
      protocolType: 'consumer',
      protocolName: 'range',
      memberId: 'c-m1',
      leader: 'c-m1',
      skipAssignment: false,
    });
    expect(r.members).toEqual([{ memberId: 'c-m1', groupInstanceId: null, metadata: SUB() }]);
    expect(coord.groupState('g')).toBe('CompletingRebalance');

    const before = log.records(coord.partitionFor('g')).length;
    const sync = await coord.syncGroup(
      syncReq({ memberId: r.memberId, generationId: 1, assignments: [{ memberId: r.memberId, assignment: Buffer.from('x') }] }),
    );
    expect(sync).toEqual({ errorCode: E.NONE, protocolType: 'consumer', protocolName: 'range', assignment: Buffer.from('x') });
    expect(coord.groupState('g')).toBe('Stable');
    expect(log.records(coord.partitionFor('g')).length).toBe(before + 1); // GroupMetadataValue written
    expect(coord.heartbeat({ groupId: 'g', memberId: r.memberId, generationId: 1, groupInstanceId: null })).toEqual({
      errorCode: E.NONE,
    });
  });

  test('three members: one leader gets the member list, followers wait for the leader’s assignment', async () => {
    const { coord, clock } = await harness();
    const joins = ['a', 'b', 'c'].map((c) => track(coord.joinGroup(joinReq({ clientId: c }))));
    await flush();
    clock.advance(100);
    await flush();
    // Members arrived during the initial delay, so it is extended once.
    expect(joins.some((j) => j.done)).toBe(false);
    clock.advance(100);
    await flush();
    const results = joins.map((j) => j.value);
    expect(results.map((r) => r.errorCode)).toEqual([E.NONE, E.NONE, E.NONE]);
    expect(new Set(results.map((r) => r.generationId))).toEqual(new Set([1]));
    const leaderId = results[0]!.leader;
    expect(results.every((r) => r.leader === leaderId)).toBe(true);
    const leader = results.find((r) => r.memberId === leaderId)!;
    expect(leader.members.map((m) => m.memberId).sort()).toEqual(results.map((r) => r.memberId).sort());
    for (const f of results.filter((r) => r !== leader)) expect(f.members).toEqual([]);

    const followerSyncs = results
      .filter((r) => r !== leader)
      .map((f) => track(coord.syncGroup(syncReq({ memberId: f.memberId, generationId: 1 }))));
    await flush();
    expect(followerSyncs.some((s) => s.done)).toBe(false);
    // Heartbeats between JoinGroup and SyncGroup are fine.
    expect(coord.heartbeat({ groupId: 'g', memberId: results[1]!.memberId, generationId: 1, groupInstanceId: null }).errorCode).toBe(
      E.NONE,
    );

    const assignments = results.map((r) => ({ memberId: r.memberId, assignment: Buffer.from(r.memberId) }));
    const leaderSync = await coord.syncGroup(syncReq({ memberId: leader.memberId, generationId: 1, assignments }));
    expect(leaderSync.assignment).toEqual(Buffer.from(leader.memberId));
    await flush();
    const followers = results.filter((r) => r !== leader);
    followerSyncs.forEach((s, i) => {
      expect(s.done).toBe(true);
      expect(s.value.errorCode).toBe(E.NONE);
      expect(s.value.assignment).toEqual(Buffer.from(followers[i]!.memberId));
    });
    expect(coord.groupState('g')).toBe('Stable');
  });

  test('a follower that syncs after the group is stable gets its stored assignment', async () => {
    const { coord, clock } = await harness();
    const { followers } = await stableGroup(coord, clock, 2);
    const f = followers[0]!;
    const again = await coord.syncGroup(syncReq({ memberId: f.memberId, generationId: f.generationId }));
    expect(again.assignment).toEqual(Buffer.from(`a:${f.memberId}`));
  });

  test('a follower rejoining a stable group with unchanged metadata gets the current generation without a rebalance', async () => {
    const { coord, clock } = await harness();
    const { followers } = await stableGroup(coord, clock, 2);
    const f = followers[0]!;
    const r = await coord.joinGroup(joinReq({ memberId: f.memberId, clientId: 'c1' }));
    expect(r).toMatchObject({ errorCode: E.NONE, generationId: 1, memberId: f.memberId, members: [] });
    expect(coord.groupState('g')).toBe('Stable');
  });

  test('the leader rejoining a stable group forces a rebalance', async () => {
    const { coord, clock } = await harness();
    const { leader, followers } = await stableGroup(coord, clock, 2);
    const lj = track(coord.joinGroup(joinReq({ memberId: leader.memberId })));
    await flush();
    expect(coord.groupState('g')).toBe('PreparingRebalance');
    const f = followers[0]!;
    expect(coord.heartbeat({ groupId: 'g', memberId: f.memberId, generationId: 1, groupInstanceId: null }).errorCode).toBe(
      E.REBALANCE_IN_PROGRESS,
    );
    const fj = await coord.joinGroup(joinReq({ memberId: f.memberId }));
    await flush();
    expect(lj.done).toBe(true);
    expect(fj.generationId).toBe(2);
    expect(lj.value.generationId).toBe(2);
  });

  test('a member retrying JoinGroup supersedes its parked request, which is still answered', async () => {
    const { coord, clock } = await harness();
    const first = await coord.joinGroup(joinReq({ requireKnownMemberId: true }));
    const a = track(coord.joinGroup(joinReq({ memberId: first.memberId })));
    await flush();
    const b = track(coord.joinGroup(joinReq({ memberId: first.memberId })));
    await flush();
    expect(a.done).toBe(true);
    expect(a.value.errorCode).toBe(E.REBALANCE_IN_PROGRESS);
    clock.advance(100);
    await flush();
    expect(b.value).toMatchObject({ errorCode: E.NONE, generationId: 1, memberId: first.memberId });
  });
});

describe('KIP-394 member id required', () => {
  test('a first join without member id is given one and must rejoin with it', async () => {
    const { coord, clock } = await harness();
    const first = await coord.joinGroup(joinReq({ requireKnownMemberId: true, clientId: 'client' }));
    expect(first).toMatchObject({ errorCode: E.MEMBER_ID_REQUIRED, memberId: 'client-m1', generationId: -1 });
    expect(coord.getGroup('g')!.pendingMembers.has('client-m1')).toBe(true);
    const second = track(coord.joinGroup(joinReq({ memberId: 'client-m1', requireKnownMemberId: true })));
    await flush();
    clock.advance(100);
    await flush();
    expect(second.value).toMatchObject({ errorCode: E.NONE, memberId: 'client-m1', leader: 'client-m1', generationId: 1 });
    expect(coord.getGroup('g')!.pendingMembers.size).toBe(0);
  });

  test('a pending member that does not rejoin within its session timeout is forgotten', async () => {
    const { coord, clock } = await harness();
    const first = await coord.joinGroup(joinReq({ requireKnownMemberId: true }));
    clock.advance(10_000);
    await flush();
    expect(coord.getGroup('g')?.pendingMembers.size ?? 0).toBe(0);
    const late = await coord.joinGroup(joinReq({ memberId: first.memberId }));
    expect(late.errorCode).toBe(E.UNKNOWN_MEMBER_ID);
  });

  test('an outstanding pending member holds a rebalance open until it joins', async () => {
    const { coord, clock } = await harness();
    const { leader, followers } = await stableGroup(coord, clock, 2);
    const newcomer = await coord.joinGroup(joinReq({ requireKnownMemberId: true, clientId: 'n' }));
    expect(newcomer.errorCode).toBe(E.MEMBER_ID_REQUIRED);
    // The leader rejoins (rebalance), the follower too; the pending member still has to come in.
    const lj = track(coord.joinGroup(joinReq({ memberId: leader.memberId })));
    const fj = track(coord.joinGroup(joinReq({ memberId: followers[0]!.memberId })));
    await flush();
    expect(lj.done || fj.done).toBe(false);
    const nj = track(coord.joinGroup(joinReq({ memberId: newcomer.memberId })));
    await flush();
    expect([lj.done, fj.done, nj.done]).toEqual([true, true, true]);
    expect(nj.value.generationId).toBe(2);
    expect(lj.value.members).toHaveLength(3);
  });
});

describe('protocol selection', () => {
  test('the group picks the protocol most members prefer among those all support', async () => {
    const { coord, clock } = await harness();
    const p = (names: string[]) => names.map((name) => ({ name, metadata: SUB() }));
    const joins = [
      coord.joinGroup(joinReq({ clientId: 'a', protocols: p(['range', 'roundrobin', 'sticky']) })),
      coord.joinGroup(joinReq({ clientId: 'b', protocols: p(['sticky', 'roundrobin']) })),
      coord.joinGroup(joinReq({ clientId: 'c', protocols: p(['roundrobin', 'sticky']) })),
    ].map(track);
    await flush();
    clock.advance(200);
    await flush();
    // Candidates: roundrobin, sticky. Votes: a→roundrobin, b→sticky, c→roundrobin.
    for (const j of joins) expect(j.value.protocolName).toBe('roundrobin');
  });

  test('INCONSISTENT_GROUP_PROTOCOL when type or protocols do not fit the group', async () => {
    const { coord, clock } = await harness();
    await stableGroup(coord, clock, 1);
    const wrongType = await coord.joinGroup(joinReq({ protocolType: 'connect' }));
    expect(wrongType.errorCode).toBe(E.INCONSISTENT_GROUP_PROTOCOL);
    const noOverlap = await coord.joinGroup(joinReq({ protocols: [{ name: 'sticky', metadata: SUB() }] }));
    expect(noOverlap.errorCode).toBe(E.INCONSISTENT_GROUP_PROTOCOL);
    const empty = await coord.joinGroup(joinReq({ groupId: 'other', protocols: [] }));
    expect(empty.errorCode).toBe(E.INCONSISTENT_GROUP_PROTOCOL);
    expect(coord.groupState('other')).toBeUndefined(); // the failed join does not leave a group behind
    const noType = await coord.joinGroup(joinReq({ groupId: 'other', protocolType: '' }));
    expect(noType.errorCode).toBe(E.INCONSISTENT_GROUP_PROTOCOL);
  });

  test('SyncGroup with a different protocol type or name is rejected', async () => {
    const { coord, clock } = await harness();
    const { leader } = await stableGroup(coord, clock, 1);
    const s1 = await coord.syncGroup(syncReq({ memberId: leader.memberId, generationId: 1, protocolName: 'sticky' }));
    expect(s1.errorCode).toBe(E.INCONSISTENT_GROUP_PROTOCOL);
    const s2 = await coord.syncGroup(syncReq({ memberId: leader.memberId, generationId: 1, protocolType: 'connect' }));
    expect(s2.errorCode).toBe(E.INCONSISTENT_GROUP_PROTOCOL);
    const s3 = await coord.syncGroup(syncReq({ memberId: leader.memberId, generationId: 1, protocolType: null, protocolName: null }));
    expect(s3.errorCode).toBe(E.NONE);
  });
});

describe('initial rebalance delay', () => {
  test('waits the delay, extends it while members arrive, and completes after a quiet delay', async () => {
    const { coord, clock } = await harness({ groupInitialRebalanceDelayMs: 100 });
    const a = track(coord.joinGroup(joinReq({ clientId: 'a' })));
    clock.advance(50);
    const b = track(coord.joinGroup(joinReq({ clientId: 'b' })));
    clock.advance(50); // t=100: b arrived, so wait another delay
    await flush();
    expect(a.done).toBe(false);
    clock.advance(99); // t=199
    await flush();
    expect(a.done).toBe(false);
    clock.advance(1); // t=200
    await flush();
    expect(a.done && b.done).toBe(true);
    expect(a.value.generationId).toBe(1);
  });

  test('never extends past the rebalance timeout', async () => {
    const { coord, clock } = await harness({ groupInitialRebalanceDelayMs: 100 });
    const first = track(coord.joinGroup(joinReq({ clientId: 'a', rebalanceTimeoutMs: 250 })));
    // A new member every 50 ms would extend the delay forever.
    for (let t = 50; t < 250; t += 50) {
      clock.advance(50);
      track(coord.joinGroup(joinReq({ clientId: `x${t}`, rebalanceTimeoutMs: 250 })));
    }
    await flush();
    expect(first.done).toBe(false);
    clock.advance(50); // t=250
    await flush();
    expect(first.done).toBe(true);
  });

  test('a rebalance of a non-empty group completes as soon as everyone has rejoined', async () => {
    const { coord, clock } = await harness({ groupInitialRebalanceDelayMs: 3000 });
    const { leader } = await stableGroup(coord, clock, 1);
    const r = await coord.joinGroup(joinReq({ memberId: leader.memberId }));
    expect(r.generationId).toBe(2);
  });
});

describe('session timeouts and leaving', () => {
  test('a member that stops heartbeating is removed and the group rebalances', async () => {
    const { coord, clock } = await harness();
    const { leader, followers } = await stableGroup(coord, clock, 2);
    const hb = (memberId: string, generationId = 1) =>
      coord.heartbeat({ groupId: 'g', memberId, generationId, groupInstanceId: null }).errorCode;
    clock.advance(6000);
    expect(hb(leader.memberId)).toBe(E.NONE);
    clock.advance(4500); // the follower's 10 s session lapsed
    expect(coord.groupState('g')).toBe('PreparingRebalance');
    expect(hb(leader.memberId)).toBe(E.REBALANCE_IN_PROGRESS);
    expect(hb(followers[0]!.memberId)).toBe(E.UNKNOWN_MEMBER_ID);
    const r = await coord.joinGroup(joinReq({ memberId: leader.memberId }));
    expect(r).toMatchObject({ errorCode: E.NONE, generationId: 2 });
    expect(r.members.map((m) => m.memberId)).toEqual([leader.memberId]);
  });

  test('members parked in JoinGroup or SyncGroup are not expired while they wait', async () => {
    const { coord, clock } = await harness();
    const joins = ['a', 'b'].map((c) => track(coord.joinGroup(joinReq({ clientId: c, sessionTimeoutMs: 6000 }))));
    clock.advance(200);
    await flush();
    const [ra, rb] = joins.map((j) => j.value) as [JoinGroupResult, JoinGroupResult];
    const leader = ra.leader === ra.memberId ? ra : rb;
    const follower = leader === ra ? rb : ra;
    const fs = track(coord.syncGroup(syncReq({ memberId: follower.memberId, generationId: 1 })));
    // The leader takes 15 s to assign, heartbeating meanwhile; the parked follower does not heartbeat.
    for (let i = 0; i < 5; i++) {
      clock.advance(3000);
      expect(coord.heartbeat({ groupId: 'g', memberId: leader.memberId, generationId: 1, groupInstanceId: null }).errorCode).toBe(
        E.NONE,
      );
    }
    expect(coord.getGroup('g')!.has(follower.memberId)).toBe(true);
    await coord.syncGroup(
      syncReq({ memberId: leader.memberId, generationId: 1, assignments: [{ memberId: follower.memberId, assignment: Buffer.from('f') }] }),
    );
    await flush();
    expect(fs.value).toMatchObject({ errorCode: E.NONE, assignment: Buffer.from('f') });
    // Its session restarts once answered.
    clock.advance(5999);
    expect(coord.getGroup('g')!.has(follower.memberId)).toBe(true);
  });

  test('a member that never sends SyncGroup is removed after the rebalance timeout', async () => {
    const { coord, clock } = await harness();
    const { all } = await (async () => {
      const joins = ['a', 'b'].map((c) => track(coord.joinGroup(joinReq({ clientId: c, rebalanceTimeoutMs: 20_000 }))));
      clock.advance(200);
      await flush();
      return { all: joins.map((j) => j.value) };
    })();
    const leader = all.find((r) => r.leader === r.memberId)!;
    const follower = all.find((r) => r !== leader)!;
    await coord.syncGroup(syncReq({ memberId: leader.memberId, generationId: 1 }));
    for (let i = 0; i < 5; i++) {
      clock.advance(4000); // both heartbeat, but the follower never syncs
      coord.heartbeat({ groupId: 'g', memberId: leader.memberId, generationId: 1, groupInstanceId: null });
      coord.heartbeat({ groupId: 'g', memberId: follower.memberId, generationId: 1, groupInstanceId: null });
    }
    expect(coord.getGroup('g')!.has(follower.memberId)).toBe(false);
    expect(coord.groupState('g')).toBe('PreparingRebalance');
  });

  test('a member that does not rejoin before the rebalance timeout is dropped from the new generation', async () => {
    const { coord, clock } = await harness();
    const { leader, followers } = await stableGroup(coord, clock, 2);
    const lj = track(coord.joinGroup(joinReq({ memberId: leader.memberId })));
    for (let t = 0; t < 30_000; t += 5000) {
      clock.advance(5000);
      // Heartbeats keep the follower's session alive, but it never rejoins.
      coord.heartbeat({ groupId: 'g', memberId: followers[0]!.memberId, generationId: 1, groupInstanceId: null });
    }
    await flush();
    expect(lj.value).toMatchObject({ errorCode: E.NONE, generationId: 2 });
    expect(lj.value.members).toHaveLength(1);
  });

  test('when the leader does not rejoin, a member that did becomes the new leader', async () => {
    const { coord, clock } = await harness();
    const { leader, followers } = await stableGroup(coord, clock, 2);
    const f = followers[0]!;
    // The follower changes its subscription, which forces a rebalance; the leader keeps heartbeating but stays away.
    const fj = track(coord.joinGroup(joinReq({ memberId: f.memberId, protocols: [{ name: 'range', metadata: SUB(['t1', 't2']) }] })));
    for (let t = 0; t < 30_000; t += 5000) {
      clock.advance(5000);
      coord.heartbeat({ groupId: 'g', memberId: leader.memberId, generationId: 1, groupInstanceId: null });
    }
    await flush();
    expect(fj.value).toMatchObject({ errorCode: E.NONE, generationId: 2, leader: f.memberId });
    expect(fj.value.members).toEqual([{ memberId: f.memberId, groupInstanceId: null, metadata: SUB(['t1', 't2']) }]);
    expect(coord.heartbeat({ groupId: 'g', memberId: leader.memberId, generationId: 1, groupInstanceId: null }).errorCode).toBe(
      E.UNKNOWN_MEMBER_ID,
    );
  });

  test('leaving triggers a rebalance; the last member leaving empties the group', async () => {
    const { coord, clock, log } = await harness();
    const { leader, followers } = await stableGroup(coord, clock, 2);
    const left = coord.leaveGroup({ groupId: 'g', members: [{ memberId: followers[0]!.memberId, groupInstanceId: null }] });
    expect(left).toEqual({
      errorCode: E.NONE,
      members: [{ memberId: followers[0]!.memberId, groupInstanceId: null, errorCode: E.NONE }],
    });
    expect(coord.groupState('g')).toBe('PreparingRebalance');
    const r = await coord.joinGroup(joinReq({ memberId: leader.memberId }));
    expect(r.generationId).toBe(2);

    const unknown = coord.leaveGroup({ groupId: 'g', members: [{ memberId: 'nobody', groupInstanceId: null }] });
    expect(unknown.members[0]!.errorCode).toBe(E.UNKNOWN_MEMBER_ID);

    const before = log.records(coord.partitionFor('g')).length;
    coord.leaveGroup({ groupId: 'g', members: [{ memberId: leader.memberId, groupInstanceId: null }] });
    await flush();
    expect(coord.groupState('g')).toBe('Empty');
    expect(coord.getGroup('g')!.generationId).toBe(3);
    expect(log.records(coord.partitionFor('g')).length).toBe(before + 1); // the empty generation is persisted
  });

  test('leaving while a JoinGroup is parked answers it', async () => {
    const { coord, clock } = await harness();
    const { leader, followers } = await stableGroup(coord, clock, 2);
    const lj = track(coord.joinGroup(joinReq({ memberId: leader.memberId })));
    await flush();
    coord.leaveGroup({ groupId: 'g', members: [{ memberId: leader.memberId, groupInstanceId: null }] });
    await flush();
    expect(lj.value.errorCode).toBe(E.UNKNOWN_MEMBER_ID);
    const fj = await coord.joinGroup(joinReq({ memberId: followers[0]!.memberId }));
    expect(fj).toMatchObject({ errorCode: E.NONE, generationId: 2, leader: followers[0]!.memberId });
  });
});

describe('error codes', () => {
  test('ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID and REBALANCE_IN_PROGRESS', async () => {
    const { coord, clock } = await harness();
    const { leader } = await stableGroup(coord, clock, 1);
    const hb = (memberId: string, generationId: number) =>
      coord.heartbeat({ groupId: 'g', memberId, generationId, groupInstanceId: null }).errorCode;
    expect(hb(leader.memberId, 0)).toBe(E.ILLEGAL_GENERATION);
    expect(hb('stranger', 1)).toBe(E.UNKNOWN_MEMBER_ID);
    expect(coord.heartbeat({ groupId: 'nope', memberId: 'x', generationId: 1, groupInstanceId: null }).errorCode).toBe(
      E.UNKNOWN_MEMBER_ID,
    );
    expect((await coord.syncGroup(syncReq({ memberId: leader.memberId, generationId: 7 }))).errorCode).toBe(
      E.ILLEGAL_GENERATION,
    );
    expect((await coord.syncGroup(syncReq({ memberId: 'stranger', generationId: 1 }))).errorCode).toBe(E.UNKNOWN_MEMBER_ID);
    expect((await coord.joinGroup(joinReq({ memberId: 'stranger' }))).errorCode).toBe(E.UNKNOWN_MEMBER_ID);
    expect((await coord.joinGroup(joinReq({ groupId: 'nope', memberId: 'stranger' }))).errorCode).toBe(E.UNKNOWN_MEMBER_ID);

    // A new member starts a rebalance: the old member's SyncGroup and heartbeat say REBALANCE_IN_PROGRESS.
    track(coord.joinGroup(joinReq({ clientId: 'new' })));
    await flush();
    expect(coord.groupState('g')).toBe('PreparingRebalance');
    expect(hb(leader.memberId, 1)).toBe(E.REBALANCE_IN_PROGRESS);
    expect((await coord.syncGroup(syncReq({ memberId: leader.memberId, generationId: 1 }))).errorCode).toBe(
      E.REBALANCE_IN_PROGRESS,
    );
  });

  test('a rebalance during CompletingRebalance answers parked SyncGroups with REBALANCE_IN_PROGRESS', async () => {
    const { coord, clock } = await harness();
    const joins = ['a', 'b'].map((c) => track(coord.joinGroup(joinReq({ clientId: c }))));
    clock.advance(200);
    await flush();
    const follower = joins.map((j) => j.value).find((r) => r.leader !== r.memberId)!;
    const fs = track(coord.syncGroup(syncReq({ memberId: follower.memberId, generationId: 1 })));
    track(coord.joinGroup(joinReq({ clientId: 'late' })));
    await flush();
    expect(fs.value.errorCode).toBe(E.REBALANCE_IN_PROGRESS);
  });

  test('INVALID_SESSION_TIMEOUT, INVALID_GROUP_ID and GROUP_MAX_SIZE_REACHED', async () => {
    const { coord, clock } = await harness({ groupMaxSize: 2 });
    expect((await coord.joinGroup(joinReq({ sessionTimeoutMs: 5999 }))).errorCode).toBe(E.INVALID_SESSION_TIMEOUT);
    expect((await coord.joinGroup(joinReq({ sessionTimeoutMs: 1_800_001 }))).errorCode).toBe(E.INVALID_SESSION_TIMEOUT);
    expect((await coord.joinGroup(joinReq({ groupId: '' }))).errorCode).toBe(E.INVALID_GROUP_ID);
    expect(coord.heartbeat({ groupId: '', memberId: 'x', generationId: 1, groupInstanceId: null }).errorCode).toBe(
      E.INVALID_GROUP_ID,
    );
    await stableGroup(coord, clock, 2);
    const third = await coord.joinGroup(joinReq({ clientId: 'third' }));
    expect(third.errorCode).toBe(E.GROUP_MAX_SIZE_REACHED);
    expect(coord.groupState('g')).toBe('Stable');
  });

  test('a failed assignment write answers the SyncGroups with the mapped error and rebalances', async () => {
    const { coord, clock, log } = await harness();
    const joins = ['a', 'b'].map((c) => track(coord.joinGroup(joinReq({ clientId: c }))));
    clock.advance(200);
    await flush();
    const rs = joins.map((j) => j.value);
    const leader = rs.find((r) => r.leader === r.memberId)!;
    const follower = rs.find((r) => r !== leader)!;
    const fs = track(coord.syncGroup(syncReq({ memberId: follower.memberId, generationId: 1 })));
    log.failWith = new KafkaError(E.NOT_LEADER_OR_FOLLOWER);
    const ls = await coord.syncGroup(syncReq({ memberId: leader.memberId, generationId: 1 }));
    await flush();
    expect(ls.errorCode).toBe(E.NOT_COORDINATOR);
    expect(fs.value.errorCode).toBe(E.NOT_COORDINATOR);
    expect(coord.groupState('g')).toBe('PreparingRebalance');
  });
});

describe('static membership (KIP-345)', () => {
  async function staticGroup(coord: GroupCoordinator, clock: FakeClock) {
    const joins = ['i1', 'i2'].map((id) => track(coord.joinGroup(joinReq({ groupInstanceId: id, clientId: id }))));
    clock.advance(200);
    await flush();
    const rs = joins.map((j) => j.value);
    const leader = rs.find((r) => r.leader === r.memberId)!;
    await coord.syncGroup(
      syncReq({
        memberId: leader.memberId,
        generationId: 1,
        groupInstanceId: leader.memberId.split('-')[0]!,
        assignments: rs.map((r) => ({ memberId: r.memberId, assignment: Buffer.from(`a:${r.memberId.split('-')[0]}`) })),
      }),
    );
    expect(coord.groupState('g')).toBe('Stable');
    return rs;
  }

  test('a restarted static member takes over without a rebalance and the old id is fenced', async () => {
    const { coord, clock, log } = await harness();
    const [r1] = await staticGroup(coord, clock);
    expect(r1!.memberId).toBe('i1-m1'); // static member ids start with the instance id
    const before = log.records(coord.partitionFor('g')).length;
    const rejoin = await coord.joinGroup(joinReq({ groupInstanceId: 'i1', clientId: 'i1' }));
    expect(rejoin).toMatchObject({ errorCode: E.NONE, generationId: 1, memberId: 'i1-m3', members: [], skipAssignment: false });
    // Older clients are told the previous leader id so that nobody computes an assignment.
    expect(rejoin.leader).toBe('i1-m1');
    expect(coord.groupState('g')).toBe('Stable');
    expect(log.records(coord.partitionFor('g')).length).toBe(before + 1); // new member id persisted

    const sync = await coord.syncGroup(syncReq({ memberId: 'i1-m3', generationId: 1, groupInstanceId: 'i1' }));
    expect(sync).toMatchObject({ errorCode: E.NONE, assignment: Buffer.from('a:i1') });
    expect(coord.heartbeat({ groupId: 'g', memberId: 'i1-m1', generationId: 1, groupInstanceId: 'i1' }).errorCode).toBe(
      E.FENCED_INSTANCE_ID,
    );
    expect((await coord.syncGroup(syncReq({ memberId: 'i1-m1', generationId: 1, groupInstanceId: 'i1' }))).errorCode).toBe(
      E.FENCED_INSTANCE_ID,
    );
    expect(
      (await coord.commitOffsets({
        groupId: 'g',
        generationIdOrMemberEpoch: 1,
        memberId: 'i1-m1',
        groupInstanceId: 'i1',
        retentionTimeMs: -1,
        topics: [{ name: 't1', partitions: [{ partitionIndex: 0, committedOffset: 1, committedLeaderEpoch: -1, committedMetadata: null }] }],
      })).topics[0]!.partitions[0]!.errorCode,
    ).toBe(E.FENCED_INSTANCE_ID);
  });

  test('with KIP-814 support a rejoining static leader is told to skip the assignment', async () => {
    const { coord, clock } = await harness();
    const rs = await staticGroup(coord, clock);
    const leaderInstance = rs.find((r) => r.leader === r.memberId)!.memberId.split('-')[0]!;
    const rejoin = await coord.joinGroup(
      joinReq({ groupInstanceId: leaderInstance, clientId: leaderInstance, supportsSkipAssignment: true }),
    );
    expect(rejoin.errorCode).toBe(E.NONE);
    expect(rejoin.leader).toBe(rejoin.memberId);
    expect(rejoin.skipAssignment).toBe(true);
    expect(rejoin.members).toHaveLength(2);
    expect(coord.groupState('g')).toBe('Stable');
  });

  test('a static member rejoining with different protocols triggers a rebalance', async () => {
    const { coord, clock } = await harness();
    await staticGroup(coord, clock);
    const p = [{ name: 'sticky', metadata: SUB() }, { name: 'range', metadata: SUB() }];
    const j = track(coord.joinGroup(joinReq({ groupInstanceId: 'i1', clientId: 'i1', protocols: p })));
    await flush();
    // Votes: i1 now prefers sticky but i2 only has range, so range stays selected: no rebalance needed.
    expect(j.done).toBe(true);
    expect(coord.groupState('g')).toBe('Stable');
    // Once both prefer sticky, the vote changes the group's protocol: that needs a rebalance.
    const j2 = track(coord.joinGroup(joinReq({ groupInstanceId: 'i2', clientId: 'i2', protocols: p })));
    await flush();
    expect(j2.done).toBe(false);
    expect(coord.groupState('g')).toBe('PreparingRebalance');
  });

  test('static members that do not rejoin are kept through a rebalance; leave by instance id removes them', async () => {
    const { coord, clock } = await harness();
    const rs = await staticGroup(coord, clock);
    const leader = rs.find((r) => r.leader === r.memberId)!;
    const other = rs.find((r) => r !== leader)!;
    const lj = track(coord.joinGroup(joinReq({ memberId: leader.memberId, groupInstanceId: leader.memberId.split('-')[0]! })));
    for (let i = 0; i < 6; i++) {
      clock.advance(5000);
      coord.heartbeat({ groupId: 'g', memberId: other.memberId, generationId: 1, groupInstanceId: other.memberId.split('-')[0]! });
    }
    await flush();
    expect(lj.value.generationId).toBe(2);
    expect(lj.value.members).toHaveLength(2); // the static member that did not rejoin stays
    const leave = coord.leaveGroup({ groupId: 'g', members: [{ memberId: '', groupInstanceId: other.memberId.split('-')[0]! }] });
    expect(leave.members[0]!.errorCode).toBe(E.NONE);
    expect(coord.getGroup('g')!.has(other.memberId)).toBe(false);
    expect(coord.groupState('g')).toBe('PreparingRebalance');
    const unknown = coord.leaveGroup({ groupId: 'g', members: [{ memberId: '', groupInstanceId: 'zzz' }] });
    expect(unknown.members[0]!.errorCode).toBe(E.UNKNOWN_MEMBER_ID);
  });

  test('a static member rejoining during CompletingRebalance forces a new rebalance', async () => {
    const { coord, clock } = await harness();
    const joins = ['i1', 'i2'].map((id) => track(coord.joinGroup(joinReq({ groupInstanceId: id, clientId: id }))));
    clock.advance(200);
    await flush();
    expect(coord.groupState('g')).toBe('CompletingRebalance');
    const again = track(coord.joinGroup(joinReq({ groupInstanceId: 'i2', clientId: 'i2' })));
    await flush();
    expect(coord.groupState('g')).toBe('PreparingRebalance');
    await coord.joinGroup(joinReq({ memberId: joins[0]!.value.memberId, groupInstanceId: 'i1' }));
    await flush();
    expect(again.value).toMatchObject({ errorCode: E.NONE, generationId: 2 });
  });
});

describe('ownership', () => {
  test('NOT_COORDINATOR for groups whose partition is not owned; resignation answers parked requests', async () => {
    const { coord } = await harness();
    const p = coord.partitionFor('g');
    const j = track(coord.joinGroup(joinReq()));
    await flush();
    coord.onResignation(p);
    await flush();
    expect(j.value.errorCode).toBe(E.NOT_COORDINATOR);
    expect((await coord.joinGroup(joinReq())).errorCode).toBe(E.NOT_COORDINATOR);
    expect(coord.groupState('g')).toBeUndefined();
  });
});
