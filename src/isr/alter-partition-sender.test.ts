// The ISR change sender: proposals of one tick share a request, one request is in flight at a time, a newer
// proposal for a partition replaces a queued one, and failures that say nothing about the proposal (network,
// NOT_CONTROLLER, STALE_BROKER_EPOCH) are retried while answers about the proposal go back to its proposer.

import type { ApiDef } from '../wire/generated/apis';
import type { AlterPartitionRequest } from '../wire/generated/messages/AlterPartitionRequest';
import type { AlterPartitionResponse } from '../wire/generated/messages/AlterPartitionResponse';
import { ErrorCode } from '../wire/errors';
import { NetworkError } from '../net/errors';
import type { ControllerChannel } from '../net/controller-channel';
import { AlterPartitionSender, type IsrProposal, type IsrProposalResult } from './alter-partition-sender';

const silent = { info() {}, warn() {}, error() {} };

class ScriptedChannel implements ControllerChannel {
  readonly requests: AlterPartitionRequest[] = [];
  constructor(private readonly answer: (req: AlterPartitionRequest, n: number) => AlterPartitionResponse | Error) {}
  async request<Req, Res>(_api: ApiDef<Req, Res>, build: (version: number) => Req): Promise<{ version: number; response: Res }> {
    const req = build(3) as unknown as AlterPartitionRequest;
    this.requests.push(req);
    await new Promise((r) => setTimeout(r, 5));
    const a = this.answer(req, this.requests.length);
    if (a instanceof Error) throw a;
    return { version: 3, response: a as unknown as Res };
  }
}

function proposal(partition: number, isr: number[], partitionEpoch = 0): IsrProposal {
  return { topic: 't', topicId: 'AAAAAAAAAAAAAAAAAAAAAQ', partition, leaderEpoch: 0, partitionEpoch, newIsr: isr.map((brokerId) => ({ brokerId, brokerEpoch: 1 })) };
}

/** Accepts every proposal as sent (partition epoch + 1). */
function accept(req: AlterPartitionRequest): AlterPartitionResponse {
  return {
    throttleTimeMs: 0,
    errorCode: 0,
    topics: req.topics.map((t) => ({
      topicName: t.topicName,
      topicId: t.topicId,
      partitions: t.partitions.map((p) => ({
        partitionIndex: p.partitionIndex,
        errorCode: 0,
        leaderId: 1,
        leaderEpoch: p.leaderEpoch,
        isr: p.newIsrWithEpochs.map((b) => b.brokerId),
        leaderRecoveryState: 0,
        partitionEpoch: p.partitionEpoch + 1,
      })),
    })),
  };
}

function sender(channel: ControllerChannel): AlterPartitionSender {
  return new AlterPartitionSender({ brokerId: 1, brokerEpoch: () => 7, channel, retryBackoffMs: 10, requestTimeoutMs: 1000, log: silent });
}

const results = () => {
  const got: { partition: number; r: IsrProposalResult }[] = [];
  return { got, on: (partition: number) => (r: IsrProposalResult) => got.push({ partition, r }) };
};

const until = async (cond: () => boolean) => {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
};

test('proposals of one tick go out together; one request at a time; the newest proposal per partition wins', async () => {
  const ch = new ScriptedChannel((req) => accept(req));
  const s = sender(ch);
  const res = results();
  s.submit(proposal(0, [1, 2]), res.on(0));
  s.submit(proposal(1, [1, 3]), res.on(1));
  await until(() => ch.requests.length === 1);
  // While the first request is in flight, two proposals for partition 2 queue; only the newer is sent.
  s.submit(proposal(2, [1]), res.on(2));
  s.submit(proposal(2, [1, 2]), res.on(2));
  await until(() => res.got.length === 3);
  expect(ch.requests).toHaveLength(2);
  expect(ch.requests[0]).toMatchObject({ brokerId: 1, brokerEpoch: 7 });
  expect(ch.requests[0]!.topics[0]!.partitions.map((p) => p.partitionIndex)).toEqual([0, 1]);
  expect(ch.requests[1]!.topics[0]!.partitions.map((p) => p.newIsr)).toEqual([[1, 2]]);
  expect(res.got.map((g) => [g.partition, g.r.errorCode, g.r.isr])).toEqual([
    [0, 0, [1, 2]],
    [1, 0, [1, 3]],
    [2, 0, [1, 2]],
  ]);
  s.close();
});

test('network errors, NOT_CONTROLLER and STALE_BROKER_EPOCH are retried; rejections of the proposal are answered', async () => {
  const ch = new ScriptedChannel((req, n) => {
    if (n === 1) return new NetworkError('down');
    if (n === 2) return { throttleTimeMs: 0, errorCode: ErrorCode.NOT_CONTROLLER, topics: [] };
    if (n === 3) return { throttleTimeMs: 0, errorCode: ErrorCode.STALE_BROKER_EPOCH, topics: [] };
    const ok = accept(req);
    ok.topics[0]!.partitions[0]!.errorCode = ErrorCode.INVALID_UPDATE_VERSION;
    return ok;
  });
  const s = sender(ch);
  const res = results();
  s.submit(proposal(0, [1, 2]), res.on(0));
  await until(() => res.got.length === 1);
  expect(ch.requests).toHaveLength(4);
  expect(res.got[0]!.r.errorCode).toBe(ErrorCode.INVALID_UPDATE_VERSION);
  s.close();
});
