// The transaction API handlers over the wire: the advertised version ranges, the mapping of PRODUCER_FENCED for
// versions that predate it, AddPartitionsToTxn's refusal of unknown partitions, and ListTransactions' filters.
// The coordinator behind them is a test double (its state machine has its own tests in src/txn).

import { ErrorCode } from '../../wire/errors';
import { AddPartitionsToTxnApi, EndTxnApi, InitProducerIdApi, ListTransactionsApi, type ApiDef } from '../../wire/generated/apis';
import { Reader, Writer } from '../../wire/primitives';
import { BrokerConfig } from '../../config/broker-config';
import type { TransactionCoordinator } from '../../txn/coordinator';
import { supportedApiVersions } from '../registry';
import type { ApiHandler, BrokerContext, RequestContext } from '../types';
import { addPartitionsToTxnHandler } from './add-partitions-to-txn';
import { endTxnHandler } from './end-txn';
import { initProducerIdHandler } from './init-producer-id';
import { listTransactionsHandler } from './list-transactions';

const E = ErrorCode;

function context(coordinator: Partial<TransactionCoordinator> | null, apiVersion: number): RequestContext {
  const broker = {
    nodeId: 1,
    config: BrokerConfig.load({ values: {} }),
    image: { partition: (topic: string, p: number) => (topic === 'known' && p < 2 ? { partition: p } : undefined) },
    transactions: coordinator ? { coordinator } : null,
    log: { info() {}, warn() {}, error() {}, debug() {} },
  } as unknown as BrokerContext;
  return { apiKey: 0, apiVersion, correlationId: 1, clientId: 't', connection: { id: 1, remoteAddress: '127.0.0.1:1', listenerName: 'PLAINTEXT' }, broker } as RequestContext;
}

/** Encodes the request at `version`, runs the handler and decodes its response, as the dispatcher would. */
async function call<Req, Res>(api: ApiDef<Req, Res>, handler: ApiHandler<Req, Res>, req: Partial<Req>, version: number, coordinator: Partial<TransactionCoordinator> | null): Promise<Res> {
  const w = new Writer();
  api.encodeRequest(w, version, { ...api.defaultRequest(), ...req });
  const decoded = handler.decode(new Reader(w.toBuffer()), version);
  const res = await handler.handle(decoded, context(coordinator, version));
  const out = new Writer();
  handler.encode(out, version, res!);
  return api.decodeResponse(new Reader(out.toBuffer()), version);
}

test('advertised versions keep clients on transactions v1', () => {
  const v = new Map(supportedApiVersions('broker').map((a) => [a.apiKey, [a.minVersion, a.maxVersion]]));
  expect(v.get(22)).toEqual([0, 5]); // InitProducerId
  expect(v.get(24)).toEqual([0, 3]); // AddPartitionsToTxn: v4+ is broker-to-broker verification
  expect(v.get(25)).toEqual([0, 4]); // AddOffsetsToTxn
  expect(v.get(26)).toEqual([0, 4]); // EndTxn: v5 is transactions v2
  expect(v.get(27)).toEqual([0, 1]); // WriteTxnMarkers
  expect(v.get(28)).toEqual([0, 4]); // TxnOffsetCommit
  expect(v.get(65)).toEqual([0, 0]); // DescribeTransactions
  expect(v.get(66)).toEqual([0, 1]); // ListTransactions
});

