// Gauges read from the broker's state when Prometheus scrapes: hosted, led, under-replicated and offline partitions,
// the active controller flag, open connections, groups by state, consumer lag and log sizes.

import { Gauge, type Registry } from 'prom-client';
import { type GroupOffsetsView, consumerLag } from './lag';
import { PREFIX } from './names';

/** A partition this broker hosts (the replica manager's Partition satisfies it). */
export interface HostedPartitionView {
  readonly topic: string;
  readonly index: number;
  readonly isLeader: boolean;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  readonly highWatermark: number;
  readonly log: { readonly size: number };
}

export interface BrokerStateView {
  hostedPartitions(): Iterable<HostedPartitionView>;
  hostedPartition(topic: string, partition: number): HostedPartitionView | undefined;
  /** Leaders of every partition in the cluster, as the metadata image has them (-1: no leader). */
  clusterPartitionLeaders(): Iterable<number>;
  isActiveController(): boolean;
  connectionCount(): number;
  /** Whether a topic still exists (per-topic counters of deleted topics are dropped). */
  topicExists(topic: string): boolean;
  /** Null when this process runs no group coordinator. */
  readonly groups: GroupOffsetsView | null;
}

/** The classic protocol's live states; each is reported, at 0 when no group is in it. */
export const GROUP_STATES: readonly string[] = ['Empty', 'PreparingRebalance', 'CompletingRebalance', 'Stable'];

export function registerStateGauges(registry: Registry, state: BrokerStateView): void {
  const gauge = (name: string, help: string, collect: (g: Gauge) => void, labelNames: string[] = []): void => {
    new Gauge({
      name: `${PREFIX}${name}`,
      help,
      labelNames,
      registers: [registry],
      collect() {
        collect(this);
      },
    });
  };

  gauge('partitions', 'Partitions hosted by this broker.', (g) => g.set(count(state.hostedPartitions(), () => true)));
  gauge('leader_partitions', 'Partitions this broker leads.', (g) => g.set(count(state.hostedPartitions(), (p) => p.isLeader)));
  gauge(
    'under_replicated_partitions',
    'Partitions led by this broker whose in-sync replicas are fewer than their replicas.',
    (g) => g.set(count(state.hostedPartitions(), (p) => p.isLeader && p.isr.length < p.replicas.length)),
  );
  gauge(
    'offline_partitions',
    'Partitions of the cluster without a leader; reported by the active controller only (0 elsewhere), as Kafka does.',
    (g) => {
      let n = 0;
      if (state.isActiveController()) for (const leader of state.clusterPartitionLeaders()) if (leader < 0) n++;
      g.set(n);
    },
  );
  gauge('active_controller', '1 on the active controller, else 0.', (g) => g.set(state.isActiveController() ? 1 : 0));
  gauge('connections', 'Open client connections.', (g) => g.set(state.connectionCount()));
  gauge(
    'log_size_bytes',
    'Bytes of a hosted partition’s log segments on disk.',
    (g) => {
      g.reset();
      for (const p of state.hostedPartitions()) g.set({ topic: p.topic, partition: String(p.index) }, p.log.size);
    },
    ['topic', 'partition'],
  );

  const groups = state.groups;
  if (groups === null) return;
  gauge(
    'groups',
    'Consumer groups coordinated by this broker, by state.',
    (g) => {
      const byState = new Map<string, number>(GROUP_STATES.map((s) => [s, 0]));
      for (const x of groups.listGroups().groups) byState.set(x.groupState, (byState.get(x.groupState) ?? 0) + 1);
      g.reset();
      for (const [s, n] of byState) g.set({ state: s }, n);
    },
    ['state'],
  );
  gauge(
    'consumer_group_lag',
    'High watermark minus committed offset, per group and partition (partitions hosted by this broker).',
    (g) => {
      g.reset();
      const rows = consumerLag(groups, (t, p) => state.hostedPartition(t, p)?.highWatermark);
      for (const r of rows) g.set({ group: r.group, topic: r.topic, partition: String(r.partition) }, r.lag);
    },
    ['group', 'topic', 'partition'],
  );
}

function count<T>(items: Iterable<T>, pred: (x: T) => boolean): number {
  let n = 0;
  for (const x of items) if (pred(x)) n++;
  return n;
}
