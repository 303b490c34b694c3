// Transactions on the data path, through the replica manager as the Produce, WriteTxnMarkers and Fetch handlers
// use it: transactional batches hold the last stable offset back until their marker, read_committed reads stop at
// it and list the aborted transactions they overlap, markers are checked against the producer state, the index
// survives restarts (with and without snapshots), and compaction never lets an aborted record win.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { BrokerConfig } from '../config/broker-config';
import { Controller } from '../kraft/controller/controller';
import { MetadataImage, emptyDelta } from '../kraft/metadata/image';
import { cleanupTmp, decodeChunks, openManager, tmpDir } from '../log/__tests__/helpers';
import type { LogManager } from '../log/log-manager';
import { READ_COMMITTED, READ_UNCOMMITTED, ReplicaManager } from '../isr/replica-manager';
import { ErrorCode } from '../wire/errors';
import { buildBatch } from '../wire/records/record';
import { verifyTransactionalProduce } from './produce-verification';
import type { TransactionCoordinator } from './coordinator';
import { MemoryCommitter } from '../handlers/apis/__tests__/broker-fixture';

afterEach(cleanupTmp);

const silent = { info() {}, warn() {}, error() {} };
const PRODUCE_VERSION = 9;

interface Node {
  logs: LogManager;
  replicas: ReplicaManager;
}

async function openNode(dir: string, image: MetadataImage, committer: MemoryCommitter): Promise<Node> {
  const logs = await openManager(dir, {}, { cleanerEnabled: false });
  const replicas = new ReplicaManager(1, logs, BrokerConfig.load({ values: {} }), silent);
  committer.replicas = replicas;
  // The partitions of topics already in the image are created as the broker does on start.
  const delta = emptyDelta();
  for (const t of image.topics.values()) for (const p of t.partitions.values()) delta.changedPartitions.push({ topic: t.name, partition: p });
  await replicas.applyDelta(delta, image);
  return { logs, replicas };
}

async function setup(configs: { name: string; value: string }[] = []) {
  const dir = tmpDir();
  const image = new MetadataImage();
  const committer = new MemoryCommitter(image);
  const node = await openNode(dir, image, committer);
  const controller = new Controller(image, committer, {
    numPartitions: 1,
    defaultReplicationFactor: 1,
    deleteTopicEnable: true,
    validateBrokerConfig: () => null,
  });
  await controller.registerBroker({ brokerId: 1, incarnationId: 'AAAAAAAAAAAAAAAAAAAAAA', endpoints: [], rack: null, fenced: false });
  const [created] = await controller.createTopics([{ name: 't', numPartitions: 1, replicationFactor: 1, assignments: [], configs }], false);
  expect(created!.errorCode).toBe(ErrorCode.NONE);
  return { dir, image, committer, node };
}

function txnBatch(pid: number, epoch: number, seq: number, values: string[], keys?: string[]): Buffer {
  return buildBatch({
    records: values.map((v, i) => ({ key: keys ? keys[i]! : null, value: v })),
    producerId: pid,
    producerEpoch: epoch,
    baseSequence: seq,
    transactional: true,
  });
}

function plain(values: string[], keys?: string[]): Buffer {
  return buildBatch({ records: values.map((v, i) => ({ key: keys ? keys[i]! : null, value: v })) });
}

function produce(rm: ReplicaManager, records: Buffer) {
  const out = rm.appendToLeader('t', 0, records, PRODUCE_VERSION, -1);
  expect(out.errorCode).toBe(ErrorCode.NONE);
  return out.baseOffset;
}

function marker(rm: ReplicaManager, pid: number, epoch: number, commit: boolean, coordinatorEpoch = 0) {
  return rm.appendMarker('t', 0, { producerId: pid, producerEpoch: epoch, coordinatorEpoch, commit });
}

/** Every record readable from `from` (a read stops at a segment's end, so this reads on). */
function readAll(rm: ReplicaManager, from: number, isolation: number) {
  const out: ReturnType<typeof decodeChunks> = [];
  for (let next = from; ; ) {
    const r = rm.read('t', 0, next, 1 << 20, true, false, isolation);
    if (r.size === 0) return out;
    const recs = decodeChunks(r.records).filter((x) => x.offset >= next);
    out.push(...recs);
    next = Math.max(next + 1, ...recs.map((x) => x.offset + 1));
    // Markers are records too (their offsets advance `next`); a batch emptied by compaction is skipped by offset.
    if (next >= rm.getPartition('t', 0)!.log.logEndOffset) return out;
  }
}

