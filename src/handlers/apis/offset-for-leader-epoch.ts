// OffsetForLeaderEpoch (key 23), v0-4 (KIP-101, KIP-279, KIP-320). For each partition: the largest leader epoch
// this leader knows that is <= the requested one, and where it ends (the start of the next epoch, or the log end
// for the latest), from the leader-epoch cache; -1/-1 when the log no longer reaches back to that epoch. Followers
// use it to find where their log diverged; consumers (v3+ with replica id -1) to validate their position after a
// leader change. Only the leader answers; v2+ fences a stale or too-new current leader epoch.

import { OffsetForLeaderEpochApi } from '../../wire/generated/apis';
import type { OffsetForLeaderEpochRequest } from '../../wire/generated/messages/OffsetForLeaderEpochRequest';
import type {
  OffsetForLeaderEpochResponse,
  OffsetForLeaderEpochResponseEpochEndOffset,
} from '../../wire/generated/messages/OffsetForLeaderEpochResponse';
import { ErrorCode } from '../../wire/errors';
import { defineHandler } from '../define';
import type { RequestContext } from '../types';

function result(partition: number, errorCode: number, leaderEpoch = -1, endOffset = -1): OffsetForLeaderEpochResponseEpochEndOffset {
  return { errorCode, partition, leaderEpoch, endOffset };
}

function endOffsetFor(topic: string, partition: number, currentLeaderEpoch: number, leaderEpoch: number, ctx: RequestContext): OffsetForLeaderEpochResponseEpochEndOffset {
  const p = ctx.broker.replicas.getPartition(topic, partition);
  if (!p) return result(partition, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  if (!p.isLeader) return result(partition, ErrorCode.NOT_LEADER_OR_FOLLOWER);
  if (currentLeaderEpoch !== -1) {
    if (currentLeaderEpoch < p.leaderEpoch) return result(partition, ErrorCode.FENCED_LEADER_EPOCH);
    if (currentLeaderEpoch > p.leaderEpoch) return result(partition, ErrorCode.UNKNOWN_LEADER_EPOCH);
  }
  const e = p.log.endOffsetForEpoch(leaderEpoch);
  return result(partition, ErrorCode.NONE, e.epoch, e.endOffset);
}

function handle(req: OffsetForLeaderEpochRequest, ctx: RequestContext): OffsetForLeaderEpochResponse {
  // currentLeaderEpoch exists from v2; earlier versions decode it as -1 (no check).
  return {
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({
      topic: t.topic,
      partitions: t.partitions.map((p) => endOffsetFor(t.topic, p.partition, p.currentLeaderEpoch, p.leaderEpoch, ctx)),
    })),
  };
}

export const offsetForLeaderEpochHandler = defineHandler(OffsetForLeaderEpochApi, {
  minVersion: 0,
  maxVersion: 4,
  handle,
  errorResponse: (req, errorCode) => ({
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({ topic: t.topic, partitions: t.partitions.map((p) => result(p.partition, errorCode)) })),
  }),
});
