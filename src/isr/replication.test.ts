// Replication across an in-process cluster of three brokers sharing one controller (cluster-harness.ts): real
// fetchers, fetch handlers, AlterPartition over TCP. acks=all, leader failover without losing acknowledged
// records, ISR shrink when a follower stops and expansion when it catches up, and a returning ex-leader
// truncating its unreplicated tail, through the diverging epoch of Fetch v12+ and through OffsetForLeaderEpoch.

import { ClusterHarness, waitFor } from './__tests__/cluster-harness';
import { buildBatch, decodeBatches } from '../wire/records/record';
import { ErrorCode } from '../wire/errors';
import type { Partition } from './partition';

const batch = (...values: string[]) => buildBatch({ records: values.map((v) => ({ key: null, value: v })) });

let h: ClusterHarness | null = null;
afterEach(async () => {
  await h?.stop();
  h = null;
});

/** Every record value below the high watermark (what a consumer can read), in offset order. */
function committed(p: Partition): string[] {
  const r = p.log.read(p.log.logStartOffset, 1 << 24, { minOneBatch: true, maxOffset: p.highWatermark });
  const out: string[] = [];
  for (const b of decodeBatches(Buffer.concat(r.chunks))) for (const rec of b.records) if (rec.offset < p.highWatermark) out.push(rec.value!.toString());
  return out;
}

function all(p: Partition): string[] {
  const r = p.log.read(p.log.logStartOffset, 1 << 24, { minOneBatch: true });
  return decodeBatches(Buffer.concat(r.chunks)).flatMap((b) => b.records.map((rec) => `${rec.offset}:${rec.value!.toString()}`));
}

async function produce(c: ClusterHarness, broker: number, topic: string, acks: number, ...values: string[]): Promise<number> {
  const out = c.node(broker).replicas.appendToLeader(topic, 0, batch(...values), 9, acks, 'client', 10_000);
  if (out.errorCode !== ErrorCode.NONE) throw new Error(`produce failed: ${out.errorCode}`);
  await out.done;
  return out.baseOffset;
}

test('acks=all completes once every ISR member has the data; followers follow the high watermark', async () => {
  const c = (h = await ClusterHarness.start());
  await c.createTopic('r', [[1, 2, 3]]);
  const out = c.node(1).replicas.appendToLeader('r', 0, batch('a', 'b', 'c'), 9, -1, 'client', 10_000);
  expect(out.errorCode).toBe(ErrorCode.NONE);
  expect(out.done).not.toBeNull();
  await out.done;
  expect(c.hosted(1, 'r').highWatermark).toBe(3);
  for (const id of [2, 3]) {
    const p = c.hosted(id, 'r');
    expect(p.log.logEndOffset).toBe(3); // in the ISR's logs before the producer heard back
    await waitFor(`follower ${id} high watermark`, () => p.highWatermark === 3);
    expect(p.log.leaderEpochCache.all).toEqual([{ epoch: 0, startOffset: 0 }]);
  }
});

test('the leader stops: an ISR member takes over with every acknowledged record; the old leader rejoins', async () => {
  const c = (h = await ClusterHarness.start());
  await c.createTopic('f', [[1, 2, 3]]);
  const acked: string[] = [];
  for (let i = 0; i < 20; i++) {
    await produce(c, 1, 'f', -1, `m${i}`);
    acked.push(`m${i}`);
  }
  await c.stopBroker(1);
  const info = c.partitionInfo('f');
  expect(info).toMatchObject({ leader: 2, isr: [2, 3], leaderEpoch: 1 });
  const p2 = await waitFor('broker 2 leads', () => {
    const p = c.hosted(2, 'f');
    return p.isLeader ? p : null;
  });
  await waitFor('new leader high watermark', () => p2.highWatermark === 20);
  expect(committed(p2)).toEqual(acked);
  // Producing continues on the new leader, replicated to the remaining ISR.
  await produce(c, 2, 'f', -1, 'after');
  expect(c.hosted(3, 'f').log.logEndOffset).toBe(21);
  // The old leader returns as a follower, catches up, and the leader takes it back into the ISR.
  await c.startBroker(1);
  await waitFor('broker 1 back in the ISR', () => c.partitionInfo('f').isr.includes(1), 15_000);
  expect(c.partitionInfo('f').leader).toBe(2);
  expect(all(c.hosted(1, 'f'))).toEqual(all(p2));
});

