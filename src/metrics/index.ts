// The broker's metrics: one prom-client registry per broker (several brokers may share a process in tests), the
// request and traffic observers that the dispatcher, replica manager and fetch handler report to, the gauges read at
// scrape time, Node.js process metrics, and the HTTP endpoint. Created only when metrics.port is set.
//
// Not here yet: ISR shrink/expand counters; the ISR never changes until replication exists, and a series that can
// only ever read zero would mislead.

import { Registry, collectDefaultMetrics } from 'prom-client';
import type { TrafficObserver, RequestObserver } from './hooks';
import { MetricsServer, type MetricsServerLog } from './metrics-server';
import { RequestMetrics } from './request-metrics';
import { type BrokerStateView, registerStateGauges } from './state-gauges';
import { TopicMetrics } from './topic-metrics';

export type { BrokerStateView, HostedPartitionView } from './state-gauges';
export { brokerStateView } from './broker-view';
export type { RequestObserver, TrafficObserver } from './hooks';

export class BrokerMetrics {
  readonly registry = new Registry();
  readonly requests: RequestObserver;
  readonly traffic: TrafficObserver;
  private readonly topics: TopicMetrics;
  private server: MetricsServer | null = null;

  constructor() {
    const requests = new RequestMetrics(this.registry);
    this.requests = requests;
    this.topics = new TopicMetrics(this.registry, requests);
    this.traffic = this.topics;
    collectDefaultMetrics({ register: this.registry });
  }

  /** Adds the scrape-time gauges of a started broker. */
  watch(state: BrokerStateView): void {
    registerStateGauges(this.registry, state);
    this.topics.setTopicExists((topic) => state.topicExists(topic));
  }

  /** Serves GET /metrics on `port` (0: any free port); returns the bound port. */
  async serve(port: number, log: MetricsServerLog, host?: string): Promise<number> {
    this.server = await MetricsServer.start(this.registry, port, log, host);
    return this.server.port;
  }

  get port(): number | null {
    return this.server?.port ?? null;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (s) await s.stop();
  }
}
