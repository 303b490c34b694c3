// Idempotent produce through ReplicaManager.appendToLeader (what the Produce handler calls): duplicates answer the
// original offsets without appending, sequence and epoch errors come back as partition error codes, the batch
// bytes are stored exactly as sent (offsets and leader epoch patched in place, nothing re-encoded), and the
// producer state survives a broker-style shutdown and restart.

import { BrokerConfig } from '../config/broker-config';
import { Controller } from '../kraft/controller/controller';
import { MetadataImage, emptyDelta } from '../kraft/metadata/image';
import { cleanupTmp, openManager, tmpDir } from '../log/__tests__/helpers';
import type { LogManager } from '../log/log-manager';
import { ErrorCode } from '../wire/errors';
import { Off } from '../wire/records/batch';
import { buildBatch } from '../wire/records/record';
import { ReplicaManager } from './replica-manager';
import { MemoryCommitter } from '../handlers/apis/__tests__/broker-fixture';

afterEach(cleanupTmp);

const silent = { info() {}, warn() {}, error() {} };
const PRODUCE_VERSION = 9;

interface Node {
  logs: LogManager;
  replicas: ReplicaManager;
}

async function startNode(dir: string, image: MetadataImage, committer: MemoryCommitter, config: BrokerConfig): Promise<Node> {
  const logs = await openManager(dir);
  const replicas = new ReplicaManager(1, logs, config, silent);
  committer.replicas = replicas;
  return { logs, replicas };
}

async function setup(values: Record<string, string | number> = {}) {
  const dir = tmpDir();
  const config = BrokerConfig.load({ values });
  const image = new MetadataImage();
  const committer = new MemoryCommitter(image);
  const node = await startNode(dir, image, committer, config);
  const controller = new Controller(image, committer, {
    numPartitions: 1,
    defaultReplicationFactor: 1,
    deleteTopicEnable: true,
    validateBrokerConfig: () => null,
  });
  await controller.registerBroker({ brokerId: 1, incarnationId: 'AAAAAAAAAAAAAAAAAAAAAA', endpoints: [], rack: null, fenced: false });
  const [created] = await controller.createTopics([{ name: 't', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], false);
  expect(created!.errorCode).toBe(ErrorCode.NONE);
  return { dir, config, image, committer, node };
}

function idem(pid: number, epoch: number, seq: number, values: string[]): Buffer {
  return buildBatch({ records: values.map((v) => ({ key: null, value: v })), producerId: pid, producerEpoch: epoch, baseSequence: seq });
}

test('duplicates get the original offsets, errors come back per partition, bytes are stored as sent', async () => {
  const { node } = await setup();
  const rm = node.replicas;
  const first = idem(100, 0, 0, ['a', 'b']);
  const sent = Buffer.from(first);
  expect(rm.appendToLeader('t', 0, first, PRODUCE_VERSION, -1)).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 0 });
  expect(rm.appendToLeader('t', 0, idem(100, 0, 2, ['c']), PRODUCE_VERSION, -1)).toMatchObject({ baseOffset: 2 });
  const log = rm.getPartition('t', 0)!.log;
  expect(log.logEndOffset).toBe(3);

  // The retry of the first batch: success with its original offset, nothing appended.
  const dup = rm.appendToLeader('t', 0, idem(100, 0, 0, ['a', 'b']), PRODUCE_VERSION, -1);
  expect(dup).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 0, logAppendTime: -1, logStartOffset: 0 });
  expect(log.logEndOffset).toBe(3);

  expect(rm.appendToLeader('t', 0, idem(100, 0, 5, ['x']), PRODUCE_VERSION, -1)).toMatchObject({
    errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
    baseOffset: -1,
  });
  rm.appendToLeader('t', 0, idem(100, 1, 0, ['new epoch']), PRODUCE_VERSION, -1);
  expect(rm.appendToLeader('t', 0, idem(100, 0, 3, ['zombie']), PRODUCE_VERSION, -1)).toMatchObject({
    errorCode: ErrorCode.INVALID_PRODUCER_EPOCH,
  });
  expect(log.logEndOffset).toBe(4);

  // The stored batch is the sent one with only the base offset and leader epoch patched (not covered by the CRC).
  const stored = Buffer.concat(log.read(0, 1 << 20, { minOneBatch: true, maxOffset: 2 }).chunks);
  expect(stored.subarray(Off.magic)).toEqual(sent.subarray(Off.magic));
  await node.logs.close();
});

test('a LogAppendTime topic answers a duplicate with the original append time', async () => {
  const { node } = await setup({ 'log.message.timestamp.type': 'LogAppendTime' });
  const out = node.replicas.appendToLeader('t', 0, idem(1, 0, 0, ['a']), PRODUCE_VERSION, -1);
  expect(out.logAppendTime).toBeGreaterThan(0);
  await new Promise((r) => setTimeout(r, 5));
  const dup = node.replicas.appendToLeader('t', 0, idem(1, 0, 0, ['a']), PRODUCE_VERSION, -1);
  expect(dup).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 0, logAppendTime: out.logAppendTime });
  await node.logs.close();
});

test('the producer state survives restarts: from the shutdown snapshot, and from an older snapshot plus the log', async () => {
  const { dir, config, image, committer, node } = await setup();
  for (let i = 0; i < 10; i++) node.replicas.appendToLeader('t', 0, idem(7, 3, i, [`m${i}`]), PRODUCE_VERSION, -1);
  await node.replicas.shutdown();
  await node.logs.close();

  const restart = async (): Promise<Node> => {
    const n = await startNode(dir, image, committer, config);
    // Replaying the image's partitions recreates the hosted partition from the existing log.
    const delta = emptyDelta();
    for (const t of image.topics.values()) for (const p of t.partitions.values()) delta.changedPartitions.push({ topic: t.name, partition: p });
    await n.replicas.applyDelta(delta, image);
    return n;
  };
  let n = await restart();
  expect(n.replicas.appendToLeader('t', 0, idem(7, 3, 9, ['m9']), PRODUCE_VERSION, -1)).toMatchObject({ baseOffset: 9 });
  expect(n.replicas.appendToLeader('t', 0, idem(7, 3, 11, ['gap']), PRODUCE_VERSION, -1).errorCode).toBe(
    ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
  );
  expect(n.replicas.appendToLeader('t', 0, idem(7, 3, 10, ['m10']), PRODUCE_VERSION, -1)).toMatchObject({ baseOffset: 10 });
  // No shutdown snapshot this time: the next start replays the log after the older snapshot.
  await n.logs.close();
  n = await restart();
  expect(n.replicas.appendToLeader('t', 0, idem(7, 3, 10, ['m10']), PRODUCE_VERSION, -1)).toMatchObject({ baseOffset: 10 });
  expect(n.replicas.appendToLeader('t', 0, idem(7, 3, 11, ['m11']), PRODUCE_VERSION, -1)).toMatchObject({ baseOffset: 11 });
  await n.logs.close();
});
