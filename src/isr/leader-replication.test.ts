// The leader's replication rules with a fake clock, on a real replica manager whose follower fetches are
// simulated: the high watermark follows the smallest log end of the ISR; acks=all produces wait for it (and time
// out, fail when leadership moves, or report NOT_ENOUGH_REPLICAS_AFTER_APPEND); ISR shrink after
// replica.lag.time.max.ms and expansion at the high watermark, proposed to the (in-process) controller, with the
// maximal ISR in force while a change is pending.

import { BrokerConfig } from '../config/broker-config';
import { Controller, MetadataCommitter, MetadataRecordOut } from '../kraft/controller/controller';
import { MetadataImage, emptyDelta } from '../kraft/metadata/image';
import { decodeMetadataRecord, encodeMetadataRecord } from '../kraft/metadata/record-serde';
import { cleanupTmp, openManager, tmpDir } from '../log/__tests__/helpers';
import { ErrorCode, KafkaError } from '../wire/errors';
import { buildBatch } from '../wire/records/record';
import type { ApiDef } from '../wire/generated/apis';
import type { ControllerChannel } from '../net/controller-channel';
import { NodeClientPool } from '../net/node-client-pool';
import { ReplicaManager } from './replica-manager';
import { ReplicaFetcherManager } from './fetcher-manager';
import { AlterPartitionSender } from './alter-partition-sender';
import type { AlterPartitionRequest } from '../wire/generated/messages/AlterPartitionRequest';

afterEach(cleanupTmp);

const silent = { info() {}, warn() {}, error() {} };
const LAG_MS = 10_000;

class ApplyingCommitter implements MetadataCommitter {
  replicas: ReplicaManager | null = null;
  /** When set, deltas wait here instead of reaching the replica manager (a broker whose metadata lags). */
  deferred: ReturnType<typeof emptyDelta>[] | null = null;
  constructor(private readonly image: MetadataImage) {}
  async commit(records: MetadataRecordOut[]): Promise<void> {
    const delta = emptyDelta();
    for (const r of records) {
      const { apiKey, data } = decodeMetadataRecord(encodeMetadataRecord(r.apiKey, r.version, r.data));
      this.image.apply(apiKey, data, delta);
    }
    if (this.deferred) this.deferred.push(delta);
    else await this.replicas?.applyDelta(delta, this.image);
  }
  async flush(): Promise<void> {
    const ds = this.deferred ?? [];
    this.deferred = null;
    for (const d of ds) await this.replicas?.applyDelta(d, this.image);
  }
}

/** AlterPartition straight into the controller (the wire path is covered by the cluster tests). */
class DirectChannel implements ControllerChannel {
  sent: AlterPartitionRequest[] = [];
  hold: Promise<void> | null = null;
  constructor(private readonly controller: Controller) {}
  async request<Req, Res>(_api: ApiDef<Req, Res>, build: (version: number) => Req): Promise<{ version: number; response: Res }> {
    const req = build(3) as unknown as AlterPartitionRequest;
    this.sent.push(req);
    if (this.hold) await this.hold;
    return { version: 3, response: (await this.controller.alterPartition(req, 3)) as unknown as Res };
  }
}

async function setup(values: Record<string, string | number> = {}) {
  const clock = { now: 1_000_000 };
  const config = BrokerConfig.load({ values: { 'replica.lag.time.max.ms': LAG_MS, ...values } });
  const image = new MetadataImage();
  const committer = new ApplyingCommitter(image);
  const logs = await openManager(tmpDir());
  const rm = new ReplicaManager(1, logs, config, silent, () => clock.now);
  committer.replicas = rm;
  const controller = new Controller(image, committer, { numPartitions: 1, defaultReplicationFactor: 3, deleteTopicEnable: true, validateBrokerConfig: () => null });
  for (const id of [1, 2, 3]) {
    await controller.registerBroker({ brokerId: id, incarnationId: 'AAAAAAAAAAAAAAAAAAAAAA', endpoints: [], rack: null, fenced: false });
  }
  const channel = new DirectChannel(controller);
  const sender = new AlterPartitionSender({ brokerId: 1, brokerEpoch: () => 0, channel, retryBackoffMs: 10, requestTimeoutMs: 1000, log: silent });
  const pool = new NodeClientPool({ clientId: 't', resolve: () => null, connectTimeoutMs: 10, requestTimeoutMs: 10, reconnectBackoffMs: 10, reconnectBackoffMaxMs: 10 });
  const fetchers = new ReplicaFetcherManager(pool, { nodeId: 1, brokerEpoch: () => 0, maxWaitMs: 10, minBytes: 1, maxBytes: 1, partitionMaxBytes: 1, backoffMs: 10, socketTimeoutMs: 10 }, silent);
  rm.enableReplication({ fetchers, isrSender: sender, brokerEpoch: () => 0 });
  const [t] = await controller.createTopics(
    [{ name: 't', numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [1, 2, 3] }], configs: [] }],
    false,
  );
  expect(t!.errorCode).toBe(ErrorCode.NONE);
  const p = rm.getPartition('t', 0)!;
  const fetch = (replica: number, offset: number) => rm.recordFollowerFetch(p, replica, 0, offset, 0, p.log.logEndOffset);
  const produce = (n: number, acks = -1, timeoutMs = 30_000) =>
    rm.appendToLeader('t', 0, buildBatch({ records: Array.from({ length: n }, (_, i) => ({ key: null, value: `v${i}` })) }), 9, acks, 'client', timeoutMs);
  const settle = () => new Promise((r) => setTimeout(r, 20));
  return { clock, image, committer, controller, rm, p, fetch, produce, channel, settle, shutdown: () => rm.shutdown() };
}

