// The dispatcher's metrics hook: every answered request is timed under its API, and whole-request failures are
// counted by error code.

import { BrokerConfig } from '../config/broker-config';
import type { RequestObserver } from '../metrics/hooks';
import { ErrorCode } from '../wire/errors';
import { ApiVersionsApi, ListGroupsApi } from '../wire/generated/apis';
import { requestFrame } from './apis/__tests__/broker-fixture';
import { Dispatcher } from './dispatcher';
import type { BrokerContext } from './types';

const silent = { info() {}, warn() {}, error() {}, debug() {} };
const conn = { id: 1, remoteAddress: '127.0.0.1:1', listenerName: 'PLAINTEXT' };
/** The dispatcher reads only the configuration (which listeners are controller listeners) before ApiVersions. */
const config = BrokerConfig.load({ values: {} });

function recorder() {
  const completed: [string, number][] = [];
  const failed: [string, number][] = [];
  const observer: RequestObserver = {
    completed: (api, seconds) => completed.push([api.name, seconds]),
    failed: (api, code) => failed.push([api.name, code]),
  };
  return { observer, completed, failed };
}

test('a request is reported once, with its latency, under its API', async () => {
  const { observer, completed, failed } = recorder();
  // ApiVersions uses nothing else of the broker.
  const d = new Dispatcher(() => ({ config }) as BrokerContext, silent, observer);
  expect(await d.dispatch(requestFrame(ApiVersionsApi, 3), conn)).not.toBeNull();
  expect(completed).toHaveLength(1);
  expect(completed[0]![0]).toBe('ApiVersions');
  expect(completed[0]![1]).toBeGreaterThanOrEqual(0);
  expect(completed[0]![1]).toBeLessThan(5);
  expect(failed).toEqual([]);
});

test('an unimplemented version and a handler that throws count as errors', async () => {
  const { observer, completed, failed } = recorder();
  // A broker whose group coordinator cannot be reached makes ListGroups throw: an unexpected failure.
  const broken = {
    config,
    get groups(): never {
      throw new Error('boom');
    },
  };
  const d = new Dispatcher(() => broken as unknown as BrokerContext, silent, observer);
  await d.dispatch(requestFrame(ApiVersionsApi, 99), conn);
  await d.dispatch(requestFrame(ListGroupsApi, 4), conn);
  expect(failed).toEqual([
    ['ApiVersions', ErrorCode.UNSUPPORTED_VERSION],
    ['ListGroups', ErrorCode.UNKNOWN_SERVER_ERROR],
  ]);
  expect(completed.map((c) => c[0])).toEqual(['ApiVersions', 'ListGroups']);
});

test('without an observer nothing is timed', async () => {
  const d = new Dispatcher(() => ({ config }) as BrokerContext, silent);
  expect(await d.dispatch(requestFrame(ApiVersionsApi, 3), conn)).not.toBeNull();
});