test('a follower that stops fetching leaves the ISR after replica.lag.time.max.ms; acks=all then completes; it rejoins when caught up', async () => {
  const c = (h = await ClusterHarness.start({ config: { 'replica.lag.time.max.ms': 1000 } }));
  await c.createTopic('s', [[1, 2, 3]]);
  await produce(c, 1, 's', -1, 'a');
  // Broker 3 goes away without being fenced (no heartbeats yet): only the leader's lag check can notice.
  await c.stopBroker(3, { fence: false });
  const started = Date.now();
  const out = c.node(1).replicas.appendToLeader('s', 0, batch('b', 'c'), 9, -1, 'client', 10_000);
  expect(out.errorCode).toBe(ErrorCode.NONE);
  await out.done; // held until the ISR shrinks
  expect(Date.now() - started).toBeGreaterThanOrEqual(500);
  expect(c.partitionInfo('s').isr).toEqual([1, 2]);
  expect(c.hosted(1, 's').highWatermark).toBe(3);
  await produce(c, 1, 's', -1, 'd');
  await c.startBroker(3);
  await waitFor('broker 3 back in the ISR', () => c.partitionInfo('s').isr.length === 3, 10_000);
  expect(c.partitionInfo('s').isr).toEqual([1, 2, 3]);
  expect(all(c.hosted(3, 's'))).toEqual(all(c.hosted(1, 's')));
});

describe.each([
  ['fetch-based (Fetch v12+ diverging epoch)', undefined],
  ['OffsetForLeaderEpoch (Fetch v11)', 11],
])('an ex-leader with an unreplicated tail truncates it: %s', (_name, replicaFetchMaxVersion) => {
  test('its log ends up identical to the new leader', async () => {
    const c = (h = await ClusterHarness.start({ config: { 'replica.lag.time.max.ms': 60_000 }, replicaFetchMaxVersion }));
    await c.createTopic('d', [[1, 2, 3]]);
    await produce(c, 1, 'd', -1, 'a', 'b');
    await waitFor('followers have the high watermark', () => c.hosted(2, 'd').highWatermark === 2 && c.hosted(3, 'd').highWatermark === 2);
    // Followers go away; the leader takes writes only it has (acks=1), then goes away too.
    await c.stopBroker(2, { fence: false });
    await c.stopBroker(3, { fence: false });
    await produce(c, 1, 'd', 1, 'lost1', 'lost2', 'lost3');
    expect(c.hosted(1, 'd').log.logEndOffset).toBe(5);
    await c.stopBroker(1);
    expect(c.partitionInfo('d')).toMatchObject({ leader: 2, isr: [2, 3], leaderEpoch: 1 });
    await c.startBroker(2);
    await c.startBroker(3);
    await produce(c, 2, 'd', -1, 'x', 'y');
    // The ex-leader comes back: offsets 2..4 of its log are epoch 0 data the new leader (epoch 1) never had.
    await c.startBroker(1);
    const p1 = c.hosted(1, 'd');
    await waitFor('broker 1 caught up', () => p1.log.logEndOffset === 4 && p1.log.latestEpoch === 1, 10_000);
    expect(all(p1)).toEqual(['0:a', '1:b', '2:x', '3:y']);
    expect(all(p1)).toEqual(all(c.hosted(2, 'd')));
    expect(p1.log.leaderEpochCache.all).toEqual([
      { epoch: 0, startOffset: 0 },
      { epoch: 1, startOffset: 2 },
    ]);
    await waitFor('broker 1 back in the ISR', () => c.partitionInfo('d').isr.includes(1), 10_000);
  });
});
