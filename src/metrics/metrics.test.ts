import * as http from 'node:http';
import { Registry } from 'prom-client';
import { ErrorCode } from '../wire/errors';
import { CellHistogram } from './cell-histogram';
import { FETCH_API, PRODUCE_API } from './hooks';
import { type GroupOffsetsView, consumerLag } from './lag';
import { MetricsServer } from './metrics-server';
import { RequestMetrics } from './request-metrics';
import { type BrokerStateView, type HostedPartitionView, registerStateGauges } from './state-gauges';
import { TopicMetrics } from './topic-metrics';
import { BrokerMetrics } from '.';

/** The value of one series in a text exposition, or undefined when the series is absent. */
function series(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = m[2] ? m[2].split(',') : [];
    if (have.length === want.length && want.every((w) => have.includes(w))) return Number(m[3]);
  }
  return undefined;
}

describe('CellHistogram', () => {
  test('exports cumulative buckets, +Inf, sum and count per label set', async () => {
    const registry = new Registry();
    const h = new CellHistogram({ name: 'x_seconds', help: 'x', labelNames: ['api'], buckets: [0.1, 1], registry });
    const a = h.cell('A');
    a.observe(0.05);
    a.observe(0.1); // on a bound: counted in that bucket (le is inclusive)
    a.observe(0.5);
    a.observe(3);
    expect(h.cell('A')).toBe(a);
    h.cell('B');
    const text = await registry.metrics();
    expect(text).toContain('# TYPE x_seconds histogram');
    expect(series(text, 'x_seconds_bucket', { api: 'A', le: '0.1' })).toBe(2);
    expect(series(text, 'x_seconds_bucket', { api: 'A', le: '1' })).toBe(3);
    expect(series(text, 'x_seconds_bucket', { api: 'A', le: '+Inf' })).toBe(4);
    expect(series(text, 'x_seconds_sum', { api: 'A' })).toBeCloseTo(3.65);
    expect(series(text, 'x_seconds_count', { api: 'A' })).toBe(4);
    expect(series(text, 'x_seconds_count', { api: 'B' })).toBe(0);
    const json = await registry.getMetricsAsJSON();
    expect(json[0]!.values.length).toBe(2 * (3 + 2));
    registry.resetMetrics();
    expect(series(await registry.metrics(), 'x_seconds_count', { api: 'A' })).toBe(0);
  });

  test('rejects unordered buckets and a wrong number of label values', () => {
    const registry = new Registry();
    expect(() => new CellHistogram({ name: 'y', help: 'y', labelNames: [], buckets: [1, 1], registry })).toThrow(/increase/);
    const h = new CellHistogram({ name: 'z', help: 'z', labelNames: ['a'], buckets: [1], registry });
    expect(() => h.cell()).toThrow(/label values/);
  });
});

describe('RequestMetrics', () => {
  test('counts requests and error codes per API and times them', async () => {
    const registry = new Registry();
    const m = new RequestMetrics(registry);
    const produce = { apiKey: 0, name: 'Produce' };
    m.completed(produce, 0.002);
    m.completed(produce, 0.02);
    m.completed({ apiKey: 3, name: 'Metadata' }, 0.0001);
    m.failed(produce, ErrorCode.NOT_LEADER_OR_FOLLOWER);
    m.failed(produce, ErrorCode.NOT_LEADER_OR_FOLLOWER);
    m.failed(produce, ErrorCode.UNKNOWN_SERVER_ERROR);
    const text = await registry.metrics();
    expect(series(text, 'kafka_requests_total', { api: 'Produce' })).toBe(2);
    expect(series(text, 'kafka_requests_total', { api: 'Metadata' })).toBe(1);
    expect(series(text, 'kafka_request_errors_total', { api: 'Produce', error: 'NOT_LEADER_OR_FOLLOWER' })).toBe(2);
    expect(series(text, 'kafka_request_errors_total', { api: 'Produce', error: 'UNKNOWN_SERVER_ERROR' })).toBe(1);
    expect(series(text, 'kafka_request_duration_seconds_bucket', { api: 'Produce', le: '0.0025' })).toBe(1);
    expect(series(text, 'kafka_request_duration_seconds_bucket', { api: 'Produce', le: '0.025' })).toBe(2);
    expect(series(text, 'kafka_request_duration_seconds_count', { api: 'Metadata' })).toBe(1);
    // Scraping twice reports the same totals (the collect step rebuilds series, it does not add again).
    expect(series(await registry.metrics(), 'kafka_requests_total', { api: 'Produce' })).toBe(2);
  });
});

