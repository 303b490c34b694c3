import * as fs from 'fs';
import * as path from 'path';
import { KafkaError } from '../wire/errors';
import { cleanupTmp, makeBatch, tmpDir } from './__tests__/helpers';
import { CheckpointWriter, formatOffsetCheckpoint, readOffsetCheckpoint } from './checkpoint';
import { DEFAULT_LOG_CONFIG, LONG_MAX, logConfigFromBrokerProps, logConfigFromTopicProps, logConfigToTopicProps } from './config';
import { LeaderEpochCache } from './leader-epoch';
import { OffsetIndex } from './offset-index';
import { FdPool, MemLru } from './resources';
import { LogSegment, SegmentEnv } from './segment';
import { TailCache } from './tail-cache';
import { TimeIndex } from './time-index';

afterEach(cleanupTmp);

describe('offset index', () => {
  test('lookup, truncate, persistence and validation', () => {
    const idx = new OffsetIndex(100);
    expect(idx.lookup(150)).toEqual({ offset: 100, position: 0 });
    for (let i = 1; i <= 200; i++) idx.append(100 + i * 10, i * 1000);
    expect(idx.lookup(105)).toEqual({ offset: 100, position: 0 });
    expect(idx.lookup(110)).toEqual({ offset: 110, position: 1000 });
    expect(idx.lookup(1555)).toEqual({ offset: 1550, position: 145000 });
    expect(idx.lookup(1e9)).toEqual({ offset: 2100, position: 200000 });
    const file = path.join(tmpDir(), 'x.index');
    fs.closeSync(idx.persistSync(file));
    expect(fs.statSync(file).size).toBe(1600);
    idx.truncateToPosition(150000);
    expect(idx.last()).toEqual({ offset: 1590, position: 149000 });
    fs.closeSync(idx.persistSync(file));
    expect(fs.statSync(file).size).toBe(149 * 8);
    const loaded = OffsetIndex.load(file, 100)!;
    expect(loaded.lookup(1555)).toEqual({ offset: 1550, position: 145000 });
    expect(loaded.problem(1e9)).toBeNull();
    expect(loaded.problem(100000)).toMatch(/beyond log size/);
    const buf = fs.readFileSync(file);
    buf.writeInt32BE(5, 8 * 10);
    fs.writeFileSync(file, buf);
    expect(OffsetIndex.load(file, 100)!.problem(1e9)).toMatch(/non-increasing offset/);
    fs.appendFileSync(file, Buffer.from([1]));
    expect(OffsetIndex.load(file, 100)).toBeNull();
  });
});

describe('time index', () => {
  test('only increasing timestamps are recorded; lookup finds where to start', () => {
    const t = new TimeIndex(0);
    t.maybeAppend(1000, 10);
    t.maybeAppend(900, 20); // not larger: ignored
    t.maybeAppend(2000, 30);
    t.maybeAppend(3000, 40);
    expect(t.count).toBe(3);
    expect(t.lookup(500)).toBe(0);
    expect(t.lookup(1000)).toBe(10);
    expect(t.lookup(2500)).toBe(30);
    expect(t.lookup(9999)).toBe(40);
    t.truncateToOffset(40);
    expect(t.last()).toEqual({ timestamp: 2000, offset: 30 });
    expect(t.problem()).toBeNull();
  });
});

describe('segment', () => {
  test('append, find, read and rebuild', () => {
    const dir = tmpDir();
    const env: SegmentEnv = {
      fdPool: new FdPool(10),
      indexLru: new MemLru(1 << 20),
      logger: { info() {}, warn() {}, error() {} },
      name: 't-0',
      indexIntervalBytes: () => 200,
    };
    const seg = LogSegment.create(dir, 50, env, 0);
    let offset = 50;
    const positions: number[] = [];
    for (let i = 0; i < 30; i++) {
      const b = makeBatch(3, { valueSize: 50, timestamp: 1000 + i });
      b.writeInt32BE(0, 0);
      b.writeUInt32BE(offset, 4);
      positions.push(seg.size);
      seg.append(b, 0);
      offset += 3;
    }
    expect(seg.nextOffset).toBe(140);
    expect(seg.offsetIndex().count).toBeGreaterThan(5);
    expect(seg.findBatch(50)!.position).toBe(0);
    expect(seg.findBatch(100)!.position).toBe(positions[Math.floor((100 - 50) / 3)]);
    expect(seg.findBatch(140)).toBeNull();
    const r = seg.read(61, 1 << 20, true, Infinity)!;
    expect(r.size).toBe(seg.size - positions[3]);
    expect(seg.maxTimestamp).toBe(1000 + 29);
    const entries = seg.offsetIndex().count;
    seg.deactivate();
    seg.rebuildIndexes();
    expect(seg.offsetIndex().count).toBe(entries);
    const sizeBefore = seg.size;
    expect(seg.truncateTo(100)).toBe(sizeBefore - positions[16]);
    expect(seg.size).toBe(positions[16]);
    expect(seg.nextOffset).toBe(98);
    seg.close();
  });
});