async function state(promise: Promise<void> | null): Promise<string> {
  if (promise === null) return 'immediate';
  const marker = Symbol('pending');
  try {
    const r = await Promise.race([promise.then(() => 'resolved'), new Promise((res) => setImmediate(() => res(marker)))]);
    return r === marker ? 'pending' : 'resolved';
  } catch (e) {
    return `rejected:${(e as KafkaError).code}`;
  }
}

test('the high watermark is the smallest log end of the ISR; acks=all waits for it, acks=1 does not', async () => {
  const s = await setup();
  expect(s.p.isLeader).toBe(true);
  const all = s.produce(3);
  expect(all.errorCode).toBe(ErrorCode.NONE);
  expect(await state(all.done)).toBe('pending');
  expect(s.produce(1, 1).done).toBeNull(); // acks=1: answered after the local append
  expect(s.p.highWatermark).toBe(0);
  s.fetch(2, 4); // follower 2 has everything; follower 3's log end is still unknown
  expect(s.p.highWatermark).toBe(0);
  s.fetch(3, 2);
  expect(s.p.highWatermark).toBe(2);
  expect(await state(all.done)).toBe('pending');
  s.fetch(3, 3);
  expect(s.p.highWatermark).toBe(3);
  expect(await state(all.done)).toBe('resolved');
  s.fetch(3, 4);
  expect(s.p.highWatermark).toBe(4);
  await s.shutdown();
});

test('an acks=all produce times out with REQUEST_TIMED_OUT; leadership moving fails it with NOT_LEADER_OR_FOLLOWER', async () => {
  const s = await setup();
  const late = s.produce(1, -1, 30);
  await new Promise((r) => setTimeout(r, 60));
  expect(await state(late.done)).toBe(`rejected:${ErrorCode.REQUEST_TIMED_OUT}`);
  const moved = s.produce(1);
  expect(await state(moved.done)).toBe('pending');
  await s.controller.fenceBroker(1);
  expect(s.p.isLeader).toBe(false);
  expect(await state(moved.done)).toBe(`rejected:${ErrorCode.NOT_LEADER_OR_FOLLOWER}`);
  expect(s.rm.leaders.produces.size).toBe(0);
  await s.shutdown();
});

test('min.insync.replicas: NOT_ENOUGH_REPLICAS before the append, NOT_ENOUGH_REPLICAS_AFTER_APPEND when the ISR shrank meanwhile', async () => {
  const s = await setup({ 'min.insync.replicas': 3 });
  s.fetch(2, 0);
  s.fetch(3, 0);
  const waiting = s.produce(2);
  s.fetch(2, 2);
  expect(await state(waiting.done)).toBe('pending');
  // Follower 3 stops fetching: after replica.lag.time.max.ms it is removed, the HW moves to what the ISR has,
  // and the produce learns its data has fewer copies than it asked for.
  s.clock.now += LAG_MS + 1;
  s.fetch(2, 2);
  s.rm.checkIsrs();
  await s.settle();
  expect(s.p.isr).toEqual([1, 2]);
  expect(await state(waiting.done)).toBe(`rejected:${ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND}`);
  expect(s.produce(1).errorCode).toBe(ErrorCode.NOT_ENOUGH_REPLICAS);
  expect(s.p.log.logEndOffset).toBe(2); // refused before anything was appended
  await s.shutdown();
});

