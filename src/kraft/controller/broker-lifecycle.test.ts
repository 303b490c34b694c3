// Broker registration, heartbeats, fencing and elections on the controller, with a fake clock and a metadata log
// that commits at once (offsets counted as the Raft log would count them).

import { ErrorCode } from '../../wire/errors';
import { MetadataImage, emptyDelta } from '../metadata/image';
import { decodeMetadataRecord, encodeMetadataRecord } from '../metadata/record-serde';
import { Controller, type MetadataCommitter, type MetadataRecordOut } from './controller';
import { BrokerLifecycle } from './broker-lifecycle';
import { ElectionType } from './elect-leaders';

class OffsetCommitter implements MetadataCommitter {
  next = 0;
  readonly written: MetadataRecordOut[] = [];
  constructor(private readonly image: MetadataImage) {}
  nextWriteOffset(): number {
    return this.next;
  }
  async commit(records: MetadataRecordOut[]): Promise<void> {
    const delta = emptyDelta();
    for (const r of records) {
      this.written.push(r);
      const { apiKey, data } = decodeMetadataRecord(encodeMetadataRecord(r.apiKey, r.version, r.data));
      this.image.apply(apiKey, data, delta);
      this.image.lastAppliedOffset = this.next++;
    }
  }
}

function setup(opts: { unclean?: boolean } = {}) {
  const image = new MetadataImage();
  const log = new OffsetCommitter(image);
  log.next = 100; // some history before
  const controller = new Controller(image, log, {
    numPartitions: 1,
    defaultReplicationFactor: 1,
    deleteTopicEnable: true,
    validateBrokerConfig: () => null,
    uncleanLeaderElectionEnable: opts.unclean ?? false,
  });
  const clock = { now: 1_000_000 };
  const state = { active: true };
  const lifecycle = new BrokerLifecycle(controller, image, {
    clusterId: 'cluster-a',
    sessionTimeoutMs: 9000,
    uncleanLeaderElectionEnable: opts.unclean ?? false,
    isActive: () => state.active,
    now: () => clock.now,
  });
  const register = (brokerId: number, incarnationId = Buffer.alloc(16, brokerId).toString('base64url')) =>
    lifecycle.register({
      brokerId,
      clusterId: 'cluster-a',
      incarnationId,
      listeners: [{ name: 'PLAINTEXT', host: `b${brokerId}`, port: 9092, securityProtocol: 0 }],
      rack: null,
    });
  const heartbeat = (brokerId: number, extra: Partial<{ currentMetadataOffset: number; wantFence: boolean; wantShutDown: boolean; brokerEpoch: number }> = {}) =>
    lifecycle.heartbeat({
      brokerId,
      brokerEpoch: extra.brokerEpoch ?? image.brokers.get(brokerId)?.epoch ?? -1,
      currentMetadataOffset: extra.currentMetadataOffset ?? image.lastAppliedOffset,
      wantFence: extra.wantFence ?? false,
      wantShutDown: extra.wantShutDown ?? false,
    });
  /** Registers and unfences brokers. */
  const live = async (...ids: number[]) => {
    for (const id of ids) {
      await register(id);
      await heartbeat(id);
    }
  };
  const topic = async (name: string, replicas: number[][]) => {
    const [r] = await controller.createTopics(
      [{ name, numPartitions: -1, replicationFactor: -1, assignments: replicas.map((brokerIds, partitionIndex) => ({ partitionIndex, brokerIds })), configs: [] }],
      false,
    );
    expect(r!.errorCode).toBe(0);
  };
  return { image, log, controller, lifecycle, clock, state, register, heartbeat, live, topic };
}

test('a registered broker is fenced until it has replayed its own registration, then unfenced', async () => {
  const { image, log, register, heartbeat } = setup();
  const reg = await register(1);
  // The broker epoch is the offset of the RegisterBrokerRecord.
  expect(reg).toEqual({ errorCode: 0, brokerEpoch: 100 });
  expect(image.brokers.get(1)).toMatchObject({ epoch: 100, fenced: true, endpoints: [{ name: 'PLAINTEXT', host: 'b1', port: 9092, securityProtocol: 0 }] });

  expect(await heartbeat(1, { currentMetadataOffset: 99 })).toEqual({ errorCode: 0, isCaughtUp: false, isFenced: true, shouldShutDown: false });
  expect(image.brokers.get(1)!.fenced).toBe(true);
  expect(await heartbeat(1, { currentMetadataOffset: 100 })).toEqual({ errorCode: 0, isCaughtUp: true, isFenced: false, shouldShutDown: false });
  expect(image.brokers.get(1)!.fenced).toBe(false);
  expect(log.written.at(-1)).toMatchObject({ apiKey: 8, data: { id: 1, epoch: 100 } }); // UnfenceBrokerRecord
  // A second heartbeat writes nothing.
  const n = log.written.length;
  expect((await heartbeat(1)).isFenced).toBe(false);
  expect(log.written).toHaveLength(n);
});

