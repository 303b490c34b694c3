// A kafkajs group consumer in its own process, so a test can SIGKILL it like a crashed application.
// argv: bootstrap groupId topic sessionTimeoutMs; prints one JSON line per event on stdout.
const { Kafka, logLevel } = require('kafkajs');

const [bootstrap, groupId, topic, sessionTimeout] = process.argv.slice(2);
const kafka = new Kafka({ clientId: `child-${process.pid}`, brokers: [bootstrap], logLevel: logLevel.NOTHING });
const consumer = kafka.consumer({ groupId, sessionTimeout: Number(sessionTimeout), heartbeatInterval: 500, rebalanceTimeout: 10000 });
const emit = (o) => process.stdout.write(JSON.stringify({ pid: process.pid, ...o }) + '\n');

consumer.on(consumer.events.GROUP_JOIN, (e) => {
  const assigned = (e.payload.memberAssignment[topic] || []).slice().sort((a, b) => a - b);
  emit({ event: 'assigned', generation: e.payload.generationId ?? null, partitions: assigned });
});

(async () => {
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    autoCommitInterval: 200,
    eachMessage: async ({ partition, message }) => {
      emit({ event: 'message', partition, offset: Number(message.offset), value: message.value.toString() });
    },
  });
  emit({ event: 'running' });
})().catch((e) => {
  emit({ event: 'error', message: e.message });
  process.exit(1);
});

process.on('SIGTERM', () => {
  consumer.disconnect().finally(() => process.exit(0));
});