describe('TopicMetrics', () => {
  test('bytes and messages in, bytes out per topic; partition errors under their API; deleted topics dropped', async () => {
    const registry = new Registry();
    const requests = new RequestMetrics(registry);
    const live = new Set(['a', 'b']);
    const t = new TopicMetrics(registry, requests, (x) => live.has(x));
    t.appended('a', 100, 3);
    t.appended('a', 50, 1);
    t.sent('a', 120);
    t.appended('b', 10, 1);
    t.partitionError(PRODUCE_API, ErrorCode.CORRUPT_MESSAGE);
    t.partitionError(FETCH_API, ErrorCode.OFFSET_OUT_OF_RANGE);
    let text = await registry.metrics();
    expect(series(text, 'kafka_topic_bytes_in_total', { topic: 'a' })).toBe(150);
    expect(series(text, 'kafka_topic_messages_in_total', { topic: 'a' })).toBe(4);
    expect(series(text, 'kafka_topic_bytes_out_total', { topic: 'a' })).toBe(120);
    expect(series(text, 'kafka_topic_bytes_out_total', { topic: 'b' })).toBe(0);
    expect(series(text, 'kafka_request_errors_total', { api: 'Produce', error: 'CORRUPT_MESSAGE' })).toBe(1);
    expect(series(text, 'kafka_request_errors_total', { api: 'Fetch', error: 'OFFSET_OUT_OF_RANGE' })).toBe(1);
    live.delete('b');
    text = await registry.metrics();
    expect(series(text, 'kafka_topic_bytes_in_total', { topic: 'b' })).toBeUndefined();
    expect(series(text, 'kafka_topic_bytes_in_total', { topic: 'a' })).toBe(150);
  });
});

/** A coordinator with fixed groups and committed offsets. */
function fakeGroups(groups: Record<string, { state: string; offsets: [string, number, number][]; errorCode?: number }>): GroupOffsetsView {
  return {
    listGroups: () => ({ groups: Object.entries(groups).map(([groupId, g]) => ({ groupId, groupState: g.state })) }),
    fetchOffsets: ({ groupId }) => {
      const g = groups[groupId]!;
      const topics = new Map<string, { partitionIndex: number; committedOffset: number; errorCode: number }[]>();
      for (const [topic, partitionIndex, committedOffset] of g.offsets) {
        if (!topics.has(topic)) topics.set(topic, []);
        topics.get(topic)!.push({ partitionIndex, committedOffset, errorCode: 0 });
      }
      return { errorCode: g.errorCode ?? 0, topics: [...topics].map(([name, partitions]) => ({ name, partitions })) };
    },
  };
}

describe('consumerLag', () => {
  test('high watermark minus committed offset, for hosted partitions with a committed offset', () => {
    const groups = fakeGroups({
      g1: { state: 'Stable', offsets: [['t', 0, 5], ['t', 1, 10], ['t', 2, -1], ['elsewhere', 0, 1]] },
      g2: { state: 'Empty', offsets: [['t', 0, 12]] },
      broken: { state: 'Empty', offsets: [['t', 0, 0]], errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS },
    });
    const hw = new Map([['t/0', 8], ['t/1', 10], ['t/2', 3]]);
    const rows = consumerLag(groups, (t, p) => hw.get(`${t}/${p}`));
    expect(rows).toEqual([
      { group: 'g1', topic: 't', partition: 0, lag: 3 },
      { group: 'g1', topic: 't', partition: 1, lag: 0 },
      // Committed past the high watermark (the log was truncated under it): 0, never negative.
      { group: 'g2', topic: 't', partition: 0, lag: 0 },
    ]);
  });
});

function partition(topic: string, index: number, opts: Partial<HostedPartitionView> = {}): HostedPartitionView {
  return { topic, index, isLeader: true, replicas: [1], isr: [1], highWatermark: 0, log: { size: 0 }, ...opts };
}

