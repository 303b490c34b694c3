// Bytes and messages in, and bytes out, per topic. The request path does one map lookup by topic name and adds to
// plain numbers; series are built at scrape time, when topics that no longer exist are dropped (a topic deleted and
// created again starts from zero, which Prometheus treats as a counter reset).

import { Counter, type Registry } from 'prom-client';
import type { ApiRef, TrafficObserver } from './hooks';
import { PREFIX } from './names';
import type { RequestMetrics } from './request-metrics';

interface TopicCells {
  bytesIn: number;
  messagesIn: number;
  bytesOut: number;
}

export class TopicMetrics implements TrafficObserver {
  private readonly topics = new Map<string, TopicCells>();

  /**
   * @param errors where partition-level errors are counted (the request error counter, under the API they answer)
   * @param topicExists used at scrape time to forget deleted topics
   */
  constructor(
    registry: Registry,
    private readonly errors: RequestMetrics,
    private topicExists: (topic: string) => boolean = () => true,
  ) {
    const self = this;
    const counter = (name: string, help: string, pick: (c: TopicCells) => number): void => {
      new Counter({
        name: `${PREFIX}${name}`,
        help,
        labelNames: ['topic'],
        registers: [registry],
        collect() {
          self.prune();
          this.reset();
          for (const [topic, c] of self.topics) this.inc({ topic }, pick(c));
        },
      });
    };
    counter('topic_bytes_in_total', 'Record batch bytes appended to the topic’s partitions led by this broker.', (c) => c.bytesIn);
    counter('topic_messages_in_total', 'Records appended to the topic’s partitions led by this broker.', (c) => c.messagesIn);
    counter('topic_bytes_out_total', 'Record batch bytes of the topic sent to consumers in fetch responses.', (c) => c.bytesOut);
  }

  setTopicExists(fn: (topic: string) => boolean): void {
    this.topicExists = fn;
  }

  appended(topic: string, bytes: number, records: number): void {
    const c = this.topics.get(topic) ?? this.add(topic);
    c.bytesIn += bytes;
    c.messagesIn += records;
  }

  sent(topic: string, bytes: number): void {
    const c = this.topics.get(topic) ?? this.add(topic);
    c.bytesOut += bytes;
  }

  partitionError(api: ApiRef, errorCode: number): void {
    this.errors.failed(api, errorCode);
  }

  private add(topic: string): TopicCells {
    const c = { bytesIn: 0, messagesIn: 0, bytesOut: 0 };
    this.topics.set(topic, c);
    return c;
  }

  private prune(): void {
    for (const t of this.topics.keys()) if (!this.topicExists(t)) this.topics.delete(t);
  }
}
