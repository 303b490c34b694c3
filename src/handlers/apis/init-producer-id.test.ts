// InitProducerId over the wire at every version: idempotent producers get fresh ids with epoch 0 (also when they
// name their current id and epoch, KIP-360), transactional ids are validated before the coordinator is asked, and
// refused with COORDINATOR_NOT_AVAILABLE on a broker without a transaction coordinator.

import { BrokerConfig } from '../../config/broker-config';
import { InitProducerIdApi } from '../../wire/generated/apis';
import type { InitProducerIdRequest } from '../../wire/generated/messages/InitProducerIdRequest';
import type { InitProducerIdResponse } from '../../wire/generated/messages/InitProducerIdResponse';
import { ErrorCode } from '../../wire/errors';
import { Reader, Writer } from '../../wire/primitives';
import { ProducerIdManager } from '../../txn/producer-id-manager';
import { handlerFor, supportedApiVersions } from '../registry';
import type { BrokerContext, RequestContext } from '../types';
import { initProducerIdHandler } from './init-producer-id';

const silent = { info() {}, warn() {}, error() {}, debug() {} };

function context(producerIds: ProducerIdManager | undefined, apiVersion: number): RequestContext {
  const broker = {
    nodeId: 1,
    config: BrokerConfig.load({ values: { 'transaction.max.timeout.ms': 60_000 } }),
    producerIds,
    log: silent,
  } as unknown as BrokerContext;
  return {
    apiKey: 22,
    apiVersion,
    correlationId: 1,
    clientId: 'test',
    connection: { id: 1, remoteAddress: '127.0.0.1:1', listenerName: 'PLAINTEXT' },
    broker,
  } as RequestContext;
}

function blocks(start = 0) {
  let next = start;
  return {
    calls: 0,
    async allocateProducerIds(_b: number, _e: number, size: number) {
      this.calls++;
      const s = next;
      next += size;
      return { start: s, length: size };
    },
  };
}

async function call(req: Partial<InitProducerIdRequest>, version: number, ids?: ProducerIdManager): Promise<InitProducerIdResponse> {
  const w = new Writer();
  InitProducerIdApi.encodeRequest(w, version, { ...InitProducerIdApi.defaultRequest(), transactionalId: null, ...req });
  const decoded = initProducerIdHandler.decode(new Reader(w.toBuffer()), version);
  const res = await initProducerIdHandler.handle(decoded, context(ids, version));
  const out = new Writer();
  initProducerIdHandler.encode(out, version, res!);
  return InitProducerIdApi.decodeResponse(new Reader(out.toBuffer()), version);
}

test('registered for key 22, versions 0-5', () => {
  expect(handlerFor(22)).toBe(initProducerIdHandler);
  expect(supportedApiVersions('broker')).toContainEqual({ apiKey: 22, minVersion: 0, maxVersion: 5 });
});

test.each([0, 1, 2, 3, 4, 5])('v%i: idempotent producers get fresh ids with epoch 0', async (version) => {
  const ids = new ProducerIdManager(blocks(5000), { brokerId: 1, brokerEpoch: () => 0 });
  const a = await call({ transactionTimeoutMs: 60_000 }, version, ids);
  const b = await call({ transactionTimeoutMs: 2_000_000_000 }, version, ids); // not checked without a transactional id
  expect(a).toEqual({ throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId: 5000, producerEpoch: 0 });
  expect(b).toMatchObject({ errorCode: ErrorCode.NONE, producerId: 5001, producerEpoch: 0 });
});

test('v3+: an idempotent producer naming its id and epoch still gets a new id (Kafka allocates blindly)', async () => {
  const ids = new ProducerIdManager(blocks(), { brokerId: 1, brokerEpoch: () => 0 });
  const first = await call({}, 3, ids);
  const again = await call({ producerId: first.producerId, producerEpoch: first.producerEpoch }, 3, ids);
  expect(again).toMatchObject({ errorCode: ErrorCode.NONE, producerId: first.producerId + 1, producerEpoch: 0 });
});

test('v3+: a producer id without an epoch (or the reverse) is INVALID_REQUEST', async () => {
  const ids = new ProducerIdManager(blocks(), { brokerId: 1, brokerEpoch: () => 0 });
  expect(await call({ producerId: 4, producerEpoch: -1 }, 3, ids)).toEqual({
    throttleTimeMs: 0,
    errorCode: ErrorCode.INVALID_REQUEST,
    producerId: -1,
    producerEpoch: -1,
  });
  expect((await call({ producerId: -1, producerEpoch: 2 }, 5, ids)).errorCode).toBe(ErrorCode.INVALID_REQUEST);
});

test('when no id block can be had the answer is the retriable COORDINATOR_LOAD_IN_PROGRESS', async () => {
  const failing = { allocateProducerIds: () => Promise.reject(new Error('controller unavailable')) };
  const ids = new ProducerIdManager(failing, { brokerId: 1, brokerEpoch: () => 0 });
  expect(await call({}, 4, ids)).toMatchObject({ errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, producerId: -1, producerEpoch: -1 });
});

test.each([0, 2, 5])('v%i: transactional ids are validated, then refused without a transaction coordinator', async (version) => {
  const alloc = blocks();
  const ids = new ProducerIdManager(alloc, { brokerId: 1, brokerEpoch: () => 0 });
  expect((await call({ transactionalId: '', transactionTimeoutMs: 1000 }, version, ids)).errorCode).toBe(ErrorCode.INVALID_REQUEST);
  expect((await call({ transactionalId: 'tx', transactionTimeoutMs: 60_001 }, version, ids)).errorCode).toBe(
    ErrorCode.INVALID_TRANSACTION_TIMEOUT,
  );
  expect((await call({ transactionalId: 'tx', transactionTimeoutMs: 0 }, version, ids)).errorCode).toBe(
    ErrorCode.INVALID_TRANSACTION_TIMEOUT,
  );
  expect(await call({ transactionalId: 'tx', transactionTimeoutMs: 60_000 }, version, ids)).toMatchObject({
    errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE,
    producerId: -1,
    producerEpoch: -1,
  });
  // No producer id was spent on them.
  expect(alloc.calls).toBe(0);
});

test('errorResponse carries the code with no producer id', () => {
  const req = { ...InitProducerIdApi.defaultRequest() };
  expect(initProducerIdHandler.errorResponse(req, ErrorCode.UNSUPPORTED_VERSION, context(undefined, 0))).toEqual({
    throttleTimeMs: 0,
    errorCode: ErrorCode.UNSUPPORTED_VERSION,
    producerId: -1,
    producerEpoch: -1,
  });
});
