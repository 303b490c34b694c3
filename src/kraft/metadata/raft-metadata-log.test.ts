// The Raft-backed metadata log against a scripted Raft client (deterministic), plus the snapshot round trip of
// the image, and one single-voter run through the real driver.

import { ErrorCode, KafkaError } from '../../wire/errors';
import { Controller } from '../controller/controller';
import { MemoryRaftLog } from '../raft/memory-log';
import { MemoryQuorumStateStore } from '../raft/quorum-state';
import { RaftNode } from '../raft/raft-node';
import { resolveRaftConfig } from '../raft/config';
import { SeededRandom } from '../raft/random';
import type { AppendResult } from '../raft';
import type { RaftEntry, SnapshotId } from '../raft/types';
import { QuorumDriver } from '../quorum-driver';
import type { QuorumTransport } from '../quorum-transport';
import { MetadataImage, MetadataRecordType, ResourceType, emptyDelta, type MetadataDelta } from './image';
import { imageRecords, snapshotOfImage, snapshotRecordValues } from './image-snapshot';
import { RaftMetadataLog, type RaftClient, type RaftEvent } from './raft-metadata-log';
import { decodeMetadataRecord, encodeMetadataRecord } from './record-serde';
import { LocalMetadataLog } from './local-metadata-log';
import { cleanupTmp, openManager, tmpDir } from '../../log/__tests__/helpers';
import { DiskRaftLog } from '../raft/disk-log';
import { FileQuorumStateStore } from '../raft/quorum-state-file';

class ScriptedRaft implements RaftClient {
  readonly nodeId = 1;
  epoch = 1;
  end = 0;
  hw = -1;
  readonly appended: RaftEntry[] = [];
  readonly snapshots: { endOffset: number; data: Buffer }[] = [];
  private readonly listeners: ((e: RaftEvent) => void)[] = [];

  append(records: Buffer[]): AppendResult {
    const base = this.end;
    for (const value of records) this.appended.push({ offset: this.end++, epoch: this.epoch, value });
    return { baseOffset: base, offset: this.end - 1, epoch: this.epoch };
  }
  createSnapshot(endOffset: number, data: Buffer): SnapshotId {
    this.snapshots.push({ endOffset, data });
    return { endOffset, epoch: this.epoch };
  }
  endOffset(): number {
    return this.end;
  }
  knownHighWatermark(): number {
    return this.hw;
  }
  subscribe(l: (e: RaftEvent) => void): void {
    this.listeners.push(l);
  }
  emit(e: RaftEvent): void {
    for (const l of this.listeners) l(e);
  }
  /** Becomes leader of `epoch` and commits its LeaderChange entry. */
  lead(epoch: number): void {
    this.epoch = epoch;
    this.emit({ kind: 'roleChange', role: 'leader', epoch, leaderId: 1 });
    const lc: RaftEntry = { offset: this.end++, epoch, value: Buffer.alloc(0), control: { type: 'leaderChange', leaderId: 1, voters: [1], grantingVoters: [1] } };
    this.emit({ kind: 'committed', entries: [lc], highWatermark: this.end });
  }
  /** Commits everything appended so far. */
  commitAll(): void {
    const entries = this.appended.splice(0);
    if (entries.length > 0) this.emit({ kind: 'committed', entries, highWatermark: this.end });
  }
}

const topicRecord = (name: string, topicId: string) => ({ apiKey: MetadataRecordType.Topic, version: 0, data: { name, topicId } });

function setup(opts: ConstructorParameters<typeof RaftMetadataLog>[2] = {}) {
  const raft = new ScriptedRaft();
  const image = new MetadataImage();
  const log = new RaftMetadataLog(raft, image, opts);
  const deltas: MetadataDelta[] = [];
  log.onDelta((d) => deltas.push(d));
  return { raft, image, log, deltas };
}

