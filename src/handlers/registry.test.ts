// Which APIs each kind of listener exposes: client listeners the schemas' "broker" APIs, controller listeners the
// "controller" ones (plus AlterPartition on the client listener of a node whose controller is in-process), both in
// ApiVersions and in what the dispatcher routes; everything else closes the connection.

import { BrokerConfig } from '../config/broker-config';
import { bindKraft, type KraftServices } from '../kraft/kraft-services';
import { ProtocolError } from '../wire/errors';
import {
  AllocateProducerIdsApi,
  AlterConfigsApi,
  AlterPartitionApi,
  ApiVersionsApi,
  BeginQuorumEpochApi,
  BrokerHeartbeatApi,
  BrokerRegistrationApi,
  CreatePartitionsApi,
  CreateTopicsApi,
  DeleteTopicsApi,
  DescribeQuorumApi,
  ElectLeadersApi,
  EndQuorumEpochApi,
  FetchApi,
  FetchSnapshotApi,
  IncrementalAlterConfigsApi,
  MetadataApi,
  OffsetForLeaderEpochApi,
  ProduceApi,
  UnregisterBrokerApi,
  VoteApi,
  WriteTxnMarkersApi,
  apiInfo,
  type ApiDef,
} from '../wire/generated/apis';
import type { ApiVersionsResponse } from '../wire/generated/messages/ApiVersionsResponse';
import { decodeResponseHeader } from '../wire/header';
import { Reader, Writer } from '../wire/primitives';
import { requestFrame } from './apis/__tests__/broker-fixture';
import { Dispatcher } from './dispatcher';
import { handlerFor, handlerOn, listenerKind, registeredHandlers, supportedApiVersions, type ListenerKind } from './registry';
import type { BrokerContext } from './types';

const silent = { info() {}, warn() {}, error() {}, debug() {} };
const KINDS: ListenerKind[] = ['broker', 'controller', 'broker-local-controller'];

const keys = (kind: ListenerKind) => supportedApiVersions(kind).map((v) => v.apiKey);
const key = (api: ApiDef) => api.apiKey;

/** Controller-only in Kafka's schemas: the quorum, broker lifecycle, ISR changes and producer id blocks. */
const CONTROLLER_ONLY = [VoteApi, BeginQuorumEpochApi, EndQuorumEpochApi, AlterPartitionApi, FetchSnapshotApi, BrokerRegistrationApi, BrokerHeartbeatApi, AllocateProducerIdsApi];

