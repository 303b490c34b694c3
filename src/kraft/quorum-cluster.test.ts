// Three voters over real TCP on loopback, each with the real driver, disk log and quorum-state file in a temp
// directory: elections, replication of controller writes, failover, restarts, snapshot installation, forwarding of
// controller operations, and the broker lifecycle end to end with an observer broker.

import * as fs from 'fs';
import * as path from 'path';
import { cleanupTmp } from '../log/__tests__/helpers';
import { NodeClientPool } from '../net/node-client-pool';
import { PoolControllerChannel } from '../net/controller-channel';
import { DescribeQuorumApi } from '../wire/generated/apis';
import { imageRecords } from './metadata/image-snapshot';
import { METADATA_TOPIC } from './raft/entry-batches';
import { BrokerLifecycleClient } from './broker-lifecycle-client';
import { TestCluster, type TestNode, waitFor } from './__tests__/cluster-harness';

jest.setTimeout(60_000);
afterAll(() => cleanupTmp());

const topic = (name: string, numPartitions = 1) => ({ name, numPartitions, replicationFactor: -1, assignments: [], configs: [] });
const topicsOf = (n: TestNode) => [...n.image.topics.keys()].sort();

async function createTopic(via: TestNode, name: string): Promise<void> {
  // Through the node's channel: run locally on the active controller, forwarded over the wire elsewhere.
  const [r] = await via.kraft.channel.createTopics([topic(name)], false);
  expect(r).toMatchObject({ name, errorCode: 0 });
}

