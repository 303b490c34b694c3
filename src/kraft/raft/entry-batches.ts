// Raft entries in Kafka's record format, as KRaft keeps them on disk and sends them in Fetch responses: v2 batches
// whose partitionLeaderEpoch is the Raft epoch, one record per entry (each entry has its own offset). Data entries
// are records with a null key and the entry value; a LeaderChange entry is a control batch of its own holding one
// LEADER_CHANGE control record whose value is a LeaderChangeMessage.
//
// A batch is the unit of atomicity of the metadata log: every entry of one append() that shares an epoch lands in
// one batch, and readers hand out whole batches only, so a follower's log end (and hence the high watermark) never
// falls inside a controller write.

import { ErrorCode, KafkaError } from '../../wire/errors';
import { Reader, Writer, ZERO_UUID } from '../../wire/primitives';
import { batch as hdr, forEachBatch } from '../../wire/records/batch';
import { ControlRecordType, buildBatch, buildControlBatch, controlRecordType, decodeRecords } from '../../wire/records/record';
import { decodeLeaderChangeMessage, encodeLeaderChangeMessage } from '../../wire/generated/messages/LeaderChangeMessage';
import type { LeaderChangeRecord, RaftEntry } from './types';

/** The metadata log partition, as Kafka names it. */
export const METADATA_TOPIC = '__cluster_metadata';
export const METADATA_PARTITION = 0;
/** Kafka's fixed topic id of __cluster_metadata (Uuid.METADATA_TOPIC_ID = 0…01). */
export const METADATA_TOPIC_ID = 'AAAAAAAAAAAAAAAAAAAAAQ';

const EMPTY = Buffer.alloc(0);
const LEADER_CHANGE_VERSION = 0;

export function encodeLeaderChange(c: LeaderChangeRecord): Buffer {
  const w = new Writer(64);
  encodeLeaderChangeMessage(w, LEADER_CHANGE_VERSION, {
    version: LEADER_CHANGE_VERSION,
    leaderId: c.leaderId,
    voters: c.voters.map((voterId) => ({ voterId, voterDirectoryId: ZERO_UUID })),
    grantingVoters: c.grantingVoters.map((voterId) => ({ voterId, voterDirectoryId: ZERO_UUID })),
  });
  return Buffer.from(w.toBuffer());
}

export function decodeLeaderChange(value: Buffer): LeaderChangeRecord {
  const m = decodeLeaderChangeMessage(new Reader(value), LEADER_CHANGE_VERSION);
  return {
    type: 'leaderChange',
    leaderId: m.leaderId,
    voters: m.voters.map((v) => v.voterId),
    grantingVoters: m.grantingVoters.map((v) => v.voterId),
  };
}

/**
 * Encodes entries (contiguous offsets) as batches: each run of data entries of one epoch becomes one batch, each
 * control entry a control batch. `timestamp` stamps every record (entries carry none).
 */
export function entriesToBatches(entries: readonly RaftEntry[], timestamp = Date.now()): Buffer[] {
  const out: Buffer[] = [];
  let i = 0;
  while (i < entries.length) {
    const first = entries[i]!;
    if (first.control) {
      out.push(
        buildControlBatch({
          type: ControlRecordType.LEADER_CHANGE,
          value: encodeLeaderChange(first.control),
          baseOffset: first.offset,
          partitionLeaderEpoch: first.epoch,
          timestamp,
        }),
      );
      i++;
      continue;
    }
    let j = i + 1;
    while (j < entries.length && !entries[j]!.control && entries[j]!.epoch === first.epoch) j++;
    out.push(
      buildBatch({
        baseOffset: first.offset,
        partitionLeaderEpoch: first.epoch,
        records: entries.slice(i, j).map((e) => ({ key: null, value: e.value, timestamp })),
      }),
    );
    i = j;
  }
  return out;
}

/**
 * Decodes the whole batches in `buf` into entries, skipping records below `fromOffset` (a read returns the batch
 * holding the requested offset from its start). A trailing partial batch is ignored.
 */
export function batchesToEntries(buf: Buffer, fromOffset = 0): RaftEntry[] {
  const out: RaftEntry[] = [];
  forEachBatch(buf, (pos) => {
    if (hdr.lastOffset(buf, pos) < fromOffset) return;
    const epoch = hdr.partitionLeaderEpoch(buf, pos);
    const control = hdr.isControl(buf, pos);
    for (const rec of decodeRecords(buf, pos)) {
      if (rec.offset < fromOffset) continue;
      if (!control) {
        // Copied: the entry outlives the read buffer (the log's tail cache or a network frame).
        out.push({ offset: rec.offset, epoch, value: rec.value === null ? EMPTY : Buffer.from(rec.value) });
        continue;
      }
      const type = controlRecordType(rec.key);
      if (type !== ControlRecordType.LEADER_CHANGE || rec.value === null) {
        throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, `unexpected control record type ${type} at offset ${rec.offset} of the metadata log`);
      }
      out.push({ offset: rec.offset, epoch, value: EMPTY, control: decodeLeaderChange(rec.value) });
    }
  });
  return out;
}
