// Sends partition leaders' ISR changes to the controller (AlterPartition, KIP-497). Proposals made in the same
// tick go out in one request; one request is in flight at a time and what arrives meanwhile waits for the next,
// with a newer proposal for a partition replacing a queued older one. Failures that say nothing about the
// proposal itself (the connection, a timeout, NOT_CONTROLLER while the controller moves, STALE_BROKER_EPOCH while
// our re-registration propagates) are retried after a backoff; every other answer goes back to the proposer, which
// decides what its partition does with it.

import { AlterPartitionApi } from '../wire/generated/apis';
import type { AlterPartitionRequest } from '../wire/generated/messages/AlterPartitionRequest';
import { ErrorCode } from '../wire/errors';
import { NetworkError } from '../net/errors';
import type { ControllerChannel } from '../net/controller-channel';
import type { Logger } from './replica-manager';

export interface IsrProposal {
  topic: string;
  topicId: string;
  partition: number;
  leaderEpoch: number;
  partitionEpoch: number;
  newIsr: { brokerId: number; brokerEpoch: number }[];
}

export interface IsrProposalResult {
  errorCode: number;
  leaderId: number;
  leaderEpoch: number;
  isr: number[];
  partitionEpoch: number;
}

export interface AlterPartitionSenderOptions {
  brokerId: number;
  brokerEpoch(): number;
  channel: ControllerChannel;
  retryBackoffMs: number;
  requestTimeoutMs: number;
  log: Logger;
}

interface Item {
  proposal: IsrProposal;
  onResult(r: IsrProposalResult): void;
}

const RETRIABLE = new Set<number>([ErrorCode.NOT_CONTROLLER, ErrorCode.STALE_BROKER_EPOCH, ErrorCode.REQUEST_TIMED_OUT]);

function itemKey(p: IsrProposal): string {
  return `${p.topicId}:${p.partition}`;
}

export class AlterPartitionSender {
  private queued = new Map<string, Item>();
  private inFlight = false;
  private scheduled: { cancel(): void } | null = null;
  private closed = false;

  constructor(private readonly opts: AlterPartitionSenderOptions) {}

  /** Queues a proposal; `onResult` gets the controller's answer for this partition (not called when closed). */
  submit(proposal: IsrProposal, onResult: (r: IsrProposalResult) => void): void {
    if (this.closed) return;
    this.queued.set(itemKey(proposal), { proposal, onResult });
    this.schedule(0);
  }

  get pending(): number {
    return this.queued.size;
  }

  close(): void {
    this.closed = true;
    this.scheduled?.cancel();
    this.scheduled = null;
    this.queued.clear();
  }

  private schedule(delayMs: number): void {
    if (this.closed || this.inFlight || this.scheduled) return;
    // setImmediate batches every proposal of the current tick into one request.
    if (delayMs > 0) {
      const t = setTimeout(() => this.fire(), delayMs);
      this.scheduled = { cancel: () => clearTimeout(t) };
    } else {
      const i = setImmediate(() => this.fire());
      this.scheduled = { cancel: () => clearImmediate(i) };
    }
  }

  private fire(): void {
    this.scheduled = null;
    if (this.closed || this.inFlight || this.queued.size === 0) return;
    const batch = this.queued;
    this.queued = new Map();
    this.inFlight = true;
    void this.send(batch).finally(() => {
      this.inFlight = false;
      if (this.queued.size > 0 && !this.scheduled) this.schedule(0);
    });
  }

  private async send(batch: Map<string, Item>): Promise<void> {
    const items = [...batch.values()];
    let retry: Item[] = [];
    try {
      const { version, response } = await this.opts.channel.request(AlterPartitionApi, () => this.build(items), {
        timeoutMs: this.opts.requestTimeoutMs,
      });
      if (response.errorCode !== ErrorCode.NONE) {
        if (RETRIABLE.has(response.errorCode)) retry = items;
        else for (const it of items) it.onResult(failure(response.errorCode));
      } else {
        const answered = new Set<Item>();
        for (const t of response.topics) {
          for (const p of t.partitions) {
            const it = items.find(
              (i) => i.proposal.partition === p.partitionIndex && (version >= 2 ? i.proposal.topicId === t.topicId : i.proposal.topic === t.topicName),
            );
            if (!it) continue;
            answered.add(it);
            if (RETRIABLE.has(p.errorCode)) retry.push(it);
            else it.onResult({ errorCode: p.errorCode, leaderId: p.leaderId, leaderEpoch: p.leaderEpoch, isr: p.isr, partitionEpoch: p.partitionEpoch });
          }
        }
        // A partition the controller did not answer for is asked again.
        for (const it of items) if (!answered.has(it)) retry.push(it);
      }
    } catch (e) {
      if (!(e instanceof NetworkError)) this.opts.log.warn({ err: (e as Error).message }, 'AlterPartition failed');
      retry = items;
    }
    if (retry.length === 0 || this.closed) return;
    for (const it of retry) {
      const k = itemKey(it.proposal);
      // A newer proposal for the partition supersedes the one being retried.
      if (!this.queued.has(k)) this.queued.set(k, it);
    }
    this.schedule(this.opts.retryBackoffMs);
  }

  /** The codec writes what each version has: topic names before v2, ids from v2, broker epochs from v3. */
  private build(items: Item[]): AlterPartitionRequest {
    const topics = new Map<string, AlterPartitionRequest['topics'][number]>();
    for (const { proposal: p } of items) {
      let t = topics.get(p.topicId);
      if (!t) topics.set(p.topicId, (t = { topicName: p.topic, topicId: p.topicId, partitions: [] }));
      t.partitions.push({
        partitionIndex: p.partition,
        leaderEpoch: p.leaderEpoch,
        partitionEpoch: p.partitionEpoch,
        newIsr: p.newIsr.map((b) => b.brokerId),
        newIsrWithEpochs: p.newIsr,
        leaderRecoveryState: 0,
      });
    }
    return { brokerId: this.opts.brokerId, brokerEpoch: this.opts.brokerEpoch(), topics: [...topics.values()] };
  }
}

function failure(errorCode: number): IsrProposalResult {
  return { errorCode, leaderId: -1, leaderEpoch: -1, isr: [], partitionEpoch: -1 };
}