test('refusals: not the controller, another cluster, a live duplicate, unknown brokers and stale epochs', async () => {
  const { lifecycle, state, clock, register, heartbeat, live } = setup();
  state.active = false;
  expect((await register(1)).errorCode).toBe(ErrorCode.NOT_CONTROLLER);
  expect((await heartbeat(1)).errorCode).toBe(ErrorCode.NOT_CONTROLLER);
  state.active = true;
  expect((await lifecycle.register({ brokerId: 1, clusterId: 'other', incarnationId: 'x', listeners: [], rack: null })).errorCode).toBe(
    ErrorCode.INCONSISTENT_CLUSTER_ID,
  );
  expect((await heartbeat(7, { brokerEpoch: 5 })).errorCode).toBe(ErrorCode.BROKER_ID_NOT_REGISTERED);
  await live(1);
  expect((await register(1, 'AAAAAAAAAAAAAAAAAAAAAw')).errorCode).toBe(ErrorCode.DUPLICATE_BROKER_REGISTRATION);
  expect((await heartbeat(1, { brokerEpoch: 3 })).errorCode).toBe(ErrorCode.STALE_BROKER_EPOCH);
  // Once the old process's session has expired, a new one may take the id.
  clock.now += 10_000;
  const again = await register(1, 'AAAAAAAAAAAAAAAAAAAAAw');
  expect(again.errorCode).toBe(0);
  expect(again.brokerEpoch).toBeGreaterThan(100);
});

test('a broker whose heartbeats stop is fenced, leaves the ISRs, and its leaderships move', async () => {
  const { image, clock, heartbeat, live, topic, lifecycle } = setup();
  await live(1, 2, 3);
  await topic('orders', [[1, 2, 3], [2, 1, 3]]);
  await topic('solo', [[1]]);
  const before = image.partition('orders', 0)!;
  expect([before.leader, before.leaderEpoch, before.isr]).toEqual([1, 0, [1, 2, 3]]);

  clock.now += 5_000;
  await heartbeat(2);
  await heartbeat(3);
  expect(await lifecycle.expireSessions()).toEqual([]);
  clock.now += 5_000; // broker 1: 10 s without a heartbeat; 2 and 3: 5 s
  expect(await lifecycle.expireSessions()).toEqual([1]);
  expect(image.brokers.get(1)!.fenced).toBe(true);
  const p0 = image.partition('orders', 0)!;
  expect([p0.leader, p0.leaderEpoch, p0.isr]).toEqual([2, 1, [2, 3]]);
  const p1 = image.partition('orders', 1)!;
  expect([p1.leader, p1.leaderEpoch, p1.isr]).toEqual([2, 0, [2, 3]]);
  // Its only replica gone: offline (leader -1), and the ISR keeps the last member so only it may lead again.
  const p2 = image.partition('solo', 0)!;
  expect([p2.leader, p2.leaderEpoch, p2.isr]).toEqual([-1, 1, [1]]);

  // It comes back (new process): registered fenced, caught up, unfenced, and leads its offline partition again.
  await live(1);
  const back = image.partition('solo', 0)!;
  expect([back.leader, back.leaderEpoch]).toEqual([1, 2]);
  expect(image.partition('orders', 0)!.leader).toBe(2); // no automatic move back: that is a preferred election
});

test('with unclean election enabled a partition whose ISR is gone is led by another replica', async () => {
  const { image, clock, heartbeat, live, topic, lifecycle } = setup({ unclean: true });
  await live(1, 2);
  await topic('t', [[1, 2]]);
  // Broker 2 dropped out of the ISR earlier (AlterPartition); then broker 1 dies.
  await lifecycle['controller'].write(() => ({
    records: [{ apiKey: 5, version: 0, data: { partitionId: 0, topicId: image.topics.get('t')!.id, leader: -2, isr: [1], replicas: null, removingReplicas: null, addingReplicas: null } }],
    result: null,
  }));
  clock.now += 6_000;
  await heartbeat(2);
  clock.now += 6_000;
  await lifecycle.expireSessions();
  const p = image.partition('t', 0)!;
  expect([p.leader, p.isr]).toEqual([2, [2]]);
});

