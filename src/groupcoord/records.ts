// The __consumer_offsets record formats the classic coordinator reads and writes, over the generated codecs for
// kafka-protocol/group-coordinator-records. A key starts with an int16 version that names the record type:
// 0-1 OffsetCommitKey, 2 GroupMetadataKey (higher versions are the new consumer/share group records, which this
// coordinator skips). A value starts with its own int16 schema version; a null value is a tombstone.
//
// Written versions follow Kafka: OffsetCommitKey v1; OffsetCommitValue v3, or v1 when the commit carries an
// explicit expire timestamp (v1 is the only version with that field); GroupMetadataValue v3. Every version,
// including the flexible v4 values, is readable.

import { ProtocolError } from '../wire/errors';
import {
  decodeGroupMetadataKey,
  decodeGroupMetadataValue as decodeGroupMetadataValueBody,
  decodeOffsetCommitKey,
  decodeOffsetCommitValue as decodeOffsetCommitValueBody,
  encodeGroupMetadataKey as encodeGroupMetadataKeyBody,
  encodeGroupMetadataValue as encodeGroupMetadataValueBody,
  encodeOffsetCommitKey as encodeOffsetCommitKeyBody,
  encodeOffsetCommitValue as encodeOffsetCommitValueBody,
  type GroupMetadataValue,
} from '../wire/generated/groupcoord';
import { Reader, Writer } from '../wire/primitives';
import type { CommittedOffset } from './offsets';

export const OFFSET_COMMIT_KEY_VERSION = 1;
export const GROUP_METADATA_KEY_VERSION = 2;
const OFFSET_COMMIT_VALUE_VERSION = 3;
const OFFSET_COMMIT_VALUE_VERSION_WITH_EXPIRY = 1;
const GROUP_METADATA_VALUE_VERSION = 3;
const MAX_VALUE_VERSION = 4;

export type CoordinatorKey =
  | { type: 'offset'; group: string; topic: string; partition: number }
  | { type: 'group'; group: string }
  | { type: 'unknown'; version: number };

/** A group's stored metadata (the GroupMetadataValue fields). */
export type StoredGroup = GroupMetadataValue;
export type StoredMember = GroupMetadataValue['members'][number];

function finish(w: Writer): Buffer {
  // Copy out of the writer's growable buffer so a long-lived record does not pin its spare capacity.
  return Buffer.from(w.toBuffer());
}

// ---- keys ----

export function encodeOffsetCommitKey(group: string, topic: string, partition: number): Buffer {
  const w = new Writer(64);
  w.writeInt16(OFFSET_COMMIT_KEY_VERSION);
  encodeOffsetCommitKeyBody(w, OFFSET_COMMIT_KEY_VERSION, { group, topic, partition });
  return finish(w);
}

export function encodeGroupMetadataKey(group: string): Buffer {
  const w = new Writer(32);
  w.writeInt16(GROUP_METADATA_KEY_VERSION);
  encodeGroupMetadataKeyBody(w, GROUP_METADATA_KEY_VERSION, { group });
  return finish(w);
}

export function decodeKey(buf: Buffer): CoordinatorKey {
  const r = new Reader(buf);
  const version = r.readInt16();
  if (version === 0 || version === 1) return { type: 'offset', ...decodeOffsetCommitKey(r, version) };
  if (version === GROUP_METADATA_KEY_VERSION) return { type: 'group', group: decodeGroupMetadataKey(r, version).group };
  return { type: 'unknown', version };
}

// ---- values ----

function valueVersion(r: Reader, what: string): number {
  const version = r.readInt16();
  if (version < 0 || version > MAX_VALUE_VERSION) throw new ProtocolError(`unknown ${what} version ${version}`);
  return version;
}

export function encodeOffsetCommitValue(o: CommittedOffset): Buffer {
  const version = o.expireTimestamp !== null ? OFFSET_COMMIT_VALUE_VERSION_WITH_EXPIRY : OFFSET_COMMIT_VALUE_VERSION;
  const w = new Writer(64);
  w.writeInt16(version);
  encodeOffsetCommitValueBody(w, version, {
    offset: o.offset,
    leaderEpoch: o.leaderEpoch,
    metadata: o.metadata,
    commitTimestamp: o.commitTimestamp,
    expireTimestamp: o.expireTimestamp ?? -1,
  });
  return finish(w);
}

export function decodeOffsetCommitValue(buf: Buffer): CommittedOffset {
  const r = new Reader(buf);
  const v = decodeOffsetCommitValueBody(r, valueVersion(r, 'OffsetCommitValue'));
  return {
    offset: v.offset,
    leaderEpoch: v.leaderEpoch,
    metadata: v.metadata,
    commitTimestamp: v.commitTimestamp,
    expireTimestamp: v.expireTimestamp === -1 ? null : v.expireTimestamp,
  };
}

export function encodeGroupMetadataValue(g: StoredGroup): Buffer {
  const w = new Writer(256);
  w.writeInt16(GROUP_METADATA_VALUE_VERSION);
  encodeGroupMetadataValueBody(w, GROUP_METADATA_VALUE_VERSION, g);
  return finish(w);
}

export function decodeGroupMetadataValue(buf: Buffer): StoredGroup {
  const r = new Reader(buf);
  const g = decodeGroupMetadataValueBody(r, valueVersion(r, 'GroupMetadataValue'));
  // Decoded bytes are views into the log's buffer; the group keeps them for its lifetime.
  for (const m of g.members) {
    m.subscription = Buffer.from(m.subscription);
    m.assignment = Buffer.from(m.assignment);
  }
  return g;
}
