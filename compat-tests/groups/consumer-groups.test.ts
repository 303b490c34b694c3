// Consumer groups with unmodified clients, each in its own process: three kafkajs consumers, then three
// librdkafka consumers (kcat -G), on a 6-partition topic. Checks: every partition owned by exactly one member and
// every message consumed once; a SIGKILLed member's partitions reassigned within its session timeout plus one
// rebalance; consumers restarted resume at the committed offsets; committed offsets survive a broker restart.

import { Kafka, logLevel } from 'kafkajs';
import { BrokerProcess, startBroker, tempDir } from '../support/broker-process';
import { GroupConsumer, kafkajsConsumer, kcatConsumer, waitFor } from '../support/consumer-process';

jest.setTimeout(180_000);

const PARTITIONS = 6;
const SESSION_TIMEOUT_MS = 6000;
let broker: BrokerProcess;
const dataDir = tempDir('nk-groups-');

beforeAll(async () => {
  broker = await startBroker({ dataDir });
});
afterAll(async () => {
  await broker.stop();
});

async function produce(topic: string, tag: string, perPartition: number): Promise<string[]> {
  const kafka = new Kafka({ clientId: 'groups-producer', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  const values: string[] = [];
  for (let p = 0; p < PARTITIONS; p++) {
    const messages = Array.from({ length: perPartition }, (_, i) => ({ partition: p, value: `${tag}-p${p}-${i}` }));
    values.push(...messages.map((m) => m.value));
    await producer.send({ topic, messages });
  }
  await producer.disconnect();
  return values;
}

function ownership(members: GroupConsumer[]): number[] {
  return members.flatMap((m) => m.assignment ?? []).sort((a, b) => a - b);
}

/** Every partition owned by exactly one of `members`. */
function balanced(members: GroupConsumer[]): boolean {
  const owned = ownership(members);
  return owned.length === PARTITIONS && owned.every((p, i) => p === i) && members.every((m) => (m.assignment ?? []).length > 0);
}

function consumedValues(members: GroupConsumer[], tag: string): string[] {
  return members.flatMap((m) => m.messages.map((x) => x.value)).filter((v) => v.startsWith(`${tag}-`));
}

describe.each([
  ['kafkajs', kafkajsConsumer],
  ['librdkafka (kcat -G)', kcatConsumer],
])('%s consumers', (kind, start) => {
  const slug = kind.startsWith('kafkajs') ? 'kjs' : 'rdk';
  const topic = `groups-${slug}`;
  const group = `group-${slug}`;

  test('share partitions, fail over, resume at committed offsets, keep offsets across a broker restart', async () => {
    const admin = new Kafka({ clientId: 'groups-admin', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }] });
    await admin.disconnect();

    // 1. Three members share the six partitions; each message is consumed exactly once.
    let members = [0, 1, 2].map(() => start(broker.bootstrap, group, topic, SESSION_TIMEOUT_MS));
    await waitFor(() => balanced(members) && members.every((m) => m.assignment!.length === 2), 60_000, 'a balanced 3-member group');
    const first = await produce(topic, 'a', 50);
    await waitFor(() => consumedValues(members, 'a').length >= first.length, 30_000, 'all messages consumed');
    await new Promise((r) => setTimeout(r, 500));
    const seen = consumedValues(members, 'a');
    expect(seen.sort()).toEqual([...first].sort());
    for (const m of members) {
      for (const msg of m.messages) expect(m.assignment).toContain(msg.partition);
    }

    // 2. A member is killed: the survivors take over its partitions.
    const victim = members[0]!;
    await victim.kill();
    const survivors = members.slice(1);
    const failoverMs = await waitFor(() => balanced(survivors), SESSION_TIMEOUT_MS + 20_000, 'reassignment after a kill');
    console.log(`${kind}: partitions reassigned ${failoverMs} ms after SIGKILL (session timeout ${SESSION_TIMEOUT_MS} ms)`);
    const second = await produce(topic, 'b', 20);
    await waitFor(() => new Set(consumedValues(survivors, 'b')).size === second.length, 30_000, 'messages after failover');

    // 3. Graceful stop commits; new members resume at the committed offsets.
    await Promise.all(survivors.map((m) => m.stop()));
    const third = await produce(topic, 'c', 10);
    members = [0, 1, 2].map(() => start(broker.bootstrap, group, topic, SESSION_TIMEOUT_MS));
    await waitFor(() => consumedValues(members, 'c').length >= third.length, 60_000, 'resumed consumption');
    await new Promise((r) => setTimeout(r, 1000));
    expect(consumedValues(members, 'a')).toEqual([]);
    expect(consumedValues(members, 'b')).toEqual([]);
    expect(consumedValues(members, 'c').sort()).toEqual([...third].sort());
    await Promise.all(members.map((m) => m.stop()));

    // 4. Offsets survive a broker restart.
    expect(await broker.stop()).toBe(0);
    broker = await startBroker({ dataDir, port: broker.port });
    const fourth = await produce(topic, 'd', 10);
    members = [0, 1].map(() => start(broker.bootstrap, group, topic, SESSION_TIMEOUT_MS));
    await waitFor(() => consumedValues(members, 'd').length >= fourth.length, 60_000, 'consumption after broker restart');
    await new Promise((r) => setTimeout(r, 1000));
    expect(consumedValues(members, 'c')).toEqual([]);
    expect(consumedValues(members, 'd').sort()).toEqual([...fourth].sort());
    await Promise.all(members.map((m) => m.stop()));
  });
});
