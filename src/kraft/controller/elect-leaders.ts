// ElectLeaders (KIP-460) on the controller. PREFERRED (0) moves leadership back to the first replica of the
// assignment when it is in the ISR and available; UNCLEAN (1) elects a leader for partitions that have none, from the
// ISR if possible and otherwise from any available replica (accepting data loss, which is what the operator asked
// for). Per-partition answers use Kafka's codes: ELECTION_NOT_NEEDED, PREFERRED_LEADER_NOT_AVAILABLE,
// ELIGIBLE_LEADERS_NOT_AVAILABLE, UNKNOWN_TOPIC_OR_PARTITION. With no partitions named, every partition is
// considered and those already in the wanted state are left out of the answer, as Kafka does.

import { ErrorCode } from '../../wire/errors';
import type { MetadataImage, PartitionInfo } from '../metadata/image';
import { MetadataRecordType } from '../metadata/image';
import type { MetadataRecordOut, PlannedWrite } from './controller';
import { buildPartitionChange } from './partition-change';
import { isActiveBroker } from './leadership';

export const ElectionType = { PREFERRED: 0, UNCLEAN: 1 } as const;

export interface ElectLeadersInput {
  electionType: number;
  /** null: every partition of every topic. */
  topicPartitions: { topic: string; partitions: number[] }[] | null;
}

export interface PartitionElectionResult {
  partitionId: number;
  errorCode: number;
  errorMessage: string | null;
}

export interface TopicElectionResult {
  topic: string;
  partitions: PartitionElectionResult[];
}

function electOne(
  image: MetadataImage,
  topicId: string,
  p: PartitionInfo,
  electionType: number,
  records: MetadataRecordOut[],
): { errorCode: number; errorMessage: string | null } {
  const active = (r: number) => isActiveBroker(image, r);
  if (electionType === ElectionType.PREFERRED) {
    const preferred = p.replicas[0];
    if (preferred === undefined) return { errorCode: ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE, errorMessage: 'The partition has no replicas.' };
    if (p.leader === preferred) return { errorCode: ErrorCode.ELECTION_NOT_NEEDED, errorMessage: 'Leader election not needed for topic partition.' };
    if (!p.isr.includes(preferred) || !active(preferred)) {
      return { errorCode: ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE, errorMessage: `Failed to elect leader: the preferred replica ${preferred} is not in the ISR or not available.` };
    }
    records.push({
      apiKey: MetadataRecordType.PartitionChange,
      version: 0,
      data: { partitionId: p.partition, topicId, leader: preferred, isr: null, replicas: null, removingReplicas: null, addingReplicas: null },
    });
    return { errorCode: ErrorCode.NONE, errorMessage: null };
  }
  if (electionType === ElectionType.UNCLEAN) {
    if (p.leader !== -1 && active(p.leader)) return { errorCode: ErrorCode.ELECTION_NOT_NEEDED, errorMessage: 'Leader election not needed for topic partition.' };
    const change = buildPartitionChange(topicId, p, { targetIsr: p.isr, isAcceptableLeader: active, uncleanElection: true });
    const leader = change?.data['leader'];
    if (change === null || typeof leader !== 'number' || leader < 0) {
      return { errorCode: ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE, errorMessage: 'No replica of the partition is available to lead.' };
    }
    records.push(change);
    return { errorCode: ErrorCode.NONE, errorMessage: null };
  }
  return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unknown election type ${electionType}` };
}

export function planElectLeaders(image: MetadataImage, input: ElectLeadersInput): PlannedWrite<TopicElectionResult[]> {
  const records: MetadataRecordOut[] = [];
  const results: TopicElectionResult[] = [];
  if (input.topicPartitions === null) {
    for (const t of image.topics.values()) {
      const partitions: PartitionElectionResult[] = [];
      for (const p of [...t.partitions.values()].sort((a, b) => a.partition - b.partition)) {
        const r = electOne(image, t.id, p, input.electionType, records);
        if (r.errorCode !== ErrorCode.ELECTION_NOT_NEEDED) partitions.push({ partitionId: p.partition, ...r });
      }
      results.push({ topic: t.name, partitions });
    }
    return { records, result: results };
  }
  for (const tp of input.topicPartitions) {
    const t = image.topics.get(tp.topic);
    results.push({
      topic: tp.topic,
      partitions: tp.partitions.map((partitionId) => {
        const p = t?.partitions.get(partitionId);
        if (!t || !p) return { partitionId, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: 'This server does not host this topic-partition.' };
        return { partitionId, ...electOne(image, t.id, p, input.electionType, records) };
      }),
    });
  }
  return { records, result: results };
}
