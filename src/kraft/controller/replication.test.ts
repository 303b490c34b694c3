// The controller's side of replication: AlterPartition validation (every rejection Kafka's controller gives, in
// its order) and the ISR change it writes; fencing a broker (it leaves every ISR, its partitions get leaders from
// their remaining ISR, a last ISR member is kept); electing where leaders are missing, clean unless the topic
// enables unclean election.

import { Controller, MetadataCommitter, MetadataRecordOut } from './controller';
import { MetadataImage, ResourceType, emptyDelta } from '../metadata/image';
import { decodeMetadataRecord, encodeMetadataRecord } from '../metadata/record-serde';
import { ErrorCode } from '../../wire/errors';
import type { AlterPartitionRequest } from '../../wire/generated/messages/AlterPartitionRequest';

class MemoryCommitter implements MetadataCommitter {
  constructor(private readonly image: MetadataImage) {}
  async commit(records: MetadataRecordOut[]): Promise<void> {
    const delta = emptyDelta();
    for (const r of records) {
      const { apiKey, data } = decodeMetadataRecord(encodeMetadataRecord(r.apiKey, r.version, r.data));
      this.image.apply(apiKey, data, delta);
    }
  }
}

async function setup(opts: { unclean?: boolean } = {}) {
  const image = new MetadataImage();
  const controller = new Controller(image, new MemoryCommitter(image), {
    numPartitions: 1,
    defaultReplicationFactor: 3,
    deleteTopicEnable: true,
    validateBrokerConfig: () => null,
    uncleanLeaderElectionEnable: opts.unclean ?? false,
  });
  const epochs = new Map<number, number>();
  for (const id of [1, 2, 3]) {
    epochs.set(id, await controller.registerBroker({ brokerId: id, incarnationId: 'AAAAAAAAAAAAAAAAAAAAAA', endpoints: [], rack: null, fenced: false }));
  }
  const [t] = await controller.createTopics(
    [{ name: 't', numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [1, 2, 3] }], configs: [] }],
    false,
  );
  expect(t!.errorCode).toBe(ErrorCode.NONE);
  const topicId = image.topics.get('t')!.id;
  const part = () => image.partition('t', 0)!;
  return { image, controller, epochs, topicId, part };
}

function request(
  s: Awaited<ReturnType<typeof setup>>,
  newIsr: number[],
  over: { brokerId?: number; leaderEpoch?: number; partitionEpoch?: number; byName?: string; topicId?: string; epochs?: Map<number, number> } = {},
): AlterPartitionRequest {
  const p = s.part();
  const brokerId = over.brokerId ?? p.leader;
  const epochs = over.epochs ?? s.epochs;
  return {
    brokerId,
    brokerEpoch: s.epochs.get(brokerId) ?? -1,
    topics: [
      {
        topicName: over.byName ?? '',
        topicId: over.topicId ?? s.topicId,
        partitions: [
          {
            partitionIndex: 0,
            leaderEpoch: over.leaderEpoch ?? p.leaderEpoch,
            partitionEpoch: over.partitionEpoch ?? p.partitionEpoch,
            newIsr,
            newIsrWithEpochs: newIsr.map((id) => ({ brokerId: id, brokerEpoch: epochs.get(id) ?? -1 })),
            leaderRecoveryState: 0,
          },
        ],
      },
    ],
  };
}

const code = (res: { errorCode: number; topics: { partitions: { errorCode: number }[] }[] }) => res.topics[0]?.partitions[0]?.errorCode ?? res.errorCode;

test('a valid ISR shrink and expand are written; the response carries the committed state', async () => {
  const s = await setup();
  expect(s.part()).toMatchObject({ leader: 1, isr: [1, 2, 3], leaderEpoch: 0, partitionEpoch: 0 });
  const shrunk = await s.controller.alterPartition(request(s, [1, 2]), 3);
  expect(shrunk.errorCode).toBe(ErrorCode.NONE);
  expect(shrunk.topics[0]).toMatchObject({ topicId: s.topicId, partitions: [{ errorCode: 0, leaderId: 1, leaderEpoch: 0, isr: [1, 2], partitionEpoch: 1 }] });
  // An ISR change bumps the partition epoch only: followers keep fetching in the same leader epoch.
  expect(s.part()).toMatchObject({ isr: [1, 2], leaderEpoch: 0, partitionEpoch: 1 });
  const expanded = await s.controller.alterPartition(request(s, [1, 2, 3]), 3);
  expect(expanded.topics[0]!.partitions[0]).toMatchObject({ errorCode: 0, isr: [1, 2, 3], partitionEpoch: 2 });
  // Proposing the current ISR again changes nothing and succeeds.
  const same = await s.controller.alterPartition(request(s, [1, 2, 3]), 3);
  expect(same.topics[0]!.partitions[0]).toMatchObject({ errorCode: 0, partitionEpoch: 2 });
});

