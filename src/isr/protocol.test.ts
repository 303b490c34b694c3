// The replication APIs on the wire, against the in-process cluster with the broker-to-broker client as a raw
// client: follower fetches (read to the log end, progress moves the HW, diverging epoch), OffsetForLeaderEpoch as
// clients use it, leader discovery on NOT_LEADER_OR_FOLLOWER (KIP-951: current leader and its endpoint, Fetch
// v16+ and Produce v10+), consumers reading from followers (KIP-392), and AlterPartition served by the controller.

import { ClusterHarness, type ClusterOptions, waitFor } from './__tests__/cluster-harness';
import { RACK_AWARE_SELECTOR } from './replica-selector';
import { NodeClientPool } from '../net/node-client-pool';
import { AlterPartitionApi, FetchApi, OffsetForLeaderEpochApi, ProduceApi } from '../wire/generated/apis';
import type { FetchRequest } from '../wire/generated/messages/FetchRequest';
import { ZERO_UUID } from '../wire/primitives';
import { ErrorCode } from '../wire/errors';
import { buildBatch, decodeBatches } from '../wire/records/record';

let h: ClusterHarness | null = null;
let pool: NodeClientPool | null = null;
afterEach(async () => {
  pool?.close();
  await h?.stop();
  h = null;
  pool = null;
});

async function setup(opts: ClusterOptions = {}, replicas = [1, 2, 3]) {
  const c = (h = await ClusterHarness.start({ ...opts, config: { 'replica.lag.time.max.ms': 60_000, ...opts.config } }));
  await c.createTopic('p', [replicas]);
  pool = new NodeClientPool({
    clientId: 'raw',
    resolve: (id) => (c.nodes.has(id) ? { host: '127.0.0.1', port: c.node(id).listeners[0]!.boundPort } : null),
    connectTimeoutMs: 1000,
    requestTimeoutMs: 5000,
    reconnectBackoffMs: 50,
    reconnectBackoffMaxMs: 200,
  });
  return { c, pool };
}

function fetchRequest(
  topicId: string,
  replicaId: number,
  fetchOffset: number,
  opts: { lastFetchedEpoch?: number; currentLeaderEpoch?: number; rackId?: string } = {},
): FetchRequest {
  return {
    clusterId: null,
    replicaId,
    replicaState: { replicaId, replicaEpoch: -1 },
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1 << 20,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        topic: 'p',
        topicId,
        partitions: [
          {
            partition: 0,
            currentLeaderEpoch: opts.currentLeaderEpoch ?? -1,
            fetchOffset,
            lastFetchedEpoch: opts.lastFetchedEpoch ?? -1,
            logStartOffset: 0,
            partitionMaxBytes: 1 << 20,
            replicaDirectoryId: ZERO_UUID,
          },
        ],
      },
    ],
    forgottenTopicsData: [],
    rackId: opts.rackId ?? '',
  };
}

const values = (records: Buffer | Buffer[] | null) =>
  records === null ? [] : decodeBatches(Buffer.isBuffer(records) ? records : Buffer.concat(records)).flatMap((b) => b.records.map((r) => r.value!.toString()));

