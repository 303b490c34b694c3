// Transactional offset commits (TxnOffsetCommit) in the group coordinator: staged per producer, visible only once
// the COMMIT marker lands in __consumer_offsets, dropped on ABORT, UNSTABLE_OFFSET_COMMIT for require_stable
// fetches meanwhile, fenced by a newer producer epoch, validated against the member's generation (KIP-447), and
// rebuilt from the log (records of a transaction count only with a COMMIT marker after them).

import { ErrorCode } from '../wire/errors';
import type { GroupCoordinator } from './coordinator';
import { encodeSubscription } from './consumer-protocol';
import { flush, harness, joinReq, syncReq, track } from './testkit';
import type { FakeClock } from './fake-clock';
import type { TxnCommitOffsetsParams } from './types';

const E = ErrorCode;

function txnCommit(o: Partial<TxnCommitOffsetsParams> & { offsets?: Record<string, [number, number][]> } = {}): TxnCommitOffsetsParams {
  const offsets = o.offsets ?? { t1: [[0, 10]] };
  return {
    groupId: 'g',
    producerId: 50,
    producerEpoch: 0,
    generationId: -1,
    memberId: '',
    groupInstanceId: null,
    topics: Object.entries(offsets).map(([name, ps]) => ({
      name,
      partitions: ps.map(([partitionIndex, committedOffset]) => ({ partitionIndex, committedOffset, committedLeaderEpoch: -1, committedMetadata: '' })),
    })),
    ...o,
  };
}

function fetched(coord: GroupCoordinator, requireStable = false, partitions = [0]) {
  const r = coord.fetchOffsets({ groupId: 'g', topics: [{ name: 't1', partitionIndexes: partitions }], requireStable });
  return r.topics[0]!.partitions.map((p) => (p.errorCode !== E.NONE ? p.errorCode : p.committedOffset));
}

function codes(r: { topics: { partitions: { errorCode: number }[] }[] }): number[] {
  return r.topics.flatMap((t) => t.partitions.map((p) => p.errorCode));
}

async function oneMemberGroup(coord: GroupCoordinator, clock: FakeClock) {
  const j = track(coord.joinGroup(joinReq({ protocols: [{ name: 'range', metadata: encodeSubscription(['t1']) }] })));
  clock.advance(100);
  await flush();
  const { memberId, generationId } = j.value;
  await coord.syncGroup(syncReq({ memberId, generationId }));
  return { memberId, generationId };
}

test('staged offsets become visible on COMMIT; UNSTABLE_OFFSET_COMMIT for require_stable meanwhile', async () => {
  const { coord, log } = await harness();
  await coord.commitOffsets({ groupId: 'g', generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1, topics: [{ name: 't1', partitions: [{ partitionIndex: 0, committedOffset: 3, committedLeaderEpoch: -1, committedMetadata: '' }] }] });
  expect(codes(await coord.commitTxnOffsets(txnCommit({ offsets: { t1: [[0, 10], [1, 11]] } })))).toEqual([E.NONE, E.NONE]);
  expect(fetched(coord, false, [0, 1])).toEqual([3, -1]);
  expect(fetched(coord, true, [0, 1])).toEqual([E.UNSTABLE_OFFSET_COMMIT, E.UNSTABLE_OFFSET_COMMIT]);
  // Written as part of the producer's transaction.
  const p = coord.partitionFor('g');
  expect(log.records(p).at(-1)!.producerId).toBe(50);
  log.appendMarker(p, 50, 0, true);
  coord.completeTransaction(p, 50, true);
  expect(fetched(coord, true, [0, 1])).toEqual([10, 11]);
});

test('ABORT drops them; markers of other partitions or producers do not touch them', async () => {
  const { coord } = await harness();
  await coord.commitTxnOffsets(txnCommit());
  const p = coord.partitionFor('g');
  coord.completeTransaction((p + 1) % coord.config.offsetsTopicNumPartitions, 50, true);
  coord.completeTransaction(p, 51, true);
  expect(fetched(coord, true)).toEqual([E.UNSTABLE_OFFSET_COMMIT]);
  coord.completeTransaction(p, 50, false);
  expect(fetched(coord, true)).toEqual([-1]);
  // The group existed only for these offsets: it is gone again.
  expect(coord.getGroup('g')).toBeUndefined();
});

