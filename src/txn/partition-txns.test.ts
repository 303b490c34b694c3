// The per-partition transaction index on its own: the last stable offset with open transactions and with markers
// not yet below the high watermark (replication), the aborted-transaction lookup for fetched ranges, pruning, and
// the `.aborted` file format.

import { PartitionTxnIndex, decodeAborted } from './partition-txns';

test('the LSO is the first offset of an open transaction, capped by the high watermark', () => {
  const idx = new PartitionTxnIndex();
  expect(idx.lastStableOffset(10)).toBe(10);
  idx.begin(1, 4);
  idx.begin(2, 6);
  idx.begin(1, 8); // producer 1's transaction is already open: its first offset stays 4
  expect(idx.lastStableOffset(10)).toBe(4);
  expect(idx.lastStableOffset(3)).toBe(3);
  idx.complete(1, 9, false);
  expect(idx.lastStableOffset(10)).toBe(6);
  idx.complete(2, 10, true);
  expect(idx.lastStableOffset(11)).toBe(11);
  expect(idx.openCount).toBe(0);
});

test('a decided transaction stays unstable until the high watermark passes its marker', () => {
  const idx = new PartitionTxnIndex();
  idx.begin(1, 5);
  idx.complete(1, 7, true);
  // The marker at 7 is not committed yet (a follower may not have it): the transaction is not decided for readers.
  expect(idx.lastStableOffset(7)).toBe(5);
  expect(idx.lastStableOffset(8)).toBe(8);
  // Once passed, it stays passed.
  expect(idx.lastStableOffset(9)).toBe(9);
});

test('a marker without an open transaction decides nothing', () => {
  const idx = new PartitionTxnIndex();
  idx.complete(3, 2, false);
  expect(idx.abortedCount).toBe(0);
  expect(idx.lastStableOffset(3)).toBe(3);
});

test('aborted transactions overlapping a range, including long ones whose marker lies far ahead', () => {
  const idx = new PartitionTxnIndex();
  idx.begin(1, 0);
  idx.complete(1, 2, true);
  idx.begin(2, 3); // spans a lot: aborted only at 100
  idx.begin(3, 10);
  idx.complete(3, 12, true);
  idx.complete(2, 100, true);
  idx.begin(4, 101);
  idx.complete(4, 103, true);
  expect(idx.abortedOverlapping(0, 5).map((t) => t.producerId)).toEqual([1, 2]);
  expect(idx.abortedOverlapping(3, 11).map((t) => t.producerId)).toEqual([3, 2]);
  expect(idx.abortedOverlapping(13, 20).map((t) => t.producerId)).toEqual([2]);
  expect(idx.abortedOverlapping(101, 200).map((t) => t.producerId)).toEqual([4]);
  expect(idx.abortedOverlapping(104, 200)).toEqual([]);
  idx.pruneBefore(13);
  expect(idx.allAborted().map((t) => t.producerId)).toEqual([2, 4]);
  idx.pruneBefore(101);
  expect(idx.allAborted().map((t) => t.producerId)).toEqual([4]);
});

test('the .aborted file round-trips and rejects damage', () => {
  const idx = new PartitionTxnIndex();
  idx.begin(1, 0);
  idx.complete(1, 5, true);
  idx.begin(2, 6);
  idx.complete(2, 9, true);
  const buf = idx.encodeAbortedBefore(9); // the second marker is at 9: not below the snapshot offset
  expect(decodeAborted(buf)).toEqual([{ producerId: 1, firstOffset: 0, lastOffset: 5 }]);
  const other = new PartitionTxnIndex();
  other.loadAborted(idx.encodeAbortedBefore(10));
  expect(other.allAborted()).toEqual(idx.allAborted());
  const bad = Buffer.from(buf);
  bad[bad.length - 1] ^= 1;
  expect(() => decodeAborted(bad)).toThrow(/CRC/);
  expect(() => decodeAborted(buf.subarray(0, 5))).toThrow(/too short/);
});
