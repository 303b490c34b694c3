import { ErrorCode } from '../wire/errors';
import { GroupCoordinator } from './coordinator';
import { FakeClock } from './fake-clock';
import { InMemoryCoordinatorLog } from './memory-log';
import type { CoordinatorLog, CoordinatorRecord, StoredEntry } from './persistence';
import { encodeGroupMetadataKey, encodeOffsetCommitKey, encodeOffsetCommitValue } from './records';
import { SUB, TEST_CONFIG, flush, harness, joinReq, syncReq, track } from './testkit';

const E = ErrorCode;

async function populated() {
  const h = await harness();
  const { coord, clock } = h;
  const joins = ['a', 'b'].map((c) =>
    track(coord.joinGroup(joinReq({ clientId: c, groupInstanceId: c === 'a' ? 'inst-a' : null }))),
  );
  clock.advance(200);
  await flush();
  const rs = joins.map((j) => j.value);
  const leader = rs.find((r) => r.leader === r.memberId)!;
  await coord.syncGroup(
    syncReq({
      memberId: leader.memberId,
      generationId: 1,
      groupInstanceId: leader.memberId.startsWith('inst-a') ? 'inst-a' : null,
      assignments: rs.map((r) => ({ memberId: r.memberId, assignment: Buffer.from(`asg-${r.memberId}`) })),
    }),
  );
  await coord.commitOffsets({
    groupId: 'g',
    generationIdOrMemberEpoch: 1,
    memberId: rs[1]!.memberId,
    groupInstanceId: null,
    retentionTimeMs: -1,
    topics: [{ name: 't1', partitions: [{ partitionIndex: 0, committedOffset: 42, committedLeaderEpoch: 7, committedMetadata: 'm' }] }],
  });
  await coord.commitOffsets({
    groupId: 'standalone',
    generationIdOrMemberEpoch: -1,
    memberId: '',
    groupInstanceId: null,
    retentionTimeMs: -1,
    topics: [{ name: 't2', partitions: [{ partitionIndex: 3, committedOffset: 9, committedLeaderEpoch: -1, committedMetadata: null }] }],
  });
  return { ...h, rs, leader };
}

