// Partition leadership when a broker's availability changes, as the KRaft controller plans it: a broker that is
// fenced, shutting down or unregistered leaves every ISR (it cannot keep up any more) and the partitions it led get
// a leader from the rest of their ISR — or none, which leaves the partition offline until a replica returns, unless
// unclean election is enabled. A broker that becomes available again leads the partitions that have no leader and
// whose ISR holds it. The records are PartitionChangeRecords; applying one with a new leader bumps the leader epoch.

import type { MetadataImage } from '../metadata/image';
import type { MetadataRecordOut } from './controller';
import { buildPartitionChange } from './partition-change';

/** A broker that may lead: registered, unfenced, not shutting down. */
export function isActiveBroker(image: MetadataImage, id: number): boolean {
  const b = image.brokers.get(id);
  return b !== undefined && !b.fenced && !b.inControlledShutdown;
}

/** The topic's unclean.leader.election.enable, else the cluster's. */
export function uncleanElectionEnabled(image: MetadataImage, topic: string, clusterDefault: boolean): boolean {
  const v = image.topicConfig(topic).get('unclean.leader.election.enable');
  return v !== undefined ? v.trim().toLowerCase() === 'true' : clusterDefault;
}

/** Takes `brokerId` out of every ISR and moves the leaderships it holds to acceptable ISR members. */
export function planBrokerRemoval(image: MetadataImage, brokerId: number, clusterUnclean: boolean): MetadataRecordOut[] {
  const acceptable = (r: number) => r !== brokerId && isActiveBroker(image, r);
  const records: MetadataRecordOut[] = [];
  for (const t of image.topics.values()) {
    for (const p of t.partitions.values()) {
      if (!p.isr.includes(brokerId) && p.leader !== brokerId) continue;
      const change = buildPartitionChange(t.id, p, {
        targetIsr: p.isr.filter((r) => r !== brokerId),
        isAcceptableLeader: acceptable,
        uncleanElection: uncleanElectionEnabled(image, t.name, clusterUnclean),
      });
      if (change) records.push(change);
    }
  }
  return records;
}

/** Elects leaders for leaderless partitions `brokerId` replicates, now that it is available. */
export function planElectionsForReturningBroker(image: MetadataImage, brokerId: number, clusterUnclean: boolean): MetadataRecordOut[] {
  const acceptable = (r: number) => r === brokerId || isActiveBroker(image, r);
  const records: MetadataRecordOut[] = [];
  for (const t of image.topics.values()) {
    for (const p of t.partitions.values()) {
      if (p.leader !== -1 || !p.replicas.includes(brokerId)) continue;
      const change = buildPartitionChange(t.id, p, {
        targetIsr: p.isr,
        isAcceptableLeader: acceptable,
        uncleanElection: uncleanElectionEnabled(image, t.name, clusterUnclean),
      });
      if (change) records.push(change);
    }
  }
  return records;
}