describe('advertised lists', () => {
  test('a client listener lists the broker APIs and none of the controller-only ones', () => {
    const broker = keys('broker');
    for (const api of [ProduceApi, FetchApi, MetadataApi, ApiVersionsApi, OffsetForLeaderEpochApi, WriteTxnMarkersApi, CreateTopicsApi, DescribeQuorumApi, UnregisterBrokerApi]) {
      expect(broker).toContain(key(api));
    }
    for (const api of CONTROLLER_ONLY) expect(broker).not.toContain(key(api));
  });

  test('a controller listener lists the controller APIs and no client-only ones', () => {
    const controller = keys('controller');
    for (const api of [...CONTROLLER_ONLY, FetchApi, ApiVersionsApi, DescribeQuorumApi, UnregisterBrokerApi]) expect(controller).toContain(key(api));
    // Produce, Metadata, the group and transaction APIs are the brokers'.
    for (const k of [0, 2, 3, 8, 9, 10, 11, 12, 13, 14, 15, 16, 21, 22, 23, 24, 25, 26, 27, 28, 42, 47, 65, 66]) expect(controller).not.toContain(k);
  });

  test('the client listener of a node with an in-process controller adds AlterPartition only', () => {
    const extra = keys('broker-local-controller').filter((k) => !keys('broker').includes(k));
    expect(extra).toEqual([AlterPartitionApi.apiKey]);
    expect(keys('broker').every((k) => keys('broker-local-controller').includes(k))).toBe(true);
    expect(keys('broker-local-controller')).not.toContain(VoteApi.apiKey);
    expect(keys('broker-local-controller')).not.toContain(BrokerRegistrationApi.apiKey);
  });

  test("each list follows the schemas' listeners and the handlers' version ranges, by key", () => {
    for (const kind of KINDS) {
      const list = supportedApiVersions(kind);
      expect(list.map((v) => v.apiKey)).toEqual([...list.map((v) => v.apiKey)].sort((a, b) => a - b));
      for (const v of list) {
        const h = handlerFor(v.apiKey)!;
        expect(v).toEqual({ apiKey: h.apiKey, minVersion: h.minVersion, maxVersion: h.maxVersion });
        expect(handlerOn(kind, v.apiKey)).toBe(h);
      }
    }
    for (const h of registeredHandlers()) {
      const listeners = apiInfo(h.apiKey)!.listeners;
      expect(keys('broker').includes(h.apiKey)).toBe(listeners.includes('broker'));
      expect(keys('controller').includes(h.apiKey)).toBe(listeners.includes('controller'));
      // Every handler is reachable somewhere.
      expect(KINDS.some((kind) => handlerOn(kind, h.apiKey) === h)).toBe(true);
    }
    expect(handlerOn('controller', ProduceApi.apiKey)).toBeUndefined();
    expect(handlerOn('broker', VoteApi.apiKey)).toBeUndefined();
    expect(handlerOn('broker', -1)).toBeUndefined();
  });

  test('what nodes send each other is exposed where they send it', () => {
    // To the active controller's controller listener: forwarded admin operations (KraftControllerChannel), ISR
    // changes, producer id blocks, broker registration and heartbeats, and the quorum's own RPCs.
    const toController = [
      CreateTopicsApi, DeleteTopicsApi, CreatePartitionsApi, AlterConfigsApi, IncrementalAlterConfigsApi, ElectLeadersApi,
      DescribeQuorumApi, UnregisterBrokerApi, AlterPartitionApi, AllocateProducerIdsApi, BrokerRegistrationApi, BrokerHeartbeatApi,
      VoteApi, BeginQuorumEpochApi, EndQuorumEpochApi, FetchApi, FetchSnapshotApi, ApiVersionsApi,
    ];
    for (const api of toController) expect(handlerOn('controller', api.apiKey)).toBeDefined();
    // To other brokers' inter-broker listener: replication, truncation and transaction markers.
    for (const kind of ['broker', 'broker-local-controller'] as const) {
      for (const api of [FetchApi, OffsetForLeaderEpochApi, WriteTxnMarkersApi, ApiVersionsApi]) expect(handlerOn(kind, api.apiKey)).toBeDefined();
    }
  });

  test('callers get their own copy of a list', () => {
    const a = supportedApiVersions('broker');
    a[0]!.maxVersion = 999;
    a.pop();
    expect(supportedApiVersions('broker')[0]!.maxVersion).not.toBe(999);
    expect(supportedApiVersions('broker')).toHaveLength(a.length + 1);
  });
});

describe('listenerKind', () => {
  const ctx = (values: Record<string, string> = {}) => ({ config: BrokerConfig.load({ values }) }) as BrokerContext;

  test('without a metadata quorum: controller.listener.names decides, case-insensitively', () => {
    const c = ctx();
    expect(listenerKind(c, 'PLAINTEXT')).toBe('broker-local-controller');
    expect(listenerKind(c, 'CONTROLLER')).toBe('controller');
    expect(listenerKind(c, 'controller')).toBe('controller');
    const custom = ctx({ 'controller.listener.names': 'CTRL,ctrl2' });
    expect(listenerKind(custom, 'CONTROLLER')).toBe('broker-local-controller');
    expect(listenerKind(custom, 'CTRL2')).toBe('controller');
  });

  test("a quorum member: the quorum services' controller listeners decide", () => {
    const c = ctx();
    bindKraft(c, { controllerListenerNames: ['CTRL'] } as unknown as KraftServices);
    expect(listenerKind(c, 'ctrl')).toBe('controller');
    expect(listenerKind(c, 'PLAINTEXT')).toBe('broker');
    expect(listenerKind(c, 'EXTERNAL')).toBe('broker');
  });
});