describe('loading from __consumer_offsets', () => {
  test('a new coordinator restores groups, members, assignments and offsets from the log', async () => {
    const { clock, log, rs, leader } = await populated();
    const next = await harness({}, { clock, log });
    const c = next.coord;
    expect(c.groupState('g')).toBe('Stable');
    const g = c.getGroup('g')!;
    expect(g.generationId).toBe(1);
    expect(g.leaderId).toBe(leader.memberId);
    expect(g.protocolType).toBe('consumer');
    expect(g.protocolName).toBe('range');
    expect([...g.members.keys()].sort()).toEqual(rs.map((r) => r.memberId).sort());
    expect(g.staticMemberId('inst-a')).toBe(rs[0]!.memberId);

    // Members carry on where they were: heartbeat and SyncGroup for the stored assignment.
    const m = rs[1]!.memberId;
    expect(c.heartbeat({ groupId: 'g', memberId: m, generationId: 1, groupInstanceId: null }).errorCode).toBe(E.NONE);
    const s = await c.syncGroup(syncReq({ memberId: m, generationId: 1 }));
    expect(s).toMatchObject({ errorCode: E.NONE, assignment: Buffer.from(`asg-${m}`) });
    const d = c.describeGroups(['g'])[0]!;
    expect(d.members.find((x) => x.memberId === m)!.memberMetadata).toEqual(SUB());

    expect(c.fetchOffsets({ groupId: 'g', topics: null, requireStable: false }).topics).toEqual([
      { name: 't1', partitions: [{ partitionIndex: 0, committedOffset: 42, committedLeaderEpoch: 7, metadata: 'm', errorCode: E.NONE }] },
    ]);
    expect(c.groupState('standalone')).toBe('Empty');
    expect(c.fetchOffsets({ groupId: 'standalone', topics: null, requireStable: false }).topics[0]!.partitions[0]!.committedOffset).toBe(9);
  });

  test('restored members must keep heartbeating: their sessions restart at load time', async () => {
    const { clock, log, rs } = await populated();
    const { coord } = await harness({}, { clock, log });
    clock.advance(5000);
    expect(coord.heartbeat({ groupId: 'g', memberId: rs[1]!.memberId, generationId: 1, groupInstanceId: null }).errorCode).toBe(E.NONE);
    clock.advance(5000);
    expect(coord.groupState('g')).toBe('PreparingRebalance');
    expect([...coord.getGroup('g')!.members.keys()]).toEqual([rs[1]!.memberId]);
  });

  test('tombstones delete: deleted offsets and deleted groups do not come back', async () => {
    const { coord, clock, log } = await populated();
    expect((await coord.deleteGroups(['standalone']))[0]!.errorCode).toBe(E.NONE);
    await coord.commitOffsets({
      groupId: 'other',
      generationIdOrMemberEpoch: -1,
      memberId: '',
      groupInstanceId: null,
      retentionTimeMs: -1,
      topics: [{ name: 'x', partitions: [0, 1].map((i) => ({ partitionIndex: i, committedOffset: i, committedLeaderEpoch: -1, committedMetadata: '' })) }],
    });
    const del = await coord.deleteOffsets({ groupId: 'other', topics: [{ name: 'x', partitionIndexes: [0] }] });
    expect(del.topics[0]!.partitions[0]!.errorCode).toBe(E.NONE);

    const { coord: c } = await harness({}, { clock, log });
    expect(c.groupState('standalone')).toBeUndefined();
    expect(c.fetchOffsets({ groupId: 'other', topics: null, requireStable: false }).topics).toEqual([
      { name: 'x', partitions: [{ partitionIndex: 1, committedOffset: 1, committedLeaderEpoch: -1, metadata: '', errorCode: E.NONE }] },
    ]);
  });

  test('latest record wins, unknown record types are skipped, flexible v4 values load', async () => {
    const log = new InMemoryCoordinatorLog();
    const clock = new FakeClock();
    const p = new GroupCoordinator({ log, clock, config: TEST_CONFIG }).partitionFor('g');
    const off = (offset: number) => encodeOffsetCommitValue({ offset, leaderEpoch: -1, metadata: '', commitTimestamp: clock.now(), expireTimestamp: null });
    // A v4 (flexible) OffsetCommitValue written by a newer broker: offset 77, epoch 2, metadata "v4".
    const v4 = Buffer.concat([
      Buffer.from([0, 4]),
      Buffer.from([0, 0, 0, 0, 0, 0, 0, 77]),
      Buffer.from([0, 0, 0, 2]),
      Buffer.from([3]),
      Buffer.from('v4'),
      Buffer.from([0, 0, 0, 0, 0, 0, 0, 1]),
      Buffer.from([0]),
    ]);
    const unknownKey = Buffer.from([0, 3, 0, 1, 0x67]);
    await log.append(p, [
      { key: encodeOffsetCommitKey('g', 't', 0), value: off(1) },
      { key: encodeOffsetCommitKey('g', 't', 0), value: off(2) },
      { key: unknownKey, value: Buffer.from([0, 0, 1, 2, 3]) },
      { key: encodeOffsetCommitKey('g', 't', 1), value: v4 },
      { key: encodeGroupMetadataKey('gone'), value: null },
    ]);
    const { coord } = await harness({}, { clock, log });
    const f = coord.fetchOffsets({ groupId: 'g', topics: null, requireStable: false });
    expect(f.topics[0]!.partitions.map((x) => [x.partitionIndex, x.committedOffset, x.committedLeaderEpoch, x.metadata])).toEqual([
      [0, 2, -1, ''],
      [1, 77, 2, 'v4'],
    ]);
  });

  test('COORDINATOR_LOAD_IN_PROGRESS while a partition loads; heartbeats pass and SyncGroup asks for a rejoin', async () => {
    const inner = new InMemoryCoordinatorLog();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow: CoordinatorLog = {
      append: (p: number, r: CoordinatorRecord[]) => inner.append(p, r),
      async *read(p: number): AsyncIterable<StoredEntry> {
        await gate;
        yield* inner.read(p);
      },
    };
    const clock = new FakeClock();
    const coord = new GroupCoordinator({ log: slow, clock, config: TEST_CONFIG });
    coord.startup();
    const p = coord.partitionFor('g');
    const loading = coord.onElection(p);
    expect(coord.isLoading(p)).toBe(true);
    expect((await coord.joinGroup(joinReq())).errorCode).toBe(E.COORDINATOR_LOAD_IN_PROGRESS);
    expect(coord.fetchOffsets({ groupId: 'g', topics: null, requireStable: false }).errorCode).toBe(E.COORDINATOR_LOAD_IN_PROGRESS);
    expect(coord.heartbeat({ groupId: 'g', memberId: 'm', generationId: 1, groupInstanceId: null }).errorCode).toBe(E.NONE);
    expect((await coord.syncGroup(syncReq({ memberId: 'm', generationId: 1 }))).errorCode).toBe(E.REBALANCE_IN_PROGRESS);
    expect(coord.listGroups().errorCode).toBe(E.COORDINATOR_LOAD_IN_PROGRESS);
    release();
    await loading;
    expect(coord.ownsPartition(p)).toBe(true);
    const j = track(coord.joinGroup(joinReq()));
    await flush();
    expect(j.done).toBe(false);
    expect(coord.groupState('g')).toBe('PreparingRebalance');
  });

  test('resigning during a load abandons it', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const inner = new InMemoryCoordinatorLog();
    await inner.append(0, [{ key: encodeOffsetCommitKey('x', 't', 0), value: encodeOffsetCommitValue({ offset: 1, leaderEpoch: -1, metadata: '', commitTimestamp: 0, expireTimestamp: null }) }]);
    const slow: CoordinatorLog = {
      append: (p, r) => inner.append(p, r),
      async *read(p) {
        await gate;
        yield* inner.read(p);
      },
    };
    const coord = new GroupCoordinator({ log: slow, clock: new FakeClock(), config: { offsetsTopicNumPartitions: 1 } });
    coord.startup();
    const loading = coord.onElection(0);
    coord.onResignation(0);
    release();
    await loading;
    expect(coord.ownsPartition(0)).toBe(false);
    expect(coord.groupState('x')).toBeUndefined();
  });
});
