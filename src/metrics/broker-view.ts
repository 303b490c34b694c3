// Adapts the broker's parts to the read-only view the scrape-time gauges use.

import type { ReplicaManager } from '../isr/replica-manager';
import type { MetadataImage } from '../kraft/metadata/image';
import type { GroupOffsetsView } from './lag';
import type { BrokerStateView } from './state-gauges';

export interface BrokerParts {
  readonly nodeId: number;
  readonly replicas: ReplicaManager;
  readonly image: MetadataImage;
  readonly server: { readonly connectionCount: number };
  readonly groups: GroupOffsetsView | null;
  /** The active controller's id as this broker knows it. */
  controllerId(): number;
}

export function brokerStateView(b: BrokerParts): BrokerStateView {
  return {
    hostedPartitions: () => b.replicas.allPartitions(),
    hostedPartition: (topic, partition) => b.replicas.getPartition(topic, partition),
    *clusterPartitionLeaders() {
      for (const t of b.image.topics.values()) for (const p of t.partitions.values()) yield p.leader;
    },
    isActiveController: () => b.controllerId() === b.nodeId,
    connectionCount: () => b.server.connectionCount,
    topicExists: (topic) => b.image.topics.has(topic),
    groups: b.groups,
  };
}
