import { ErrorCode, KafkaError } from '../wire/errors';
import type { GroupCoordinator } from './coordinator';
import type { FakeClock } from './fake-clock';
import { encodeSubscription } from './consumer-protocol';
import { GroupOffsets } from './offsets';
import { decodeKey, decodeOffsetCommitValue } from './records';
import { flush, harness, joinReq, syncReq, track } from './testkit';
import type { CommitOffsetsParams } from './types';

const E = ErrorCode;
const DAY = 24 * 60 * 60 * 1000;

function commit(o: Partial<CommitOffsetsParams> & { offsets?: Record<string, [number, number][]> } = {}): CommitOffsetsParams {
  const offsets = o.offsets ?? { t1: [[0, 10]] };
  return {
    groupId: 'g',
    generationIdOrMemberEpoch: -1,
    memberId: '',
    groupInstanceId: null,
    retentionTimeMs: -1,
    topics: Object.entries(offsets).map(([name, ps]) => ({
      name,
      partitions: ps.map(([partitionIndex, committedOffset]) => ({
        partitionIndex,
        committedOffset,
        committedLeaderEpoch: 3,
        committedMetadata: 'meta',
      })),
    })),
    ...o,
  };
}

function codes(r: { topics: { partitions: { errorCode: number }[] }[] }): number[] {
  return r.topics.flatMap((t) => t.partitions.map((p) => p.errorCode));
}

async function oneMemberGroup(coord: GroupCoordinator, clock: FakeClock, topics = ['t1'], sessionTimeoutMs = 10_000) {
  const j = track(
    coord.joinGroup(joinReq({ sessionTimeoutMs, protocols: [{ name: 'range', metadata: encodeSubscription(topics) }] })),
  );
  clock.advance(100);
  await flush();
  const { memberId, generationId } = j.value;
  await coord.syncGroup(syncReq({ memberId, generationId }));
  return { memberId, generationId };
}

