// The broker the handler tests run against: a real MetadataImage and Controller whose metadata log is held in
// memory, a BrokerContext around them, and request contexts from one test client. The replica manager and group
// coordinator are the caller's, since each suite stands in for a different part of the broker.

import type { BrokerConfig } from '../../../config/broker-config';
import type { GroupCoordinatorService } from '../../group-service';
import type { ReplicaManager } from '../../../isr/replica-manager';
import { type Controller, type MetadataCommitter, type MetadataRecordOut, newUuid } from '../../../kraft/controller/controller';
import { type MetadataImage, emptyDelta } from '../../../kraft/metadata/image';
import { decodeMetadataRecord, encodeMetadataRecord } from '../../../kraft/metadata/record-serde';
import type { ConnectionInfo } from '../../../server/connection';
import type { BrokerContext, Logger, RequestContext } from '../../types';
import type { ApiDef } from '../../../wire/generated/apis';
import { encodeRequestHeader } from '../../../wire/generated/messages/RequestHeader';
import { requestHeaderVersion } from '../../../wire/header';
import { Writer } from '../../../wire/primitives';

/**
 * Applies each commit straight to the image. Records go through their stored form first, as the real metadata log
 * would put them, so a field the serde drops or renames shows up here rather than only on a restarted broker.
 * When `replicas` is set, each commit's delta is handed to it too, as the broker does.
 */
export class MemoryCommitter implements MetadataCommitter {
  replicas: ReplicaManager | null = null;

  constructor(private readonly image: MetadataImage) {}

  async commit(records: MetadataRecordOut[]): Promise<void> {
    const delta = emptyDelta();
    for (const r of records) {
      const { apiKey, data } = decodeMetadataRecord(encodeMetadataRecord(r.apiKey, r.version, r.data));
      this.image.apply(apiKey, data, delta);
    }
    await this.replicas?.applyDelta(delta, this.image);
  }
}

export const silentLog: Logger = { info() {}, warn() {}, error() {}, debug() {} };

/**
 * Registers brokers 1..count, each with a PLAINTEXT and an EXTERNAL listener (so listener-dependent answers can be
 * told apart). Broker 1 has no rack and the others have `rack<id>`, so a response can show both a null and a set rack.
 */
export async function registerBrokers(controller: Controller, count: number): Promise<void> {
  for (let id = 1; id <= count; id++) {
    await controller.registerBroker({
      brokerId: id,
      incarnationId: newUuid(),
      endpoints: [
        { name: 'PLAINTEXT', host: `host${id}`, port: 9090 + id, securityProtocol: 0 },
        { name: 'EXTERNAL', host: `ext${id}`, port: 19090 + id, securityProtocol: 0 },
      ],
      rack: id === 1 ? null : `rack${id}`,
      fenced: false,
    });
  }
}

/** The context of broker 1, which is also the controller clients are told about. */
export function brokerContext(parts: {
  clusterId: string;
  config: BrokerConfig;
  image: MetadataImage;
  controller: Controller;
  replicas: ReplicaManager;
  groups: GroupCoordinatorService | null;
}): BrokerContext {
  const { image } = parts;
  return {
    ...parts,
    nodeId: 1,
    // No test here fetches through sessions; a handler that reaches for them fails loudly.
    fetchSessions: {} as BrokerContext['fetchSessions'],
    log: silentLog,
    controllerId: () => 1,
    advertisedEndpoint: (id, listener) => {
      const e = image.brokers.get(id)?.endpoints.find((x) => x.name === listener);
      return e ? { host: e.host, port: e.port } : null;
    },
    now: Date.now,
  };
}

/** The connection every request comes in on unless a test names another. */
export const TEST_CONNECTION: ConnectionInfo = { id: 1, remoteAddress: '127.0.0.1:50123', listenerName: 'PLAINTEXT' };

/** A request from client `test-client` at `apiVersion`; the handler's own apiKey is for the caller to set. */
export function requestContext(broker: BrokerContext, apiVersion: number, over: Partial<RequestContext> = {}): RequestContext {
  return {
    apiKey: -1,
    apiVersion,
    correlationId: 1,
    clientId: 'test-client',
    connection: TEST_CONNECTION,
    broker,
    ...over,
  };
}

/**
 * A request frame (header and body, no size prefix) as the dispatcher receives it. A version above the schema's
 * range gets a header only, as a client probing a newer version would send.
 */
export function requestFrame<Req>(api: ApiDef<Req, unknown>, version: number, body?: Req, clientId = 'test-client'): Buffer {
  const w = new Writer();
  encodeRequestHeader(w, requestHeaderVersion(api.apiKey, Math.min(version, api.maxVersion)), {
    requestApiKey: api.apiKey,
    requestApiVersion: version,
    correlationId: 9,
    clientId,
  });
  if (version <= api.maxVersion) api.encodeRequest(w, version, body ?? api.defaultRequest());
  return w.toBuffer();
}
