// InitProducerId (key 22), v0-5: gives a producer its id and epoch.
//   v0-1  transactionalId and transactionTimeoutMs. v2 is the first flexible version.
//   v3+   the producer may name its current producerId/epoch (KIP-360) so a transaction coordinator can bump the
//         epoch instead of fencing; both are -1 or neither is (INVALID_REQUEST otherwise, as Kafka checks).
//   v4-5  no request changes (v4: PRODUCER_FENCED may be returned; v5: TRANSACTION_ABORTABLE).
// Idempotent producers (transactionalId null) always get a fresh id with epoch 0, whatever id/epoch they name:
// Kafka's coordinator "blindly" allocates for them and their epoch bumps (KIP-360) happen client-side. The
// transaction timeout is not checked for them (Kafka only checks it for transactional ids).
//
// Transactional ids: an empty id is INVALID_REQUEST and a timeout outside (0, transaction.max.timeout.ms] is
// INVALID_TRANSACTION_TIMEOUT, as in Kafka, before the coordinator is consulted. The transaction coordinator then
// gives the id its producer id and a bumped epoch, aborting (and fencing) a transaction the id still has open; it
// answers CONCURRENT_TRANSACTIONS while a transaction of the id is completing (clients retry), and PRODUCER_FENCED
// to a KIP-360 producer whose epoch is stale — INVALID_PRODUCER_EPOCH before v4, which does not know that code.

import { InitProducerIdApi } from '../../wire/generated/apis';
import type { InitProducerIdRequest } from '../../wire/generated/messages/InitProducerIdRequest';
import type { InitProducerIdResponse } from '../../wire/generated/messages/InitProducerIdResponse';
import { ErrorCode } from '../../wire/errors';
import { defineHandler } from '../define';
import type { RequestContext } from '../types';
import { fencedForVersion, txnCoordinatorOf } from './txn-common';

const NO_PRODUCER_ID = -1;
const NO_PRODUCER_EPOCH = -1;
const FENCED_VERSION = 4;

function response(errorCode: number, producerId = NO_PRODUCER_ID, producerEpoch = NO_PRODUCER_EPOCH): InitProducerIdResponse {
  return { throttleTimeMs: 0, errorCode, producerId, producerEpoch };
}

async function handleInitProducerId(req: InitProducerIdRequest, ctx: RequestContext): Promise<InitProducerIdResponse> {
  if ((req.producerId === NO_PRODUCER_ID) !== (req.producerEpoch === NO_PRODUCER_EPOCH)) {
    return response(ErrorCode.INVALID_REQUEST);
  }
  if (req.transactionalId === null) {
    const ids = ctx.broker.producerIds;
    if (!ids) return response(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    try {
      return response(ErrorCode.NONE, await ids.nextId(), 0);
    } catch (e) {
      // Kafka answers COORDINATOR_LOAD_IN_PROGRESS while no id block is available; clients retry it.
      ctx.broker.log.warn({ err: (e as Error).message }, 'producer id allocation failed');
      return response(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    }
  }
  if (req.transactionalId === '') return response(ErrorCode.INVALID_REQUEST);
  const maxTimeout = ctx.broker.config.num('transaction.max.timeout.ms');
  if (req.transactionTimeoutMs <= 0 || req.transactionTimeoutMs > maxTimeout) {
    return response(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
  }
  const coordinator = txnCoordinatorOf(ctx);
  if (!coordinator) return response(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  const r = await coordinator.initProducerId({
    transactionalId: req.transactionalId,
    transactionTimeoutMs: req.transactionTimeoutMs,
    producerId: req.producerId,
    producerEpoch: req.producerEpoch,
  });
  return response(fencedForVersion(r.errorCode, ctx.apiVersion, FENCED_VERSION), r.producerId, r.producerEpoch);
}

export const initProducerIdHandler = defineHandler(InitProducerIdApi, {
  minVersion: 0,
  maxVersion: 5,
  handle: handleInitProducerId,
  errorResponse: (_req, errorCode) => response(errorCode),
});
