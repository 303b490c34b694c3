// Metadata snapshots (KIP-630): the image written out as the metadata records that rebuild it, framed as Kafka
// frames a snapshot file — a control batch with a SnapshotHeaderRecord, batches of metadata records, a control batch
// with a SnapshotFooterRecord. Record offsets inside the file count from 0; every batch carries the snapshot's
// epoch. Loading one means resetting the image and applying the records in order, exactly as a log replay would.
//
// Keep imageRecords() in step with MetadataImage.apply(): anything the image learns from a record must be written
// back out here, or a node that loads a snapshot would know less than one that replayed the log (the round-trip
// test compares the two).

import { ErrorCode, KafkaError } from '../../wire/errors';
import { Writer } from '../../wire/primitives';
import { batch as hdr, forEachBatch } from '../../wire/records/batch';
import { ControlRecordType, buildBatch, buildControlBatch, controlRecordType, decodeRecords } from '../../wire/records/record';
import { encodeSnapshotHeaderRecord } from '../../wire/generated/messages/SnapshotHeaderRecord';
import { encodeSnapshotFooterRecord } from '../../wire/generated/messages/SnapshotFooterRecord';
import type { MetadataRecordOut } from '../controller/controller';
import { MetadataRecordType, type MetadataImage } from './image';
import { encodeMetadataRecord } from './record-serde';

/** Records per data batch of a snapshot file. */
const RECORDS_PER_BATCH = 1000;

/** The records that rebuild `image` from empty. */
export function imageRecords(image: MetadataImage): MetadataRecordOut[] {
  const out: MetadataRecordOut[] = [];
  for (const [name, featureLevel] of image.features) {
    out.push({ apiKey: MetadataRecordType.FeatureLevel, version: 0, data: { name, featureLevel } });
  }
  for (const b of [...image.brokers.values()].sort((x, y) => x.id - y.id)) {
    out.push({
      apiKey: MetadataRecordType.RegisterBroker,
      version: 3,
      data: {
        brokerId: b.id,
        isMigratingZkBroker: false,
        incarnationId: b.incarnationId,
        brokerEpoch: b.epoch,
        endPoints: b.endpoints.map((e) => ({ ...e })),
        features: [],
        rack: b.rack,
        fenced: b.fenced,
        inControlledShutdown: b.inControlledShutdown,
        logDirs: [],
      },
    });
  }
  for (const t of image.topics.values()) {
    out.push({ apiKey: MetadataRecordType.Topic, version: 0, data: { name: t.name, topicId: t.id } });
    for (const p of [...t.partitions.values()].sort((a, b) => a.partition - b.partition)) {
      out.push({
        apiKey: MetadataRecordType.Partition,
        version: 0,
        data: {
          partitionId: p.partition,
          topicId: t.id,
          replicas: [...p.replicas],
          isr: [...p.isr],
          removingReplicas: [...p.removingReplicas],
          addingReplicas: [...p.addingReplicas],
          leader: p.leader,
          leaderRecoveryState: 0,
          leaderEpoch: p.leaderEpoch,
          partitionEpoch: p.partitionEpoch,
        },
      });
    }
  }
  // Configs after the topics they belong to (applying a topic record does not clear them, but order keeps intent).
  for (const res of image.configResources()) {
    for (const [name, value] of res.configs) {
      out.push({
        apiKey: MetadataRecordType.Config,
        version: 0,
        data: { resourceType: res.resourceType, resourceName: res.resourceName, name, value },
      });
    }
  }
  if (image.nextProducerId > 0) {
    out.push({ apiKey: MetadataRecordType.ProducerIds, version: 0, data: { brokerId: -1, brokerEpoch: -1, nextProducerId: image.nextProducerId } });
  }
  return out;
}

function headerValue(timestamp: number): Buffer {
  const w = new Writer(16);
  encodeSnapshotHeaderRecord(w, 0, { version: 0, lastContainedLogTimestamp: timestamp });
  return Buffer.from(w.toBuffer());
}

function footerValue(): Buffer {
  const w = new Writer(8);
  encodeSnapshotFooterRecord(w, 0, { version: 0 });
  return Buffer.from(w.toBuffer());
}

/** A snapshot file's bytes: header, the records (already serialized), footer. */
export function buildSnapshotFile(values: readonly Buffer[], epoch: number, timestamp = Date.now()): Buffer {
  const batches: Buffer[] = [];
  let offset = 0;
  batches.push(buildControlBatch({ type: ControlRecordType.SNAPSHOT_HEADER, value: headerValue(timestamp), baseOffset: offset++, partitionLeaderEpoch: epoch, timestamp }));
  for (let i = 0; i < values.length; i += RECORDS_PER_BATCH) {
    const chunk = values.slice(i, i + RECORDS_PER_BATCH);
    batches.push(buildBatch({ baseOffset: offset, partitionLeaderEpoch: epoch, records: chunk.map((value) => ({ key: null, value, timestamp })) }));
    offset += chunk.length;
  }
  batches.push(buildControlBatch({ type: ControlRecordType.SNAPSHOT_FOOTER, value: footerValue(), baseOffset: offset, partitionLeaderEpoch: epoch, timestamp }));
  return Buffer.concat(batches);
}

/** The image as a snapshot file. */
export function snapshotOfImage(image: MetadataImage, epoch: number, timestamp = Date.now()): Buffer {
  return buildSnapshotFile(
    imageRecords(image).map((r) => encodeMetadataRecord(r.apiKey, r.version, r.data)),
    epoch,
    timestamp,
  );
}

/**
 * The metadata record values of a snapshot file, in order. A file without its header or footer (cut short) is
 * refused: loading part of a snapshot would silently lose metadata.
 */
export function snapshotRecordValues(data: Buffer): Buffer[] {
  const values: Buffer[] = [];
  let sawHeader = false;
  let sawFooter = false;
  const end = forEachBatch(data, (pos) => {
    if (sawFooter) throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, 'metadata snapshot has batches after its footer');
    const records = decodeRecords(data, pos);
    if (hdr.isControl(data, pos)) {
      for (const r of records) {
        const type = controlRecordType(r.key);
        if (type === ControlRecordType.SNAPSHOT_HEADER) sawHeader = true;
        else if (type === ControlRecordType.SNAPSHOT_FOOTER) sawFooter = true;
      }
      return;
    }
    if (!sawHeader) throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, 'metadata snapshot does not start with a header');
    for (const r of records) if (r.value !== null) values.push(Buffer.from(r.value));
  });
  if (!sawHeader || !sawFooter || end !== data.length) {
    throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, 'metadata snapshot is incomplete (no header or footer, or trailing bytes)');
  }
  return values;
}
