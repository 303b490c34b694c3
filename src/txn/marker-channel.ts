// Delivery of transaction markers (Kafka's TransactionMarkerChannelManager): once a transaction is decided, a
// COMMIT or ABORT marker must reach every partition in it before the transaction can complete. The channel groups
// the partitions by their current leader and hands each group to a MarkerTransport (this broker's replica manager
// for partitions it leads; a WriteTxnMarkers request for other leaders), then retries what failed with backoff until
// every partition has its marker, the partition no longer exists, or the caller stops wanting it (the coordinator
// lost the transaction's __transaction_state partition: the next coordinator resends from the log).

import { ErrorCode } from '../wire/errors';
import { type TopicPartition, tpKey } from './txn-metadata';

export interface MarkerBatch {
  producerId: number;
  producerEpoch: number;
  /** Leader epoch of the coordinator's __transaction_state partition: leaders refuse markers of a deposed one. */
  coordinatorEpoch: number;
  commit: boolean;
  partitions: TopicPartition[];
}

export interface MarkerTransport {
  /** The broker leading the partition now (-1: none right now); null when the partition no longer exists. */
  leaderOf(tp: TopicPartition): number | null;
  /** Writes the batch's markers on `brokerId` (all its partitions are led there): an error code per tpKey. */
  write(brokerId: number, batch: MarkerBatch): Promise<Map<string, number>>;
}

export interface MarkerChannelOptions {
  retryBackoffMs?: number;
  maxRetryBackoffMs?: number;
  warn?(msg: string): void;
  sleep?(ms: number): Promise<void>;
}

/** Errors after which the marker is not needed any more (Kafka stops sending for these too). */
function isObsolete(code: number): boolean {
  return code === ErrorCode.INVALID_PRODUCER_EPOCH || code === ErrorCode.TRANSACTION_COORDINATOR_FENCED;
}

function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

export class TxnMarkerChannel {
  private readonly backoff: number;
  private readonly maxBackoff: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly transport: MarkerTransport,
    private readonly opts: MarkerChannelOptions = {},
  ) {
    this.backoff = opts.retryBackoffMs ?? 100;
    this.maxBackoff = opts.maxRetryBackoffMs ?? 2000;
    this.sleep = opts.sleep ?? defaultSleep;
  }

  /**
   * Writes the markers to every partition of the batch. Resolves true once all are written (or their partitions
   * gone), false if `stillWanted()` turned false first. Never rejects.
   */
  async writeAll(batch: MarkerBatch, stillWanted: () => boolean): Promise<boolean> {
    const remaining = new Map(batch.partitions.map((tp) => [tpKey(tp), tp]));
    let delay = this.backoff;
    while (remaining.size > 0) {
      if (!stillWanted()) return false;
      const byLeader = new Map<number, TopicPartition[]>();
      for (const [k, tp] of remaining) {
        const leader = this.transport.leaderOf(tp);
        if (leader === null) {
          // Deleted topic or partition: nothing left to mark (as Kafka drops such markers).
          remaining.delete(k);
          continue;
        }
        if (leader < 0) continue;
        let l = byLeader.get(leader);
        if (!l) byLeader.set(leader, (l = []));
        l.push(tp);
      }
      await Promise.all(
        [...byLeader].map(async ([leader, partitions]) => {
          let results: Map<string, number>;
          try {
            results = await this.transport.write(leader, { ...batch, partitions });
          } catch (e) {
            this.opts.warn?.(`transaction markers to broker ${leader} failed: ${(e as Error).message}; retrying`);
            return;
          }
          for (const tp of partitions) {
            const k = tpKey(tp);
            const code = results.get(k) ?? ErrorCode.UNKNOWN_SERVER_ERROR;
            if (code === ErrorCode.NONE) remaining.delete(k);
            else if (isObsolete(code)) {
              this.opts.warn?.(
                `transaction marker for producer ${batch.producerId} on ${tp.topic}-${tp.partition} is obsolete (error ${code})`,
              );
              remaining.delete(k);
            }
          }
        }),
      );
      if (remaining.size === 0) break;
      await this.sleep(delay);
      delay = Math.min(delay * 2, this.maxBackoff);
    }
    return true;
  }
}
