// Builds the PartitionChangeRecord for a partition whose ISR should become `targetIsr`, electing a leader when the
// current one is missing, left the ISR or is no longer acceptable (fenced). A clean election takes the first
// replica, in assignment order, that is in the target ISR and acceptable; only when there is none and unclean
// election is enabled for the topic may an acceptable replica outside the ISR lead, and the ISR then shrinks to it
// (data it lacks is lost, which is why unclean.leader.election.enable defaults to false). An ISR is never written
// empty: when its last member goes, the ISR keeps it, so that replica alone may lead again later (Kafka's rule).

import type { PartitionInfo } from '../metadata/image';
import { MetadataRecordType, NO_LEADER_CHANGE } from '../metadata/image';
import type { MetadataRecordOut } from './controller';

export const NO_LEADER = -1;

export interface PartitionChangeInput {
  targetIsr: readonly number[];
  /** Whether a replica may lead (registered, unfenced, not shutting down). */
  isAcceptableLeader(replica: number): boolean;
  uncleanElection: boolean;
}

export interface ElectionResult {
  leader: number;
  unclean: boolean;
}

export function electLeader(p: PartitionInfo, targetIsr: readonly number[], input: PartitionChangeInput): ElectionResult {
  for (const r of p.replicas) if (targetIsr.includes(r) && input.isAcceptableLeader(r)) return { leader: r, unclean: false };
  if (input.uncleanElection) {
    for (const r of p.replicas) if (input.isAcceptableLeader(r)) return { leader: r, unclean: true };
  }
  return { leader: NO_LEADER, unclean: false };
}

function sameList(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** The change record, or null when the partition already is in the target state. */
export function buildPartitionChange(topicId: string, p: PartitionInfo, input: PartitionChangeInput): MetadataRecordOut | null {
  let targetIsr = [...input.targetIsr];
  let leader = NO_LEADER_CHANGE;
  const needsElection = p.leader === NO_LEADER || !targetIsr.includes(p.leader) || !input.isAcceptableLeader(p.leader);
  if (needsElection) {
    const elected = electLeader(p, targetIsr, input);
    if (elected.leader !== p.leader) {
      leader = elected.leader;
      if (elected.unclean) targetIsr = [elected.leader];
    }
  }
  const isr = targetIsr.length > 0 && !sameList(targetIsr, p.isr) ? targetIsr : null;
  if (leader === NO_LEADER_CHANGE && isr === null) return null;
  return {
    apiKey: MetadataRecordType.PartitionChange,
    version: 0,
    data: { partitionId: p.partition, topicId, leader, isr, replicas: null, removingReplicas: null, addingReplicas: null },
  };
}