describe('commit and fetch', () => {
  test('a member commits and fetches offsets', async () => {
    const { coord, clock, log } = await harness();
    const { memberId, generationId } = await oneMemberGroup(coord, clock);
    const r = await coord.commitOffsets(commit({ memberId, generationIdOrMemberEpoch: generationId, offsets: { t1: [[0, 10], [1, 20]], t2: [[0, 5]] } }));
    expect(codes(r)).toEqual([E.NONE, E.NONE, E.NONE]);

    const f = coord.fetchOffsets({ groupId: 'g', topics: [{ name: 't1', partitionIndexes: [0, 1, 2] }], requireStable: false });
    expect(f).toEqual({
      errorCode: E.NONE,
      topics: [
        {
          name: 't1',
          partitions: [
            { partitionIndex: 0, committedOffset: 10, committedLeaderEpoch: 3, metadata: 'meta', errorCode: E.NONE },
            { partitionIndex: 1, committedOffset: 20, committedLeaderEpoch: 3, metadata: 'meta', errorCode: E.NONE },
            { partitionIndex: 2, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: E.NONE },
          ],
        },
      ],
    });
    const all = coord.fetchOffsets({ groupId: 'g', topics: null, requireStable: true });
    expect(all.topics.map((t) => [t.name, t.partitions.map((p) => p.committedOffset)])).toEqual([
      ['t1', [10, 20]],
      ['t2', [5]],
    ]);

    // The commit is in the log as OffsetCommitKey/OffsetCommitValue records.
    const recs = log.records(coord.partitionFor('g')).filter((x) => decodeKey(x.key).type === 'offset');
    expect(recs).toHaveLength(3);
    expect(decodeKey(recs[0]!.key)).toEqual({ type: 'offset', group: 'g', topic: 't1', partition: 0 });
    expect(decodeOffsetCommitValue(recs[0]!.value!)).toMatchObject({ offset: 10, leaderEpoch: 3, metadata: 'meta', expireTimestamp: null });
  });

  test('standalone commits (generation -1, no member id) create an offsets-only group', async () => {
    const { coord } = await harness();
    expect(codes(await coord.commitOffsets(commit({ groupId: 'simple' })))).toEqual([E.NONE]);
    expect(coord.groupState('simple')).toBe('Empty');
    expect(coord.listGroups().groups).toEqual([{ groupId: 'simple', protocolType: '', groupState: 'Empty', groupType: 'classic' }]);
    const f = coord.fetchOffsets({ groupId: 'simple', topics: null, requireStable: false });
    expect(f.topics[0]!.partitions[0]!.committedOffset).toBe(10);
  });

  test('commit validation: unknown group with a generation, anonymous commits to an active group, stale generations', async () => {
    const { coord, clock } = await harness();
    expect(codes(await coord.commitOffsets(commit({ groupId: 'x', generationIdOrMemberEpoch: 3, memberId: 'm' })))).toEqual([
      E.ILLEGAL_GENERATION,
    ]);
    expect(coord.groupState('x')).toBeUndefined();
    const { memberId } = await oneMemberGroup(coord, clock);
    expect(codes(await coord.commitOffsets(commit()))).toEqual([E.UNKNOWN_MEMBER_ID]);
    expect(codes(await coord.commitOffsets(commit({ memberId, generationIdOrMemberEpoch: 9 })))).toEqual([E.ILLEGAL_GENERATION]);
    expect(codes(await coord.commitOffsets(commit({ memberId: 'other', generationIdOrMemberEpoch: 1 })))).toEqual([
      E.UNKNOWN_MEMBER_ID,
    ]);
  });

  test('commits during CompletingRebalance get REBALANCE_IN_PROGRESS; during PreparingRebalance they are accepted', async () => {
    const { coord, clock } = await harness();
    const j = track(coord.joinGroup(joinReq()));
    clock.advance(100);
    await flush();
    const { memberId } = j.value;
    expect(codes(await coord.commitOffsets(commit({ memberId, generationIdOrMemberEpoch: 1 })))).toEqual([E.REBALANCE_IN_PROGRESS]);
    await coord.syncGroup(syncReq({ memberId, generationId: 1 }));
    track(coord.joinGroup(joinReq({ clientId: 'other' })));
    await flush();
    expect(coord.groupState('g')).toBe('PreparingRebalance');
    expect(codes(await coord.commitOffsets(commit({ memberId, generationIdOrMemberEpoch: 1 })))).toEqual([E.NONE]);
  });

  test('OFFSET_METADATA_TOO_LARGE applies per partition', async () => {
    const { coord } = await harness();
    const p = commit({ offsets: { t1: [[0, 1], [1, 2]] } });
    p.topics[0]!.partitions[1]!.committedMetadata = 'x'.repeat(4097);
    p.topics[0]!.partitions[0]!.committedMetadata = 'y'.repeat(4096);
    expect(codes(await coord.commitOffsets(p))).toEqual([E.NONE, E.OFFSET_METADATA_TOO_LARGE]);
    const f = coord.fetchOffsets({ groupId: 'g', topics: null, requireStable: false });
    expect(f.topics[0]!.partitions.map((x) => x.partitionIndex)).toEqual([0]);
  });

  test('the reply waits for the append; a failed append maps the error and keeps the old offset', async () => {
    const { coord, log } = await harness();
    await coord.commitOffsets(commit({ offsets: { t1: [[0, 1]] } }));
    let open!: () => void;
    log.gate = new Promise<void>((r) => (open = r));
    const pending = track(coord.commitOffsets(commit({ offsets: { t1: [[0, 2]] } })));
    await flush();
    expect(pending.done).toBe(false);
    const stable = coord.fetchOffsets({ groupId: 'g', topics: [{ name: 't1', partitionIndexes: [0] }], requireStable: true });
    expect(stable.topics[0]!.partitions[0]!.errorCode).toBe(E.UNSTABLE_OFFSET_COMMIT);
    const unstable = coord.fetchOffsets({ groupId: 'g', topics: [{ name: 't1', partitionIndexes: [0] }], requireStable: false });
    expect(unstable.topics[0]!.partitions[0]!.committedOffset).toBe(1);
    open();
    log.gate = null;
    await flush();
    expect(codes(pending.value)).toEqual([E.NONE]);
    expect(coord.fetchOffsets({ groupId: 'g', topics: null, requireStable: true }).topics[0]!.partitions[0]!.committedOffset).toBe(2);

    log.failWith = new KafkaError(E.NOT_ENOUGH_REPLICAS);
    expect(codes(await coord.commitOffsets(commit({ offsets: { t1: [[0, 3]] } })))).toEqual([E.COORDINATOR_NOT_AVAILABLE]);
    log.failWith = new KafkaError(E.MESSAGE_TOO_LARGE);
    expect(codes(await coord.commitOffsets(commit({ offsets: { t1: [[0, 3]] } })))).toEqual([E.INVALID_COMMIT_OFFSET_SIZE]);
    expect(coord.fetchOffsets({ groupId: 'g', topics: null, requireStable: true }).topics[0]!.partitions[0]!.committedOffset).toBe(2);
  });

  test('fetching an unknown group returns no offsets; status errors are reported', async () => {
    const { coord } = await harness();
    expect(coord.fetchOffsets({ groupId: 'none', topics: null, requireStable: false })).toEqual({ errorCode: E.NONE, topics: [] });
    const f = coord.fetchOffsets({ groupId: 'none', topics: [{ name: 't', partitionIndexes: [4] }], requireStable: false });
    expect(f.topics[0]!.partitions[0]).toEqual({ partitionIndex: 4, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: E.NONE });
    coord.onResignation(coord.partitionFor('none'));
    expect(coord.fetchOffsets({ groupId: 'none', topics: null, requireStable: false }).errorCode).toBe(E.NOT_COORDINATOR);
  });
});