test('ISR shrink: only followers not caught up for replica.lag.time.max.ms; the maximal ISR holds the HW until committed', async () => {
  const s = await setup();
  s.produce(5, 1);
  s.fetch(2, 5);
  s.fetch(3, 3);
  expect(s.p.highWatermark).toBe(3);
  // Hold the controller's answer to see the pending state.
  let release!: () => void;
  s.channel.hold = new Promise((r) => (release = r));
  // A follower that keeps fetching at the previous log end stays caught up, even while always one fetch behind;
  // follower 3, silent since the start, is proposed for removal once its lag passes replica.lag.time.max.ms.
  for (let i = 0; i < 5; i++) {
    s.clock.now += LAG_MS / 2;
    const end = s.p.log.logEndOffset;
    s.produce(1, 1);
    s.fetch(2, end); // never at the log end when fetching, but at the end the previous fetch saw
    s.rm.checkIsrs();
  }
  await s.settle();
  expect(s.channel.sent).toHaveLength(1);
  expect(s.p.pendingIsr).toMatchObject({ kind: 'shrink', isr: [1, 2], maximal: [1, 2, 3] });
  const hwBefore = s.p.highWatermark;
  s.fetch(2, s.p.log.logEndOffset);
  expect(s.p.highWatermark).toBe(hwBefore); // still waits for follower 3
  s.rm.checkIsrs(); // one change at a time
  expect(s.channel.sent).toHaveLength(1);
  release();
  await s.settle();
  expect(s.p.pendingIsr).toBeNull();
  expect(s.p.isr).toEqual([1, 2]);
  expect(s.image.partition('t', 0)!.isr).toEqual([1, 2]);
  expect(s.p.highWatermark).toBe(s.p.log.logEndOffset);
  await s.shutdown();
});

test('ISR expansion once a follower reaches the high watermark and the current epoch; pending expansion counts it', async () => {
  const s = await setup();
  s.clock.now += LAG_MS + 1;
  s.fetch(2, 0);
  s.rm.checkIsrs();
  await s.settle();
  expect(s.p.isr).toEqual([1, 2]);
  s.produce(4, 1);
  s.fetch(2, 4);
  expect(s.p.highWatermark).toBe(4);
  s.fetch(3, 2); // behind the HW: not yet
  await s.settle();
  expect(s.p.isr).toEqual([1, 2]);
  let release!: () => void;
  s.channel.hold = new Promise((r) => (release = r));
  s.fetch(3, 4);
  expect(s.p.pendingIsr).toMatchObject({ kind: 'expand', isr: [1, 2, 3], maximal: [1, 2, 3] });
  // While pending, the joining follower already bounds the HW.
  s.produce(2, 1);
  s.fetch(2, 6);
  expect(s.p.highWatermark).toBe(4);
  release();
  await s.settle();
  expect(s.p.isr).toEqual([1, 2, 3]);
  expect(s.p.partitionEpoch).toBe(2);
  s.fetch(3, 6);
  expect(s.p.highWatermark).toBe(6);
  await s.shutdown();
});

test('a rejected proposal (stale partition epoch) leaves the committed ISR; a fenced follower may not join', async () => {
  const s = await setup();
  s.clock.now += LAG_MS + 1;
  s.fetch(2, 0);
  // Our partition epoch goes stale behind our back: the controller answers INVALID_UPDATE_VERSION.
  s.p.partitionEpoch = -1;
  s.rm.checkIsrs();
  await s.settle();
  expect(s.p.pendingIsr).toBeNull();
  expect(s.p.isr).toEqual([1, 2, 3]);
  s.p.partitionEpoch = 0;
  s.rm.checkIsrs();
  await s.settle();
  expect(s.p.isr).toEqual([1, 2]);
  await s.controller.fenceBroker(3);
  s.fetch(3, 0);
  await s.settle();
  expect(s.channel.sent).toHaveLength(2); // no expansion proposed for the fenced broker
  expect(s.p.isr).toEqual([1, 2]);
  await s.shutdown();
});

test('the controller answer may come before the metadata record; the late record does not cancel a newer change', async () => {
  const s = await setup();
  s.committer.deferred = [];
  s.clock.now += LAG_MS + 1;
  s.fetch(2, 0);
  s.rm.checkIsrs();
  await s.settle();
  // Shrink answered, its record not yet applied here: the answer already moved the partition.
  expect(s.p.isr).toEqual([1, 2]);
  expect(s.p.partitionEpoch).toBe(1);
  expect(s.p.pendingIsr).toBeNull();
  let release!: () => void;
  s.channel.hold = new Promise((r) => (release = r));
  s.fetch(3, 0); // caught up again: expansion in flight
  expect(s.p.pendingIsr).toMatchObject({ kind: 'expand', isr: [1, 2, 3], partitionEpoch: 1 });
  await s.committer.flush(); // the shrink's record arrives late
  expect(s.p.pendingIsr).toMatchObject({ kind: 'expand' });
  release();
  await s.settle();
  await s.committer.flush();
  expect(s.p.isr).toEqual([1, 2, 3]);
  expect(s.p.partitionEpoch).toBe(2);
  expect(s.p.pendingIsr).toBeNull();
  await s.shutdown();
});
