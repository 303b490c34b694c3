import { ErrorCode } from '../wire/errors';
import { encodeSubscription } from './consumer-protocol';
import { FakeClock } from './fake-clock';
import { decodeKey } from './records';
import { flush, harness, joinReq, syncReq, track } from './testkit';
import type { CommitOffsetsParams } from './types';

const E = ErrorCode;

function commit(groupId: string, topics: Record<string, number[]>, extra: Partial<CommitOffsetsParams> = {}): CommitOffsetsParams {
  return {
    groupId,
    generationIdOrMemberEpoch: -1,
    memberId: '',
    groupInstanceId: null,
    retentionTimeMs: -1,
    topics: Object.entries(topics).map(([name, ps]) => ({
      name,
      partitions: ps.map((partitionIndex) => ({ partitionIndex, committedOffset: 5, committedLeaderEpoch: -1, committedMetadata: '' })),
    })),
    ...extra,
  };
}

async function activeGroup(groupId = 'g', topics = ['t1'], protocolType = 'consumer') {
  const h = await harness();
  const j = track(
    h.coord.joinGroup(joinReq({ groupId, protocolType, protocols: [{ name: 'range', metadata: encodeSubscription(topics) }] })),
  );
  h.clock.advance(100);
  await flush();
  const { memberId } = j.value;
  await h.coord.syncGroup(
    syncReq({ groupId, memberId, generationId: 1, protocolType, assignments: [{ memberId, assignment: Buffer.from('A') }] }),
  );
  return { ...h, memberId };
}

describe('describe and list', () => {
  test('describes a stable group with metadata and assignments, others without, unknown as Dead', async () => {
    const { coord, memberId } = await activeGroup();
    const [d] = coord.describeGroups(['g']);
    expect(d).toEqual({
      errorCode: E.NONE,
      groupId: 'g',
      groupState: 'Stable',
      protocolType: 'consumer',
      protocolData: 'range',
      members: [
        {
          memberId,
          groupInstanceId: null,
          clientId: 'c',
          clientHost: '/127.0.0.1',
          memberMetadata: encodeSubscription(['t1']),
          memberAssignment: Buffer.from('A'),
        },
      ],
    });
    track(coord.joinGroup(joinReq({ clientId: 'other' })));
    await flush();
    const [p] = coord.describeGroups(['g']);
    expect(p!.groupState).toBe('PreparingRebalance');
    expect(p!.protocolData).toBe('');
    expect(p!.members.every((m) => m.memberMetadata.length === 0 && m.memberAssignment.length === 0)).toBe(true);
    expect(coord.describeGroups(['nope'])[0]).toMatchObject({ errorCode: E.NONE, groupState: 'Dead', members: [] });
  });

  test('lists groups with state and type filters (case-insensitive)', async () => {
    const { coord } = await activeGroup();
    await coord.commitOffsets(commit('simple', { t: [0] }));
    const ids = (states: string[] = [], types: string[] = []) =>
      coord
        .listGroups(states, types)
        .groups.map((g) => `${g.groupId}:${g.groupState}:${g.protocolType}:${g.groupType}`)
        .sort();
    expect(ids()).toEqual(['g:Stable:consumer:classic', 'simple:Empty::classic']);
    expect(ids(['stable'])).toEqual(['g:Stable:consumer:classic']);
    expect(ids(['Empty', 'Dead'])).toEqual(['simple:Empty::classic']);
    expect(ids([], ['Classic'])).toHaveLength(2);
    expect(ids([], ['consumer'])).toEqual([]);
    expect(coord.listGroups().errorCode).toBe(E.NONE);
  });
});

