import { MemoryRaftLog } from './memory-log';
import { divergenceTruncationOffset, validateFetchPosition } from './replication';
import type { RaftEntry } from './types';

function logOf(epochs: number[]): MemoryRaftLog {
  const log = new MemoryRaftLog();
  log.append(epochs.map((epoch, offset): RaftEntry => ({ offset, epoch, value: Buffer.from(`${epoch}`) })));
  log.flush();
  return log;
}

describe('fetch position validation (leader side)', () => {
  // Leader: offsets 0-1 epoch 1, 2-4 epoch 3, 5 epoch 5.
  const leader = logOf([1, 1, 3, 3, 3, 5]);

  test('positions inside the leader log are valid', () => {
    expect(validateFetchPosition(leader, 0, 0)).toEqual({ kind: 'valid' });
    expect(validateFetchPosition(leader, 2, 1)).toEqual({ kind: 'valid' });
    expect(validateFetchPosition(leader, 4, 3)).toEqual({ kind: 'valid' });
    expect(validateFetchPosition(leader, 6, 5)).toEqual({ kind: 'valid' });
  });

  test('a follower with more of an epoch than the leader diverges at the leader end of that epoch', () => {
    expect(validateFetchPosition(leader, 4, 1)).toEqual({ kind: 'diverging', epoch: 1, endOffset: 2 });
    expect(validateFetchPosition(leader, 9, 5)).toEqual({ kind: 'diverging', epoch: 5, endOffset: 6 });
  });

  test('a follower with an epoch the leader never had diverges at the largest epoch below it', () => {
    expect(validateFetchPosition(leader, 7, 2)).toEqual({ kind: 'diverging', epoch: 1, endOffset: 2 });
    expect(validateFetchPosition(leader, 7, 4)).toEqual({ kind: 'diverging', epoch: 3, endOffset: 5 });
  });

  test('positions before the log start get the snapshot', () => {
    const log = logOf([1, 1, 3, 3, 3, 5]);
    log.storeSnapshot({ endOffset: 4, epoch: 3 }, Buffer.from('s'));
    log.deleteBeforeSnapshot({ endOffset: 4, epoch: 3 });
    const snapshot = { kind: 'snapshot', snapshotId: { endOffset: 4, epoch: 3 } };
    expect(validateFetchPosition(log, 0, 0)).toEqual(snapshot);
    expect(validateFetchPosition(log, 3, 3)).toEqual(snapshot);
    expect(validateFetchPosition(log, 4, 2)).toEqual(snapshot); // at the start with the wrong epoch
    expect(validateFetchPosition(log, 5, 1)).toEqual(snapshot); // epoch older than the snapshot's
    expect(validateFetchPosition(log, 4, 3)).toEqual({ kind: 'valid' });
    expect(validateFetchPosition(log, 5, 3)).toEqual({ kind: 'valid' });
    expect(validateFetchPosition(log, 6, 5)).toEqual({ kind: 'valid' });
  });
});

describe('divergence truncation (follower side)', () => {
  test('truncates to the smaller of the two ends of the diverging epoch', () => {
    // Follower: epoch 1 up to 4 (it got more of epoch 1 than the leader kept).
    expect(divergenceTruncationOffset(logOf([1, 1, 1, 1]), { epoch: 1, endOffset: 2 })).toBe(2);
    // Follower has only part of the leader's epoch 3.
    expect(divergenceTruncationOffset(logOf([1, 1, 3, 4, 4]), { epoch: 3, endOffset: 5 })).toBe(3);
    // Follower never had the diverging epoch: cut to the end of its own largest epoch below it.
    expect(divergenceTruncationOffset(logOf([1, 2, 2, 2]), { epoch: 3, endOffset: 6 })).toBe(4);
    expect(divergenceTruncationOffset(logOf([2, 2]), { epoch: 1, endOffset: 5 })).toBe(0);
  });

  test('repeated rounds converge on the common prefix', () => {
    const leader = logOf([1, 1, 3, 3, 5, 5, 5]);
    const follower = logOf([1, 1, 2, 2, 2, 4, 4, 4, 4]);
    for (let round = 0; round < 10; round++) {
      const v = validateFetchPosition(leader, follower.endOffset(), follower.lastEpoch());
      if (v.kind === 'valid') break;
      if (v.kind !== 'diverging') throw new Error('unexpected');
      follower.truncateTo(divergenceTruncationOffset(follower, v));
    }
    expect(follower.endOffset()).toBe(2);
    expect(follower.lastEpoch()).toBe(1);
  });
});
