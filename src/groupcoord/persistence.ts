// Storage of group state in __consumer_offsets, behind an interface so the broker plugs in its partition log and
// tests use memory. This module turns group state into records and replays records back into state.

import { GroupMember } from './member';
import { ClassicGroup } from './group';
import type { CommittedOffset } from './offsets';
import {
  decodeGroupMetadataValue,
  decodeKey,
  decodeOffsetCommitValue,
  encodeGroupMetadataKey,
  encodeGroupMetadataValue,
  encodeOffsetCommitKey,
  encodeOffsetCommitValue,
  type StoredGroup,
} from './records';

export interface CoordinatorRecord {
  key: Buffer;
  /** Null is a tombstone. */
  value: Buffer | null;
}

export interface StoredRecord extends CoordinatorRecord {
  offset: number;
}

/**
 * The coordinator's view of __consumer_offsets. Requirements on an implementation:
 * - append() resolves once the records are durable/acknowledged (as acks=all would), and rejects otherwise,
 *   preferably with a KafkaError carrying the produce error code;
 * - appends to one partition land in the order the calls were made;
 * - read() yields the partition's records from the start, in offset order, up to the end at the time of the call.
 */
export interface CoordinatorLog {
  append(partition: number, records: CoordinatorRecord[]): Promise<void>;
  read(partition: number): AsyncIterable<StoredRecord>;
}

export function offsetCommitRecord(
  group: string,
  topic: string,
  partition: number,
  o: CommittedOffset,
): CoordinatorRecord {
  return { key: encodeOffsetCommitKey(group, topic, partition), value: encodeOffsetCommitValue(o) };
}

export function offsetTombstone(group: string, topic: string, partition: number): CoordinatorRecord {
  return { key: encodeOffsetCommitKey(group, topic, partition), value: null };
}

export function groupTombstone(group: string): CoordinatorRecord {
  return { key: encodeGroupMetadataKey(group), value: null };
}

/** The group's metadata record, with each member's assignment taken from `assignment` (missing → empty). */
export function groupMetadataRecord(group: ClassicGroup, assignment: ReadonlyMap<string, Buffer>): CoordinatorRecord {
  const protocol = group.protocolName;
  const stored: StoredGroup = {
    protocolType: group.protocolType ?? '',
    generation: group.generationId,
    protocol,
    leader: group.leaderId,
    currentStateTimestamp: group.currentStateTimestamp,
    members: group.allMembers().map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      rebalanceTimeout: m.rebalanceTimeoutMs,
      sessionTimeout: m.sessionTimeoutMs,
      subscription: protocol === null ? Buffer.alloc(0) : m.metadataFor(protocol),
      assignment: assignment.get(m.memberId) ?? Buffer.alloc(0),
    })),
  };
  return { key: encodeGroupMetadataKey(group.groupId), value: encodeGroupMetadataValue(stored) };
}

/** What a partition's records add up to: latest value per key, tombstones applied. */
export interface LoadedPartition {
  groups: Map<string, StoredGroup>;
  offsets: Map<string, Map<string, Map<number, CommittedOffset>>>;
}

export async function replayPartition(log: CoordinatorLog, partition: number): Promise<LoadedPartition> {
  const groups = new Map<string, StoredGroup>();
  const offsets = new Map<string, Map<string, Map<number, CommittedOffset>>>();
  for await (const rec of log.read(partition)) {
    const key = decodeKey(rec.key);
    if (key.type === 'offset') {
      let byTopic = offsets.get(key.group);
      if (rec.value === null) {
        byTopic?.get(key.topic)?.delete(key.partition);
        continue;
      }
      if (byTopic === undefined) offsets.set(key.group, (byTopic = new Map()));
      let byPartition = byTopic.get(key.topic);
      if (byPartition === undefined) byTopic.set(key.topic, (byPartition = new Map()));
      byPartition.set(key.partition, decodeOffsetCommitValue(rec.value));
    } else if (key.type === 'group') {
      if (rec.value === null) groups.delete(key.group);
      else groups.set(key.group, decodeGroupMetadataValue(rec.value));
    }
    // Other record types (new consumer protocol, share groups) belong to coordinators this broker does not run.
  }
  return { groups, offsets };
}

/**
 * Builds the in-memory groups of a loaded partition. A group with members comes back Stable with its last
 * assignment (the members' sessions restart now); a group with only offsets comes back Empty.
 */
export function buildGroups(loaded: LoadedPartition, partition: number, now: number): ClassicGroup[] {
  const out: ClassicGroup[] = [];
  const ids = new Set([...loaded.groups.keys(), ...loaded.offsets.keys()]);
  for (const id of ids) {
    const stored = loaded.groups.get(id);
    const storedOffsets = loaded.offsets.get(id);
    let offsetCount = 0;
    for (const m of storedOffsets?.values() ?? []) offsetCount += m.size;
    if (stored === undefined && offsetCount === 0) continue;

    let group: ClassicGroup;
    if (stored !== undefined) {
      const state = stored.members.length > 0 ? 'Stable' : 'Empty';
      const since = stored.currentStateTimestamp >= 0 ? stored.currentStateTimestamp : now;
      group = new ClassicGroup(id, partition, since, state);
      group.generationId = stored.generation;
      group.protocolType = stored.protocolType.length > 0 ? stored.protocolType : null;
      group.protocolName = stored.protocol;
      for (const sm of stored.members) {
        const member = new GroupMember(
          sm.memberId,
          sm.groupInstanceId,
          sm.clientId,
          sm.clientHost,
          sm.rebalanceTimeout >= 0 ? sm.rebalanceTimeout : sm.sessionTimeout,
          sm.sessionTimeout,
          stored.protocolType,
          stored.protocol === null ? [] : [{ name: stored.protocol, metadata: sm.subscription }],
        );
        member.assignment = sm.assignment;
        group.add(member);
      }
      // add() makes the first member leader; the stored leader wins.
      group.leaderId = stored.leader !== null && group.has(stored.leader) ? stored.leader : group.leaderId;
      group.subscribedTopics = group.computeSubscribedTopics();
    } else {
      group = new ClassicGroup(id, partition, now, 'Empty');
    }
    for (const [topic, byPartition] of storedOffsets ?? []) {
      for (const [p, o] of byPartition) group.offsets.put(topic, p, o);
    }
    out.push(group);
  }
  return out;
}
