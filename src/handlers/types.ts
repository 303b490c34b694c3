// What an API handler is and what it may use. Each API module exports one ApiHandler; the registry collects them,
// and ApiVersions advertises exactly the registered ranges.

import type { BrokerConfig } from '../config/broker-config';
import type { ControllerOps } from '../kraft/controller-channel';
import type { MetadataImage } from '../kraft/metadata/image';
import type { ReplicaManager } from '../isr/replica-manager';
import type { ConnectionInfo } from '../server/connection';
import type { Reader, Writer } from '../wire/primitives';
import type { GroupCoordinatorService } from './group-service';
import type { FetchSessionCache } from './fetch-sessions';
import type { ProducerIdManager } from '../txn/producer-id-manager';
import type { TransactionService } from '../txn/txn-service';

export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

/** Everything the handlers of one broker share. */
export interface BrokerContext {
  readonly nodeId: number;
  readonly clusterId: string;
  readonly config: BrokerConfig;
  readonly image: MetadataImage;
  /** The controller operations: the local Controller (single node) or the channel to the active one (quorum). */
  readonly controller: ControllerOps;
  readonly replicas: ReplicaManager;
  readonly groups: GroupCoordinatorService | null;
  readonly fetchSessions: FetchSessionCache;
  /** Producer ids for InitProducerId; absent in handler test fixtures that do not use it. */
  readonly producerIds?: ProducerIdManager;
  /** The transaction coordinator; absent in handler test fixtures that do not use it. */
  readonly transactions?: TransactionService | null;
  readonly log: Logger;
  /** Node id of the active controller as clients should see it (kafkajs sends admin requests there). */
  controllerId(): number;
  /** The listener a request arrived on decides which advertised endpoints Metadata returns. */
  advertisedEndpoint(brokerId: number, listenerName: string): { host: string; port: number } | null;
  now(): number;
}

export interface RequestContext {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string | null;
  readonly connection: ConnectionInfo;
  readonly broker: BrokerContext;
}

export interface ApiHandler<Req = any, Res = any> {
  readonly apiKey: number;
  readonly name: string;
  /** The versions this broker implements (within the schema's validVersions). */
  readonly minVersion: number;
  readonly maxVersion: number;
  decode(r: Reader, version: number): Req;
  encode(w: Writer, version: number, res: Res): void;
  /** Handles a request; null means "send no response" (acks=0 produce). */
  handle(req: Req, ctx: RequestContext): Res | null | Promise<Res | null>;
  /** A response to `req` carrying `errorCode` wherever the response has one (whole-request failures). */
  errorResponse(req: Req, errorCode: number, ctx: RequestContext): Res;
}