describe('tail cache', () => {
  test('global cap evicts oldest batches across partitions, charging backing buffers once', () => {
    const cache = new TailCache(64 * 1024);
    const a = cache.forPartition();
    const b = cache.forPartition();
    const big = Buffer.alloc(48 * 1024);
    a.add(0, 0, big.subarray(0, 1000));
    a.add(1, 1, big.subarray(1000, 2000)); // same backing buffer: charged once
    expect(cache.usedBytes).toBe(big.buffer.byteLength);
    b.add(0, 9, Buffer.alloc(20 * 1024));
    // Over the cap: a's batches (oldest) go.
    expect(a.size).toBe(0);
    expect(b.size).toBe(1);
    expect(a.read(0, 1e6, true, Infinity)).toBeNull();
    expect(b.read(5, 1e6, true, Infinity)!.size).toBe(20 * 1024);
    b.truncateFrom(0);
    expect(cache.usedBytes).toBe(0);
  });
});

describe('leader epoch cache', () => {
  test('assign, endOffsetFor, truncation and persistence', async () => {
    const dir = tmpDir();
    const c = new LeaderEpochCache(dir);
    c.assign(1, 0);
    c.assign(1, 5); // same epoch: kept at its start
    c.assign(3, 10);
    c.assign(2, 12); // older epoch: ignored
    c.assign(4, 20);
    expect(c.all).toEqual([
      { epoch: 1, startOffset: 0 },
      { epoch: 3, startOffset: 10 },
      { epoch: 4, startOffset: 20 },
    ]);
    // Older than every entry: it ends where the first entry starts (Kafka's answer), so a follower truncates there.
    expect(c.endOffsetFor(0, 30)).toEqual({ epoch: 0, endOffset: 0 });
    expect(c.endOffsetFor(1, 30)).toEqual({ epoch: 1, endOffset: 10 });
    expect(c.endOffsetFor(2, 30)).toEqual({ epoch: 1, endOffset: 10 });
    expect(c.endOffsetFor(3, 30)).toEqual({ epoch: 3, endOffset: 20 });
    expect(c.endOffsetFor(4, 30)).toEqual({ epoch: 4, endOffset: 30 });
    c.truncateFromStart(15);
    expect(c.all).toEqual([
      { epoch: 3, startOffset: 15 },
      { epoch: 4, startOffset: 20 },
    ]);
    c.truncateFromEnd(20);
    await c.flushed();
    expect(fs.readFileSync(path.join(dir, 'leader-epoch-checkpoint'), 'utf8')).toBe('0\n1\n3 15\n');
    const d = new LeaderEpochCache(dir);
    d.load();
    expect(d.latestEpoch).toBe(3);
  });
});

describe('checkpoints and config', () => {
  test('offset checkpoint round trip and coalesced writes', async () => {
    const file = path.join(tmpDir(), 'cp');
    const w = new CheckpointWriter(file);
    let v = 0;
    const writes = Array.from({ length: 20 }, () => w.write(() => formatOffsetCheckpoint([{ topic: 'my-topic', partition: 3, offset: ++v }])));
    await Promise.all(writes);
    expect(v).toBeLessThan(20); // bursts coalesce
    expect(readOffsetCheckpoint(file)).toEqual(new Map([['my-topic-3', v]]));
    fs.writeFileSync(file, '0\n2\na 0 1\n');
    expect(() => readOffsetCheckpoint(file)).toThrow();
  });

  test('Kafka keys map to LogConfig with defaults and validation', () => {
    const c = logConfigFromTopicProps({ 'segment.bytes': '1000', 'cleanup.policy': 'compact,delete', 'retention.ms': -1, 'compression.type': 'zstd' });
    expect(c.segmentBytes).toBe(1000);
    expect(c.cleanupPolicy).toEqual({ compact: true, delete: true });
    expect(c.retentionMs).toBe(-1);
    expect(c.flushMessages).toBe(LONG_MAX);
    expect(() => logConfigFromTopicProps({ 'segment.bytes': 'abc' })).toThrow(KafkaError);
    expect(() => logConfigFromTopicProps({ 'cleanup.policy': 'nope' })).toThrow(KafkaError);
    expect(() => logConfigFromTopicProps({ 'min.cleanable.dirty.ratio': '1.5' })).toThrow(KafkaError);
    const b = logConfigFromBrokerProps({ 'log.retention.hours': '1', 'log.retention.minutes': '2', 'log.segment.bytes': '4096' });
    expect(b.retentionMs).toBe(120000);
    expect(b.segmentBytes).toBe(4096);
    expect(logConfigToTopicProps(DEFAULT_LOG_CONFIG)['flush.messages']).toBe('9223372036854775807');
    expect(logConfigToTopicProps(DEFAULT_LOG_CONFIG)['cleanup.policy']).toBe('delete');
  });
});