describe('the dispatcher', () => {
  const config = BrokerConfig.load({ values: {} });
  const conn = (listenerName: string) => ({ id: 1, remoteAddress: '127.0.0.1:1', listenerName });

  async function apiVersions(d: Dispatcher, listenerName: string, version = 3): Promise<ApiVersionsResponse> {
    const out = await d.dispatch(requestFrame(ApiVersionsApi, version, { clientSoftwareName: 'test', clientSoftwareVersion: '1' }), conn(listenerName));
    const r = new Reader(Buffer.concat(out!));
    // Above the supported range the answer is a v0 body (KIP-511).
    const v = version > 4 ? 0 : version;
    expect(decodeResponseHeader(r, ApiVersionsApi.apiKey, v)).toBe(9);
    return ApiVersionsApi.decodeResponse(r, v);
  }

  test('ApiVersions answers with the list of the listener the request came in on', async () => {
    const broker = { config } as BrokerContext;
    const d = new Dispatcher(() => broker, silent);
    const client = (await apiVersions(d, 'PLAINTEXT')).apiKeys.map((k) => k.apiKey);
    expect(client).toEqual(keys('broker-local-controller'));
    expect(client).toEqual(expect.arrayContaining([ProduceApi.apiKey, FetchApi.apiKey]));
    expect(client).not.toContain(VoteApi.apiKey);
    expect(client).not.toContain(BrokerRegistrationApi.apiKey);
    const controller = (await apiVersions(d, 'CONTROLLER')).apiKeys.map((k) => k.apiKey);
    expect(controller).toEqual(keys('controller'));
    expect(controller).not.toContain(ProduceApi.apiKey);
    // An unsupported ApiVersions version gets the same listener's list in its v0 body.
    expect((await apiVersions(d, 'CONTROLLER', 9)).apiKeys.map((k) => k.apiKey)).toEqual(keys('controller'));
    expect((await apiVersions(d, 'PLAINTEXT', 9)).apiKeys.map((k) => k.apiKey)).toEqual(keys('broker-local-controller'));
  });

  test('on a quorum member the client listener drops AlterPartition too', async () => {
    const broker = { config } as BrokerContext;
    bindKraft(broker, { controllerListenerNames: ['CONTROLLER'] } as unknown as KraftServices);
    const d = new Dispatcher(() => broker, silent);
    const client = (await apiVersions(d, 'PLAINTEXT')).apiKeys.map((k) => k.apiKey);
    expect(client).toEqual(keys('broker'));
    expect(client).not.toContain(AlterPartitionApi.apiKey);
    expect(() => d.dispatch(requestFrame(AlterPartitionApi, 3), conn('PLAINTEXT'))).toThrow(ProtocolError);
  });

  test('a request for an API not exposed on its listener closes the connection without running it', () => {
    // A context whose every use throws: the request must be refused before any handler runs.
    const broker = new Proxy({ config } as BrokerContext, {
      get: (t, p) => {
        if (p === 'config') return t.config;
        throw new Error(`handler ran: ${String(p)}`);
      },
    });
    const d = new Dispatcher(() => broker, silent);
    expect(() => d.dispatch(requestFrame(VoteApi, 1), conn('PLAINTEXT'))).toThrow(/Vote \(API key 52\) is not enabled on broker-local-controller listener PLAINTEXT/);
    expect(() => d.dispatch(requestFrame(BrokerRegistrationApi, 4), conn('PLAINTEXT'))).toThrow(ProtocolError);
    expect(() => d.dispatch(requestFrame(ProduceApi, 9), conn('CONTROLLER'))).toThrow(ProtocolError);
    expect(() => d.dispatch(requestFrame(MetadataApi, 12), conn('CONTROLLER'))).toThrow(ProtocolError);
    // An API no schema defines is refused the same way.
    const w = new Writer();
    w.writeInt16(999).writeInt16(0).writeInt32(1).writeNullableString(null);
    expect(() => d.dispatch(w.toBuffer(), conn('PLAINTEXT'))).toThrow(/unsupported API key 999/);
  });
});
