// The one list of API handlers. ApiVersions advertises exactly these ranges, so a client never sees an API or a
// version that is not really handled.
//
// Which of them a connection may use depends on the kind of listener it arrived on, as in Kafka: every message
// schema names the listener types that serve it ("listeners": broker, controller, zkBroker; carried into the
// generated ApiDef). A client (broker) listener exposes the APIs whose schema names "broker", a controller listener
// (controller.listener.names) those that name "controller". ApiVersions lists only the exposed APIs, and a request
// for any other API closes the connection (the dispatcher), as Kafka's SocketServer does with an API not enabled on
// the listener.

import type { ApiHandler, BrokerContext } from './types';
import { AlterPartitionApi, apiInfo } from '../wire/generated/apis';
import { kraftOf, onControllerListener } from '../kraft/kraft-services';
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

/** The handler of `apiKey` whatever the listener (tests, tooling); requests go through handlerOn. */
export function handlerFor(apiKey: number): ApiHandler | undefined {
  return apiKey >= 0 ? BY_KEY[apiKey] : undefined;
}

export function registeredHandlers(): readonly ApiHandler[] {
  return HANDLERS;
}

/**
 * The kind of listener a request arrived on, which decides the APIs it may use:
 *  - 'controller': a listener named in controller.listener.names: the APIs whose schema names "controller" (the
 *    metadata quorum, broker lifecycle, AlterPartition, AllocateProducerIds, and the admin operations brokers forward
 *    to the active controller: CreateTopics, DeleteTopics, CreatePartitions, (Incremental)AlterConfigs,
 *    ElectLeaders, DescribeQuorum, UnregisterBroker).
 *  - 'broker': a client listener of a node in a multi-node metadata quorum: the APIs whose schema names "broker"
 *    (what clients use, plus Fetch / OffsetForLeaderEpoch replication and WriteTxnMarkers between brokers).
 *  - 'broker-local-controller': a client listener of a node that runs no metadata quorum: its controller runs in
 *    this process and has no controller listener (the single-node local metadata log; the in-process test cluster
 *    of src/isr/__tests__/cluster-harness.ts). The "broker" APIs plus AlterPartition, see LOCAL_CONTROLLER_EXTRAS.
 */
export type ListenerKind = 'broker' | 'controller' | 'broker-local-controller';

/**
 * APIs a client listener keeps although Kafka's schema does not list them for "broker", when the node's controller
 * runs in-process and has no controller listener:
 *
 *  - AlterPartition (schema: zkBroker, controller). Partition leaders send ISR changes over the network
 *    (AlterPartitionSender) to the node they are told is the controller. In a multi-node quorum that is the quorum
 *    leader's controller listener; without a quorum, BrokerNode resolves the controller through its inter-broker
 *    (client) listener, because there is no other: brokers sharing an in-process controller (the ISR test cluster)
 *    reach it there. This is the position of Kafka's ZooKeeper-mode controller, which was a broker and took
 *    AlterPartition on its broker listener, hence the schema's "zkBroker". It must also be advertised, since the
 *    sender negotiates versions from ApiVersions and refuses an API the peer does not list.
 *
 * Nothing else is needed: such a node allocates producer ids and registers itself through its local Controller,
 * not over the network, and it has no quorum whose Vote/BeginQuorumEpoch/... it could serve.
 */
const LOCAL_CONTROLLER_EXTRAS: ReadonlySet<number> = new Set([AlterPartitionApi.apiKey]);

interface Exposure {
  /** Handler by API key; undefined where the API is not exposed on this kind of listener. */
  readonly byKey: readonly (ApiHandler | undefined)[];
  /** ApiVersions' list, by key. */
  readonly versions: readonly { readonly apiKey: number; readonly minVersion: number; readonly maxVersion: number }[];
}

function schemaListeners(h: ApiHandler): readonly string[] {
  const api = apiInfo(h.apiKey);
  if (!api) throw new Error(`${h.name}: API key ${h.apiKey} has no schema`);
  return api.listeners;
}

function exposure(exposed: (h: ApiHandler) => boolean): Exposure {
  const byKey: (ApiHandler | undefined)[] = [];
  for (const h of HANDLERS) if (exposed(h)) byKey[h.apiKey] = h;
  const versions = HANDLERS.filter(exposed)
    .sort((a, b) => a.apiKey - b.apiKey)
    .map((h) => ({ apiKey: h.apiKey, minVersion: h.minVersion, maxVersion: h.maxVersion }));
  return { byKey, versions };
}

const EXPOSURE: Readonly<Record<ListenerKind, Exposure>> = {
  broker: exposure((h) => schemaListeners(h).includes('broker')),
  controller: exposure((h) => schemaListeners(h).includes('controller')),
  'broker-local-controller': exposure((h) => schemaListeners(h).includes('broker') || LOCAL_CONTROLLER_EXTRAS.has(h.apiKey)),
};

/** The handler of `apiKey` when that API is exposed on `kind` listeners, else undefined (the connection is closed). */
export function handlerOn(kind: ListenerKind, apiKey: number): ApiHandler | undefined {
  return apiKey >= 0 ? EXPOSURE[kind].byKey[apiKey] : undefined;
}

/** ApiVersions' list on a `kind` listener: every API exposed there with the range it implements, by key. */
export function supportedApiVersions(kind: ListenerKind): { apiKey: number; minVersion: number; maxVersion: number }[] {
  return EXPOSURE[kind].versions.map((v) => ({ ...v }));
}

/**
 * The kind of the listener named `listenerName` on this node. A node of a multi-node quorum knows its controller
 * listeners from its quorum services (the same test the quorum handlers make); any other node from
 * controller.listener.names. Listener names are case-insensitive (the config parser upper-cases them).
 */
export function listenerKind(broker: BrokerContext, listenerName: string): ListenerKind {
  const k = kraftOf(broker);
  if (k !== undefined) return onControllerListener(k, listenerName) ? 'controller' : 'broker';
  const name = listenerName.toUpperCase();
  const controllerListeners = broker.config.list('controller.listener.names');
  return controllerListeners.some((n) => n.toUpperCase() === name) ? 'controller' : 'broker-local-controller';
}
