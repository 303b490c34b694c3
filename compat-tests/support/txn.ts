// Helpers for the transaction compat tests: reading a partition with kcat at either isolation level, and the two
// raw requests no client library exposes directly (ListOffsets with read_committed, OffsetFetch with
// require_stable).

import { kcat } from './kcat';
import { RawClient } from './raw-client';

const LIST_OFFSETS = 2;
const OFFSET_FETCH = 9;

export type Isolation = 'read_committed' | 'read_uncommitted';

/** Values of every record in the partition that `isolation` lets kcat see (kcat -e stops at the visible end). */
export async function readValues(bootstrap: string, topic: string, partition: number, isolation: Isolation): Promise<string[]> {
  const r = await kcat(
    ['-b', bootstrap, '-C', '-t', topic, '-p', String(partition), '-o', 'beginning', '-e', '-q', '-X', `isolation.level=${isolation}`, '-f', '%s\\n'],
    undefined,
    60_000,
  );
  if (r.code !== 0) throw new Error(`kcat -C failed (${r.code}): ${r.stderr}`);
  return r.stdout.split('\n').filter((l) => l !== '');
}

async function roundTrip<T>(port: number, apiKey: number, version: number, body: unknown): Promise<T> {
  const c = await RawClient.connect(port);
  try {
    c.write(RawClient.frame(apiKey, version, 1, body));
    const frame = await c.next(10_000);
    if (!frame) throw new Error(`no response to api ${apiKey}`);
    return RawClient.decode<T>(apiKey, version, frame).body;
  } finally {
    c.close();
  }
}

/** ListOffsets LATEST: the high watermark (read_uncommitted) or the last stable offset (read_committed). */
export async function latestOffset(port: number, topic: string, partition: number, isolation: Isolation): Promise<number> {
  const body = await roundTrip<{ topics: { partitions: { errorCode: number; offset: number }[] }[] }>(port, LIST_OFFSETS, 5, {
    replicaId: -1,
    isolationLevel: isolation === 'read_committed' ? 1 : 0,
    timeoutMs: 0,
    topics: [{ name: topic, partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp: -1, maxNumOffsets: 1 }] }],
  });
  const p = body.topics[0]!.partitions[0]!;
  if (p.errorCode !== 0) throw new Error(`ListOffsets error ${p.errorCode}`);
  return p.offset;
}

/** OffsetFetch v7 with require_stable: the partition's error code (UNSTABLE_OFFSET_COMMIT while pending) and offset. */
export async function fetchStableOffset(
  port: number,
  groupId: string,
  topic: string,
  partition: number,
): Promise<{ errorCode: number; offset: number }> {
  const body = await roundTrip<{ errorCode: number; topics: { partitions: { errorCode: number; committedOffset: number }[] }[] }>(
    port,
    OFFSET_FETCH,
    7,
    { groupId, topics: [{ name: topic, partitionIndexes: [partition] }], groups: [], requireStable: true },
  );
  if (body.errorCode !== 0) return { errorCode: body.errorCode, offset: -1 };
  const p = body.topics[0]!.partitions[0]!;
  return { errorCode: p.errorCode, offset: p.committedOffset };
}

export async function waitUntil(cond: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
