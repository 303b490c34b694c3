// What the quorum and broker-lifecycle API handlers need from a node running the multi-node metadata quorum, and
// how they find it from the BrokerContext they are given. The assembly binds the services to its context once
// (bindKraft); a node without them (the single-node local metadata log) answers those APIs with errors.
//
// A side table rather than a BrokerContext field so this phase needs no change to the shared context type; the
// assembly may later move it into BrokerContext without touching the handlers (only kraftOf changes).

import type { BrokerContext } from '../handlers/types';
import type { BrokerLifecycle } from './controller/broker-lifecycle';
import type { RaftMetadataLog } from './metadata/raft-metadata-log';
import type { QuorumDriver } from './quorum-driver';
import type { Endpoint } from './quorum-wire';
import type { ControllerOps, KraftControllerChannel } from './controller-channel';

export interface KraftServices {
  readonly clusterId: string;
  readonly quorum: QuorumDriver;
  readonly metadataLog: RaftMetadataLog;
  /** Broker registration and heartbeats; null on nodes that are not controllers. */
  readonly lifecycle: BrokerLifecycle | null;
  /** Controller operations routed to the active controller (what the broker side calls). */
  readonly channel: KraftControllerChannel;
  /** Controller operations as the controller listener serves them (never forwarded again). */
  readonly controllerOps: ControllerOps;
  /** Names of the controller listeners (controller.listener.names), upper case. */
  readonly controllerListenerNames: readonly string[];
  /** Controller endpoints of the voters, for the leader endpoints some responses carry. */
  readonly voterEndpoints: ReadonlyMap<number, Endpoint>;
}

const bound = new WeakMap<BrokerContext, KraftServices>();

export function bindKraft(ctx: BrokerContext, services: KraftServices): void {
  bound.set(ctx, services);
}

export function kraftOf(ctx: BrokerContext): KraftServices | undefined {
  return bound.get(ctx);
}

/** Whether the request arrived on a controller listener of this node. */
export function onControllerListener(services: KraftServices, listenerName: string): boolean {
  return services.controllerListenerNames.includes(listenerName.toUpperCase());
}