/** Data values readable from `from` (control records left out: their key starts with a zero version). */
function values(rm: ReplicaManager, from: number, isolation: number): string[] {
  return readAll(rm, from, isolation)
    .filter((x) => x.value !== null && x.key?.charCodeAt(0) !== 0)
    .map((x) => x.value!);
}

describe('last stable offset and read_committed', () => {
  test('an open transaction holds the LSO at its first offset; its marker releases it', async () => {
    const { node } = await setup();
    const rm = node.replicas;
    const p = rm.getPartition('t', 0)!;
    produce(rm, plain(['before']));
    expect(produce(rm, txnBatch(7, 0, 0, ['t1', 't2']))).toBe(1);
    produce(rm, plain(['after']));
    expect(p.highWatermark).toBe(4);
    expect(p.lastStableOffset).toBe(1);
    expect(values(rm, 0, READ_UNCOMMITTED)).toEqual(['before', 't1', 't2', 'after']);
    expect(values(rm, 0, READ_COMMITTED)).toEqual(['before']);
    expect(rm.read('t', 0, 1, 1 << 20, true, false, READ_COMMITTED)).toMatchObject({ size: 0, lastStableOffset: 1, abortedTransactions: [] });

    const m = marker(rm, 7, 0, true);
    expect(m).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 4 });
    expect(p.lastStableOffset).toBe(5);
    const r = rm.read('t', 0, 0, 1 << 20, true, false, READ_COMMITTED);
    expect(r.abortedTransactions).toEqual([]);
    expect(values(rm, 0, READ_COMMITTED)).toEqual(['before', 't1', 't2', 'after']);
    // read_uncommitted reads report no aborted list at all.
    expect(rm.read('t', 0, 0, 1 << 20, true).abortedTransactions).toBeNull();
  });

  test('aborted transactions are listed for reads that overlap them', async () => {
    const { node } = await setup();
    const rm = node.replicas;
    produce(rm, txnBatch(1, 0, 0, ['a1'])); // 0
    produce(rm, txnBatch(2, 0, 0, ['b1'])); // 1
    produce(rm, txnBatch(1, 0, 1, ['a2'])); // 2
    expect(rm.getPartition('t', 0)!.lastStableOffset).toBe(0);
    marker(rm, 1, 0, false); // 3: producer 1 aborts
    expect(rm.getPartition('t', 0)!.lastStableOffset).toBe(1); // producer 2 still open
    marker(rm, 2, 0, true); // 4
    produce(rm, txnBatch(1, 0, 2, ['a3'])); // 5: a new transaction of producer 1
    marker(rm, 1, 0, false); // 6
    const p = rm.getPartition('t', 0)!;
    expect(p.lastStableOffset).toBe(7);
    expect(rm.read('t', 0, 0, 1 << 20, true, false, READ_COMMITTED).abortedTransactions).toEqual([
      { producerId: 1, firstOffset: 0, lastOffset: 3 },
      { producerId: 1, firstOffset: 5, lastOffset: 6 },
    ]);
    expect(rm.read('t', 0, 4, 1 << 20, true, false, READ_COMMITTED).abortedTransactions).toEqual([{ producerId: 1, firstOffset: 5, lastOffset: 6 }]);
    expect(rm.read('t', 0, 7, 1 << 20, true, false, READ_COMMITTED).abortedTransactions).toEqual([]);
  });

  test('markers are checked: stale producer epoch, deposed coordinator; a fencing marker fences the old epoch', async () => {
    const { node } = await setup();
    const rm = node.replicas;
    produce(rm, txnBatch(3, 2, 0, ['x']));
    expect(marker(rm, 3, 1, false).errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    expect(marker(rm, 3, 3, false, 5).errorCode).toBe(ErrorCode.NONE); // fenced: abort at epoch 3
    expect(marker(rm, 3, 3, false, 4).errorCode).toBe(ErrorCode.TRANSACTION_COORDINATOR_FENCED);
    const late = rm.appendToLeader('t', 0, txnBatch(3, 2, 1, ['late']), PRODUCE_VERSION, -1);
    expect(late.errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    expect(rm.getPartition('t', 0)!.lastStableOffset).toBe(2);
  });
});