test('a follower fetch reads past the high watermark and its progress moves it; a diverging fetcher is told where', async () => {
  const { c, pool } = await setup();
  await c.stopBroker(2, { fence: false });
  await c.stopBroker(3, { fence: false });
  const out = c.node(1).replicas.appendToLeader('p', 0, buildBatch({ records: [{ key: null, value: 'a' }, { key: null, value: 'b' }] }), 9, 1);
  expect(out.errorCode).toBe(ErrorCode.NONE);
  const topicId = c.controllerImage.topics.get('p')!.id;

  const consumer = (await pool.request(1, FetchApi, () => fetchRequest(topicId, -1, 0))).response.responses[0]!.partitions[0]!;
  expect(consumer).toMatchObject({ errorCode: 0, highWatermark: 0 });
  expect(values(consumer.records)).toEqual([]);

  const asFollower = async (replica: number, offset: number, lastFetchedEpoch = -1) =>
    (await pool.request(1, FetchApi, () => fetchRequest(topicId, replica, offset, { lastFetchedEpoch }))).response.responses[0]!.partitions[0]!;
  const f2 = await asFollower(2, 0);
  expect(values(f2.records)).toEqual(['a', 'b']);
  expect(f2.highWatermark).toBe(0); // follower 3 has not been heard from
  expect((await asFollower(2, 2, 0)).highWatermark).toBe(0);
  expect((await asFollower(3, 2, 0)).highWatermark).toBe(2);
  // A fetcher claiming a later epoch than any here: its log cannot be ours past our epoch 0's end.
  const diverged = await asFollower(3, 2, 5);
  expect(diverged).toMatchObject({ errorCode: 0, divergingEpoch: { epoch: 0, endOffset: 2 } });
  expect(values(diverged.records)).toEqual([]);
  // Not a replica of the partition.
  expect((await asFollower(9, 0)).errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
  // The current leader epoch is checked: the leader's own passes, a newer one is unknown here.
  const current = (await pool.request(1, FetchApi, () => fetchRequest(topicId, 2, 2, { currentLeaderEpoch: 0 }))).response.responses[0]!.partitions[0]!;
  expect(current.errorCode).toBe(ErrorCode.NONE);
  const ahead = (await pool.request(1, FetchApi, () => fetchRequest(topicId, -1, 0, { currentLeaderEpoch: 7 }))).response.responses[0]!.partitions[0]!;
  expect(ahead.errorCode).toBe(ErrorCode.UNKNOWN_LEADER_EPOCH);
});

test('OffsetForLeaderEpoch answers from the leader-epoch cache, with epoch fencing, only on the leader', async () => {
  const { c, pool } = await setup();
  const out = c.node(1).replicas.appendToLeader('p', 0, buildBatch({ records: [{ key: null, value: 'a' }] }), 9, -1);
  await out.done;
  await c.stopBroker(1); // broker 2 leads epoch 1 from offset 1
  c.node(2).replicas.appendToLeader('p', 0, buildBatch({ records: [{ key: null, value: 'b' }, { key: null, value: 'c' }] }), 9, 1);
  const ask = async (broker: number, leaderEpoch: number, currentLeaderEpoch = -1, maxVersion = 4) => {
    const { response } = await pool.request(
      broker,
      OffsetForLeaderEpochApi,
      () => ({ replicaId: -1, topics: [{ topic: 'p', partitions: [{ partition: 0, currentLeaderEpoch, leaderEpoch }] }] }),
      { maxVersion },
    );
    return response.topics[0]!.partitions[0]!;
  };
  expect(await ask(2, 0)).toMatchObject({ errorCode: 0, leaderEpoch: 0, endOffset: 1 });
  expect(await ask(2, 1)).toMatchObject({ errorCode: 0, leaderEpoch: 1, endOffset: 3 });
  expect(await ask(2, 7)).toMatchObject({ errorCode: 0, leaderEpoch: 1, endOffset: 3 });
  expect(await ask(2, 0, 0)).toMatchObject({ errorCode: ErrorCode.FENCED_LEADER_EPOCH, endOffset: -1 });
  expect(await ask(2, 0, 2)).toMatchObject({ errorCode: ErrorCode.UNKNOWN_LEADER_EPOCH });
  expect(await ask(2, 0, 1)).toMatchObject({ errorCode: 0, endOffset: 1 });
  expect(await ask(3, 0)).toMatchObject({ errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER });
  expect(await ask(2, 0, -1, 0)).toMatchObject({ errorCode: 0, endOffset: 1, leaderEpoch: -1 }); // v0: no epoch field
  const unknown = await pool.request(2, OffsetForLeaderEpochApi, () => ({
    replicaId: -1,
    topics: [{ topic: 'nope', partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }] }],
  }));
  expect(unknown.response.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
});