describe('offset expiry', () => {
  test('offsets of an empty consumer group expire with tombstones for the offsets and the group', async () => {
    const { coord, clock, log } = await harness({ offsetsRetentionMinutes: 24 * 60, offsetsRetentionCheckIntervalMs: 60_000 });
    const { memberId, generationId } = await oneMemberGroup(coord, clock);
    await coord.commitOffsets(commit({ memberId, generationIdOrMemberEpoch: generationId }));
    coord.leaveGroup({ groupId: 'g', members: [{ memberId, groupInstanceId: null }] });
    await flush();
    clock.advance(DAY - 60_000);
    await flush();
    expect(coord.groupState('g')).toBe('Empty');
    clock.advance(120_000); // checks run every minute; the group emptied shortly after the clock started
    await flush();
    expect(coord.groupState('g')).toBeUndefined();
    const tombstones = log.records(coord.partitionFor('g')).filter((r) => r.value === null).map((r) => decodeKey(r.key));
    expect(tombstones).toEqual([
      { type: 'offset', group: 'g', topic: 't1', partition: 0 },
      { type: 'group', group: 'g' },
    ]);
  });

  test('an empty group keeps its offsets until the retention period since emptying passes', async () => {
    const { coord, clock } = await harness({ offsetsRetentionMinutes: 60, offsetsRetentionCheckIntervalMs: 60_000 });
    const { memberId, generationId } = await oneMemberGroup(coord, clock);
    await coord.commitOffsets(commit({ memberId, generationIdOrMemberEpoch: generationId }));
    for (let i = 0; i < 360; i++) {
      clock.advance(5000); // 30 minutes of heartbeats
      expect(coord.heartbeat({ groupId: 'g', memberId, generationId, groupInstanceId: null }).errorCode).toBe(E.NONE);
    }
    coord.leaveGroup({ groupId: 'g', members: [{ memberId, groupInstanceId: null }] });
    await flush();
    expect(coord.groupState('g')).toBe('Empty');
    clock.advance(59 * 60_000); // the commit is 89 minutes old, but the group has been empty for 59
    await flush();
    expect(coord.fetchOffsets({ groupId: 'g', topics: null, requireStable: false }).topics).toHaveLength(1);
    clock.advance(2 * 60_000);
    await flush();
    expect(coord.groupState('g')).toBeUndefined();
  });

  test('stable consumer groups only lose offsets of topics they no longer subscribe to', async () => {
    const { coord, clock } = await harness({ offsetsRetentionMinutes: 60, offsetsRetentionCheckIntervalMs: 60_000 });
    const { memberId, generationId } = await oneMemberGroup(coord, clock, ['t1'], 300_000);
    await coord.commitOffsets(commit({ memberId, generationIdOrMemberEpoch: generationId, offsets: { t1: [[0, 1]], old: [[0, 1]] } }));
    for (let i = 0; i < 70; i++) {
      clock.advance(60_000);
      expect(coord.heartbeat({ groupId: 'g', memberId, generationId, groupInstanceId: null }).errorCode).toBe(E.NONE);
    }
    expect(coord.groupState('g')).toBe('Stable');
    await flush();
    const f = coord.fetchOffsets({ groupId: 'g', topics: null, requireStable: false });
    expect(f.topics.map((t) => t.name)).toEqual(['t1']);
  });

  test('standalone offsets expire by commit time; explicit retention times are honoured', async () => {
    const { coord, clock, log } = await harness({ offsetsRetentionMinutes: 60, offsetsRetentionCheckIntervalMs: 60_000 });
    await coord.commitOffsets(commit({ groupId: 's', offsets: { a: [[0, 1]] } }));
    await coord.commitOffsets(commit({ groupId: 's', offsets: { b: [[0, 1]] }, retentionTimeMs: 10 * 60_000 }));
    const rec = log.records(coord.partitionFor('s')).at(-1)!;
    expect(rec.value!.readInt16BE(0)).toBe(1); // v1 carries the expire timestamp
    clock.advance(11 * 60_000);
    await flush();
    expect(coord.fetchOffsets({ groupId: 's', topics: null, requireStable: false }).topics.map((t) => t.name)).toEqual(['a']);
    clock.advance(30 * 60_000);
    await coord.commitOffsets(commit({ groupId: 's', offsets: { c: [[0, 1]] } }));
    clock.advance(30 * 60_000);
    await flush();
    expect(coord.fetchOffsets({ groupId: 's', topics: null, requireStable: false }).topics.map((t) => t.name)).toEqual(['c']);
    clock.advance(31 * 60_000);
    await flush();
    expect(coord.groupState('s')).toBeUndefined();
    // Generation-0 groups never had a metadata record, so only offset tombstones are written.
    expect(log.records(coord.partitionFor('s')).filter((r) => r.value === null).every((r) => decodeKey(r.key).type === 'offset')).toBe(
      true,
    );
  });
});

describe('GroupOffsets', () => {
  const v = (offset: number) => ({ offset, leaderEpoch: -1, metadata: '', commitTimestamp: 0, expireTimestamp: null });

  test('a completed commit does not overwrite a later one, nor resurrect a later deletion', () => {
    const o = new GroupOffsets();
    o.beginCommit('t', 0);
    o.beginCommit('t', 0);
    o.endCommit('t', 0, 2, v(20));
    o.endCommit('t', 0, 1, v(10));
    expect(o.get('t', 0)!.offset).toBe(20);

    o.beginCommit('t', 1);
    expect(o.remove([{ topic: 't', partition: 1 }], 5)).toEqual([{ topic: 't', partition: 1 }]);
    o.endCommit('t', 1, 4, v(1));
    expect(o.get('t', 1)).toBeUndefined();
    expect(o.hasAnyPending).toBe(false);
  });
});