test('controlled shutdown moves leaderships at once, fences the broker and lets it stop', async () => {
  const { image, heartbeat, live, topic } = setup();
  await live(1, 2);
  await topic('t', [[1, 2], [2, 1]]);
  const r = await heartbeat(1, { wantShutDown: true });
  expect(r).toEqual({ errorCode: 0, isCaughtUp: true, isFenced: true, shouldShutDown: true });
  expect(image.brokers.get(1)).toMatchObject({ fenced: true, inControlledShutdown: true });
  expect(image.partition('t', 0)!.leader).toBe(2);
  expect(image.partition('t', 0)!.isr).toEqual([2]);
  expect(image.partition('t', 1)!.isr).toEqual([2]);
  // While shutting down it is not unfenced even though caught up.
  expect((await heartbeat(1)).isFenced).toBe(true);
});

test('UnregisterBroker removes the registration; unknown ids are refused', async () => {
  const { image, live, topic, lifecycle } = setup();
  await live(1, 2);
  await topic('t', [[2, 1]]);
  expect(await lifecycle.unregister(2)).toEqual({ errorCode: 0, errorMessage: null });
  expect(image.brokers.has(2)).toBe(false);
  expect(image.partition('t', 0)!.leader).toBe(1);
  expect((await lifecycle.unregister(2)).errorCode).toBe(ErrorCode.BROKER_ID_NOT_REGISTERED);
});

test('a newly active controller gives every broker a full session', async () => {
  const { clock, live, lifecycle, image } = setup();
  await live(1);
  clock.now += 60_000; // the previous controller's gap
  lifecycle.onActivated();
  expect(await lifecycle.expireSessions()).toEqual([]);
  clock.now += 9_500;
  expect(await lifecycle.expireSessions()).toEqual([1]);
  expect(image.brokers.get(1)!.fenced).toBe(true);
});

test('ElectLeaders: preferred elections move leadership back; unclean ones revive offline partitions', async () => {
  const { image, controller, clock, heartbeat, live, topic, lifecycle } = setup();
  await live(1, 2, 3);
  await topic('t', [[1, 2]]);
  await topic('u', [[3]]);
  clock.now += 6_000;
  await heartbeat(2);
  await heartbeat(3);
  clock.now += 6_000;
  await lifecycle.expireSessions(); // broker 1 fenced: t-0 led by 2
  expect(image.partition('t', 0)!.leader).toBe(2);

  let res = await controller.electLeaders({
    electionType: ElectionType.PREFERRED,
    topicPartitions: [{ topic: 't', partitions: [0, 9] }, { topic: 'u', partitions: [0] }],
  });
  expect(res.map((t) => [t.topic, t.partitions.map((p) => [p.partitionId, p.errorCode])])).toEqual([
    ['t', [[0, ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE], [9, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]],
    ['u', [[0, ErrorCode.ELECTION_NOT_NEEDED]]],
  ]);
  await live(1); // back, but out of the ISR until it catches up (the leader's AlterPartition) ...
  await controller.write(() => ({
    records: [{ apiKey: 5, version: 0, data: { partitionId: 0, topicId: image.topics.get('t')!.id, leader: -2, isr: [2, 1], replicas: null, removingReplicas: null, addingReplicas: null } }],
    result: null,
  }));
  res = await controller.electLeaders({ electionType: ElectionType.PREFERRED, topicPartitions: null });
  expect(res).toEqual([
    { topic: 't', partitions: [{ partitionId: 0, errorCode: 0, errorMessage: null }] },
    { topic: 'u', partitions: [] },
  ]);
  expect(image.partition('t', 0)!.leader).toBe(1);

  // u-0 lives on broker 3 only; it goes away: no replica is available, even for an unclean election.
  clock.now += 6_000;
  await heartbeat(1);
  await heartbeat(2);
  clock.now += 6_000;
  await lifecycle.expireSessions();
  expect(image.partition('u', 0)!.leader).toBe(-1);
  res = await controller.electLeaders({ electionType: ElectionType.UNCLEAN, topicPartitions: [{ topic: 't', partitions: [0] }, { topic: 'u', partitions: [0] }] });
  expect(res.map((t) => t.partitions[0]!.errorCode)).toEqual([ErrorCode.ELECTION_NOT_NEEDED, ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE]);
});