test('NOT_LEADER_OR_FOLLOWER names the leader and its endpoint: Fetch v16+, Produce v10+ (KIP-951)', async () => {
  // Replicas on brokers 1 and 2 only: broker 3 knows the topic but hosts no replica.
  const { c, pool } = await setup({}, [1, 2]);
  const topicId = c.controllerImage.topics.get('p')!.id;
  const port1 = c.node(1).listeners[0]!.boundPort;
  const fetched = await pool.request(3, FetchApi, () => fetchRequest(topicId, -1, 0));
  expect(fetched.version).toBe(17);
  expect(fetched.response.responses[0]!.partitions[0]).toMatchObject({ errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, currentLeader: { leaderId: 1, leaderEpoch: 0 } });
  expect(fetched.response.nodeEndpoints).toEqual([{ nodeId: 1, host: '127.0.0.1', port: port1, rack: null }]);
  // A follower serves consumers only from v11 (KIP-392); before, it sends them to the leader.
  const old = await pool.request(2, FetchApi, () => fetchRequest(topicId, -1, 0), { maxVersion: 10 });
  expect(old.response.responses[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER); // no current leader before v12
  for (const broker of [2, 3]) {
    const produced = await pool.request(broker, ProduceApi, () => ({
      transactionalId: null,
      acks: -1,
      timeoutMs: 5000,
      topicData: [{ name: 'p', partitionData: [{ index: 0, records: buildBatch({ records: [{ key: null, value: 'x' }] }) }] }],
    }));
    expect(produced.version).toBe(11);
    expect(produced.response.responses[0]!.partitionResponses[0]).toMatchObject({
      errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER,
      currentLeader: { leaderId: 1, leaderEpoch: 0 },
    });
    expect(produced.response.nodeEndpoints.map((e) => e.nodeId)).toContain(1);
  }
});

test('KIP-392: the rack-aware leader points a consumer to an in-sync replica in its rack, which serves it up to its HW', async () => {
  const { c, pool } = await setup({ racks: { 1: 'a', 2: 'b', 3: 'c' }, config: { 'replica.selector.class': RACK_AWARE_SELECTOR } });
  const topicId = c.controllerImage.topics.get('p')!.id;
  const out = c.node(1).replicas.appendToLeader('p', 0, buildBatch({ records: [{ key: null, value: 'a' }, { key: null, value: 'b' }] }), 9, -1);
  await out.done;
  await waitFor('follower 2 high watermark', () => c.hosted(2, 'p').highWatermark === 2);
  const fetchFrom = async (broker: number, rackId: string) =>
    (await pool.request(broker, FetchApi, () => fetchRequest(topicId, -1, 0, { rackId }))).response.responses[0]!.partitions[0]!;
  const redirected = await fetchFrom(1, 'b');
  expect(redirected).toMatchObject({ errorCode: 0, preferredReadReplica: 2, highWatermark: 2 });
  expect(values(redirected.records)).toEqual([]);
  const fromFollower = await fetchFrom(2, 'b');
  expect(fromFollower).toMatchObject({ errorCode: 0, preferredReadReplica: -1, highWatermark: 2 });
  expect(values(fromFollower.records)).toEqual(['a', 'b']);
  // Past the follower's log end: nothing for a consumer without a leader epoch, out of range for one with it.
  const beyond = async (currentLeaderEpoch: number) =>
    (await pool.request(2, FetchApi, () => fetchRequest(topicId, -1, 10, { rackId: 'b', currentLeaderEpoch }))).response.responses[0]!.partitions[0]!;
  expect(await beyond(-1)).toMatchObject({ errorCode: 0, highWatermark: 2 });
  expect((await beyond(0)).errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
  // The leader's own rack, an unknown rack, or none: read from the leader.
  for (const rack of ['a', 'zzz', '']) {
    const here = await fetchFrom(1, rack);
    expect(here.preferredReadReplica).toBe(-1);
    expect(values(here.records)).toEqual(['a', 'b']);
  }
  // A replica out of the ISR is never preferred.
  await c.stopBroker(2);
  expect((await fetchFrom(1, 'b')).preferredReadReplica).toBe(-1);
});

test('AlterPartition over the wire reaches the controller; the change reaches every broker', async () => {
  const { c, pool } = await setup();
  const info = { ...c.partitionInfo('p') }; // a copy: the image's object changes with the commit
  const { version, response } = await pool.request(c.controllerId(), AlterPartitionApi, () => ({
    brokerId: 1,
    brokerEpoch: c.controllerImage.brokers.get(1)!.epoch,
    topics: [
      {
        topicName: 'p',
        topicId: c.controllerImage.topics.get('p')!.id,
        partitions: [
          {
            partitionIndex: 0,
            leaderEpoch: info.leaderEpoch,
            partitionEpoch: info.partitionEpoch,
            newIsr: [1, 2],
            newIsrWithEpochs: [1, 2].map((id) => ({ brokerId: id, brokerEpoch: c.controllerImage.brokers.get(id)!.epoch })),
            leaderRecoveryState: 0,
          },
        ],
      },
    ],
  }));
  expect(version).toBe(3);
  expect(response.topics[0]!.partitions[0]).toMatchObject({ errorCode: 0, isr: [1, 2], partitionEpoch: info.partitionEpoch + 1 });
  for (const id of [1, 2, 3]) {
    await c.node(id).settled();
    expect(c.node(id).image.partition('p', 0)!.isr).toEqual([1, 2]);
  }
});
