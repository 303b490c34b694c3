// The one list of API handlers. ApiVersions advertises exactly these ranges, so a client never sees an API or a
// version that is not really handled.

import type { ApiHandler } from './types';
import { apiVersionsHandler } from './apis/api-versions';
import { metadataHandler } from './apis/metadata';
import { produceHandler } from './apis/produce';
import { fetchHandler } from './apis/fetch';
import { listOffsetsHandler } from './apis/list-offsets';
import { ADMIN_HANDLERS } from './apis/admin';
import { GROUP_HANDLERS } from './apis/groups';
import { initProducerIdHandler } from './apis/init-producer-id';
import { offsetForLeaderEpochHandler } from './apis/offset-for-leader-epoch';
import { alterPartitionHandler } from './apis/alter-partition';
import { TXN_HANDLERS } from './apis/transactions';
import { QUORUM_HANDLERS } from './apis/quorum';
import { BROKER_LIFECYCLE_HANDLERS } from './apis/broker-lifecycle';
import { electLeadersHandler } from './apis/elect-leaders';

const HANDLERS: readonly ApiHandler[] = [
  apiVersionsHandler,
  metadataHandler,
  produceHandler,
  fetchHandler,
  listOffsetsHandler,
  ...ADMIN_HANDLERS,
  ...GROUP_HANDLERS,
  initProducerIdHandler,
  offsetForLeaderEpochHandler,
  alterPartitionHandler,
  ...TXN_HANDLERS,
  ...QUORUM_HANDLERS,
  ...BROKER_LIFECYCLE_HANDLERS,
  electLeadersHandler,
];

const BY_KEY: (ApiHandler | undefined)[] = [];
for (const h of HANDLERS) {
  if (BY_KEY[h.apiKey]) throw new Error(`two handlers for API key ${h.apiKey}`);
  BY_KEY[h.apiKey] = h;
}

export function handlerFor(apiKey: number): ApiHandler | undefined {
  return apiKey >= 0 ? BY_KEY[apiKey] : undefined;
}

export function registeredHandlers(): readonly ApiHandler[] {
  return HANDLERS;
}

/** ApiVersions' list: every registered API with the range it implements, by key. */
export function supportedApiVersions(): { apiKey: number; minVersion: number; maxVersion: number }[] {
  return [...HANDLERS]
    .sort((a, b) => a.apiKey - b.apiKey)
    .map((h) => ({ apiKey: h.apiKey, minVersion: h.minVersion, maxVersion: h.maxVersion }));
}
