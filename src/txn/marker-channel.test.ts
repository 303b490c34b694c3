// Marker delivery: the channel groups partitions by leader, retries what failed with backoff, forgets deleted
// partitions and obsolete markers, and gives up when the coordinator no longer wants the markers; the remote
// writer turns a batch into a WriteTxnMarkers request and its response back into per-partition codes.

import type { NodeClientPool } from '../net/node-client-pool';
import { ErrorCode } from '../wire/errors';
import type { ApiDef } from '../wire/generated/apis';
import { type MarkerBatch, type MarkerTransport, TxnMarkerChannel } from './marker-channel';
import { type MarkerRpc, markersRequest, remoteMarkerWriter } from './remote-markers';
import { type TopicPartition, tpKey } from './txn-metadata';

const TP = (topic: string, partition: number): TopicPartition => ({ topic, partition });

function batch(partitions: TopicPartition[]): MarkerBatch {
  return { producerId: 5, producerEpoch: 2, coordinatorEpoch: 9, commit: true, partitions };
}

class ScriptedTransport implements MarkerTransport {
  leaders = new Map<string, number | null>();
  /** Codes to answer, per tpKey, one per attempt (the last repeats). */
  script = new Map<string, number[]>();
  calls: { broker: number; partitions: string[] }[] = [];
  leaderOf(tp: TopicPartition): number | null {
    const l = this.leaders.get(tpKey(tp));
    return l === undefined ? 1 : l;
  }
  async write(broker: number, b: MarkerBatch): Promise<Map<string, number>> {
    this.calls.push({ broker, partitions: b.partitions.map(tpKey) });
    return new Map(
      b.partitions.map((tp) => {
        const codes = this.script.get(tpKey(tp)) ?? [ErrorCode.NONE];
        return [tpKey(tp), codes.length > 1 ? codes.shift()! : codes[0]!];
      }),
    );
  }
}

test('partitions go to their leaders; failures are retried with backoff until written', async () => {
  const t = new ScriptedTransport();
  t.leaders.set(tpKey(TP('a', 0)), 1);
  t.leaders.set(tpKey(TP('a', 1)), 2);
  t.script.set(tpKey(TP('a', 1)), [ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.NOT_ENOUGH_REPLICAS, ErrorCode.NONE]);
  const sleeps: number[] = [];
  const channel = new TxnMarkerChannel(t, { retryBackoffMs: 10, maxRetryBackoffMs: 15, sleep: async (ms) => void sleeps.push(ms) });
  expect(await channel.writeAll(batch([TP('a', 0), TP('a', 1)]), () => true)).toBe(true);
  expect(t.calls).toEqual([
    { broker: 1, partitions: [tpKey(TP('a', 0))] },
    { broker: 2, partitions: [tpKey(TP('a', 1))] },
    { broker: 2, partitions: [tpKey(TP('a', 1))] },
    { broker: 2, partitions: [tpKey(TP('a', 1))] },
  ]);
  expect(sleeps).toEqual([10, 15]);
});

test('deleted partitions and obsolete markers are dropped; leaderless partitions wait', async () => {
  const t = new ScriptedTransport();
  t.leaders.set(tpKey(TP('gone', 0)), null);
  t.leaders.set(tpKey(TP('x', 0)), -1);
  t.script.set(tpKey(TP('old', 0)), [ErrorCode.INVALID_PRODUCER_EPOCH]);
  let slept = 0;
  const channel = new TxnMarkerChannel(t, {
    sleep: async () => {
      if (++slept === 2) t.leaders.set(tpKey(TP('x', 0)), 3);
    },
  });
  expect(await channel.writeAll(batch([TP('gone', 0), TP('old', 0), TP('x', 0)]), () => true)).toBe(true);
  expect(t.calls.map((c) => c.broker)).toEqual([1, 3]);
});

test('the channel stops when the markers are no longer wanted', async () => {
  const t = new ScriptedTransport();
  t.script.set(tpKey(TP('a', 0)), [ErrorCode.NOT_LEADER_OR_FOLLOWER]);
  let wanted = true;
  const channel = new TxnMarkerChannel(t, { sleep: async () => void (wanted = false) });
  expect(await channel.writeAll(batch([TP('a', 0)]), () => wanted)).toBe(false);
  expect(t.calls.length).toBe(1);
});

test('a transport that throws is retried', async () => {
  let n = 0;
  const t: MarkerTransport = {
    leaderOf: () => 1,
    write: async (_b, mb) => {
      if (n++ === 0) throw new Error('connection refused');
      return new Map(mb.partitions.map((tp) => [tpKey(tp), ErrorCode.NONE]));
    },
  };
  const warnings: string[] = [];
  const channel = new TxnMarkerChannel(t, { sleep: async () => undefined, warn: (m) => warnings.push(m) });
  expect(await channel.writeAll(batch([TP('a', 0)]), () => true)).toBe(true);
  expect(warnings[0]).toMatch(/connection refused/);
});

test('remote markers: one WriteTxnMarkers request per broker; unanswered partitions count as failed', async () => {
  const sent: unknown[] = [];
  const rpc: MarkerRpc = {
    connection: async () => ({
      versionFor: () => 1,
      send: async <Req, Res>(_api: ApiDef<Req, Res>, version: number, req: Req) => {
        sent.push({ version, req });
        return { markers: [{ producerId: 5, topics: [{ name: 'a', partitions: [{ partitionIndex: 0, errorCode: ErrorCode.NONE }] }] }] } as Res;
      },
    }),
  };
  const write = remoteMarkerWriter(rpc, 1000);
  const res = await write(2, batch([TP('a', 0), TP('a', 1), TP('b', 3)]));
  expect(sent).toEqual([{ version: 1, req: markersRequest(batch([TP('a', 0), TP('a', 1), TP('b', 3)])) }]);
  expect(markersRequest(batch([TP('a', 0), TP('a', 1), TP('b', 3)])).markers[0]!.topics).toEqual([
    { name: 'a', partitionIndexes: [0, 1] },
    { name: 'b', partitionIndexes: [3] },
  ]);
  expect([...res]).toEqual([
    [tpKey(TP('a', 0)), ErrorCode.NONE],
    [tpKey(TP('a', 1)), ErrorCode.UNKNOWN_SERVER_ERROR],
    [tpKey(TP('b', 3)), ErrorCode.UNKNOWN_SERVER_ERROR],
  ]);
});

test("the inter-broker client pool fits the remote writer's connection source", () => {
  // Compile-time: NodeClientPool can be passed as a MarkerRpc.
  const asRpc = (p: NodeClientPool): MarkerRpc => p;
  expect(typeof asRpc).toBe('function');
});
