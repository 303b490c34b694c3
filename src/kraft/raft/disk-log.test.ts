// The disk Raft log over the segment log: Kafka's on-disk form (v2 batches, epoch in partitionLeaderEpoch, a
// LeaderChange control batch), the RaftLog contract (epochs, divergence lookups, truncation inside a batch,
// snapshots and the prefix they replace), and what survives a restart — including a crash between storing a
// snapshot and cutting the log. Also the quorum-state file.

import * as fs from 'fs';
import * as path from 'path';
import { cleanupTmp, openManager, tmpDir } from '../../log/__tests__/helpers';
import type { LogManager } from '../../log/log-manager';
import { decodeBatches } from '../../wire/records/record';
import { DiskRaftLog } from './disk-log';
import { FileQuorumStateStore } from './quorum-state-file';
import { METADATA_TOPIC } from './entry-batches';
import { snapshotFileName } from './snapshot-store';
import type { RaftEntry } from './types';
import { RaftNode } from './raft-node';
import { resolveRaftConfig } from './config';
import { SeededRandom } from './random';

afterAll(() => cleanupTmp());

const data = (offset: number, epoch: number, v = `v${offset}`): RaftEntry => ({ offset, epoch, value: Buffer.from(v) });
const leaderChange = (offset: number, epoch: number): RaftEntry => ({
  offset,
  epoch,
  value: Buffer.alloc(0),
  control: { type: 'leaderChange', leaderId: 1, voters: [1, 2, 3], grantingVoters: [1, 2] },
});

async function open(dir: string): Promise<{ mgr: LogManager; log: DiskRaftLog }> {
  const mgr = await openManager(dir, { retentionMs: -1, retentionBytes: -1 });
  const plog = mgr.getLog(METADATA_TOPIC, 0) ?? mgr.createLog(METADATA_TOPIC, 0);
  return { mgr, log: new DiskRaftLog(plog) };
}

const values = (es: RaftEntry[]) => es.map((e) => (e.control ? `LC@${e.epoch}` : `${e.value.toString()}@${e.epoch}`));

test('entries are Kafka batches: one per append and epoch, epochs from partitionLeaderEpoch, LeaderChange a control batch', async () => {
  const dir = tmpDir('nk-raftlog-');
  const { mgr, log } = await open(dir);
  log.append([leaderChange(0, 1), data(1, 1), data(2, 1)]);
  log.append([leaderChange(3, 3), data(4, 3)]);
  expect(log.endOffset()).toBe(5);
  expect(log.flushedEndOffset()).toBe(0);
  log.flush();
  expect(log.flushedEndOffset()).toBe(5);
  expect(log.lastEpoch()).toBe(3);
  expect([0, 2, 3, 4, 5].map((o) => log.epochAt(o))).toEqual([1, 1, 3, 3, null]);
  expect(log.endOffsetForEpoch(1)).toEqual({ epoch: 1, offset: 3 });
  expect(log.endOffsetForEpoch(2)).toEqual({ epoch: 1, offset: 3 });
  expect(log.endOffsetForEpoch(9)).toEqual({ epoch: 3, offset: 5 });
  expect(log.endOffsetForEpoch(0)).toEqual({ epoch: 0, offset: 0 });

  const read = log.read(1, 1);
  // A read never stops inside a batch: asking at offset 1 for 1 byte gets the rest of batch [1, 2].
  expect(values(read)).toEqual(['v1@1', 'v2@1']);
  expect(values(log.read(0, 1 << 20))).toEqual(['LC@1', 'v1@1', 'v2@1', 'LC@3', 'v4@3']);
  expect(log.read(0, 1 << 20)[0]!.control).toEqual({ type: 'leaderChange', leaderId: 1, voters: [1, 2, 3], grantingVoters: [1, 2] });

  await mgr.close();
  const seg = fs.readdirSync(path.join(dir, `${METADATA_TOPIC}-0`)).find((f) => f.endsWith('.log'))!;
  const batches = decodeBatches(fs.readFileSync(path.join(dir, `${METADATA_TOPIC}-0`, seg)));
  expect(batches.map((b) => [b.baseOffset, b.lastOffset, b.partitionLeaderEpoch, b.isControl])).toEqual([
    [0, 0, 1, true],
    [1, 2, 1, false],
    [3, 3, 3, true],
    [4, 4, 3, false],
  ]);
});

test('truncation inside a batch keeps the entries before the cut; the epoch table follows', async () => {
  const dir = tmpDir('nk-raftlog-');
  const { mgr, log } = await open(dir);
  log.append([data(0, 1), data(1, 1), data(2, 1)]);
  log.append([data(3, 2), data(4, 2), data(5, 2)]);
  log.flush();
  log.truncateTo(4);
  expect(log.endOffset()).toBe(4);
  expect(log.flushedEndOffset()).toBe(4);
  expect(values(log.read(0, 1 << 20))).toEqual(['v0@1', 'v1@1', 'v2@1', 'v3@2']);
  log.truncateTo(2);
  expect(values(log.read(0, 1 << 20))).toEqual(['v0@1', 'v1@1']);
  expect(log.lastEpoch()).toBe(1);
  expect(log.endOffsetForEpoch(2)).toEqual({ epoch: 1, offset: 2 });
  log.append([data(2, 4, 'new')]);
  log.flush();
  await mgr.close();

  const again = await open(dir);
  expect(values(again.log.read(0, 1 << 20))).toEqual(['v0@1', 'v1@1', 'new@4']);
  expect(again.log.endOffsetForEpoch(3)).toEqual({ epoch: 1, offset: 2 });
  expect(again.log.flushedEndOffset()).toBe(3);
  await again.mgr.close();
});

