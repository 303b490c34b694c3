import { MemoryRaftLog } from './memory-log';
import type { RaftEntry } from './types';

function entries(from: number, epochs: number[]): RaftEntry[] {
  return epochs.map((epoch, i) => ({ offset: from + i, epoch, value: Buffer.from(`e${epoch}o${from + i}`) }));
}

describe('MemoryRaftLog', () => {
  test('end offsets per epoch', () => {
    const log = new MemoryRaftLog();
    expect(log.endOffsetForEpoch(5)).toEqual({ epoch: 0, offset: 0 });
    log.append(entries(0, [1, 1, 3, 3, 3, 6]));
    expect(log.endOffsetForEpoch(1)).toEqual({ epoch: 1, offset: 2 });
    expect(log.endOffsetForEpoch(2)).toEqual({ epoch: 1, offset: 2 });
    expect(log.endOffsetForEpoch(3)).toEqual({ epoch: 3, offset: 5 });
    expect(log.endOffsetForEpoch(5)).toEqual({ epoch: 3, offset: 5 });
    expect(log.endOffsetForEpoch(6)).toEqual({ epoch: 6, offset: 6 });
    expect(log.endOffsetForEpoch(0)).toEqual({ epoch: 0, offset: 0 });
    expect(log.lastEpoch()).toBe(6);
  });

  test('rejects gaps and going back in epoch', () => {
    const log = new MemoryRaftLog();
    log.append(entries(0, [2]));
    expect(() => log.append(entries(2, [2]))).toThrow(/expected 1/);
    expect(() => log.append(entries(1, [1]))).toThrow(/epoch/);
  });

  test('a crash loses exactly the unflushed tail; truncation is durable', () => {
    const log = new MemoryRaftLog();
    log.append(entries(0, [1, 1, 1]));
    log.flush();
    log.append(entries(3, [1, 2]));
    expect(log.flushedEndOffset()).toBe(3);
    expect(log.crash()).toBe(2);
    expect(log.endOffset()).toBe(3);
    log.truncateTo(1);
    expect(log.flushedEndOffset()).toBe(1);
    expect(log.crash()).toBe(0);
    expect(log.endOffset()).toBe(1);
  });

  test('reads are bounded by bytes but return at least one entry', () => {
    const log = new MemoryRaftLog();
    log.append(entries(0, [1, 1, 1, 1]));
    expect(log.read(0, 1)).toHaveLength(1);
    expect(log.read(1, 60)).toHaveLength(2);
    expect(log.read(4, 1000)).toHaveLength(0);
  });

  test('deleting before a snapshot keeps a matching suffix, or empties a log that disagrees', () => {
    const log = new MemoryRaftLog();
    log.append(entries(0, [1, 1, 2, 2, 2]));
    log.storeSnapshot({ endOffset: 3, epoch: 2 }, Buffer.from('state'));
    log.deleteBeforeSnapshot({ endOffset: 3, epoch: 2 });
    expect(log.startOffset()).toBe(3);
    expect(log.endOffset()).toBe(5);
    expect(log.epochAt(2)).toBe(2); // the snapshot answers for the entry before the start
    expect(log.endOffsetForEpoch(1)).toEqual({ epoch: 0, offset: 3 });
    expect(log.endOffsetForEpoch(2)).toEqual({ epoch: 2, offset: 5 });

    const other = new MemoryRaftLog();
    other.append(entries(0, [1, 1, 1, 1]));
    other.storeSnapshot({ endOffset: 3, epoch: 2 }, Buffer.from('state'));
    other.deleteBeforeSnapshot({ endOffset: 3, epoch: 2 });
    expect(other.startOffset()).toBe(3);
    expect(other.endOffset()).toBe(3);
    expect(other.lastEpoch()).toBe(2);
  });

  test('snapshots are read in chunks by position', () => {
    const log = new MemoryRaftLog();
    log.append(entries(0, [1, 1]));
    const data = Buffer.from('0123456789');
    log.storeSnapshot({ endOffset: 2, epoch: 1 }, data);
    expect(log.readSnapshot({ endOffset: 2, epoch: 1 }, 4, 4)).toEqual({ size: 10, bytes: Buffer.from('4567') });
    expect(log.readSnapshot({ endOffset: 2, epoch: 1 }, 8, 4)?.bytes.toString()).toBe('89');
    expect(log.readSnapshot({ endOffset: 2, epoch: 2 }, 0, 4)).toBeNull();
  });
});
