// The in-memory image of cluster metadata, built only by applying metadata records in log order. Every broker
// answers Metadata, DescribeConfigs and the like from its image; the controller validates changes against it.

import { ZERO_UUID } from '../../wire/primitives';

export interface BrokerEndpoint {
  name: string;
  host: string;
  port: number;
  securityProtocol: number;
}

export interface BrokerInfo {
  id: number;
  epoch: number;
  incarnationId: string;
  endpoints: BrokerEndpoint[];
  rack: string | null;
  fenced: boolean;
  inControlledShutdown: boolean;
}

export interface PartitionInfo {
  partition: number;
  replicas: number[];
  isr: number[];
  removingReplicas: number[];
  addingReplicas: number[];
  /** -1 when the partition has no leader. */
  leader: number;
  leaderEpoch: number;
  partitionEpoch: number;
}

export interface TopicInfo {
  name: string;
  id: string;
  partitions: Map<number, PartitionInfo>;
}

/** Config resource types as numbered in the protocol (DescribeConfigs ResourceType). */
export const ResourceType = { TOPIC: 2, BROKER: 4, BROKER_LOGGER: 8 } as const;

/** The record kinds the image understands, by metadata record api key. */
export const MetadataRecordType = {
  RegisterBroker: 0,
  UnregisterBroker: 1,
  Topic: 2,
  Partition: 3,
  Config: 4,
  PartitionChange: 5,
  FenceBroker: 7,
  UnfenceBroker: 8,
  RemoveTopic: 9,
  FeatureLevel: 12,
  ProducerIds: 15,
  BrokerRegistrationChange: 17,
  NoOp: 20,
  RegisterController: 27,
} as const;

/** Changes an image saw when a batch of records was applied, so listeners (the replica manager) can react. */
export interface MetadataDelta {
  createdTopics: Set<string>;
  deletedTopics: Map<string, TopicInfo>;
  changedPartitions: { topic: string; partition: PartitionInfo }[];
  changedConfigs: { resourceType: number; resourceName: string }[];
  changedBrokers: Set<number>;
}

export function emptyDelta(): MetadataDelta {
  return { createdTopics: new Set(), deletedTopics: new Map(), changedPartitions: [], changedConfigs: [], changedBrokers: new Set() };
}

function configKey(resourceType: number, resourceName: string): string {
  return `${resourceType}:${resourceName}`;
}

// Field shapes of the records the image reads (the generated codec types have these names and more).
interface RegisterBroker {
  brokerId: number;
  brokerEpoch: number;
  incarnationId: string;
  endPoints: { name: string; host: string; port: number; securityProtocol: number }[];
  rack: string | null;
  fenced: boolean;
  inControlledShutdown: boolean;
}
interface PartitionRecordShape {
  partitionId: number;
  topicId: string;
  replicas: number[];
  isr: number[];
  removingReplicas: number[];
  addingReplicas: number[];
  leader: number;
  leaderEpoch: number;
  partitionEpoch: number;
}
interface PartitionChangeShape {
  partitionId: number;
  topicId: string;
  isr: number[] | null;
  leader: number;
  replicas: number[] | null;
  removingReplicas: number[] | null;
  addingReplicas: number[] | null;
}

/** PartitionChangeRecord's leader value meaning "unchanged" (-1 means "no leader"). */
export const NO_LEADER_CHANGE = -2;

export class MetadataImage {
  readonly brokers = new Map<number, BrokerInfo>();
  readonly topics = new Map<string, TopicInfo>();
  readonly topicsById = new Map<string, TopicInfo>();
  private readonly configs = new Map<string, Map<string, string>>();
  readonly features = new Map<string, number>();
  /** Next producer id block start handed out by the controller. */
  nextProducerId = 0;
  /** Offset of the last metadata record applied. */
  lastAppliedOffset = -1;

  topicConfig(topic: string): ReadonlyMap<string, string> {
    return this.configs.get(configKey(ResourceType.TOPIC, topic)) ?? new Map();
  }

  resourceConfig(resourceType: number, resourceName: string): ReadonlyMap<string, string> {
    return this.configs.get(configKey(resourceType, resourceName)) ?? new Map();
  }

  /** Every config resource that has overrides (snapshots write them out). */
  configResources(): { resourceType: number; resourceName: string; configs: ReadonlyMap<string, string> }[] {
    const out: { resourceType: number; resourceName: string; configs: ReadonlyMap<string, string> }[] = [];
    for (const [key, configs] of this.configs) {
      if (configs.size === 0) continue;
      const sep = key.indexOf(':');
      out.push({ resourceType: Number(key.slice(0, sep)), resourceName: key.slice(sep + 1), configs });
    }
    return out;
  }

  /** Forgets everything, keeping this object (handlers hold it): a metadata snapshot is about to replace it. */
  reset(): void {
    this.brokers.clear();
    this.topics.clear();
    this.topicsById.clear();
    this.configs.clear();
    this.features.clear();
    this.nextProducerId = 0;
    this.lastAppliedOffset = -1;
  }

  partition(topic: string, partition: number): PartitionInfo | undefined {
    return this.topics.get(topic)?.partitions.get(partition);
  }

