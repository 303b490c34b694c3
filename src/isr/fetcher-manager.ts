// Assigns each followed partition to the fetcher of its current leader (one fetcher per source broker, started
// on demand and stopped when it has nothing left to fetch). All fetchers share one connection pool: each uses
// only its own source's connection, so their long polls never queue behind each other.

import type { NodeClientPool } from '../net/node-client-pool';
import type { Partition } from './partition';
import type { Logger } from './replica-manager';
import { ReplicaFetcher, type ReplicaFetcherConfig } from './replica-fetcher';

export class ReplicaFetcherManager {
  private readonly fetchers = new Map<number, ReplicaFetcher>();
  private readonly sourceOf = new Map<Partition, number>();
  private closed = false;

  constructor(
    private readonly pool: NodeClientPool,
    private readonly cfg: ReplicaFetcherConfig,
    private readonly log: Logger,
  ) {}

  /** Follows `p` from `leaderId` in `leaderEpoch` (moving it from another fetcher when its leader changed). */
  addPartition(p: Partition, leaderId: number, leaderEpoch: number): void {
    if (this.closed) return;
    const prev = this.sourceOf.get(p);
    if (prev !== undefined && prev !== leaderId) this.detach(p, prev);
    let f = this.fetchers.get(leaderId);
    if (!f) {
      f = new ReplicaFetcher(leaderId, this.pool, this.cfg, this.log);
      this.fetchers.set(leaderId, f);
      f.start();
    }
    f.add(p, leaderEpoch);
    this.sourceOf.set(p, leaderId);
  }

  removePartition(p: Partition): void {
    const prev = this.sourceOf.get(p);
    if (prev !== undefined) this.detach(p, prev);
  }

  /** The broker `p` is fetched from, or undefined. */
  sourceFor(p: Partition): number | undefined {
    return this.sourceOf.get(p);
  }

  async shutdown(): Promise<void> {
    this.closed = true;
    const all = [...this.fetchers.values()];
    this.fetchers.clear();
    this.sourceOf.clear();
    const stopped = Promise.all(all.map((f) => f.stop()));
    // Closing the pool also ends connect attempts and backoff waits the loops may be in.
    this.pool.close();
    await stopped;
  }

  private detach(p: Partition, source: number): void {
    this.sourceOf.delete(p);
    const f = this.fetchers.get(source);
    if (!f) return;
    f.remove(p);
    if (f.size === 0) {
      this.fetchers.delete(source);
      void f.stop();
    }
  }
}
