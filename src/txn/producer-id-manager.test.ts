// Producer id blocks: ids are consecutive within a block, the next block is fetched in the background at 90% use,
// concurrent callers share one allocation, and a failed allocation is retried by the next caller.

import { Controller, MetadataCommitter, MetadataRecordOut } from '../kraft/controller/controller';
import { MetadataImage, emptyDelta } from '../kraft/metadata/image';
import { decodeMetadataRecord, encodeMetadataRecord } from '../kraft/metadata/record-serde';
import { ProducerIdAllocator, ProducerIdBlock, ProducerIdManager } from './producer-id-manager';

class MemoryCommitter implements MetadataCommitter {
  constructor(private readonly image: MetadataImage) {}
  async commit(records: MetadataRecordOut[]): Promise<void> {
    const delta = emptyDelta();
    for (const r of records) {
      const { apiKey, data } = decodeMetadataRecord(encodeMetadataRecord(r.apiKey, r.version, r.data));
      this.image.apply(apiKey, data, delta);
    }
  }
}

/** Counts allocations and lets a test hold or fail them. */
class FakeAllocator implements ProducerIdAllocator {
  next = 0;
  calls: { brokerId: number; brokerEpoch: number; blockSize: number }[] = [];
  failNext = false;
  gate: Promise<void> = Promise.resolve();
  async allocateProducerIds(brokerId: number, brokerEpoch: number, blockSize: number): Promise<ProducerIdBlock> {
    this.calls.push({ brokerId, brokerEpoch, blockSize });
    await this.gate;
    if (this.failNext) {
      this.failNext = false;
      throw new Error('no controller');
    }
    const start = this.next;
    this.next += blockSize;
    return { start, length: blockSize };
  }
}

const settle = () => new Promise((r) => setImmediate(r));

test('ids are unique and consecutive across blocks; the next block is prefetched at 90%', async () => {
  const alloc = new FakeAllocator();
  const m = new ProducerIdManager(alloc, { brokerId: 3, brokerEpoch: () => 9, blockSize: 10 });
  const ids: number[] = [];
  for (let i = 0; i < 8; i++) ids.push(await m.nextId());
  expect(alloc.calls).toHaveLength(1);
  ids.push(await m.nextId()); // 9 of 10 used: prefetch starts
  await settle();
  expect(alloc.calls).toHaveLength(2);
  for (let i = 0; i < 16; i++) ids.push(await m.nextId());
  expect(ids).toEqual(Array.from({ length: 25 }, (_, i) => i));
  expect(alloc.calls[0]).toEqual({ brokerId: 3, brokerEpoch: 9, blockSize: 10 });
  expect(alloc.calls).toHaveLength(3);
});

test('concurrent callers share one allocation', async () => {
  const alloc = new FakeAllocator();
  let release!: () => void;
  alloc.gate = new Promise((r) => (release = r));
  const m = new ProducerIdManager(alloc, { brokerId: 1, brokerEpoch: () => 0, blockSize: 100 });
  const pending = Promise.all([m.nextId(), m.nextId(), m.nextId()]);
  await settle();
  expect(alloc.calls).toHaveLength(1);
  release();
  expect((await pending).sort()).toEqual([0, 1, 2]);
});

test('a failed allocation rejects the waiting call; the next call tries again', async () => {
  const alloc = new FakeAllocator();
  alloc.failNext = true;
  const m = new ProducerIdManager(alloc, { brokerId: 1, brokerEpoch: () => 0, blockSize: 5 });
  await expect(m.nextId()).rejects.toThrow('no controller');
  expect(await m.nextId()).toBe(0);
});

test('a failed prefetch is reported and retried when the block runs out', async () => {
  const alloc = new FakeAllocator();
  const errors: string[] = [];
  const m = new ProducerIdManager(alloc, { brokerId: 1, brokerEpoch: () => 0, blockSize: 10, onPrefetchError: (e) => errors.push(e.message) });
  for (let i = 0; i < 8; i++) await m.nextId();
  alloc.failNext = true;
  await m.nextId(); // triggers the prefetch, which fails
  await settle();
  expect(errors).toEqual(['no controller']);
  expect(await m.nextId()).toBe(9);
  expect(await m.nextId()).toBe(10);
});

test('with the real controller, blocks advance the image and never overlap', async () => {
  const image = new MetadataImage();
  const controller = new Controller(image, new MemoryCommitter(image), {
    numPartitions: 1,
    defaultReplicationFactor: 1,
    deleteTopicEnable: true,
    validateBrokerConfig: () => null,
  });
  const a = new ProducerIdManager(controller, { brokerId: 1, brokerEpoch: () => 0 });
  const b = new ProducerIdManager(controller, { brokerId: 2, brokerEpoch: () => 0 });
  const ids = new Set<number>();
  for (let i = 0; i < 1500; i++) {
    ids.add(await a.nextId());
    ids.add(await b.nextId());
  }
  expect(ids.size).toBe(3000);
  expect(image.nextProducerId).toBeGreaterThanOrEqual(4000);
});
