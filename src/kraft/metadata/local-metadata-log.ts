// The metadata log of a single-voter quorum: records are appended to the local `__cluster_metadata-0` log,
// fsynced, and then count as committed, exactly the point at which a multi-voter quorum would have a majority.
// Committed records are applied to the image and the resulting delta is published to the broker's listeners.

import type { PartitionLog } from '../../log/partition-log';
import { buildBatch, decodeRecords } from '../../wire/records/record';
import { forEachBatch } from '../../wire/records/batch';
import type { MetadataCommitter, MetadataRecordOut } from '../controller/controller';
import { MetadataDelta, MetadataImage, emptyDelta } from './image';
import { decodeMetadataRecord, encodeMetadataRecord } from './record-serde';

export type DeltaListener = (delta: MetadataDelta, image: MetadataImage) => void;

export class LocalMetadataLog implements MetadataCommitter {
  private readonly listeners: DeltaListener[] = [];

  constructor(
    private readonly log: PartitionLog,
    readonly image: MetadataImage,
    private readonly leaderEpoch = 0,
  ) {}

  onDelta(listener: DeltaListener): void {
    this.listeners.push(listener);
  }

  /** Rebuilds the image from the whole log (start-up), then publishes everything as one delta. */
  replay(): MetadataDelta {
    const delta = emptyDelta();
    let offset = this.log.logStartOffset;
    while (offset < this.log.logEndOffset) {
      const { chunks } = this.log.read(offset, 4 * 1024 * 1024, { minOneBatch: true });
      if (chunks.length === 0) break;
      const data = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      let next = offset;
      forEachBatch(data, (pos) => {
        for (const rec of decodeRecords(data, pos)) {
          if (rec.offset < offset || rec.value === null) continue;
          const { apiKey, data: record } = decodeMetadataRecord(rec.value);
          this.image.apply(apiKey, record, delta);
          this.image.lastAppliedOffset = rec.offset;
          next = rec.offset + 1;
        }
      });
      if (next === offset) break;
      offset = next;
    }
    this.publish(delta);
    return delta;
  }

  async commit(records: MetadataRecordOut[]): Promise<void> {
    const values = records.map((r) => encodeMetadataRecord(r.apiKey, r.version, r.data));
    const batch = buildBatch({ records: values.map((value) => ({ key: null, value })) });
    const appended = this.log.append(batch, { leaderEpoch: this.leaderEpoch, assignOffsets: true });
    await this.log.waitForDurable(appended.lastOffset);
    const delta = emptyDelta();
    // Apply what was written, decoded back, so the image holds exactly what a replay of the log would give.
    for (const value of values) {
      const { apiKey, data } = decodeMetadataRecord(value);
      this.image.apply(apiKey, data, delta);
    }
    this.image.lastAppliedOffset = appended.lastOffset;
    this.publish(delta);
  }

  private publish(delta: MetadataDelta): void {
    for (const l of this.listeners) l(delta, this.image);
  }
}
