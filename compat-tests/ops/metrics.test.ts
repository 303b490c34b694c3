// The Prometheus endpoint of a broker process (metrics.port set), driven by librdkafka clients (kcat): request
// counts per API, per-topic bytes, connections, partition gauges, and a consumer group's lag from its commits.

import * as net from 'node:net';
import { BrokerProcess, startBroker } from '../support/broker-process';
import { kcatConsumer, waitFor } from '../support/consumer-process';
import { kcat } from '../support/kcat';
import { freePort, scrape, series } from '../support/prometheus';

jest.setTimeout(90_000);

let broker: BrokerProcess;
let metricsPort: number;

beforeAll(async () => {
  metricsPort = await freePort();
  broker = await startBroker({ overrides: { 'metrics.port': metricsPort } });
});
afterAll(async () => {
  expect(await broker.stop()).toBe(0);
});

async function metrics(): Promise<string> {
  const r = await scrape(metricsPort);
  expect(r.status).toBe(200);
  return r.body;
}

/** Scrapes until `read` returns something `ok` accepts; returns the last value read. */
async function eventually<T>(read: (text: string) => T, ok: (v: T) => boolean, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = read(await metrics());
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last value ${String(v)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function produce(topic: string, values: string[]): Promise<void> {
  const r = await kcat(['-b', broker.bootstrap, '-P', '-t', topic, '-p', '0'], values.map((v) => `${v}\n`).join(''));
  expect(r.code).toBe(0);
}

test('the broker logs where metrics are served, and /metrics answers; other paths do not', async () => {
  expect(broker.logs.some((l) => l.includes('metrics endpoint listening') && l.includes(`"port":${metricsPort}`))).toBe(true);
  expect((await scrape(metricsPort, '/')).status).toBe(404);
});

test('request counts, latency, topic bytes in and out, partitions and connections', async () => {
  const topic = 'ops-metrics';
  await produce(topic, ['a', 'b', 'c', 'd', 'e']);
  const consumed = await kcat(['-b', broker.bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-q']);
  expect(consumed.stdout.trim().split('\n')).toEqual(['a', 'b', 'c', 'd', 'e']);

  // A client connection held open for the connections gauge.
  const socket = net.connect({ host: '127.0.0.1', port: broker.port });
  await new Promise<void>((r) => socket.once('connect', () => r()));
  try {
    const text = await metrics();
    for (const api of ['Produce', 'Fetch', 'Metadata', 'ApiVersions']) {
      expect(series(text, 'kafka_requests_total', { api })).toBeGreaterThan(0);
    }
    expect(series(text, 'kafka_request_duration_seconds_count', { api: 'Produce' })).toBe(series(text, 'kafka_requests_total', { api: 'Produce' }));
    expect(series(text, 'kafka_request_duration_seconds_bucket', { api: 'Produce', le: '+Inf' })).toBeGreaterThan(0);
    expect(series(text, 'kafka_topic_bytes_in_total', { topic })).toBeGreaterThan(0);
    expect(series(text, 'kafka_topic_messages_in_total', { topic })).toBe(5);
    expect(series(text, 'kafka_topic_bytes_out_total', { topic })).toBeGreaterThan(0);
    expect(series(text, 'kafka_log_size_bytes', { topic, partition: '0' })).toBeGreaterThan(0);
    expect(series(text, 'kafka_partitions')).toBeGreaterThanOrEqual(1);
    expect(series(text, 'kafka_leader_partitions')).toBe(series(text, 'kafka_partitions'));
    expect(series(text, 'kafka_under_replicated_partitions')).toBe(0);
    expect(series(text, 'kafka_offline_partitions')).toBe(0);
    expect(series(text, 'kafka_active_controller')).toBe(1);
    expect(series(text, 'kafka_connections')).toBeGreaterThanOrEqual(1);
    expect(text).toContain('process_cpu_user_seconds_total');
  } finally {
    socket.destroy();
  }
});

test('fetching past the end counts an OFFSET_OUT_OF_RANGE fetch error', async () => {
  const topic = 'ops-errors';
  await produce(topic, ['x']);
  // -o 100 with auto.offset.reset=error makes librdkafka report the error instead of resetting silently.
  await kcat(['-b', broker.bootstrap, '-C', '-t', topic, '-p', '0', '-o', '100', '-e', '-q', '-X', 'topic.auto.offset.reset=error']);
  await eventually(
    (t) => series(t, 'kafka_request_errors_total', { api: 'Fetch', error: 'OFFSET_OUT_OF_RANGE' }),
    (v) => (v ?? 0) > 0,
    'a Fetch OFFSET_OUT_OF_RANGE error',
  );
});

test('a kcat -G consumer group: lag 0 after it commits everything, then the messages produced after it left', async () => {
  const topic = 'ops-lag';
  const group = 'ops-lag-group';
  await produce(topic, ['1', '2', '3', '4']);
  const consumer = kcatConsumer(broker.bootstrap, group, topic);
  try {
    await waitFor(() => consumer.messages.length === 4, 30_000, 'the group consumer to read 4 messages');
    const lagSeries = { group, topic, partition: '0' };
    // kcat commits every 200 ms (auto.commit.interval.ms in the helper).
    await eventually((t) => series(t, 'kafka_consumer_group_lag', lagSeries), (v) => v === 0, 'lag 0 after the commit');
    expect(series(await metrics(), 'kafka_groups', { state: 'Stable' })).toBeGreaterThanOrEqual(1);
  } finally {
    await consumer.stop();
  }
  await produce(topic, ['5', '6', '7']);
  await eventually((t) => series(t, 'kafka_consumer_group_lag', { group, topic, partition: '0' }), (v) => v === 3, 'lag 3 after three more messages');
  await eventually((t) => series(t, 'kafka_groups', { state: 'Empty' }), (v) => (v ?? 0) >= 1, 'the group to be Empty after its member left');
});
