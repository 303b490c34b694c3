// Three broker processes in combined mode (every node a broker and a controller voter): each broker reports the
// same cluster to librdkafka; SIGKILLing the active controller elects another within seconds, after which kafkajs
// creates topics through a survivor; the killed node comes back as a follower and catches up.

import { Kafka, logLevel } from 'kafkajs';
import { ErrorCode } from '../../src/wire/errors';
import type { ApiVersionsResponse } from '../../src/wire/generated/messages/ApiVersionsResponse';
import { TestCluster, describeQuorum } from '../support/cluster';
import { kcat } from '../support/kcat';
import { RawClient } from '../support/raw-client';

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await TestCluster.start(3);
}, 40_000);

afterAll(async () => {
  await cluster?.stop();
});

interface KcatMetadata {
  brokers: { id: number; name: string }[];
  topics: { topic: string; partitions: { partition: number; leader: number; replicas: { id: number }[] }[] }[];
}

async function kcatMetadata(bootstrap: string, topic: string): Promise<KcatMetadata> {
  const r = await kcat(['-L', '-J', '-b', bootstrap, '-t', topic, '-m', '10']);
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as KcatMetadata;
}

function admin(bootstrap: string[]) {
  return new Kafka({ clientId: 'cluster-quorum', brokers: bootstrap, logLevel: logLevel.NOTHING, retry: { retries: 20, initialRetryTime: 100, maxRetryTime: 500 } }).admin();
}

/** The API keys ApiVersions v3 lists on `port`. */
async function advertisedKeys(port: number): Promise<number[]> {
  const c = await RawClient.connect(port);
  try {
    c.write(RawClient.frame(18, 3, 1, { clientSoftwareName: 'cluster-quorum', clientSoftwareVersion: '1.0' }));
    return RawClient.decode<ApiVersionsResponse>(18, 3, (await c.next())!).body.apiKeys.map((k) => k.apiKey);
  } finally {
    c.close();
  }
}

test('the client listener advertises the broker APIs, the controller listener the controller APIs', async () => {
  const n = cluster.node(1);
  const client = await advertisedKeys(n.clientPort);
  // Produce, Fetch, Metadata, ApiVersions; not Vote, AlterPartition, BrokerRegistration, BrokerHeartbeat.
  expect(client).toEqual(expect.arrayContaining([0, 1, 3, 18]));
  for (const k of [52, 56, 62, 63]) expect(client).not.toContain(k);
  const controller = await advertisedKeys(n.controllerPort);
  // Fetch (the quorum's), ApiVersions, CreateTopics (forwarded), Vote, DescribeQuorum, AlterPartition, registration.
  expect(controller).toEqual(expect.arrayContaining([1, 18, 19, 52, 55, 56, 62, 63]));
  // Produce, Metadata, FindCoordinator are the brokers'.
  for (const k of [0, 3, 10]) expect(controller).not.toContain(k);
  // A client API sent to the controller listener closes the connection.
  const c = await RawClient.connect(n.controllerPort);
  c.write(RawClient.frame(3, 12, 2, { topics: [], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false }));
  expect(await c.next(3000)).toBeNull();
  c.close();
});

test('every broker lists all three brokers and the same partition leaders', async () => {
  const a = admin(cluster.bootstrap());
  await a.connect();
  expect(await a.createTopics({ topics: [{ topic: 'md-all', numPartitions: 6, replicationFactor: 3 }], waitForLeaders: true })).toBe(true);
  await a.disconnect();

  // Metadata propagates through the quorum: each broker reports what it has applied, so wait until all agree.
  const views = await TestCluster.waitFor('all brokers to report the same leaders', async () => {
    const vs = await Promise.all(cluster.bootstrap().map((b) => kcatMetadata(b, 'md-all')));
    const leaders = vs.map((v) => JSON.stringify(v.topics[0]!.partitions.map((p) => [p.partition, p.leader]).sort()));
    return vs.every((v) => v.topics[0]!.partitions.length === 6) && new Set(leaders).size === 1 ? vs : null;
  });
  for (const v of views) {
    expect(v.brokers.map((b) => b.id).sort()).toEqual([1, 2, 3]);
    for (const p of v.topics[0]!.partitions) {
      expect(p.replicas.map((r) => r.id).sort()).toEqual([1, 2, 3]);
      expect([1, 2, 3]).toContain(p.leader);
    }
  }
  // Leadership is spread over the brokers, not all on one.
  expect(new Set(views[0]!.topics[0]!.partitions.map((p) => p.leader)).size).toBeGreaterThan(1);
});

test('killing the active controller: a new one is elected, CreateTopics works, the old one rejoins as follower', async () => {
  const before = await TestCluster.waitFor('an active controller', () => cluster.activeController());
  const killedAt = Date.now();
  await cluster.kill(before.leaderId);

  const after = await TestCluster.waitFor('a new active controller', async () => {
    const c = await cluster.activeController();
    return c !== null && c.leaderId !== before.leaderId ? c : null;
  }, 10_000);
  expect(after.epoch).toBeGreaterThan(before.epoch);

  const a = admin(cluster.bootstrap());
  await a.connect();
  expect(await a.createTopics({ topics: [{ topic: 'after-failover', numPartitions: 2, replicationFactor: 2 }], waitForLeaders: true })).toBe(true);
  await a.disconnect();
  expect(Date.now() - killedAt).toBeLessThan(10_000);

  // Restarted with its data, it follows the new leader and catches up with the metadata log.
  await cluster.startNode(before.leaderId);
  const back = cluster.node(before.leaderId);
  await TestCluster.waitFor('the restarted node to follow and catch up', async () => {
    const own = await describeQuorum(back.controllerPort);
    const p = own?.topics[0]?.partitions[0];
    if (!p || p.errorCode !== ErrorCode.NOT_LEADER_OR_FOLLOWER || p.leaderId !== after.leaderId) return null;
    const leader = (await describeQuorum(cluster.node(after.leaderId).controllerPort))?.topics[0]?.partitions[0];
    const voter = leader?.currentVoters.find((v) => v.replicaId === before.leaderId);
    return leader && voter && voter.logEndOffset >= leader.highWatermark;
  }, 15_000);

  // And as a broker it serves the topic created while it was down.
  const md = await TestCluster.waitFor('the restarted broker to know the new topic', async () => {
    const m = await kcatMetadata(`127.0.0.1:${back.clientPort}`, 'after-failover');
    return m.topics[0]?.partitions.length === 2 ? m : null;
  });
  expect(md.brokers.map((b) => b.id).sort()).toEqual([1, 2, 3]);
}, 60_000);