test('nothing is applied before replay(); then commits resolve once committed and applied, listeners first', async () => {
  const { raft, image, log, deltas } = setup();
  raft.lead(1);
  expect(log.isActive()).toBe(false); // not replayed yet: events wait
  log.replay();
  expect(log.isActive()).toBe(true);
  await expect(log.whenCaughtUp()).resolves.toBeUndefined();
  expect(log.nextWriteOffset()).toBe(1);

  let resolved = false;
  const p = log.commit([topicRecord('a', 'AAAAAAAAAAAAAAAAAAAAAg')]).then(() => {
    resolved = true;
    expect(image.topics.has('a')).toBe(true);
    expect(deltas.some((d) => d.createdTopics.has('a'))).toBe(true);
  });
  await Promise.resolve();
  expect(resolved).toBe(false);
  raft.commitAll();
  await p;
  expect(image.lastAppliedOffset).toBe(1);
});

test('losing leadership or having the entries replaced rejects with NOT_CONTROLLER; followers refuse writes', async () => {
  const { raft, log } = setup();
  log.replay();
  await expect(log.commit([topicRecord('x', 'AAAAAAAAAAAAAAAAAAAAAg')])).rejects.toMatchObject({ code: ErrorCode.NOT_CONTROLLER });
  raft.lead(1);
  const lost = log.commit([topicRecord('a', 'AAAAAAAAAAAAAAAAAAAAAg')]);
  raft.emit({ kind: 'roleChange', role: 'follower', epoch: 2, leaderId: 2 });
  await expect(lost).rejects.toBeInstanceOf(KafkaError);
  await expect(lost).rejects.toMatchObject({ code: ErrorCode.NOT_CONTROLLER });
  expect(log.isActive()).toBe(false);

  // Leader again in epoch 3; its entry at offset 2 is overwritten by another leader's before it commits.
  raft.appended.length = 0;
  raft.end = 2;
  raft.lead(3);
  const replaced = log.commit([topicRecord('b', 'AAAAAAAAAAAAAAAAAAAAAw')]);
  const other: RaftEntry = { offset: 3, epoch: 4, value: encodeMetadataRecord(MetadataRecordType.Topic, 0, { name: 'c', topicId: 'AAAAAAAAAAAAAAAAAAAABA' }) };
  raft.emit({ kind: 'committed', entries: [other], highWatermark: 4 });
  await expect(replaced).rejects.toMatchObject({ code: ErrorCode.NOT_CONTROLLER });
});

test('a follower is caught up once it applied up to the leader high watermark it last heard', async () => {
  const { raft, log } = setup();
  log.replay();
  raft.emit({ kind: 'roleChange', role: 'follower', epoch: 1, leaderId: 2 });
  let caughtUp = false;
  void log.whenCaughtUp().then(() => (caughtUp = true));
  raft.hw = 2;
  raft.emit({ kind: 'committed', entries: [{ offset: 0, epoch: 1, value: encodeMetadataRecord(MetadataRecordType.Topic, 0, { name: 't', topicId: 'AAAAAAAAAAAAAAAAAAAAAg' }) }], highWatermark: 1 });
  await Promise.resolve();
  expect(caughtUp).toBe(false);
  raft.emit({ kind: 'committed', entries: [{ offset: 1, epoch: 1, value: encodeMetadataRecord(MetadataRecordType.NoOp, 0, {}) }], highWatermark: 2 });
  await Promise.resolve();
  expect(caughtUp).toBe(true);
});

