import { Kafka, logLevel } from 'kafkajs';
import * as fs from 'node:fs';
import { startBroker } from '../index';

test('an embedded broker serves kafkajs and cleans up its temporary data dir', async () => {
  const broker = await startBroker({ config: { 'num.partitions': 2 } });
  try {
    const kafka = new Kafka({ clientId: 'embedded', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    const [r] = await producer.send({ topic: 'embedded', messages: [{ key: 'k', value: 'v' }] });
    expect(r!.errorCode).toBe(0);
    await producer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    const md = await admin.fetchTopicMetadata({ topics: ['embedded'] });
    expect(md.topics[0]!.partitions).toHaveLength(2);
    await admin.disconnect();
  } finally {
    await broker.stop();
  }
  expect(fs.existsSync(broker.dataDir)).toBe(false);
});
