// AlterPartition on the controller: a partition leader proposes a new ISR (KIP-497). Each proposal is checked
// against the image the way Kafka's controller does, in this order:
//   unknown partition → UNKNOWN_TOPIC_OR_PARTITION (UNKNOWN_TOPIC_ID when named by id, v2+);
//   leader or partition epoch newer than ours → NOT_CONTROLLER (we are a stale controller; the leader retries);
//   older leader epoch → FENCED_LEADER_EPOCH; sender is not the leader → INVALID_REQUEST;
//   older partition epoch → INVALID_UPDATE_VERSION (the leader acted on stale state and waits for metadata);
//   ISR not within the replicas or without the leader → INVALID_REQUEST;
//   an ISR member that is unregistered, fenced, shutting down, or whose broker epoch (v3) is not its current
//   registration's → INELIGIBLE_REPLICA (OPERATION_NOT_ATTEMPTED before v2; KIP-841, KIP-903).
// A valid proposal becomes a PartitionChangeRecord (partition epoch +1, leader epoch unchanged); the response
// carries the partition's state after the change.

import { ErrorCode } from '../../wire/errors';
import type { AlterPartitionRequest, AlterPartitionRequestPartitionData } from '../../wire/generated/messages/AlterPartitionRequest';
import type { AlterPartitionResponse, AlterPartitionResponsePartitionData } from '../../wire/generated/messages/AlterPartitionResponse';
import type { MetadataImage, PartitionInfo, TopicInfo } from '../metadata/image';
import type { MetadataRecordOut } from './controller';
import { buildPartitionChange } from './partition-change';

export interface AlterPartitionPlan {
  records: MetadataRecordOut[];
  /** Fills the response once the records are applied (so it reports the committed state). */
  respond(image: MetadataImage): AlterPartitionResponse;
}

interface Outcome {
  topic: TopicInfo | undefined;
  topicKey: { topicName: string; topicId: string };
  partitionIndex: number;
  errorCode: number;
}

function brokerStates(p: AlterPartitionRequestPartitionData, version: number): { brokerId: number; brokerEpoch: number }[] {
  return version >= 3 ? p.newIsrWithEpochs : p.newIsr.map((brokerId) => ({ brokerId, brokerEpoch: -1 }));
}

function validate(
  image: MetadataImage,
  brokerId: number,
  part: PartitionInfo | undefined,
  data: AlterPartitionRequestPartitionData,
  version: number,
): number {
  if (!part) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
  if (data.leaderEpoch > part.leaderEpoch || data.partitionEpoch > part.partitionEpoch) return ErrorCode.NOT_CONTROLLER;
  if (data.leaderEpoch < part.leaderEpoch) return ErrorCode.FENCED_LEADER_EPOCH;
  if (brokerId !== part.leader) return ErrorCode.INVALID_REQUEST;
  if (data.partitionEpoch < part.partitionEpoch) return ErrorCode.INVALID_UPDATE_VERSION;
  const states = brokerStates(data, version);
  const ids = states.map((s) => s.brokerId);
  if (new Set(ids).size !== ids.length || ids.some((id) => !part.replicas.includes(id))) return ErrorCode.INVALID_REQUEST;
  if (!ids.includes(part.leader)) return ErrorCode.INVALID_REQUEST;
  for (const s of states) {
    const b = image.brokers.get(s.brokerId);
    const ineligible = !b || b.inControlledShutdown || b.fenced || (s.brokerEpoch !== -1 && b.epoch !== s.brokerEpoch);
    if (ineligible) return version > 1 ? ErrorCode.INELIGIBLE_REPLICA : ErrorCode.OPERATION_NOT_ATTEMPTED;
  }
  return ErrorCode.NONE;
}

export function planAlterPartition(image: MetadataImage, req: AlterPartitionRequest, version: number): AlterPartitionPlan {
  const byId = version >= 2;
  const registered = image.brokers.get(req.brokerId);
  if (!registered || (req.brokerEpoch !== -1 && registered.epoch !== req.brokerEpoch)) {
    return { records: [], respond: () => ({ throttleTimeMs: 0, errorCode: ErrorCode.STALE_BROKER_EPOCH, topics: [] }) };
  }
  const records: MetadataRecordOut[] = [];
  const outcomes: Outcome[] = [];
  for (const t of req.topics) {
    const topic = byId ? image.topicsById.get(t.topicId) : image.topics.get(t.topicName);
    const topicKey = { topicName: byId ? '' : t.topicName, topicId: byId ? t.topicId : (topic?.id ?? t.topicId) };
    for (const p of t.partitions) {
      if (!topic) {
        const errorCode = byId ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        outcomes.push({ topic, topicKey, partitionIndex: p.partitionIndex, errorCode });
        continue;
      }
      const part = topic.partitions.get(p.partitionIndex);
      const errorCode = validate(image, req.brokerId, part, p, version);
      if (errorCode === ErrorCode.NONE) {
        const change = buildPartitionChange(topic.id, part!, {
          targetIsr: brokerStates(p, version).map((s) => s.brokerId),
          // An ISR change never moves leadership: the requester is the validated leader.
          isAcceptableLeader: (r) => r === part!.leader,
          uncleanElection: false,
        });
        if (change) records.push(change);
      }
      outcomes.push({ topic, topicKey, partitionIndex: p.partitionIndex, errorCode });
    }
  }
  return {
    records,
    respond(after: MetadataImage): AlterPartitionResponse {
      const topics = new Map<string, AlterPartitionResponse['topics'][number]>();
      for (const o of outcomes) {
        const k = `${o.topicKey.topicName}\u0000${o.topicKey.topicId}`;
        let t = topics.get(k);
        if (!t) topics.set(k, (t = { ...o.topicKey, partitions: [] }));
        const res: AlterPartitionResponsePartitionData = {
          partitionIndex: o.partitionIndex,
          errorCode: o.errorCode,
          leaderId: -1,
          leaderEpoch: -1,
          isr: [],
          leaderRecoveryState: 0,
          partitionEpoch: -1,
        };
        if (o.errorCode === ErrorCode.NONE && o.topic) {
          const now = after.topicsById.get(o.topic.id)?.partitions.get(o.partitionIndex);
          if (now) Object.assign(res, { leaderId: now.leader, leaderEpoch: now.leaderEpoch, isr: [...now.isr], partitionEpoch: now.partitionEpoch });
        }
        t.partitions.push(res);
      }
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, topics: [...topics.values()] };
    },
  };
}