describe('restarts', () => {
  async function restartScenario(dropSnapshots: boolean) {
    const { dir, image, committer, node } = await setup();
    const rm = node.replicas;
    produce(rm, txnBatch(1, 0, 0, ['a1'])); // 0
    marker(rm, 1, 0, false); // 1
    produce(rm, txnBatch(2, 0, 0, ['b1'])); // 2, left open
    await rm.shutdown();
    await node.logs.close();
    if (dropSnapshots) {
      const d = path.join(dir, 't-0');
      for (const f of fs.readdirSync(d)) if (f.endsWith('.snapshot') || f.endsWith('.aborted')) fs.rmSync(path.join(d, f));
    }
    const again = await openNode(dir, image, committer);
    const p = again.replicas.getPartition('t', 0)!;
    expect(p.lastStableOffset).toBe(2);
    expect(again.replicas.read('t', 0, 0, 1 << 20, true, false, READ_COMMITTED).abortedTransactions).toEqual([
      { producerId: 1, firstOffset: 0, lastOffset: 1 },
    ]);
    marker(again.replicas, 2, 0, true);
    expect(p.lastStableOffset).toBe(4);
    await again.replicas.shutdown();
    await again.logs.close();
    return dir;
  }

  test('the aborted index and open transactions come back from the clean-shutdown snapshot', async () => {
    const dir = await restartScenario(false);
    expect(fs.readdirSync(path.join(dir, 't-0')).filter((f) => f.endsWith('.aborted')).length).toBeGreaterThan(0);
  });

  test('without snapshots they are rebuilt from the log', async () => {
    await restartScenario(true);
  });
});

describe('compaction', () => {
  test('aborted records neither survive nor supersede committed ones; nothing past the LSO is cleaned', async () => {
    const { node } = await setup([
      { name: 'cleanup.policy', value: 'compact' },
      { name: 'segment.bytes', value: '100' },
      { name: 'min.cleanable.dirty.ratio', value: '0.01' },
    ]);
    const rm = node.replicas;
    const log = rm.getPartition('t', 0)!.log;
    produce(rm, plain(['k-committed'], ['k'])); // 0
    produce(rm, txnBatch(9, 0, 0, ['k-aborted'], ['k'])); // 1
    marker(rm, 9, 0, false); // 2
    produce(rm, plain(['other'], ['o'])); // 3
    produce(rm, txnBatch(8, 0, 0, ['o-open'], ['o'])); // 4: open, holds the LSO
    produce(rm, plain(['filler'], ['f'])); // 5
    expect(log.segmentList().length).toBeGreaterThan(3);
    const stats = await node.logs.cleanOnce(log);
    expect(stats?.recordsRemoved).toBeGreaterThanOrEqual(1);
    const all = readAll(rm, 0, READ_UNCOMMITTED).filter((r) => r.key !== null && r.key.charCodeAt(0) !== 0);
    expect(all.map((r) => r.value)).toContain('k-committed');
    expect(all.map((r) => r.value)).not.toContain('k-aborted');
    // 'o' at 3 is below the open transaction's first offset but its newer value is beyond the LSO: kept.
    expect(all.map((r) => r.value)).toContain('other');
    expect(all.map((r) => r.value)).toContain('o-open');
    expect(values(rm, 0, READ_COMMITTED)).toEqual(['k-committed', 'other']);
  });
});

describe('produce verification', () => {
  test("a producer's first transactional batch on a partition must be in its open transaction", async () => {
    const { node } = await setup();
    const rm = node.replicas;
    let verdict: 'yes' | 'no' | 'unknown' = 'no';
    const coordinator = { verifyPartition: () => verdict } as unknown as TransactionCoordinator;
    const first = txnBatch(4, 0, 0, ['x']);
    expect(verifyTransactionalProduce(rm, coordinator, 'tx', 't', 0, first)).toBe(ErrorCode.INVALID_TXN_STATE);
    verdict = 'unknown';
    expect(verifyTransactionalProduce(rm, coordinator, 'tx', 't', 0, first)).toBe(ErrorCode.NONE);
    verdict = 'yes';
    expect(verifyTransactionalProduce(rm, coordinator, 'tx', 't', 0, first)).toBe(ErrorCode.NONE);
    produce(rm, first);
    // The transaction is open on the partition: no question asked.
    verdict = 'no';
    expect(verifyTransactionalProduce(rm, coordinator, 'tx', 't', 0, txnBatch(4, 0, 1, ['y']))).toBe(ErrorCode.NONE);
    expect(verifyTransactionalProduce(rm, coordinator, 'tx', 't', 0, plain(['z']))).toBe(ErrorCode.NONE);
    expect(verifyTransactionalProduce(rm, null, 'tx', 't', 0, txnBatch(5, 0, 0, ['w']))).toBe(ErrorCode.NONE);
  });
});