test('PRODUCER_FENCED reaches only versions that know it', async () => {
  const fenced = {
    endTxn: async () => E.PRODUCER_FENCED,
    addPartitions: async () => E.PRODUCER_FENCED,
    initProducerId: async () => ({ errorCode: E.PRODUCER_FENCED, producerId: -1, producerEpoch: -1 }),
  };
  expect((await call(EndTxnApi, endTxnHandler, { transactionalId: 'x' }, 1, fenced)).errorCode).toBe(E.INVALID_PRODUCER_EPOCH);
  expect((await call(EndTxnApi, endTxnHandler, { transactionalId: 'x' }, 2, fenced)).errorCode).toBe(E.PRODUCER_FENCED);
  const add = { v3AndBelowTransactionalId: 'x', v3AndBelowTopics: [{ name: 'known', partitions: [0] }] };
  expect((await call(AddPartitionsToTxnApi, addPartitionsToTxnHandler, add, 1, fenced)).resultsByTopicV3AndBelow[0]!.resultsByPartition[0]!.partitionErrorCode).toBe(
    E.INVALID_PRODUCER_EPOCH,
  );
  expect((await call(AddPartitionsToTxnApi, addPartitionsToTxnHandler, add, 3, fenced)).resultsByTopicV3AndBelow[0]!.resultsByPartition[0]!.partitionErrorCode).toBe(
    E.PRODUCER_FENCED,
  );
  const init = { transactionalId: 'x', transactionTimeoutMs: 1000, producerId: 3, producerEpoch: 1 };
  expect((await call(InitProducerIdApi, initProducerIdHandler, init, 3, fenced)).errorCode).toBe(E.INVALID_PRODUCER_EPOCH);
  expect((await call(InitProducerIdApi, initProducerIdHandler, init, 4, fenced)).errorCode).toBe(E.PRODUCER_FENCED);
});

test('AddPartitionsToTxn: unknown partitions fail, the rest are not attempted; no coordinator, no transactions', async () => {
  let asked = 0;
  const coordinator = { addPartitions: async () => (asked++, E.NONE) };
  const req = { v3AndBelowTransactionalId: 'x', v3AndBelowTopics: [{ name: 'known', partitions: [0, 7] }, { name: 'nope', partitions: [0] }] };
  const res = await call(AddPartitionsToTxnApi, addPartitionsToTxnHandler, req, 3, coordinator);
  expect(res.resultsByTopicV3AndBelow.map((t) => [t.name, t.resultsByPartition.map((p) => p.partitionErrorCode)])).toEqual([
    ['known', [E.OPERATION_NOT_ATTEMPTED, E.UNKNOWN_TOPIC_OR_PARTITION]],
    ['nope', [E.UNKNOWN_TOPIC_OR_PARTITION]],
  ]);
  expect(asked).toBe(0);
  const ok = await call(AddPartitionsToTxnApi, addPartitionsToTxnHandler, { ...req, v3AndBelowTopics: [{ name: 'known', partitions: [0, 1] }] }, 3, coordinator);
  expect(ok.resultsByTopicV3AndBelow[0]!.resultsByPartition.map((p) => p.partitionErrorCode)).toEqual([E.NONE, E.NONE]);
  const none = await call(AddPartitionsToTxnApi, addPartitionsToTxnHandler, req, 3, null);
  expect(none.resultsByTopicV3AndBelow[1]!.resultsByPartition[0]!.partitionErrorCode).toBe(E.COORDINATOR_NOT_AVAILABLE);
});

test('ListTransactions echoes unknown state filters', async () => {
  let filters: unknown[] = [];
  const coordinator = {
    list: (states: readonly string[], pids: readonly number[], d?: number) => {
      filters = [states, pids, d];
      return { errorCode: E.NONE, transactions: [{ transactionalId: 'a', producerId: 1, state: 'Ongoing' as const }] };
    },
  };
  const res = await call(ListTransactionsApi, listTransactionsHandler, { stateFilters: ['Ongoing', 'Bogus'], producerIdFilters: [1], durationFilter: 500 }, 1, coordinator);
  expect(res).toMatchObject({ errorCode: E.NONE, unknownStateFilters: ['Bogus'], transactionStates: [{ transactionalId: 'a', producerId: 1, transactionState: 'Ongoing' }] });
  expect(filters).toEqual([['Ongoing'], [1], 500]);
  const onlyUnknown = await call(ListTransactionsApi, listTransactionsHandler, { stateFilters: ['Bogus'] }, 0, coordinator);
  expect(onlyUnknown.transactionStates).toEqual([]);
});