describe('a three-voter quorum', () => {
  let cluster: TestCluster;
  afterEach(async () => {
    await cluster?.stop();
  });

  test('elects one leader, replicates controller writes (forwarded from followers), survives failover and restarts', async () => {
    cluster = await TestCluster.start(3);
    const leader = await cluster.waitForActive();
    const followers = [...cluster.nodes.values()].filter((n) => n !== leader);
    expect(followers.every((f) => f.kraft.driver.role === 'follower' && f.kraft.driver.leaderId === leader.id)).toBe(true);
    // Brokers need a live broker to place replicas on: register one through the leader (it stays unfenced).
    await leader.kraft.controller!.registerBroker({ brokerId: 100, incarnationId: 'AAAAAAAAAAAAAAAAAAAAAg', endpoints: [], rack: null, fenced: false });

    await createTopic(leader, 'from-leader');
    await createTopic(followers[0]!, 'forwarded'); // a follower forwards CreateTopics to the leader's listener
    await waitFor(() => [...cluster.nodes.values()].every((n) => topicsOf(n).join() === 'forwarded,from-leader'), 5000, 'replication to all');
    expect(new Set([...cluster.nodes.values()].map((n) => n.image.topics.get('forwarded')!.id)).size).toBe(1);

    // DescribeQuorum from a follower's listener is answered with the leader's view; here asked of the leader.
    const pool = new NodeClientPool({ clientId: 't', resolve: (id) => cluster.voters.get(id) ?? null, connectTimeoutMs: 1000, requestTimeoutMs: 2000, reconnectBackoffMs: 10, reconnectBackoffMaxMs: 100 });
    const { response } = await pool.request(leader.id, DescribeQuorumApi, () => ({ topics: [{ topicName: METADATA_TOPIC, partitions: [{ partitionIndex: 0 }] }] }));
    const p = response.topics[0]!.partitions[0]!;
    expect([p.errorCode, p.leaderId, p.currentVoters.map((v) => v.replicaId).sort()]).toEqual([0, leader.id, [1, 2, 3]]);
    expect(p.highWatermark).toBeGreaterThan(3);
    pool.close();

    // The leader goes away: another is elected within a few seconds and takes writes.
    const oldEpoch = leader.kraft.driver.epoch;
    const stoppedAt = Date.now();
    await cluster.stopNode(leader.id);
    const next = await cluster.waitForActive(5000);
    expect(Date.now() - stoppedAt).toBeLessThan(5000);
    expect(next.id).not.toBe(leader.id);
    expect(next.kraft.driver.epoch).toBeGreaterThan(oldEpoch);
    await createTopic(next, 'after-failover');

    // The old leader's quorum-state file kept its epoch; restarted, it rejoins as a follower and catches up.
    const state = JSON.parse(fs.readFileSync(path.join(leader.spec.dir, `${METADATA_TOPIC}-0`, 'quorum-state'), 'utf8'));
    expect(state.leaderEpoch).toBe(oldEpoch);
    const back = await cluster.startNode(leader.id);
    expect(back.kraft.driver.epoch).toBeGreaterThanOrEqual(oldEpoch);
    await back.kraft.metadataLog.whenCaughtUp();
    await waitFor(() => topicsOf(back).join() === 'after-failover,forwarded,from-leader', 5000, 'the restarted node to catch up');
    expect(back.kraft.driver.role).toBe('follower');
    expect(back.kraft.driver.leaderId).toBe(next.id);
  });

  test('every controller operation is forwarded from a follower to the active controller and answered', async () => {
    cluster = await TestCluster.start(3);
    const leader = await cluster.waitForActive();
    const follower = [...cluster.nodes.values()].find((n) => n !== leader)!;
    const ch = follower.kraft.channel;
    for (const id of [100, 101]) {
      await leader.kraft.controller!.registerBroker({ brokerId: id, incarnationId: 'AAAAAAAAAAAAAAAAAAAAAg', endpoints: [], rack: null, fenced: false });
    }
    await waitFor(() => follower.image.brokers.size === 2, 3000, 'the brokers on the follower');

    const [created] = await ch.createTopics([{ name: 'x', numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [101, 100] }], configs: [] }], false);
    expect(created!.errorCode).toBe(0);
    const [dup] = await ch.createTopics([topic('x')], false);
    expect(dup!.errorCode).toBe(36); // TOPIC_ALREADY_EXISTS, decided by the leader

    const [grown] = await ch.createPartitions([{ name: 'x', count: 3, assignments: null }], false);
    expect(grown).toEqual({ name: 'x', errorCode: 0, errorMessage: null });

    const [set] = await ch.alterConfigs([{ resourceType: 2, resourceName: 'x', changes: [{ name: 'retention.ms', value: '1000', op: 0 }] }], false, false);
    expect(set!.errorCode).toBe(0);
    const [replaced] = await ch.alterConfigs([{ resourceType: 2, resourceName: 'x', changes: [{ name: 'cleanup.policy', value: 'compact', op: 0 }] }], true, false);
    expect(replaced!.errorCode).toBe(0);
    await waitFor(() => follower.image.topicConfig('x').get('cleanup.policy') === 'compact', 3000, 'the config');
    expect(follower.image.topicConfig('x').has('retention.ms')).toBe(false); // AlterConfigs replaced the overrides

    const [elected] = await ch.electLeaders({ electionType: 0, topicPartitions: [{ topic: 'x', partitions: [0] }] });
    expect(elected!.partitions[0]!.errorCode).toBe(84); // ELECTION_NOT_NEEDED: 101 already leads

    const block = await ch.allocateProducerIds(100, leader.image.brokers.get(100)!.epoch);
    const next = await ch.allocateProducerIds(100, leader.image.brokers.get(100)!.epoch);
    expect(next.start).toBe(block.start + block.length);

    const [deleted] = await ch.deleteTopics([{ name: 'x', topicId: 'AAAAAAAAAAAAAAAAAAAAAA' }]);
    expect(deleted!.errorCode).toBe(0);
    await waitFor(() => !follower.image.topics.has('x'), 3000, 'the deletion');
  });

  test('a leader that dies without resigning is replaced once the followers time out; writes it lost are refused', async () => {
    cluster = await TestCluster.start(3);
    const leader = await cluster.waitForActive();
    await leader.kraft.controller!.registerBroker({ brokerId: 100, incarnationId: 'AAAAAAAAAAAAAAAAAAAAAg', endpoints: [], rack: null, fenced: false });
    // Crash: no EndQuorumEpoch, the listener just goes away.
    cluster.nodes.delete(leader.id);
    await leader.kraft.driver.stop(0, false);
    const pending = leader.kraft.metadataLog.commit([{ apiKey: 2, version: 0, data: { name: 'lost', topicId: 'AAAAAAAAAAAAAAAAAAAAAw' } }]);
    await expect(pending).rejects.toMatchObject({ code: 41 }); // NOT_CONTROLLER
    await leader.stop();
    const started = Date.now();
    const next = await cluster.waitForActive(8000);
    expect(next.id).not.toBe(leader.id);
    expect(Date.now() - started).toBeLessThan(8000);
    await createTopic(next, 'after-crash');
    const other = [...cluster.nodes.values()].find((n) => n !== next)!;
    await waitFor(() => other.image.topics.has('after-crash'), 5000, 'replication under the new leader');
  });

  test('a follower that fell behind the leader snapshot installs the snapshot and converges', async () => {
    cluster = await TestCluster.start(3, { snapshot: { maxRecords: 4 } });
    const leader = await cluster.waitForActive();
    await leader.kraft.controller!.registerBroker({ brokerId: 100, incarnationId: 'AAAAAAAAAAAAAAAAAAAAAg', endpoints: [], rack: null, fenced: false });
    const lagging = [...cluster.nodes.values()].find((n) => n !== leader)!;
    await cluster.stopNode(lagging.id);
    for (let i = 0; i < 8; i++) await createTopic(leader, `t${i}`);
    // The leader's log now starts past everything the stopped follower holds.
    expect(leader.kraft.raftLog.startOffset()).toBeGreaterThan(lagging.kraft.raftLog.endOffset());

    const back = await cluster.startNode(lagging.id);
    await waitFor(() => imageRecords(back.image).length === imageRecords(leader.image).length, 8000, 'the lagging follower to converge');
    expect(imageRecords(back.image)).toEqual(imageRecords(leader.image));
    expect(back.kraft.raftLog.latestSnapshot()).not.toBeNull();
    expect(back.kraft.raftLog.startOffset()).toBeGreaterThan(0);
    // It keeps following after the snapshot.
    await createTopic(leader, 'after-snapshot');
    await waitFor(() => back.image.topics.has('after-snapshot'), 5000, 'replication after the snapshot');
  });
});

