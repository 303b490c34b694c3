// Produce (key 0), v0-11. Each partition's batch is validated and appended synchronously, in request order; the
// response waits only for what the produce asked for (acks=all: the in-sync replicas have it, within the request's
// timeout; and the fsync policy when flush.messages=1). acks=0 gets no response at all. Transactional batches need
// the request's transactional id (TRANSACTIONAL_ID_AUTHORIZATION_FAILED otherwise, as Kafka answers), and a
// producer's first transactional batch on a partition must belong to its open transaction (see
// txn/produce-verification.ts).
//
// v0-v2 carry legacy message sets (magic 0 and 1). As Kafka 3.x does, they are converted to one record batch v2
// (wire/records/legacy.ts) before the usual validation and append, which then treat it like any batch. As in Kafka,
// v0-v2 do not tie the magic to the request version: a v2 batch sent in v0-v2 is taken as it is. (v3+ accept only
// v2 batches: validate.ts.) librdkafka needs Produce v0 advertised to compress at all with gzip, snappy or lz4.

import { ProduceApi } from '../../wire/generated/apis';
import type { ProduceRequest } from '../../wire/generated/messages/ProduceRequest';
import type { ProduceResponse, ProduceResponsePartitionProduceResponse } from '../../wire/generated/messages/ProduceResponse';
import { ErrorCode, KafkaError } from '../../wire/errors';
import { defineHandler, recordsBuffer } from '../define';
import type { RequestContext } from '../types';
import { liveBrokerEndpoints } from './metadata';
import { isTransactionalSet, verifyTransactionalProduce } from '../../txn/produce-verification';
import { txnCoordinatorOf } from './txn-common';
import { convertLegacyMessageSet, isLegacyMessageSet } from '../../wire/records/legacy';
import { decompressionLimit } from '../../wire/records/compression';
import { PRODUCE_API } from '../../metrics/hooks';

function partitionResponse(index: number, errorCode: number, errorMessage: string | null = null): ProduceResponsePartitionProduceResponse {
  return {
    index,
    errorCode,
    baseOffset: -1,
    logAppendTimeMs: -1,
    logStartOffset: -1,
    recordErrors: [],
    errorMessage,
    currentLeader: { leaderId: -1, leaderEpoch: -1 },
  };
}

function errorResponse(req: ProduceRequest, errorCode: number): ProduceResponse {
  return {
    responses: req.topicData.map((t) => ({ name: t.name, partitionResponses: t.partitionData.map((p) => partitionResponse(p.index, errorCode)) })),
    throttleTimeMs: 0,
    nodeEndpoints: [],
  };
}

/**
 * Produce v0-v2: a partition's legacy message set as one v2 batch, or the KafkaError that refuses it. Anything else
 * (a v2 batch, an empty or unreadable set) is returned as it came, for the append path to take or refuse. So is a
 * set for a partition this broker does not lead: the append refuses it first, with the error Kafka gives before it
 * looks at the records.
 */
function legacyToBatch(ctx: RequestContext, topic: string, partition: number, records: Buffer | null): Buffer | null | KafkaError {
  if (!isLegacyMessageSet(records)) return records;
  const p = ctx.broker.replicas.getPartition(topic, partition);
  if (!p || !p.isLeader) return records;
  try {
    return convertLegacyMessageSet(records!, { maxUncompressedBytes: decompressionLimit(p.settings.maxMessageBytes) });
  } catch (e) {
    if (e instanceof KafkaError) return e;
    throw e;
  }
}

async function handleProduce(req: ProduceRequest, ctx: RequestContext): Promise<ProduceResponse | null> {
  const { replicas } = ctx.broker;
  if (req.acks !== -1 && req.acks !== 0 && req.acks !== 1) {
    return req.acks === 0 ? null : errorResponse(req, ErrorCode.INVALID_REQUIRED_ACKS);
  }
  const legacy = ctx.apiVersion < 3;
  const recordSets = req.topicData.map((t) =>
    t.partitionData.map((p) => {
      const records = recordsBuffer(p.records);
      return legacy ? legacyToBatch(ctx, t.name, p.index, records) : records;
    }),
  );
  if (req.transactionalId === null && recordSets.some((t) => t.some((r) => !(r instanceof KafkaError) && isTransactionalSet(r)))) {
    return req.acks === 0 ? null : errorResponse(req, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
  }
  const txnCoordinator = req.transactionalId === null ? null : txnCoordinatorOf(ctx);
  const waits: Promise<void>[] = [];
  let notLeader = false;
  const responses = req.topicData.map((t, ti) => ({
    name: t.name,
    partitionResponses: t.partitionData.map((p, pi) => {
      const records: Buffer | null | KafkaError = recordSets[ti]![pi] ?? null;
      if (records instanceof KafkaError) {
        replicas.observer?.partitionError(PRODUCE_API, records.code);
        return partitionResponse(p.index, records.code, records.message);
      }
      if (req.transactionalId !== null) {
        const refused = verifyTransactionalProduce(replicas, txnCoordinator, req.transactionalId, t.name, p.index, records);
        if (refused !== ErrorCode.NONE) return partitionResponse(p.index, refused);
      }
      const out = replicas.appendToLeader(t.name, p.index, records, ctx.apiVersion, req.acks, 'client', req.timeoutMs);
      const res = partitionResponse(p.index, out.errorCode, out.errorMessage);
      res.baseOffset = out.baseOffset;
      res.logAppendTimeMs = out.logAppendTime;
      res.logStartOffset = out.logStartOffset;
      if (out.errorCode === ErrorCode.INVALID_RECORD) res.recordErrors = [{ batchIndex: 0, batchIndexErrorMessage: out.errorMessage }];
      const nameLeader = () => {
        // KIP-951: name the current leader so the client need not refresh metadata first.
        const info = ctx.broker.image.partition(t.name, p.index);
        if (info) res.currentLeader = { leaderId: info.leader, leaderEpoch: info.leaderEpoch };
        notLeader = true;
      };
      if (out.errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER) nameLeader();
      if (out.done) {
        waits.push(
          out.done.catch((e: Error) => {
            // acks=all: REQUEST_TIMED_OUT, NOT_ENOUGH_REPLICAS_AFTER_APPEND, or NOT_LEADER_OR_FOLLOWER when
            // leadership moved before the ISR had the data; anything else is the fsync failing.
            res.errorCode = e instanceof KafkaError ? e.code : ErrorCode.KAFKA_STORAGE_ERROR;
            res.errorMessage = e.message || null;
            if (res.errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER) nameLeader();
          }),
        );
      }
      return res;
    }),
  }));
  if (req.acks === 0) return null;
  if (waits.length > 0) await Promise.all(waits);
  return {
    responses,
    throttleTimeMs: 0,
    nodeEndpoints: notLeader && ctx.apiVersion >= 10 ? liveBrokerEndpoints(ctx) : [],
  };
}

export const produceHandler = defineHandler(ProduceApi, {
  minVersion: 0,
  maxVersion: 11,
  handle: handleProduce,
  errorResponse: (req, code) => errorResponse(req, code),
});