test('stale or invalid proposals are rejected with Kafka error codes', async () => {
  const s = await setup();
  const v = 3;
  expect(code(await s.controller.alterPartition(request(s, [1, 2], { partitionEpoch: 1 }), v))).toBe(ErrorCode.NOT_CONTROLLER);
  expect(code(await s.controller.alterPartition(request(s, [1, 2], { leaderEpoch: 1 }), v))).toBe(ErrorCode.NOT_CONTROLLER);
  await s.controller.alterPartition(request(s, [1, 2]), v); // partition epoch 1 now
  expect(code(await s.controller.alterPartition(request(s, [1], { partitionEpoch: 0 }), v))).toBe(ErrorCode.INVALID_UPDATE_VERSION);
  expect(code(await s.controller.alterPartition(request(s, [1, 2], { brokerId: 2 }), v))).toBe(ErrorCode.INVALID_REQUEST);
  expect(code(await s.controller.alterPartition(request(s, [2, 3]), v))).toBe(ErrorCode.INVALID_REQUEST); // leader missing
  expect(code(await s.controller.alterPartition(request(s, [1, 4]), v))).toBe(ErrorCode.INVALID_REQUEST); // not a replica
  // Leader epoch moves when leadership does: the old leader's proposal is fenced.
  await s.controller.fenceBroker(1);
  expect(s.part()).toMatchObject({ leader: 2, leaderEpoch: 1 });
  expect(code(await s.controller.alterPartition(request(s, [1, 2], { brokerId: 1, leaderEpoch: 0 }), v))).toBe(ErrorCode.FENCED_LEADER_EPOCH);
  // A fenced broker may not join the ISR (KIP-841): INELIGIBLE_REPLICA from v2, OPERATION_NOT_ATTEMPTED before.
  expect(code(await s.controller.alterPartition(request(s, [2, 1]), 3))).toBe(ErrorCode.INELIGIBLE_REPLICA);
  expect(code(await s.controller.alterPartition(request(s, [2, 1], { byName: 't' }), 1))).toBe(ErrorCode.OPERATION_NOT_ATTEMPTED);
  // v3 carries broker epochs: one from an older registration is ineligible (KIP-903).
  const stale = new Map(s.epochs).set(3, 0);
  s.epochs.set(3, await s.controller.registerBroker({ brokerId: 3, incarnationId: 'BBBBBBBBBBBBBBBBBBBBBB', endpoints: [], rack: null, fenced: false }));
  expect(code(await s.controller.alterPartition(request(s, [2, 3], { epochs: stale }), 3))).toBe(ErrorCode.INELIGIBLE_REPLICA);
  expect(code(await s.controller.alterPartition(request(s, [2, 3]), 3))).toBe(ErrorCode.NONE);
});

test('requests name topics by name before v2 and by id from v2; the sender must hold its current broker epoch', async () => {
  const s = await setup();
  const byName = await s.controller.alterPartition(request(s, [1, 3], { byName: 't' }), 1);
  expect(byName.topics[0]).toMatchObject({ topicName: 't', partitions: [{ errorCode: 0, isr: [1, 3] }] });
  const unknownName = await s.controller.alterPartition(request(s, [1, 3], { byName: 'nope' }), 1);
  expect(code(unknownName)).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  const unknownId = await s.controller.alterPartition(request(s, [1, 3], { topicId: 'AAAAAAAAAAAAAAAAAAAAAQ' }), 2);
  expect(code(unknownId)).toBe(ErrorCode.UNKNOWN_TOPIC_ID);
  const req = request(s, [1, 3]);
  req.brokerEpoch = 99;
  const stale = await s.controller.alterPartition(req, 3);
  expect(stale).toMatchObject({ errorCode: ErrorCode.STALE_BROKER_EPOCH, topics: [] });
});

test('fencing moves leadership within the ISR and keeps the last ISR member; it leads again when it returns', async () => {
  const s = await setup();
  await s.controller.fenceBroker(1);
  expect(s.part()).toMatchObject({ leader: 2, isr: [2, 3], leaderEpoch: 1 });
  expect(s.image.brokers.get(1)!.fenced).toBe(true);
  await s.controller.fenceBroker(3); // a follower: leaves the ISR, no leader change
  expect(s.part()).toMatchObject({ leader: 2, isr: [2], leaderEpoch: 1 });
  await s.controller.fenceBroker(2); // the last ISR member: offline, ISR kept
  expect(s.part()).toMatchObject({ leader: -1, isr: [2], leaderEpoch: 2 });
  // Broker 1 returns: it is not in the ISR, so with unclean election disabled the partition stays offline.
  await s.controller.registerBroker({ brokerId: 1, incarnationId: 'CCCCCCCCCCCCCCCCCCCCCC', endpoints: [], rack: null, fenced: false });
  await s.controller.electLeadersWhereMissing(1);
  expect(s.part()).toMatchObject({ leader: -1, isr: [2] });
  await s.controller.registerBroker({ brokerId: 2, incarnationId: 'DDDDDDDDDDDDDDDDDDDDDD', endpoints: [], rack: null, fenced: false });
  await s.controller.electLeadersWhereMissing(2);
  expect(s.part()).toMatchObject({ leader: 2, isr: [2], leaderEpoch: 3 });
});

test('unclean election (cluster default or topic override) lets an out-of-sync replica lead with itself as ISR', async () => {
  const s = await setup({ unclean: true });
  for (const id of [1, 2, 3]) await s.controller.fenceBroker(id);
  expect(s.part()).toMatchObject({ leader: -1, isr: [3] });
  await s.controller.registerBroker({ brokerId: 1, incarnationId: 'CCCCCCCCCCCCCCCCCCCCCC', endpoints: [], rack: null, fenced: false });
  await s.controller.electLeadersWhereMissing(1);
  expect(s.part()).toMatchObject({ leader: 1, isr: [1] });

  const c = await setup();
  await c.controller.alterConfigs([{ resourceType: ResourceType.TOPIC, resourceName: 't', changes: [{ name: 'unclean.leader.election.enable', value: 'true', op: 0 }] }], false, false);
  await c.controller.fenceBroker(2);
  await c.controller.fenceBroker(3);
  await c.controller.fenceBroker(1);
  await c.controller.registerBroker({ brokerId: 3, incarnationId: 'CCCCCCCCCCCCCCCCCCCCCC', endpoints: [], rack: null, fenced: false });
  await c.controller.electLeadersWhereMissing(3);
  expect(c.part()).toMatchObject({ leader: 3, isr: [3] });
});