test('broker lifecycle end to end: an observer broker registers fenced, catches up, is unfenced, and is fenced when its heartbeats stop', async () => {
  const cluster = await TestCluster.start(3, { sessionTimeoutMs: 1500 }, [7]);
  try {
    const leader = await cluster.waitForActive();
    const broker = cluster.nodes.get(7)!;
    expect(broker.kraft.controller).toBeNull();
    const pool = new NodeClientPool({ clientId: 'broker-7', resolve: (id) => cluster.voters.get(id) ?? null, connectTimeoutMs: 1000, requestTimeoutMs: 2000, reconnectBackoffMs: 20, reconnectBackoffMaxMs: 200 });
    const client = new BrokerLifecycleClient({
      brokerId: 7,
      clusterId: cluster.clusterId,
      incarnationId: 'AAAAAAAAAAAAAAAAAAAABw',
      listeners: [{ name: 'PLAINTEXT', host: 'localhost', port: 19092, securityProtocol: 0 }],
      rack: null,
      channel: new PoolControllerChannel(pool, () => broker.kraft.driver.leaderId ?? -1),
      heartbeatIntervalMs: 100,
      metadataOffset: () => broker.image.lastAppliedOffset,
    });
    await waitFor(() => broker.kraft.driver.leaderId !== null, 5000, 'the observer to find the leader');
    const epoch = await client.start();
    await waitFor(() => leader.image.brokers.has(7), 2000, 'the registration');
    expect(leader.image.brokers.get(7)!.epoch).toBe(epoch);
    await client.whenUnfenced();
    expect(broker.image.lastAppliedOffset).toBeGreaterThanOrEqual(epoch);
    await waitFor(() => broker.image.brokers.get(7)?.fenced === false, 3000, 'the observer to see itself unfenced');

    // A topic on broker 7, then its heartbeats stop: the controller fences it and the partition goes offline.
    const [r] = await broker.kraft.channel.createTopics([{ name: 'b7', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], false);
    expect(r!.errorCode).toBe(0);
    await waitFor(() => leader.image.partition('b7', 0)?.leader === 7, 2000, 'the topic');
    client.stop();
    await waitFor(() => leader.image.brokers.get(7)?.fenced === true, 5000, 'the session to expire');
    expect(leader.image.partition('b7', 0)!.leader).toBe(-1);
    pool.close();
  } finally {
    await cluster.stop();
  }
});
