// Writing transaction markers on the partitions this broker leads: what WriteTxnMarkers does on a partition leader,
// and what the local transaction coordinator calls directly for its own partitions. A marker landing in
// __consumer_offsets also decides the transaction's pending offset commits there, in the same tick as the append,
// so no later write of the same producer can slip in between.

import { CONSUMER_OFFSETS_TOPIC } from '../groupcoord/partition';
import type { AppendOutcome, TxnMarker } from '../isr/replica-manager';
import type { MetadataImage } from '../kraft/metadata/image';
import { ErrorCode, KafkaError } from '../wire/errors';
import type { MarkerBatch, MarkerTransport } from './marker-channel';
import { type TopicPartition, tpKey } from './txn-metadata';

export interface MarkerAppender {
  appendMarker(topic: string, partition: number, marker: TxnMarker): AppendOutcome;
}

/** Called when a marker was written to a __consumer_offsets partition. */
export type OffsetsMarkerListener = (partition: number, producerId: number, commit: boolean) => void;

/** Appends the batch's markers; resolves with an error code per partition once each is as durable as a produce. */
export async function writeMarkersLocally(
  appender: MarkerAppender,
  batch: MarkerBatch,
  onOffsetsMarker: OffsetsMarkerListener | null,
): Promise<Map<string, number>> {
  const results = new Map<string, number>();
  const waits: Promise<void>[] = [];
  const marker: TxnMarker = {
    producerId: batch.producerId,
    producerEpoch: batch.producerEpoch,
    coordinatorEpoch: batch.coordinatorEpoch,
    commit: batch.commit,
  };
  for (const tp of batch.partitions) {
    const k = tpKey(tp);
    const out = appender.appendMarker(tp.topic, tp.partition, marker);
    results.set(k, out.errorCode);
    if (out.errorCode !== ErrorCode.NONE) continue;
    if (tp.topic === CONSUMER_OFFSETS_TOPIC) onOffsetsMarker?.(tp.partition, batch.producerId, batch.commit);
    if (out.done) {
      waits.push(out.done.catch((e: unknown) => void results.set(k, e instanceof KafkaError ? e.code : ErrorCode.KAFKA_STORAGE_ERROR)));
    }
  }
  await Promise.all(waits);
  return results;
}

/** Sends a WriteTxnMarkers request to another broker (inter-broker transport); error codes per tpKey. */
export type RemoteMarkerWriter = (brokerId: number, batch: MarkerBatch) => Promise<Map<string, number>>;

/**
 * Routes markers by the metadata image: partitions this broker leads are written locally; others go through
 * `remote`, or, while the broker has no inter-broker client, are answered NOT_LEADER_OR_FOLLOWER so the channel
 * keeps retrying until leadership moves here or a remote writer is plugged in.
 */
export class BrokerMarkerTransport implements MarkerTransport {
  constructor(
    private readonly nodeId: number,
    private readonly image: MetadataImage,
    private readonly appender: MarkerAppender,
    private readonly onOffsetsMarker: OffsetsMarkerListener | null,
    private readonly remote: RemoteMarkerWriter | null = null,
  ) {}

  leaderOf(tp: TopicPartition): number | null {
    const info = this.image.partition(tp.topic, tp.partition);
    return info ? info.leader : null;
  }

  write(brokerId: number, batch: MarkerBatch): Promise<Map<string, number>> {
    if (brokerId === this.nodeId) return writeMarkersLocally(this.appender, batch, this.onOffsetsMarker);
    if (this.remote) return this.remote(brokerId, batch);
    return Promise.resolve(new Map(batch.partitions.map((tp) => [tpKey(tp), ErrorCode.NOT_LEADER_OR_FOLLOWER])));
  }
}