describe('state gauges', () => {
  function view(over: Partial<BrokerStateView> = {}): BrokerStateView {
    const parts = [
      partition('t', 0, { highWatermark: 10, log: { size: 1234 } }),
      partition('t', 1, { isLeader: false }),
      partition('u', 0, { replicas: [1, 2, 3], isr: [1, 2] }),
    ];
    return {
      hostedPartitions: () => parts,
      hostedPartition: (t, p) => parts.find((x) => x.topic === t && x.index === p),
      clusterPartitionLeaders: () => [1, -1, 2, -1],
      isActiveController: () => true,
      connectionCount: () => 7,
      topicExists: () => true,
      groups: fakeGroups({ g: { state: 'Stable', offsets: [['t', 0, 4]] }, h: { state: 'Stable', offsets: [] } }),
      ...over,
    };
  }

  test('partitions, leaders, under-replicated, offline, controller, connections, log size, groups and lag', async () => {
    const registry = new Registry();
    registerStateGauges(registry, view());
    const text = await registry.metrics();
    expect(series(text, 'kafka_partitions')).toBe(3);
    expect(series(text, 'kafka_leader_partitions')).toBe(2);
    expect(series(text, 'kafka_under_replicated_partitions')).toBe(1);
    expect(series(text, 'kafka_offline_partitions')).toBe(2);
    expect(series(text, 'kafka_active_controller')).toBe(1);
    expect(series(text, 'kafka_connections')).toBe(7);
    expect(series(text, 'kafka_log_size_bytes', { topic: 't', partition: '0' })).toBe(1234);
    expect(series(text, 'kafka_groups', { state: 'Stable' })).toBe(2);
    expect(series(text, 'kafka_groups', { state: 'Empty' })).toBe(0);
    expect(series(text, 'kafka_groups', { state: 'PreparingRebalance' })).toBe(0);
    expect(series(text, 'kafka_consumer_group_lag', { group: 'g', topic: 't', partition: '0' })).toBe(6);
  });

  test('offline partitions are reported by the active controller only; no group gauges without a coordinator', async () => {
    const registry = new Registry();
    registerStateGauges(registry, view({ isActiveController: () => false, groups: null }));
    const text = await registry.metrics();
    expect(series(text, 'kafka_offline_partitions')).toBe(0);
    expect(series(text, 'kafka_active_controller')).toBe(0);
    expect(text).not.toContain('kafka_groups');
    expect(text).not.toContain('kafka_consumer_group_lag');
  });
});

function get(port: number, path: string, method = 'GET'): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, type: String(res.headers['content-type']), body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('MetricsServer', () => {
  test('GET /metrics serves the registry; other paths 404, other methods 405', async () => {
    const registry = new Registry();
    new RequestMetrics(registry).completed({ apiKey: 18, name: 'ApiVersions' }, 0.001);
    const warn = jest.fn();
    const server = await MetricsServer.start(registry, 0, { warn }, '127.0.0.1');
    try {
      const ok = await get(server.port, '/metrics');
      expect(ok.status).toBe(200);
      expect(ok.type).toContain('text/plain');
      expect(series(ok.body, 'kafka_requests_total', { api: 'ApiVersions' })).toBe(1);
      expect((await get(server.port, '/')).status).toBe(404);
      expect((await get(server.port, '/metrics', 'POST')).status).toBe(405);
    } finally {
      await server.stop();
    }
    expect(warn).not.toHaveBeenCalled();
  });
});

describe('BrokerMetrics', () => {
  test('includes Node.js process metrics; two brokers in one process keep separate registries', async () => {
    const a = new BrokerMetrics();
    const b = new BrokerMetrics();
    a.requests.completed({ apiKey: 3, name: 'Metadata' }, 0.001);
    const textA = await a.registry.metrics();
    const textB = await b.registry.metrics();
    expect(textA).toContain('process_cpu_user_seconds_total');
    expect(textA).toContain('nodejs_heap_size_used_bytes');
    expect(series(textA, 'kafka_requests_total', { api: 'Metadata' })).toBe(1);
    expect(series(textB, 'kafka_requests_total', { api: 'Metadata' })).toBeUndefined();
  });

  test('serves on a free port and stops', async () => {
    const m = new BrokerMetrics();
    const port = await m.serve(0, { warn: () => {} }, '127.0.0.1');
    expect(m.port).toBe(port);
    expect((await get(port, '/metrics')).status).toBe(200);
    await m.stop();
    expect(m.port).toBeNull();
    await expect(get(port, '/metrics')).rejects.toThrow();
  });
});
