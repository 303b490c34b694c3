// Sends the Raft core's requests to other quorum members over their controller listeners, with the broker-to-broker
// client (src/net), and turns the answers back into the core's messages. Fetches go over a pool of their own: a
// leader holds a fetch for up to the fetch wait, and responses on a connection come in request order, so a vote or
// an epoch announcement must not queue behind one.
//
// A request that fails (connection refused, timeout, an answer the core cannot use) yields null: the core keeps its
// own timers and retries, exactly as if the message had been lost.

import { BeginQuorumEpochApi, EndQuorumEpochApi, FetchApi, FetchSnapshotApi, VoteApi } from '../wire/generated/apis';
import { NodeClientPool } from '../net/node-client-pool';
import type { Logger } from '../handlers/types';
import type { RaftRequest, RaftResponse } from './raft/messages';
import {
  QUORUM_FETCH_MIN_VERSION,
  beginQuorumEpochRequestToWire,
  beginQuorumEpochResponseFromWire,
  endQuorumEpochRequestToWire,
  endQuorumEpochResponseFromWire,
  fetchRequestToWire,
  fetchResponseFromWire,
  fetchSnapshotRequestToWire,
  fetchSnapshotResponseFromWire,
  voteRequestToWire,
  voteResponseFromWire,
  type Endpoint,
} from './quorum-wire';

export interface QuorumTransport {
  /** Sends `request` to node `to`; resolves with the answer for the core, or null when there is none to give. */
  send(to: number, request: RaftRequest): Promise<RaftResponse | null>;
  close(): void;
}

export interface NetworkQuorumTransportOptions {
  nodeId: number;
  clusterId: string;
  /** Controller endpoints of the voters (controller.quorum.voters). */
  voters: ReadonlyMap<number, Endpoint>;
  /** This node's controller listener, announced to followers in BeginQuorumEpoch / EndQuorumEpoch v1. */
  localListener: { name: string; host: string; port: number } | null;
  requestTimeoutMs: number;
  connectTimeoutMs?: number;
  reconnectBackoffMs?: number;
  reconnectBackoffMaxMs?: number;
  log?: Logger;
}

export class NetworkQuorumTransport implements QuorumTransport {
  private readonly control: NodeClientPool;
  private readonly fetch: NodeClientPool;

  constructor(private readonly opts: NetworkQuorumTransportOptions) {
    const pool = (suffix: string) =>
      new NodeClientPool({
        clientId: `raft-client-${opts.nodeId}-${suffix}`,
        resolve: (id) => opts.voters.get(id) ?? null,
        connectTimeoutMs: opts.connectTimeoutMs ?? Math.min(opts.requestTimeoutMs, 5000),
        requestTimeoutMs: opts.requestTimeoutMs,
        reconnectBackoffMs: opts.reconnectBackoffMs ?? 50,
        reconnectBackoffMaxMs: opts.reconnectBackoffMaxMs ?? 1000,
      });
    this.control = pool('control');
    this.fetch = pool('fetch');
  }

  async send(to: number, request: RaftRequest): Promise<RaftResponse | null> {
    const { clusterId, localListener, requestTimeoutMs } = this.opts;
    try {
      switch (request.type) {
        case 'VoteRequest': {
          const { response } = await this.control.request(to, VoteApi, () => voteRequestToWire(request, clusterId, to));
          return voteResponseFromWire(response);
        }
        case 'BeginQuorumEpochRequest': {
          const { response } = await this.control.request(to, BeginQuorumEpochApi, () =>
            beginQuorumEpochRequestToWire(request, clusterId, to, localListener),
          );
          return beginQuorumEpochResponseFromWire(response);
        }
        case 'EndQuorumEpochRequest': {
          const { response } = await this.control.request(to, EndQuorumEpochApi, () => endQuorumEpochRequestToWire(request, clusterId, localListener));
          return endQuorumEpochResponseFromWire(response);
        }
        case 'FetchRequest': {
          const { version, response } = await this.fetch.request(to, FetchApi, () => fetchRequestToWire(request, clusterId), {
            minVersion: QUORUM_FETCH_MIN_VERSION,
            // The leader may hold the fetch for its wait time before answering.
            timeoutMs: request.maxWaitMs + requestTimeoutMs,
          });
          return fetchResponseFromWire(response, version, request);
        }
        case 'FetchSnapshotRequest': {
          const { response } = await this.fetch.request(to, FetchSnapshotApi, () => fetchSnapshotRequestToWire(request, clusterId));
          return fetchSnapshotResponseFromWire(response, request);
        }
      }
    } catch (e) {
      this.opts.log?.debug({ to, request: request.type, err: (e as Error).message }, 'quorum request failed');
      return null;
    }
  }

  close(): void {
    this.control.close();
    this.fetch.close();
  }
}