test('an ordinary commit written after the transactional one wins when the transaction commits', async () => {
  const { coord } = await harness();
  await coord.commitTxnOffsets(txnCommit({ offsets: { t1: [[0, 10]] } }));
  await coord.commitOffsets({ groupId: 'g', generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1, topics: [{ name: 't1', partitions: [{ partitionIndex: 0, committedOffset: 99, committedLeaderEpoch: -1, committedMetadata: '' }] }] });
  coord.completeTransaction(coord.partitionFor('g'), 50, true);
  expect(fetched(coord)).toEqual([99]);
});

test('a stale producer epoch is fenced by the partition; the failed write stages nothing', async () => {
  const { coord, log } = await harness();
  log.appendMarker(coord.partitionFor('g'), 50, 3, false); // the coordinator fenced epoch 2 with an abort at 3
  expect(codes(await coord.commitTxnOffsets(txnCommit({ producerEpoch: 2 })))).toEqual([E.INVALID_PRODUCER_EPOCH]);
  expect(fetched(coord, true)).toEqual([-1]);
});

test('KIP-447 group metadata: unknown members and old generations are refused', async () => {
  const { coord, clock } = await harness();
  const { memberId, generationId } = await oneMemberGroup(coord, clock);
  expect(codes(await coord.commitTxnOffsets(txnCommit({ memberId: 'nobody', generationId })))).toEqual([E.UNKNOWN_MEMBER_ID]);
  expect(codes(await coord.commitTxnOffsets(txnCommit({ memberId, generationId: generationId + 1 })))).toEqual([E.ILLEGAL_GENERATION]);
  expect(codes(await coord.commitTxnOffsets(txnCommit({ memberId, generationId })))).toEqual([E.NONE]);
  // Without group metadata (v0-2), nothing is checked.
  expect(codes(await coord.commitTxnOffsets(txnCommit({ producerId: 60 })))).toEqual([E.NONE]);
});

test('reload: committed transactions count, aborted ones do not, undecided ones stay pending', async () => {
  const first = await harness();
  const p = first.coord.partitionFor('g');
  await first.coord.commitTxnOffsets(txnCommit({ producerId: 1, offsets: { t1: [[0, 10]] } }));
  await first.coord.commitTxnOffsets(txnCommit({ producerId: 2, offsets: { t1: [[1, 20]] } }));
  await first.coord.commitTxnOffsets(txnCommit({ producerId: 3, offsets: { t1: [[2, 30]] } }));
  first.log.appendMarker(p, 1, 0, true);
  first.log.appendMarker(p, 2, 0, false);
  first.coord.shutdown();

  const second = await harness({}, { clock: first.clock, log: first.log });
  expect(fetched(second.coord, false, [0, 1, 2])).toEqual([10, -1, -1]);
  expect(fetched(second.coord, true, [0, 1, 2])).toEqual([10, -1, E.UNSTABLE_OFFSET_COMMIT]);
  // The undecided transaction's marker arrives after the load.
  second.log.appendMarker(p, 3, 0, true);
  second.coord.completeTransaction(p, 3, true);
  expect(fetched(second.coord, true, [0, 1, 2])).toEqual([10, -1, 30]);
});

test('a group holding pending transactional offsets is not expired or dropped', async () => {
  const { coord, clock } = await harness({ offsetsRetentionMinutes: 1, offsetsRetentionCheckIntervalMs: 1000 });
  await coord.commitTxnOffsets(txnCommit());
  clock.advance(10 * 60_000);
  await flush();
  expect(coord.getGroup('g')).toBeDefined();
  coord.completeTransaction(coord.partitionFor('g'), 50, true);
  expect(fetched(coord)).toEqual([10]);
});
