// Topics, their ids and configs, and their data survive a clean restart: metadata is replayed from the metadata
// log, data from the segments (after a clean shutdown, without a recovery scan).

import { Kafka, logLevel } from 'kafkajs';
import { startBroker, tempDir } from '../support/broker-process';
import { kcat } from '../support/kcat';

jest.setTimeout(60_000);

test('topics, configs and data survive a restart', async () => {
  const dataDir = tempDir('nk-restart-');
  const first = await startBroker({ dataDir });
  const kafka = (bootstrap: string) => new Kafka({ clientId: 'restart', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  let admin = kafka(first.bootstrap).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'kept', numPartitions: 2, configEntries: [{ name: 'retention.ms', value: '3600000' }] }] });
  const before = await admin.fetchTopicMetadata({ topics: ['kept'] });
  await admin.disconnect();
  await kcat(['-b', first.bootstrap, '-P', '-t', 'kept', '-p', '1', '-K', ':'], 'a:1\nb:2\n');
  expect(await first.stop()).toBe(0);

  const second = await startBroker({ dataDir });
  try {
    expect(second.logs.some((l) => l.includes('recovering'))).toBe(false);
    admin = kafka(second.bootstrap).admin();
    await admin.connect();
    const after = await admin.fetchTopicMetadata({ topics: ['kept'] });
    expect(after.topics[0]!.partitions.length).toBe(2);
    const configs = await admin.describeConfigs({ resources: [{ type: 2, name: 'kept' }], includeSynonyms: false });
    expect(configs.resources[0]!.configEntries.find((e) => e.configName === 'retention.ms')!.configValue).toBe('3600000');
    await admin.disconnect();
    expect(before.topics[0]!.partitions.length).toBe(2);
    const r = await kcat(['-b', second.bootstrap, '-L', '-J', '-t', 'kept']);
    expect(r.code).toBe(0);
    const consumed = await kcat(['-b', second.bootstrap, '-C', '-t', 'kept', '-p', '1', '-o', 'beginning', '-e', '-q', '-f', '%k=%s %o\\n']);
    expect(consumed.stdout).toBe('a=1 0\nb=2 1\n');
  } finally {
    expect(await second.stop()).toBe(0);
  }
});
