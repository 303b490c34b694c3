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
  /** The producer whose transaction wrote the record (TxnOffsetCommit); absent for ordinary writes. */
  producerId?: number;
}

/** A transaction marker: the producer's transactional records before it count (commit) or not (abort). */
export interface StoredMarker {
  offset: number;
  marker: { producerId: number; commit: boolean };
}

export type StoredEntry = StoredRecord | StoredMarker;

/** The transactional producer a write belongs to. */
export interface TxnWriter {
  producerId: number;
  producerEpoch: number;
}

/**
 * The coordinator's view of __consumer_offsets. Requirements on an implementation:
 * - append() resolves once the records are durable/acknowledged (as acks=all would), and rejects otherwise,
 *   preferably with a KafkaError carrying the produce error code; with `txn` the records are written as part of
 *   that producer's transaction (a transactional batch; a stale epoch fails with INVALID_PRODUCER_EPOCH);
 * - appends to one partition land in the order the calls were made;
 * - read() yields the partition's records and transaction markers from the start, in offset order, up to the end
 *   at the time of the call.
 */
export interface CoordinatorLog {
  append(partition: number, records: CoordinatorRecord[], txn?: TxnWriter): Promise<void>;
  read(partition: number): AsyncIterable<StoredEntry>;
}

export function isMarker(e: StoredEntry): e is StoredMarker {
  return 'marker' in e;
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

/** A committed offset as loaded, with the log offset of the record that carried it. */
export interface LoadedOffset {
  value: CommittedOffset;
  recordOffset: number;
}

/** A transactional offset commit whose transaction had no marker yet at load time. */
export interface LoadedPendingOffset extends LoadedOffset {
  producerId: number;
  group: string;
  topic: string;
  partition: number;
}

/** What a partition's records add up to: latest value per key, tombstones applied, transactions resolved. */
export interface LoadedPartition {
  groups: Map<string, StoredGroup>;
  offsets: Map<string, Map<string, Map<number, LoadedOffset>>>;
  /** Offsets of transactions still undecided at the end of the log. */
  pending: LoadedPendingOffset[];
}

function offsetSlot(offsets: LoadedPartition['offsets'], group: string, topic: string): Map<number, LoadedOffset> {
  let byTopic = offsets.get(group);
  if (byTopic === undefined) offsets.set(group, (byTopic = new Map()));
  let byPartition = byTopic.get(topic);
  if (byPartition === undefined) byTopic.set(topic, (byPartition = new Map()));
  return byPartition;
}

export async function replayPartition(log: CoordinatorLog, partition: number): Promise<LoadedPartition> {
  const groups = new Map<string, StoredGroup>();
  const offsets: LoadedPartition['offsets'] = new Map();
  // producerId → "group\0topic\0partition" → offset written in its still open transaction.
  const open = new Map<number, Map<string, LoadedPendingOffset>>();
  for await (const rec of log.read(partition)) {
    if (isMarker(rec)) {
      const written = open.get(rec.marker.producerId);
      open.delete(rec.marker.producerId);
      if (!written || !rec.marker.commit) continue;
      for (const o of written.values()) {
        // An ordinary commit of the partition written after the transaction's record wins over it.
        const slot = offsetSlot(offsets, o.group, o.topic);
        const cur = slot.get(o.partition);
        if (cur === undefined || cur.recordOffset < o.recordOffset) slot.set(o.partition, { value: o.value, recordOffset: o.recordOffset });
      }
      continue;
    }
    const key = decodeKey(rec.key);
    if (key.type === 'offset') {
      if (rec.producerId !== undefined && rec.value !== null) {
        let written = open.get(rec.producerId);
        if (!written) open.set(rec.producerId, (written = new Map()));
        written.set(`${key.group}\u0000${key.topic}\u0000${key.partition}`, {
          producerId: rec.producerId,
          group: key.group,
          topic: key.topic,
          partition: key.partition,
          value: decodeOffsetCommitValue(rec.value),
          recordOffset: rec.offset,
        });
        continue;
      }
      if (rec.value === null) {
        offsets.get(key.group)?.get(key.topic)?.delete(key.partition);
        continue;
      }
      offsetSlot(offsets, key.group, key.topic).set(key.partition, { value: decodeOffsetCommitValue(rec.value), recordOffset: rec.offset });
    } else if (key.type === 'group') {
      if (rec.value === null) groups.delete(key.group);
      else groups.set(key.group, decodeGroupMetadataValue(rec.value));
    }
    // Other record types (new consumer protocol, share groups) belong to coordinators this broker does not run.
  }
  const pending: LoadedPendingOffset[] = [];
  for (const written of open.values()) pending.push(...written.values());
  return { groups, offsets, pending };
}

function maxRecordOffset(loaded: LoadedPartition): number {
  let max = 0;
  for (const o of loaded.pending) max = Math.max(max, o.recordOffset);
  for (const byTopic of loaded.offsets.values()) for (const m of byTopic.values()) for (const o of m.values()) max = Math.max(max, o.recordOffset);
  return max;
}

/**
 * Builds the in-memory groups of a loaded partition. A group with members comes back Stable with its last
 * assignment (the members' sessions restart now); a group with only offsets comes back Empty.
 */
export function buildGroups(loaded: LoadedPartition, partition: number, now: number): ClassicGroup[] {
  const out: ClassicGroup[] = [];
  const ids = new Set([...loaded.groups.keys(), ...loaded.offsets.keys(), ...loaded.pending.map((o) => o.group)]);
  // Write sequence numbers for loaded offsets: below every live write's (which start at 1) and in log order, so a
  // transaction committing after the load is compared with loaded offsets as Kafka compares record offsets.
  const base = -1 - maxRecordOffset(loaded);
  for (const id of ids) {
    const stored = loaded.groups.get(id);
    const storedOffsets = loaded.offsets.get(id);
    const pending = loaded.pending.filter((o) => o.group === id);
    let offsetCount = 0;
    for (const m of storedOffsets?.values() ?? []) offsetCount += m.size;
    if (stored === undefined && offsetCount === 0 && pending.length === 0) continue;

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
      for (const [p, o] of byPartition) group.offsets.put(topic, p, o.value, base + o.recordOffset);
    }
    for (const o of pending) {
      group.txnOffsets.add(o.producerId, { topic: o.topic, partition: o.partition, value: o.value, seq: base + o.recordOffset });
    }
    out.push(group);
  }
  return out;
}
