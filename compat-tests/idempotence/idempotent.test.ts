// Idempotent producers against a broker process, through a proxy that breaks connections mid-stream. The proxy
// drops chosen Produce responses (the broker has appended the batch, the client never hears of it) and sometimes
// cuts every connection at once, so the clients retry batches that are already in the log. The log must end up
// holding every message exactly once, in the order sent:
//   (a) kafkajs 2.x, idempotent: true, one request in flight;
//   (b) librdkafka (kcat) with enable.idempotence=true and up to five requests in flight.

import { Kafka, logLevel, type Producer } from 'kafkajs';
import { BrokerProcess, startBroker } from '../support/broker-process';
import { CuttingProxy, startCuttingProxy } from '../support/cutting-proxy';
import { kcat } from '../support/kcat';

jest.setTimeout(120_000);

const PRODUCE = 0;

let proxy: CuttingProxy;
let broker: BrokerProcess;

beforeAll(async () => {
  proxy = await startCuttingProxy();
  // The broker listens on its own port and advertises the proxy's, so clients stay behind the proxy.
  broker = await startBroker({ overrides: { 'advertised.listeners': `PLAINTEXT://127.0.0.1:${proxy.port}` } });
  proxy.target = broker.port;
});

afterAll(async () => {
  await proxy?.close();
  if (broker) expect(await broker.stop()).toBe(0);
});

afterEach(() => {
  proxy.cutOnResponse = null;
});

/** Drops the Produce responses whose ordinal (1-based) is in `which`. */
function dropProduceResponses(which: Set<number>): void {
  let seen = 0;
  proxy.cutOnResponse = (apiKey) => apiKey === PRODUCE && which.has(++seen);
}

async function consumeValues(topic: string): Promise<{ offset: number; value: string }[]> {
  const r = await kcat(['-b', `127.0.0.1:${proxy.port}`, '-C', '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-q', '-f', '%o %s\\n'], undefined, 60_000);
  expect(r.code).toBe(0);
  return r.stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const sp = l.indexOf(' ');
      return { offset: Number(l.slice(0, sp)), value: l.slice(sp + 1) };
    });
}

function expectExactlyOnceInOrder(got: { offset: number; value: string }[], sent: string[]): void {
  const values = got.map((m) => m.value);
  const dupes = values.filter((v, i) => values.indexOf(v) !== i);
  expect(dupes).toEqual([]);
  expect(values.length).toBe(sent.length);
  expect(values).toEqual(sent);
  // Offsets are dense: nothing was appended twice and then hidden.
  expect(got.map((m) => m.offset)).toEqual(sent.map((_, i) => i));
}

test('kafkajs idempotent producer: retries after lost responses and cut connections leave no duplicates or gaps', async () => {
  const topic = 'idem-kafkajs';
  const kafka = new Kafka({
    clientId: 'idem-compat',
    brokers: [`127.0.0.1:${proxy.port}`],
    logLevel: logLevel.NOTHING,
    retry: { retries: 30, initialRetryTime: 50, maxRetryTime: 500 },
  });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
  await admin.disconnect();

  const producer: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  // The first sends get through; then every 9th Produce response is lost until 12 have been.
  const drops = new Set(Array.from({ length: 12 }, (_, i) => 4 + i * 9));
  dropProduceResponses(drops);

  const sent: string[] = [];
  const SENDS = 150;
  for (let i = 0; i < SENDS; i++) {
    const messages = Array.from({ length: 4 }, (_, j) => ({ value: `kafkajs-${i}-${j}` }));
    if (i % 40 === 20) {
      // Cut everything while this send is in flight too.
      setTimeout(() => proxy.dropAll(), 1);
    }
    await producer.send({ topic, acks: -1, messages });
    sent.push(...messages.map((m) => m.value));
  }
  await producer.disconnect();
  proxy.cutOnResponse = null;

  // Responses to appended batches really were lost, so the broker must have recognised the retries.
  expect(proxy.dropped.get(PRODUCE) ?? 0).toBeGreaterThanOrEqual(12);
  expectExactlyOnceInOrder(await consumeValues(topic), sent);
});

test('librdkafka (kcat) with enable.idempotence=true: no duplicates through lost responses', async () => {
  const topic = 'idem-kcat';
  const created = await kcat(['-b', `127.0.0.1:${proxy.port}`, '-P', '-t', topic, '-p', '0'], 'first\n');
  expect(created.code).toBe(0);
  const before = proxy.dropped.get(PRODUCE) ?? 0;

  const sent = ['first'];
  const lines: string[] = [];
  for (let i = 0; i < 20_000; i++) lines.push(`kcat-${i}`);
  sent.push(...lines);
  // Lose a handful of Produce responses spread over the run (librdkafka keeps several requests in flight).
  dropProduceResponses(new Set([3, 8, 15, 24, 35, 48]));
  const r = await kcat(
    [
      '-b', `127.0.0.1:${proxy.port}`, '-P', '-t', topic, '-p', '0',
      // -E: a cut connection is an error librdkafka recovers from; kcat would otherwise exit on it.
      '-E',
      '-X', 'enable.idempotence=true',
      '-X', 'linger.ms=5',
      '-X', 'batch.num.messages=200',
      '-X', 'retry.backoff.ms=50',
      '-X', 'reconnect.backoff.ms=50',
    ],
    lines.join('\n') + '\n',
    90_000,
  );
  proxy.cutOnResponse = null;
  // On failure, show what librdkafka said.
  if (r.code !== 0) console.log(r.stderr.slice(0, 3000));
  expect(r.code).toBe(0);
  expect(r.stderr).not.toMatch(/fatal|Delivery failed/i);
  expect((proxy.dropped.get(PRODUCE) ?? 0) - before).toBeGreaterThan(0);
  expectExactlyOnceInOrder(await consumeValues(topic), sent);
});
