// Turns one request frame into one response: decode the header, pick the handler by API key among the APIs
// exposed on the connection's listener (registry.ts: client listeners serve the schemas' "broker" APIs, controller
// listeners the "controller" ones), check the version against what the handler implements, run it, and encode the
// response with the right header version.

import type { ConnectionInfo, FrameDispatcher } from '../server/connection';
import { ErrorCode, KafkaError, ProtocolError } from '../wire/errors';
import { decodeRequestHeader, encodeResponseHeader } from '../wire/header';
import { Reader, Writer } from '../wire/primitives';
import { apiInfo } from '../wire/generated/apis';
import { encodeApiVersionsResponse } from '../wire/generated/messages/ApiVersionsResponse';
import type { RequestObserver } from '../metrics/hooks';
import { handlerOn, listenerKind, supportedApiVersions, type ListenerKind } from './registry';
import type { ApiHandler, BrokerContext, Logger, RequestContext } from './types';

const API_VERSIONS_KEY = 18;

export class Dispatcher implements FrameDispatcher {
  private ready: Promise<void>;
  private markReady!: () => void;
  /** Listener kinds by listener name, for `kindsOf` (they depend on its configuration and quorum services). */
  private kinds = new Map<string, ListenerKind>();
  private kindsOf: BrokerContext | undefined;

  constructor(
    private readonly context: () => BrokerContext | undefined,
    private readonly log: Logger,
    /** Request counts, errors and latency; null when metrics are off (then nothing is timed). */
    private readonly observer: RequestObserver | null = null,
  ) {
    this.ready = new Promise((r) => (this.markReady = r));
  }

  /** Requests that arrive before the broker finished starting wait for this. */
  setReady(): void {
    this.markReady();
  }

  dispatch(frame: Buffer, conn: ConnectionInfo): Promise<Buffer[] | null> | Buffer[] | null {
    const broker = this.context();
    if (!broker) return this.ready.then(() => this.dispatch(frame, conn));
    const r = new Reader(frame);
    const header = decodeRequestHeader(r);
    const ctx: RequestContext = {
      apiKey: header.apiKey,
      apiVersion: header.apiVersion,
      correlationId: header.correlationId,
      clientId: header.clientId,
      connection: conn,
      broker,
    };
    const kind = this.listenerKind(broker, conn.listenerName);
    const handler = handlerOn(kind, header.apiKey);
    if (!handler) {
      // Kafka closes the connection when a request's API is unknown or not enabled on the listener (SocketServer
      // refuses the header), rather than answering it.
      const api = apiInfo(header.apiKey);
      throw new ProtocolError(
        api === undefined
          ? `unsupported API key ${header.apiKey}`
          : `${api.name} (API key ${header.apiKey}) is not enabled on ${kind} listener ${conn.listenerName}`,
      );
    }
    const version = header.apiVersion;
    const started = this.observer === null ? 0 : performance.now();
    if (version < handler.minVersion || version > handler.maxVersion) {
      const out = this.unsupportedVersion(handler, r, ctx, kind);
      this.observer?.failed(handler, ErrorCode.UNSUPPORTED_VERSION);
      return this.finish(handler, out, started);
    }

    const req = handler.decode(r, version);
    let result: unknown;
    try {
      result = handler.handle(req, ctx);
    } catch (e) {
      return this.finish(handler, this.encode(handler, ctx, this.failure(handler, req, ctx, e)), started);
    }
    if (result instanceof Promise) {
      return result.then(
        (res) => this.finish(handler, res === null ? null : this.encode(handler, ctx, res), started),
        (e) => this.finish(handler, this.encode(handler, ctx, this.failure(handler, req, ctx, e)), started),
      );
    }
    return this.finish(handler, result === null ? null : this.encode(handler, ctx, result), started);
  }

  /** The kind of the listener (cached per context: a node may swap its context once, keeping its listeners). */
  private listenerKind(broker: BrokerContext, listenerName: string): ListenerKind {
    if (this.kindsOf !== broker) {
      this.kindsOf = broker;
      this.kinds = new Map();
    }
    let kind = this.kinds.get(listenerName);
    if (kind === undefined) {
      kind = listenerKind(broker, listenerName);
      this.kinds.set(listenerName, kind);
    }
    return kind;
  }

  /** Reports the request's latency (when metrics are on) and passes its response through. */
  private finish(handler: ApiHandler, out: Buffer[] | null, started: number): Buffer[] | null {
    if (this.observer !== null) this.observer.completed(handler, (performance.now() - started) / 1000);
    return out;
  }

  private failure(handler: ApiHandler, req: unknown, ctx: RequestContext, e: unknown): unknown {
    if (e instanceof ProtocolError) throw e;
    const code = e instanceof KafkaError ? e.code : ErrorCode.UNKNOWN_SERVER_ERROR;
    this.observer?.failed(handler, code);
    if (!(e instanceof KafkaError)) {
      this.log.error({ api: handler.name, version: ctx.apiVersion, client: ctx.clientId, err: (e as Error)?.stack ?? String(e) }, 'request failed');
    }
    return handler.errorResponse(req, code, ctx);
  }

  private encode(handler: ApiHandler, ctx: RequestContext, res: unknown): Buffer[] {
    const w = new Writer(1024);
    encodeResponseHeader(w, ctx.apiKey, ctx.apiVersion, ctx.correlationId);
    handler.encode(w, ctx.apiVersion, res);
    return w.toChunks();
  }

  /**
   * A version this broker does not implement. ApiVersions answers in v0 with error 35 and the supported ranges,
   * so the client can retry with a version both sides know. Other APIs answer UNSUPPORTED_VERSION in the
   * requested version when the schema knows it; otherwise the connection is closed, as Kafka does.
   */
  private unsupportedVersion(handler: ApiHandler, r: Reader, ctx: RequestContext, kind: ListenerKind): Buffer[] {
    this.log.debug({ api: handler.name, version: ctx.apiVersion, client: ctx.clientId }, 'unsupported version');
    if (ctx.apiKey === API_VERSIONS_KEY) {
      const w = new Writer(512);
      encodeResponseHeader(w, API_VERSIONS_KEY, 0, ctx.correlationId);
      encodeApiVersionsResponse(w, 0, {
        errorCode: ErrorCode.UNSUPPORTED_VERSION,
        apiKeys: supportedApiVersions(kind),
        throttleTimeMs: 0,
        supportedFeatures: [],
        finalizedFeaturesEpoch: -1,
        finalizedFeatures: [],
        zkMigrationReady: false,
      });
      return w.toChunks();
    }
    const schema = apiInfo(ctx.apiKey);
    if (!schema || ctx.apiVersion < schema.minVersion || ctx.apiVersion > schema.maxVersion) {
      throw new ProtocolError(`${handler.name} v${ctx.apiVersion} is not a version of that API`);
    }
    const req = handler.decode(r, ctx.apiVersion);
    return this.encode(handler, ctx, handler.errorResponse(req, ErrorCode.UNSUPPORTED_VERSION, ctx));
  }
}

