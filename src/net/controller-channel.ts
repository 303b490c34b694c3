// The way a broker reaches the active controller (AlterPartition today; broker registration and heartbeats once
// the controller quorum runs in other processes). The controller's identity can change at any time, so it is asked
// for on every request; a request to a node that is no longer the controller answers NOT_CONTROLLER, which the
// caller retries.

import type { ApiDef } from '../wire/generated/apis';
import { NetworkError } from './errors';
import type { NodeClientPool, RequestOptions } from './node-client-pool';

export interface ControllerChannel {
  request<Req, Res>(api: ApiDef<Req, Res>, build: (version: number) => Req, opts?: RequestOptions): Promise<{ version: number; response: Res }>;
}

/** Sends to whichever node `controllerId()` names, over a pool of its own. */
export class PoolControllerChannel implements ControllerChannel {
  constructor(
    private readonly pool: NodeClientPool,
    private readonly controllerId: () => number,
  ) {}

  request<Req, Res>(api: ApiDef<Req, Res>, build: (version: number) => Req, opts?: RequestOptions): Promise<{ version: number; response: Res }> {
    const id = this.controllerId();
    if (id < 0) return Promise.reject(new NetworkError('no controller is known'));
    return this.pool.request(id, api, build, opts);
  }

  close(): void {
    this.pool.close();
  }
}
