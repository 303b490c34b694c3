// Hands out producer ids. Ids come in blocks that the controller allocates (a ProducerIdsRecord in the metadata
// log moves the cluster's next free id past the block), so ids stay unique across brokers and restarts without a
// write per id. As Kafka's RPCProducerIdManager does, the next block is requested in the background once 90% of
// the current one is used, so an InitProducerId rarely waits for the controller.

export interface ProducerIdBlock {
  start: number;
  length: number;
}

/** The controller's AllocateProducerIds. */
export interface ProducerIdAllocator {
  allocateProducerIds(brokerId: number, brokerEpoch: number, blockSize: number): Promise<ProducerIdBlock>;
}

export interface ProducerIdManagerOptions {
  brokerId: number;
  /** The epoch this broker registered with; the controller records it with each block. */
  brokerEpoch: () => number;
  blockSize?: number;
  /** Fraction of a block used before the next one is requested. */
  prefetchAt?: number;
  onPrefetchError?: (e: Error) => void;
}

export const PRODUCER_ID_BLOCK_SIZE = 1000;

export class ProducerIdManager {
  private current: ProducerIdBlock | null = null;
  private nextInBlock = 0;
  private readonly blockSize: number;
  private readonly prefetchAt: number;
  private prefetched: ProducerIdBlock | null = null;
  private fetching: Promise<void> | null = null;

  constructor(
    private readonly allocator: ProducerIdAllocator,
    private readonly opts: ProducerIdManagerOptions,
  ) {
    this.blockSize = opts.blockSize ?? PRODUCER_ID_BLOCK_SIZE;
    this.prefetchAt = opts.prefetchAt ?? 0.9;
  }

  /** A producer id never handed out before. Rejects when the controller cannot allocate a block. */
  async nextId(): Promise<number> {
    for (;;) {
      const block = this.current;
      if (block && this.nextInBlock < block.start + block.length) {
        const id = this.nextInBlock++;
        if (!this.prefetched && this.nextInBlock - block.start >= block.length * this.prefetchAt) {
          // Failures here are retried by whichever call next needs a block.
          this.fetch().catch((e: Error) => this.opts.onPrefetchError?.(e));
        }
        return id;
      }
      if (this.prefetched) {
        this.current = this.prefetched;
        this.nextInBlock = this.prefetched.start;
        this.prefetched = null;
        continue;
      }
      await this.fetch();
    }
  }

  /** One allocation at a time; concurrent callers share it. */
  private fetch(): Promise<void> {
    if (!this.fetching) {
      this.fetching = this.allocator
        .allocateProducerIds(this.opts.brokerId, this.opts.brokerEpoch(), this.blockSize)
        .then((b) => {
          if (!(b.start >= 0 && b.length > 0)) throw new Error(`invalid producer id block ${b.start}+${b.length}`);
          this.prefetched = b;
        })
        .finally(() => {
          this.fetching = null;
        });
    }
    return this.fetching;
  }
}
