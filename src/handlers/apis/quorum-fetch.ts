// Fetch (key 1) of __cluster_metadata-0 on a controller listener: the quorum's replication (KIP-595). Followers and
// observers send (fetchOffset, lastFetchedEpoch) and get entries, a diverging epoch or a snapshot id from the
// leader, which may hold the request until it has something new (long poll). The client Fetch handler delegates
// here first:
//
//   if (isQuorumFetch(req, ctx)) return handleQuorumFetch(req, ctx);
//
// Fetch v12+ is required (LastFetchedEpoch, DivergingEpoch, SnapshotId); v13+ names the topic by its fixed id.

import type { FetchRequest } from '../../wire/generated/messages/FetchRequest';
import type { FetchResponse } from '../../wire/generated/messages/FetchResponse';
import { kraftOf, onControllerListener } from '../../kraft/kraft-services';
import { fetchErrorToWire, fetchRequestFromWire, fetchResponseToWire, isMetadataFetch } from '../../kraft/quorum-wire';
import type { RequestContext } from '../types';

/** Whether this Fetch is the quorum's: __cluster_metadata on a controller listener of a quorum member. */
export function isQuorumFetch(req: FetchRequest, ctx: RequestContext): boolean {
  const k = kraftOf(ctx.broker);
  return k !== undefined && onControllerListener(k, ctx.connection.listenerName) && isMetadataFetch(req, ctx.apiVersion);
}

export async function handleQuorumFetch(req: FetchRequest, ctx: RequestContext): Promise<FetchResponse> {
  const k = kraftOf(ctx.broker);
  if (!k) throw new Error('handleQuorumFetch called on a node without a metadata quorum (check isQuorumFetch first)');
  const inbound = fetchRequestFromWire(req, ctx.apiVersion, k.clusterId);
  if ('errorCode' in inbound) return fetchErrorToWire(inbound.errorCode);
  const resp = await k.quorum.deliver(inbound.from, inbound.message);
  return fetchResponseToWire(resp, (id) => k.voterEndpoints.get(id) ?? null);
}