function richImage(): MetadataImage {
  const image = new MetadataImage();
  const d = emptyDelta();
  const apply = (apiKey: number, version: number, data: Record<string, unknown>) => {
    const r = decodeMetadataRecord(encodeMetadataRecord(apiKey, version, data));
    image.apply(r.apiKey, r.data, d);
  };
  apply(MetadataRecordType.FeatureLevel, 0, { name: 'metadata.version', featureLevel: 20 });
  for (const id of [1, 2]) {
    apply(MetadataRecordType.RegisterBroker, 3, {
      brokerId: id,
      incarnationId: 'AAAAAAAAAAAAAAAAAAAAAg',
      brokerEpoch: 10 + id,
      endPoints: [{ name: 'PLAINTEXT', host: `h${id}`, port: 9092, securityProtocol: 0 }],
      rack: id === 1 ? 'r1' : null,
      fenced: id === 2,
    });
  }
  apply(MetadataRecordType.BrokerRegistrationChange, 1, { brokerId: 1, brokerEpoch: 11, fenced: 0, inControlledShutdown: 1 });
  apply(MetadataRecordType.Topic, 0, { name: 'orders', topicId: 'AAAAAAAAAAAAAAAAAAAABQ' });
  apply(MetadataRecordType.Partition, 0, { partitionId: 0, topicId: 'AAAAAAAAAAAAAAAAAAAABQ', replicas: [1, 2], isr: [1, 2], leader: 1, leaderEpoch: 0, partitionEpoch: 0 });
  apply(MetadataRecordType.Partition, 0, { partitionId: 1, topicId: 'AAAAAAAAAAAAAAAAAAAABQ', replicas: [2, 1], isr: [2], leader: 2, leaderEpoch: 3, partitionEpoch: 5 });
  apply(MetadataRecordType.PartitionChange, 0, { partitionId: 0, topicId: 'AAAAAAAAAAAAAAAAAAAABQ', leader: 2, isr: [2] });
  apply(MetadataRecordType.Config, 0, { resourceType: ResourceType.TOPIC, resourceName: 'orders', name: 'retention.ms', value: '1000' });
  apply(MetadataRecordType.Config, 0, { resourceType: ResourceType.BROKER, resourceName: '', name: 'log.retention.ms', value: '5' });
  apply(MetadataRecordType.ProducerIds, 0, { brokerId: 1, brokerEpoch: 11, nextProducerId: 3000 });
  return image;
}

test('a snapshot of the image rebuilds the same image', () => {
  const image = richImage();
  const file = snapshotOfImage(image, 7, 1_700_000_000_000);
  const rebuilt = new MetadataImage();
  const d = emptyDelta();
  for (const v of snapshotRecordValues(file)) {
    const r = decodeMetadataRecord(v);
    rebuilt.apply(r.apiKey, r.data, d);
  }
  expect(imageRecords(rebuilt)).toEqual(imageRecords(image));
  expect(rebuilt.partition('orders', 0)).toEqual(image.partition('orders', 0));
  expect(rebuilt.brokers.get(1)).toEqual(image.brokers.get(1));
  expect(rebuilt.nextProducerId).toBe(3000);
  // A file cut short is refused rather than half loaded.
  expect(() => snapshotRecordValues(file.subarray(0, file.length - 10))).toThrow(/incomplete/);
});

test('snapshots are taken after enough records; loading one replaces the image and reports what went away', () => {
  const { raft, image, log, deltas } = setup({ snapshotMaxRecords: 2 });
  raft.lead(1);
  log.replay();
  void log.commit([topicRecord('a', 'AAAAAAAAAAAAAAAAAAAAAg')]);
  raft.commitAll();
  expect(raft.snapshots).toHaveLength(0);
  void log.commit([topicRecord('b', 'AAAAAAAAAAAAAAAAAAAAAw')]);
  raft.commitAll();
  expect(raft.snapshots.map((s) => s.endOffset)).toEqual([3]);

  // Another node's snapshot without topic 'a' replaces this image.
  const other = new MetadataImage();
  other.apply(MetadataRecordType.Topic, { name: 'z', topicId: 'AAAAAAAAAAAAAAAAAAAABA' }, emptyDelta());
  deltas.length = 0;
  raft.emit({ kind: 'roleChange', role: 'follower', epoch: 2, leaderId: 2 });
  raft.emit({ kind: 'loadSnapshot', snapshotId: { endOffset: 10, epoch: 2 }, data: snapshotOfImage(other, 2) });
  expect([...image.topics.keys()]).toEqual(['z']);
  expect(image.lastAppliedOffset).toBe(9);
  expect(deltas).toHaveLength(1);
  expect([...deltas[0]!.deletedTopics.keys()].sort()).toEqual(['a', 'b']);
  expect([...deltas[0]!.createdTopics]).toEqual(['z']);
});

