// ListOffsets (key 2), v1-10: earliest (-2), latest (-1), max timestamp (-3, v7+), earliest local (-4, v8+),
// latest tiered (-5, v9+; no tiered storage here, so none), or the first offset whose timestamp is >= T.

import { ListOffsetsApi } from '../../wire/generated/apis';
import type { ListOffsetsRequest } from '../../wire/generated/messages/ListOffsetsRequest';
import type { ListOffsetsResponse, ListOffsetsResponseListOffsetsPartitionResponse } from '../../wire/generated/messages/ListOffsetsResponse';
import { ErrorCode } from '../../wire/errors';
import { defineHandler } from '../define';
import type { RequestContext } from '../types';

export const Timestamp = { LATEST: -1, EARLIEST: -2, MAX_TIMESTAMP: -3, EARLIEST_LOCAL: -4, LATEST_TIERED: -5 } as const;
const READ_COMMITTED = 1;

/** The leader epoch in force at `offset`: the last cache entry starting at or before it (-1 when none). */
function epochOf(entries: readonly { epoch: number; startOffset: number }[], offset: number): number {
  let epoch = -1;
  for (const e of entries) {
    if (e.startOffset > offset) break;
    epoch = e.epoch;
  }
  return epoch;
}

function partitionResult(partitionIndex: number, errorCode: number): ListOffsetsResponseListOffsetsPartitionResponse {
  return { partitionIndex, errorCode, oldStyleOffsets: [], timestamp: -1, offset: -1, leaderEpoch: -1 };
}

function lookup(
  topic: string,
  partition: number,
  timestamp: number,
  currentLeaderEpoch: number,
  isolation: number,
  ctx: RequestContext,
): ListOffsetsResponseListOffsetsPartitionResponse {
  const p = ctx.broker.replicas.getPartition(topic, partition);
  if (!p) return partitionResult(partition, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  if (!p.isLeader) return partitionResult(partition, ErrorCode.NOT_LEADER_OR_FOLLOWER);
  if (currentLeaderEpoch !== -1) {
    if (currentLeaderEpoch < p.leaderEpoch) return partitionResult(partition, ErrorCode.FENCED_LEADER_EPOCH);
    if (currentLeaderEpoch > p.leaderEpoch) return partitionResult(partition, ErrorCode.UNKNOWN_LEADER_EPOCH);
  }
  const res = partitionResult(partition, ErrorCode.NONE);
  const visibleEnd = isolation === READ_COMMITTED ? p.lastStableOffset : p.highWatermark;
  switch (timestamp) {
    case Timestamp.LATEST:
      res.offset = visibleEnd;
      res.leaderEpoch = p.leaderEpoch;
      break;
    case Timestamp.EARLIEST:
    case Timestamp.EARLIEST_LOCAL:
      res.offset = p.log.logStartOffset;
      res.leaderEpoch = epochOf(p.log.leaderEpochCache.all, p.log.logStartOffset);
      break;
    case Timestamp.LATEST_TIERED:
      break;
    case Timestamp.MAX_TIMESTAMP: {
      const e = p.log.maxTimestampEntry();
      if (e && e.offset < visibleEnd) {
        res.offset = e.offset;
        res.timestamp = e.timestamp;
        res.leaderEpoch = epochOf(p.log.leaderEpochCache.all, e.offset);
      }
      break;
    }
    default: {
      if (timestamp < 0) return partitionResult(partition, ErrorCode.INVALID_REQUEST);
      const e = p.log.offsetForTimestamp(timestamp);
      if (e && e.offset < visibleEnd) {
        res.offset = e.offset;
        res.timestamp = e.timestamp;
        res.leaderEpoch = epochOf(p.log.leaderEpochCache.all, e.offset);
      }
    }
  }
  return res;
}

function handleListOffsets(req: ListOffsetsRequest, ctx: RequestContext): ListOffsetsResponse {
  return {
    throttleTimeMs: 0,
    topics: req.topics.map((t) => {
      const seen = new Set<number>();
      const dup = new Set<number>();
      for (const p of t.partitions) (seen.has(p.partitionIndex) ? dup : seen).add(p.partitionIndex);
      return {
        name: t.name,
        partitions: t.partitions.map((p) =>
          dup.has(p.partitionIndex)
            ? partitionResult(p.partitionIndex, ErrorCode.INVALID_REQUEST)
            : lookup(t.name, p.partitionIndex, p.timestamp, p.currentLeaderEpoch, req.isolationLevel, ctx),
        ),
      };
    }),
  };
}

export const listOffsetsHandler = defineHandler(ListOffsetsApi, {
  minVersion: 1,
  maxVersion: 10,
  handle: handleListOffsets,
  errorResponse: (req, errorCode) => ({
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => partitionResult(p.partitionIndex, errorCode)) })),
  }),
});
