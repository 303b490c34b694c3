// Helpers shared by the coordinator's tests: a coordinator on a fake clock and an in-memory log, request
// builders, and a way to see whether a parked request has been answered.

import { GroupCoordinator } from './coordinator';
import type { GroupCoordinatorConfig } from './config';
import { encodeSubscription } from './consumer-protocol';
import { FakeClock } from './fake-clock';
import { InMemoryCoordinatorLog } from './memory-log';
import type { JoinGroupParams, SyncGroupParams } from './types';

export interface Harness {
  clock: FakeClock;
  log: InMemoryCoordinatorLog;
  coord: GroupCoordinator;
}

export const TEST_CONFIG: Partial<GroupCoordinatorConfig> = {
  offsetsTopicNumPartitions: 4,
  groupInitialRebalanceDelayMs: 100,
};

/** A started coordinator owning every (loaded) partition. Member ids are `${prefix}-m${n}`. */
export async function harness(
  config: Partial<GroupCoordinatorConfig> = {},
  existing?: { clock: FakeClock; log: InMemoryCoordinatorLog },
): Promise<Harness> {
  const clock = existing?.clock ?? new FakeClock();
  const log = existing?.log ?? new InMemoryCoordinatorLog();
  let n = 0;
  const coord = new GroupCoordinator({
    log,
    clock,
    config: { ...TEST_CONFIG, ...config },
    newMemberId: (prefix) => `${prefix}-m${++n}`,
  });
  coord.startup();
  for (let p = 0; p < coord.config.offsetsTopicNumPartitions; p++) await coord.onElection(p);
  return { clock, log, coord };
}

/** Lets pending promise continuations (log appends, parked responses) run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
}

export interface Tracked<T> {
  readonly done: boolean;
  readonly value: T;
  readonly promise: Promise<T>;
}

/** Wraps a promise so a test can check synchronously whether it has settled. */
export function track<T>(promise: Promise<T>): Tracked<T> {
  const t = { done: false, value: undefined as unknown as T, promise };
  promise.then((v) => {
    t.done = true;
    t.value = v;
  });
  return t;
}

export const SUB = (topics: string[] = ['t1']) => encodeSubscription(topics);

export function joinReq(o: Partial<JoinGroupParams> = {}): JoinGroupParams {
  return {
    groupId: 'g',
    memberId: '',
    groupInstanceId: null,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: SUB() }],
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 30_000,
    clientId: 'c',
    clientHost: '/127.0.0.1',
    requireKnownMemberId: false,
    reason: null,
    ...o,
  };
}

export function syncReq(o: Partial<SyncGroupParams> & { memberId: string; generationId: number }): SyncGroupParams {
  return {
    groupId: 'g',
    groupInstanceId: null,
    protocolType: 'consumer',
    protocolName: 'range',
    assignments: [],
    ...o,
  };
}