test('a snapshot replaces the prefix it covers; a matching suffix stays, a diverging log is emptied', async () => {
  const dir = tmpDir('nk-raftlog-');
  const { mgr, log } = await open(dir);
  log.append([data(0, 1), data(1, 1), data(2, 1), data(3, 2), data(4, 2)]);
  log.flush();
  const snap = { endOffset: 3, epoch: 1 };
  log.storeSnapshot(snap, Buffer.from('image@3'));
  log.deleteBeforeSnapshot(snap);
  expect(log.startOffset()).toBe(3);
  expect(log.epochAt(2)).toBe(1); // the snapshot's epoch answers for the entry just before the start
  expect(log.epochAt(1)).toBeNull();
  expect(values(log.read(3, 1 << 20))).toEqual(['v3@2', 'v4@2']);
  expect(log.readSnapshot(snap, 2, 3)).toEqual({ size: 7, bytes: Buffer.from('age') });
  expect(fs.existsSync(path.join(log.partitionLog.dir, snapshotFileName(snap)))).toBe(true);
  expect(snapshotFileName(snap)).toBe('00000000000000000003-0000000001.checkpoint');

  // A follower installs a snapshot its log does not match (epoch 7 at offset 9): the log restarts after it.
  const other = { endOffset: 10, epoch: 7 };
  log.storeSnapshot(other, Buffer.from('image@10'));
  log.deleteBeforeSnapshot(other);
  expect([log.startOffset(), log.endOffset(), log.lastEpoch()]).toEqual([10, 10, 7]);
  expect(log.readSnapshot(snap, 0, 10)).toBeNull(); // the older snapshot is gone
  expect(log.endOffsetForEpoch(8)).toEqual({ epoch: 7, offset: 10 });
  log.append([data(10, 8)]);
  log.flush();
  await mgr.close();

  const again = await open(dir);
  expect([again.log.startOffset(), again.log.endOffset(), again.log.lastEpoch()]).toEqual([10, 11, 8]);
  expect(again.log.latestSnapshot()).toEqual(other);
  await again.mgr.close();
});

test('a crash between storing a snapshot and cutting the log is finished on open', async () => {
  const dir = tmpDir('nk-raftlog-');
  const { mgr, log } = await open(dir);
  log.append([data(0, 1), data(1, 1), data(2, 2), data(3, 2)]);
  log.flush();
  log.storeSnapshot({ endOffset: 3, epoch: 2 }, Buffer.from('s'));
  // (no deleteBeforeSnapshot: the process died here)
  await mgr.close();
  const again = await open(dir);
  expect(again.log.startOffset()).toBe(3);
  expect(values(again.log.read(3, 100))).toEqual(['v3@2']);
  expect(again.log.epochAt(2)).toBe(2);
  await again.mgr.close();
});

test('the quorum-state file is Kafka-like JSON, replaced atomically, and read back', () => {
  const dir = tmpDir('nk-quorum-state-');
  const store = new FileQuorumStateStore(dir, [1, 2, 3]);
  expect(store.read()).toBeNull();
  store.write({ leaderEpoch: 4, votedId: 2, leaderId: null });
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'quorum-state'), 'utf8'));
  expect(json).toMatchObject({ leaderId: -1, leaderEpoch: 4, votedId: 2, appliedOffset: 0, currentVoters: [{ voterId: 1 }, { voterId: 2 }, { voterId: 3 }], data_version: 0 });
  store.write({ leaderEpoch: 5, votedId: null, leaderId: 3 });
  expect(new FileQuorumStateStore(dir).read()).toEqual({ leaderEpoch: 5, votedId: null, leaderId: 3 });
  expect(fs.readdirSync(dir)).toEqual(['quorum-state']);
});

test('a single voter over the disk log elects itself, commits, and after a restart resumes with its log', async () => {
  const dir = tmpDir('nk-raftlog-');
  let now = 1_000;
  const start = async () => {
    const { mgr, log } = await open(dir);
    const node = new RaftNode({
      config: resolveRaftConfig({ nodeId: 1, voters: [1], preVote: false }),
      log,
      quorumStore: new FileQuorumStateStore(log.partitionLog.dir, [1]),
      random: new SeededRandom(7),
      nowMs: now,
    });
    return { mgr, log, node };
  };
  const first = await start();
  first.node.tick(++now);
  expect(first.node.role).toBe('leader');
  const r = first.node.append([Buffer.from('a'), Buffer.from('b')]);
  expect(r).toEqual({ baseOffset: 1, offset: 2, epoch: 1 });
  first.node.tick(++now);
  expect(first.node.highWatermark).toBe(3);
  await first.mgr.close();

  const second = await start();
  second.node.tick(++now);
  second.node.tick(++now);
  expect(second.node.role).toBe('leader');
  expect(second.node.currentEpoch).toBe(2);
  const committed = second.node.takeOutputs().filter((o) => o.kind === 'committed');
  const all = committed.flatMap((o) => (o.kind === 'committed' ? o.entries : []));
  expect(values(all)).toEqual(['LC@1', 'a@1', 'b@1', 'LC@2']);
  await second.mgr.close();
});
