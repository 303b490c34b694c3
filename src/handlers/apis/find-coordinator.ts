// FindCoordinator (key 10), v0-6: which broker coordinates a group (or transactional id), as host and port on the
// listener the request arrived on.
//   v0    a group id only (no key type).
//   v1-3  KeyType: 0 = group, 1 = transaction. v1 adds the error message; v3 is the first flexible version.
//   v4+   batched: CoordinatorKeys in, one Coordinator entry (with its own error) out per key (KIP-699).
//   v5    same as v4 (TRANSACTION_ABORTABLE can only concern transactions).
//   v6    KeyType 2 = share-group state coordinator (KIP-932).
// Group keys go to the group coordinator service, which creates __consumer_offsets on first use and names the
// leader of the group's partition; transactional ids likewise go to the transaction service, which creates
// __transaction_state on first use and names the leader of the id's partition. Share groups
// are not implemented and are not planned, so key type 2 answers INVALID_REQUEST rather than inviting retries;
// any other key type (or 2 before v6) is INVALID_REQUEST too, as Kafka answers an unknown coordinator type.

import { FindCoordinatorApi } from '../../wire/generated/apis';
import type { FindCoordinatorRequest } from '../../wire/generated/messages/FindCoordinatorRequest';
import type { FindCoordinatorResponse, FindCoordinatorResponseCoordinator } from '../../wire/generated/messages/FindCoordinatorResponse';
import { ErrorCode } from '../../wire/errors';
import { defineHandler } from '../define';
import type { RequestContext } from '../types';

const KeyType = { GROUP: 0, TRANSACTION: 1, SHARE: 2 } as const;
const BATCHED_VERSION = 4;
const SHARE_VERSION = 6;

interface Lookup {
  errorCode: number;
  errorMessage: string | null;
  nodeId: number;
  host: string;
  port: number;
}

/** Kafka's Node.noNode(): what an error answer names as the coordinator. */
function failure(errorCode: number, errorMessage: string | null): Lookup {
  return { errorCode, errorMessage, nodeId: -1, host: '', port: -1 };
}

type Finder = { findCoordinator(key: string): Promise<{ errorCode: number; nodeId: number }> };

async function findCoordinatorVia(service: Finder | null | undefined, what: string, key: string, ctx: RequestContext): Promise<Lookup> {
  if (!service) return failure(ErrorCode.COORDINATOR_NOT_AVAILABLE, `The ${what} coordinator is not running on this broker.`);
  let found: { errorCode: number; nodeId: number };
  try {
    found = await service.findCoordinator(key);
  } catch (e) {
    // Creating the coordinator's topic can fail transiently (no controller yet); the client retries the lookup.
    ctx.broker.log.warn({ key, err: e instanceof Error ? e.message : String(e) }, `${what} coordinator lookup failed`);
    return failure(ErrorCode.COORDINATOR_NOT_AVAILABLE, null);
  }
  if (found.errorCode !== ErrorCode.NONE) return failure(found.errorCode, null);
  const endpoint = ctx.broker.advertisedEndpoint(found.nodeId, ctx.connection.listenerName);
  // A coordinator the client cannot reach on its listener is as good as none (Kafka answers the same).
  if (!endpoint) return failure(ErrorCode.COORDINATOR_NOT_AVAILABLE, null);
  return { errorCode: ErrorCode.NONE, errorMessage: null, nodeId: found.nodeId, host: endpoint.host, port: endpoint.port };
}

function lookup(key: string, keyType: number, ctx: RequestContext): Promise<Lookup> | Lookup {
  switch (keyType) {
    case KeyType.GROUP:
      return findCoordinatorVia(ctx.broker.groups, 'group', key, ctx);
    case KeyType.TRANSACTION:
      return findCoordinatorVia(ctx.broker.transactions, 'transaction', key, ctx);
    case KeyType.SHARE:
      if (ctx.apiVersion >= SHARE_VERSION) {
        return failure(ErrorCode.INVALID_REQUEST, 'Share groups are not supported by this broker.');
      }
      return failure(ErrorCode.INVALID_REQUEST, `Unknown coordinator type ${keyType}.`);
    default:
      return failure(ErrorCode.INVALID_REQUEST, `Unknown coordinator type ${keyType}.`);
  }
}

function single(l: Lookup): FindCoordinatorResponse {
  return { throttleTimeMs: 0, ...l, coordinators: [] };
}

function batched(coordinators: FindCoordinatorResponseCoordinator[]): FindCoordinatorResponse {
  return { ...single(failure(ErrorCode.NONE, null)), coordinators };
}

async function handleFindCoordinator(req: FindCoordinatorRequest, ctx: RequestContext): Promise<FindCoordinatorResponse> {
  if (ctx.apiVersion < BATCHED_VERSION) return single(await lookup(req.key, req.keyType, ctx));
  const found = await Promise.all(req.coordinatorKeys.map((key) => lookup(key, req.keyType, ctx)));
  return batched(found.map((l, i) => ({ key: req.coordinatorKeys[i]!, ...l })));
}

export const findCoordinatorHandler = defineHandler(FindCoordinatorApi, {
  minVersion: 0,
  maxVersion: 6,
  handle: handleFindCoordinator,
  errorResponse: (req, errorCode, ctx) =>
    ctx.apiVersion < BATCHED_VERSION
      ? single(failure(errorCode, null))
      : batched(req.coordinatorKeys.map((key) => ({ key, ...failure(errorCode, null) }))),
});