const nowhere: QuorumTransport = { send: () => Promise.resolve(null), close: () => undefined };

test('a single voter through the real driver: the Controller commits and the image follows', async () => {
  const image = new MetadataImage();
  const raftLog = new MemoryRaftLog();
  const node = new RaftNode({
    config: resolveRaftConfig({ nodeId: 1, voters: [1], preVote: false }),
    log: raftLog,
    quorumStore: new MemoryQuorumStateStore(),
    random: new SeededRandom(1),
    nowMs: Date.now(),
  });
  const driver = new QuorumDriver({ node, raftLog, transport: nowhere, tickMs: 5 });
  const log = new RaftMetadataLog(driver, image, { snapshotMaxRecords: 3 });
  const controller = new Controller(image, log, { numPartitions: 1, defaultReplicationFactor: 1, deleteTopicEnable: true, validateBrokerConfig: () => null });
  driver.start();
  log.replay();
  await log.whenCaughtUp();
  expect(log.isActive()).toBe(true);
  const epoch = await controller.write((next) => ({
    records: [{ apiKey: MetadataRecordType.RegisterBroker, version: 3, data: { brokerId: 1, incarnationId: 'AAAAAAAAAAAAAAAAAAAAAg', brokerEpoch: next, endPoints: [], fenced: false } }],
    result: next,
  }));
  expect(image.brokers.get(1)?.epoch).toBe(epoch);
  expect(epoch).toBe(1); // offset 0 is the LeaderChange entry
  for (const name of ['t1', 't2', 't3']) {
    const [r] = await controller.createTopics([{ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], false);
    expect(r!.errorCode).toBe(0);
  }
  expect([...image.topics.keys()]).toEqual(['t1', 't2', 't3']);
  expect(raftLog.latestSnapshot()).not.toBeNull(); // snapshotMaxRecords: 3
  await driver.stop();
});

test('a metadata log written by the single-node local log replays under the Raft log (epoch-0 batches)', async () => {
  const dir = tmpDir('nk-migrate-');
  try {
    let mgr = await openManager(dir, { retentionMs: -1, retentionBytes: -1 });
    const local = new LocalMetadataLog(mgr.createLog('__cluster_metadata', 0), new MetadataImage());
    local.replay();
    const old = new Controller(local.image, local, { numPartitions: 2, defaultReplicationFactor: 1, deleteTopicEnable: true, validateBrokerConfig: () => null });
    await old.registerBroker({ brokerId: 1, incarnationId: 'AAAAAAAAAAAAAAAAAAAAAg', endpoints: [], rack: null, fenced: false });
    await old.createTopics([{ name: 'kept', numPartitions: -1, replicationFactor: -1, assignments: [], configs: [] }], false);
    await mgr.close();

    mgr = await openManager(dir, { retentionMs: -1, retentionBytes: -1 });
    const plog = mgr.getLog('__cluster_metadata', 0)!;
    const raftLog = new DiskRaftLog(plog);
    const node = new RaftNode({
      config: resolveRaftConfig({ nodeId: 1, voters: [1], preVote: false }),
      log: raftLog,
      quorumStore: new FileQuorumStateStore(plog.dir, [1]),
      random: new SeededRandom(3),
      nowMs: Date.now(),
    });
    const driver = new QuorumDriver({ node, raftLog, transport: nowhere, tickMs: 5 });
    const image = new MetadataImage();
    const log = new RaftMetadataLog(driver, image);
    driver.start();
    log.replay();
    await log.whenCaughtUp();
    expect(imageRecords(image)).toEqual(imageRecords(local.image));
    await driver.stop();
    await mgr.close();
  } finally {
    cleanupTmp();
  }
});