  /** Brokers that are registered and not fenced, in id order. */
  liveBrokers(): BrokerInfo[] {
    return [...this.brokers.values()].filter((b) => !b.fenced).sort((a, b) => a.id - b.id);
  }

  /** Applies one record; records its effect in `delta`. Unknown record kinds are ignored, as Kafka's image does. */
  apply(apiKey: number, record: unknown, delta: MetadataDelta): void {
    switch (apiKey) {
      case MetadataRecordType.RegisterBroker: {
        const r = record as RegisterBroker;
        this.brokers.set(r.brokerId, {
          id: r.brokerId,
          epoch: r.brokerEpoch,
          incarnationId: r.incarnationId,
          endpoints: r.endPoints.map((e) => ({ name: e.name, host: e.host, port: e.port, securityProtocol: e.securityProtocol })),
          rack: r.rack,
          fenced: r.fenced,
          inControlledShutdown: r.inControlledShutdown,
        });
        delta.changedBrokers.add(r.brokerId);
        break;
      }
      case MetadataRecordType.UnregisterBroker: {
        const r = record as { brokerId: number };
        this.brokers.delete(r.brokerId);
        delta.changedBrokers.add(r.brokerId);
        break;
      }
      case MetadataRecordType.FenceBroker:
      case MetadataRecordType.UnfenceBroker: {
        const r = record as { id: number; epoch: number };
        const b = this.brokers.get(r.id);
        if (b) b.fenced = apiKey === MetadataRecordType.FenceBroker;
        delta.changedBrokers.add(r.id);
        break;
      }
      case MetadataRecordType.BrokerRegistrationChange: {
        const r = record as { brokerId: number; fenced: number; inControlledShutdown: number };
        const b = this.brokers.get(r.brokerId);
        // fenced / inControlledShutdown: -1 false, 0 unchanged, 1 true
        if (b && r.fenced !== 0) b.fenced = r.fenced === 1;
        if (b && r.inControlledShutdown !== 0) b.inControlledShutdown = r.inControlledShutdown === 1;
        delta.changedBrokers.add(r.brokerId);
        break;
      }
      case MetadataRecordType.Topic: {
        const r = record as { name: string; topicId: string };
        const t: TopicInfo = { name: r.name, id: r.topicId, partitions: new Map() };
        this.topics.set(r.name, t);
        this.topicsById.set(r.topicId, t);
        delta.createdTopics.add(r.name);
        delta.deletedTopics.delete(r.name);
        break;
      }
      case MetadataRecordType.Partition: {
        const r = record as PartitionRecordShape;
        const t = this.topicsById.get(r.topicId);
        if (!t) break;
        const p: PartitionInfo = {
          partition: r.partitionId,
          replicas: [...r.replicas],
          isr: [...r.isr],
          removingReplicas: [...r.removingReplicas],
          addingReplicas: [...r.addingReplicas],
          leader: r.leader,
          leaderEpoch: r.leaderEpoch,
          partitionEpoch: r.partitionEpoch,
        };
        t.partitions.set(r.partitionId, p);
        delta.changedPartitions.push({ topic: t.name, partition: p });
        break;
      }
      case MetadataRecordType.PartitionChange: {
        const r = record as PartitionChangeShape;
        const t = this.topicsById.get(r.topicId);
        const p = t?.partitions.get(r.partitionId);
        if (!t || !p) break;
        if (r.isr !== null) p.isr = [...r.isr];
        if (r.replicas !== null) p.replicas = [...r.replicas];
        if (r.removingReplicas !== null) p.removingReplicas = [...r.removingReplicas];
        if (r.addingReplicas !== null) p.addingReplicas = [...r.addingReplicas];
        // As in Kafka: a leader change bumps the leader epoch; every change bumps the partition epoch.
        if (r.leader !== NO_LEADER_CHANGE) {
          p.leader = r.leader;
          p.leaderEpoch++;
        }
        p.partitionEpoch++;
        delta.changedPartitions.push({ topic: t.name, partition: p });
        break;
      }
      case MetadataRecordType.RemoveTopic: {
        const r = record as { topicId: string };
        const t = this.topicsById.get(r.topicId);
        if (!t) break;
        this.topicsById.delete(r.topicId);
        this.topics.delete(t.name);
        this.configs.delete(configKey(ResourceType.TOPIC, t.name));
        delta.createdTopics.delete(t.name);
        delta.deletedTopics.set(t.name, t);
        break;
      }
      case MetadataRecordType.Config: {
        const r = record as { resourceType: number; resourceName: string; name: string; value: string | null };
        const key = configKey(r.resourceType, r.resourceName);
        let m = this.configs.get(key);
        if (!m) this.configs.set(key, (m = new Map()));
        if (r.value === null) m.delete(r.name);
        else m.set(r.name, r.value);
        delta.changedConfigs.push({ resourceType: r.resourceType, resourceName: r.resourceName });
        break;
      }
      case MetadataRecordType.FeatureLevel: {
        const r = record as { name: string; featureLevel: number };
        this.features.set(r.name, r.featureLevel);
        break;
      }
      case MetadataRecordType.ProducerIds: {
        const r = record as { nextProducerId: number };
        this.nextProducerId = r.nextProducerId;
        break;
      }
      default:
        break;
    }
  }
}

export function isZeroUuid(id: string): boolean {
  return id === ZERO_UUID;
}