describe('delete groups', () => {
  test('NON_EMPTY_GROUP, GROUP_ID_NOT_FOUND, and deletion of an empty group with its offsets', async () => {
    const { coord, log, memberId } = await activeGroup();
    await coord.commitOffsets(commit('g', { t1: [0, 1] }, { memberId, generationIdOrMemberEpoch: 1 }));
    expect(await coord.deleteGroups(['g', 'missing'])).toEqual([
      { groupId: 'g', errorCode: E.NON_EMPTY_GROUP },
      { groupId: 'missing', errorCode: E.GROUP_ID_NOT_FOUND },
    ]);
    coord.leaveGroup({ groupId: 'g', members: [{ memberId, groupInstanceId: null }] });
    await flush();
    expect(coord.groupState('g')).toBe('Empty');
    expect(await coord.deleteGroups(['g'])).toEqual([{ groupId: 'g', errorCode: E.NONE }]);
    expect(coord.groupState('g')).toBeUndefined();
    expect(coord.fetchOffsets({ groupId: 'g', topics: null, requireStable: false }).topics).toEqual([]);
    const tombstones = log.records(coord.partitionFor('g')).filter((r) => r.value === null).map((r) => decodeKey(r.key));
    expect(tombstones).toEqual([
      { type: 'offset', group: 'g', topic: 't1', partition: 0 },
      { type: 'offset', group: 'g', topic: 't1', partition: 1 },
      { type: 'group', group: 'g' },
    ]);
    expect(await coord.deleteGroups(['g'])).toEqual([{ groupId: 'g', errorCode: E.GROUP_ID_NOT_FOUND }]);
  });

  test('deleting a group while a commit is in flight tombstones that partition too', async () => {
    const { coord, log } = await harness();
    await coord.commitOffsets(commit('s', { t: [0] }));
    let open!: () => void;
    log.gate = new Promise<void>((r) => (open = r));
    const pending = track(coord.commitOffsets(commit('s', { t: [1] })));
    const del = track(coord.deleteGroups(['s']));
    open();
    log.gate = null;
    await flush();
    expect(pending.value.topics[0]!.partitions[0]!.errorCode).toBe(E.NONE);
    expect(del.value).toEqual([{ groupId: 's', errorCode: E.NONE }]);
    expect(coord.groupState('s')).toBeUndefined();
    const reloaded = await harness({}, { clock: new FakeClock(), log });
    expect(reloaded.coord.groupState('s')).toBeUndefined();
  });
});

describe('delete offsets', () => {
  test('GROUP_SUBSCRIBED_TO_TOPIC for topics an active consumer group reads; others are deleted', async () => {
    const { coord, memberId } = await activeGroup('g', ['t1']);
    await coord.commitOffsets(commit('g', { t1: [0], t2: [0, 1] }, { memberId, generationIdOrMemberEpoch: 1 }));
    const r = await coord.deleteOffsets({
      groupId: 'g',
      topics: [
        { name: 't1', partitionIndexes: [0] },
        { name: 't2', partitionIndexes: [0] },
      ],
    });
    expect(r).toEqual({
      errorCode: E.NONE,
      topics: [
        { name: 't1', partitions: [{ partitionIndex: 0, errorCode: E.GROUP_SUBSCRIBED_TO_TOPIC }] },
        { name: 't2', partitions: [{ partitionIndex: 0, errorCode: E.NONE }] },
      ],
    });
    const left = coord.fetchOffsets({ groupId: 'g', topics: null, requireStable: false });
    expect(left.topics.map((t) => [t.name, t.partitions.map((p) => p.partitionIndex)])).toEqual([
      ['t1', [0]],
      ['t2', [1]],
    ]);
  });

  test('empty groups lose any offsets (and the group when none remain); unknown groups and non-consumer groups', async () => {
    const { coord } = await harness();
    await coord.commitOffsets(commit('s', { t: [0] }));
    const r = await coord.deleteOffsets({ groupId: 's', topics: [{ name: 't', partitionIndexes: [0] }] });
    expect(r.topics[0]!.partitions[0]!.errorCode).toBe(E.NONE);
    expect(coord.groupState('s')).toBeUndefined();
    expect((await coord.deleteOffsets({ groupId: 's', topics: [] })).errorCode).toBe(E.GROUP_ID_NOT_FOUND);
    expect((await coord.deleteOffsets({ groupId: '', topics: [] })).errorCode).toBe(E.INVALID_GROUP_ID);

    const other = await activeGroup('connect-group', ['x'], 'connect');
    const n = await other.coord.deleteOffsets({ groupId: 'connect-group', topics: [{ name: 'x', partitionIndexes: [0] }] });
    expect(n.errorCode).toBe(E.NON_EMPTY_GROUP);
  });
});
