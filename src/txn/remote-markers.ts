// WriteTxnMarkers to another broker: how the transaction coordinator reaches the leaders of partitions it does not
// lead itself (Kafka's TransactionMarkerChannelManager sends one request per destination broker). The connection
// source is structural, so any inter-broker client with this shape (src/net's NodeClientPool) plugs in as
// TransactionServiceDeps.remoteMarkers = remoteMarkerWriter(pool, timeoutMs).

import { WriteTxnMarkersApi, type ApiDef } from '../wire/generated/apis';
import { ErrorCode } from '../wire/errors';
import type { WriteTxnMarkersRequest } from '../wire/generated/messages/WriteTxnMarkersRequest';
import type { WriteTxnMarkersResponse } from '../wire/generated/messages/WriteTxnMarkersResponse';
import type { RemoteMarkerWriter } from './local-markers';
import type { MarkerBatch } from './marker-channel';
import { type TopicPartition, tpKey } from './txn-metadata';

export interface MarkerRpcConnection {
  versionFor(api: ApiDef<unknown, unknown>, maxWanted?: number, minWanted?: number): number;
  send<Req, Res>(api: ApiDef<Req, Res>, version: number, request: Req, timeoutMs: number): Promise<Res>;
}

export interface MarkerRpc {
  connection(nodeId: number): Promise<MarkerRpcConnection>;
}

export function markersRequest(batch: MarkerBatch): WriteTxnMarkersRequest {
  const byTopic = new Map<string, number[]>();
  for (const tp of batch.partitions) {
    let l = byTopic.get(tp.topic);
    if (!l) byTopic.set(tp.topic, (l = []));
    l.push(tp.partition);
  }
  return {
    markers: [
      {
        producerId: batch.producerId,
        producerEpoch: batch.producerEpoch,
        transactionResult: batch.commit,
        coordinatorEpoch: batch.coordinatorEpoch,
        topics: [...byTopic].map(([name, partitionIndexes]) => ({ name, partitionIndexes })),
      },
    ],
  };
}

/** Error codes per tpKey from a response; a partition the response leaves out counts as failed (and is retried). */
export function markersResult(batch: MarkerBatch, res: WriteTxnMarkersResponse): Map<string, number> {
  const out = new Map<string, number>(batch.partitions.map((tp: TopicPartition) => [tpKey(tp), ErrorCode.UNKNOWN_SERVER_ERROR]));
  for (const m of res.markers) {
    if (m.producerId !== batch.producerId) continue;
    for (const t of m.topics) for (const p of t.partitions) out.set(tpKey({ topic: t.name, partition: p.partitionIndex }), p.errorCode);
  }
  return out;
}

/** Network failures reject; the marker channel retries them with backoff. */
export function remoteMarkerWriter(rpc: MarkerRpc, timeoutMs: number): RemoteMarkerWriter {
  return async (brokerId, batch) => {
    const conn = await rpc.connection(brokerId);
    const version = conn.versionFor(WriteTxnMarkersApi as ApiDef<unknown, unknown>);
    return markersResult(batch, await conn.send(WriteTxnMarkersApi, version, markersRequest(batch), timeoutMs));
  };
}
