// WriteTxnMarkers (key 27), v0-1: a transaction coordinator on another broker has the COMMIT or ABORT markers of
// decided transactions written to the partitions this broker leads. Each marker is checked against the partition's
// producer state (a stale producer epoch is INVALID_PRODUCER_EPOCH, a deposed coordinator
// TRANSACTION_COORDINATOR_FENCED) and appended; a marker in __consumer_offsets also settles the transaction's
// offset commits. The local coordinator writes its own partitions' markers through the same code directly.
//   v1    first flexible version.

import { WriteTxnMarkersApi } from '../../wire/generated/apis';
import type { WriteTxnMarkersRequest } from '../../wire/generated/messages/WriteTxnMarkersRequest';
import type { WriteTxnMarkersResponse } from '../../wire/generated/messages/WriteTxnMarkersResponse';
import { writeMarkersLocally } from '../../txn/local-markers';
import { tpKey } from '../../txn/txn-metadata';
import { ErrorCode } from '../../wire/errors';
import { defineHandler } from '../define';
import type { RequestContext } from '../types';

/** The response, with the code of marker `i`'s partition from `codeOf`. */
function response(req: WriteTxnMarkersRequest, codeOf: (i: number, topic: string, partition: number) => number): WriteTxnMarkersResponse {
  return {
    markers: req.markers.map((m, i) => ({
      producerId: m.producerId,
      topics: m.topics.map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((p) => ({ partitionIndex: p, errorCode: codeOf(i, t.name, p) })),
      })),
    })),
  };
}

async function handleWriteTxnMarkers(req: WriteTxnMarkersRequest, ctx: RequestContext): Promise<WriteTxnMarkersResponse> {
  const groups = ctx.broker.groups;
  const onOffsetsMarker = groups
    ? (partition: number, producerId: number, commit: boolean) => groups.coordinator.completeTransaction(partition, producerId, commit)
    : null;
  // Markers are written in request order, so two markers of one producer land in the order the coordinator sent.
  const results: Map<string, number>[] = [];
  for (const m of req.markers) {
    results.push(
      await writeMarkersLocally(
        ctx.broker.replicas,
        {
          producerId: m.producerId,
          producerEpoch: m.producerEpoch,
          coordinatorEpoch: m.coordinatorEpoch,
          commit: m.transactionResult,
          partitions: m.topics.flatMap((t) => t.partitionIndexes.map((partition) => ({ topic: t.name, partition }))),
        },
        onOffsetsMarker,
      ),
    );
  }
  return response(req, (i, topic, partition) => results[i]?.get(tpKey({ topic, partition })) ?? ErrorCode.UNKNOWN_SERVER_ERROR);
}

export const writeTxnMarkersHandler = defineHandler(WriteTxnMarkersApi, {
  minVersion: 0,
  maxVersion: 1,
  handle: handleWriteTxnMarkers,
  errorResponse: (req, errorCode) => response(req, () => errorCode),
});
