// Request and response header rules. The header version is not on the wire: it follows from the API key and
// version (flexible API versions use request header v2 / response header v1), with two exceptions Kafka keeps for
// compatibility: ControlledShutdown v0 sends request header v0 (no client id), and ApiVersions responses always use
// header v0 so a client that does not yet know the broker's versions can still parse the answer.

import { ProtocolError } from './errors';
import { ApiKey, apiInfo } from './generated/apis';
import { decodeRequestHeader as decodeRequestHeaderData } from './generated/messages/RequestHeader';
import { Reader, Writer } from './primitives';

export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
  /** 0, 1 or 2. */
  headerVersion: number;
  /**
   * False when the API key is unknown or the version lies outside the schema's validVersions: the caller should
   * answer UNSUPPORTED_VERSION (or close the connection) without decoding the body. For an unknown key the reader
   * position after the header is a best guess (header v1 layout).
   */
  supported: boolean;
}

/** Whether this version of the API uses the flexible encoding. Unknown keys are treated as not flexible. */
export function isFlexible(apiKey: number, version: number): boolean {
  const api = apiInfo(apiKey);
  // Flexible ranges are open-ended in the schemas, so versions above the known maximum count as flexible too.
  return api !== undefined && api.flexibleMin >= 0 && version >= api.flexibleMin;
}

export function requestHeaderVersion(apiKey: number, apiVersion: number): number {
  if (apiKey === ApiKey.ControlledShutdown && apiVersion === 0) return 0;
  return isFlexible(apiKey, apiVersion) ? 2 : 1;
}

export function responseHeaderVersion(apiKey: number, apiVersion: number): number {
  if (apiKey === ApiKey.ApiVersions) return 0;
  return isFlexible(apiKey, apiVersion) ? 1 : 0;
}

/** Reads the request header, leaving `r` at the start of the request body. */
export function decodeRequestHeader(r: Reader): RequestHeader {
  if (r.remaining < 8) throw new ProtocolError(`request header truncated: ${r.remaining} bytes`);
  // Peek at key and version: they decide how the rest of the header is laid out.
  const apiKey = r.buf.readInt16BE(r.pos);
  const apiVersion = r.buf.readInt16BE(r.pos + 2);
  const api = apiInfo(apiKey);
  if (api === undefined) return decodeUnknownApiHeader(r, apiKey, apiVersion);
  const headerVersion = requestHeaderVersion(apiKey, apiVersion);
  const h = decodeRequestHeaderData(r, headerVersion);
  return {
    apiKey,
    apiVersion,
    correlationId: h.correlationId,
    clientId: headerVersion >= 1 ? h.clientId : null,
    headerVersion,
    supported: apiVersion >= api.minVersion && apiVersion <= api.maxVersion,
  };
}

/**
 * An API key the schemas do not define: key, version and correlation id are enough to reply; the client id is
 * read when it parses as a v1 header (every header but v0 begins that way) and is null otherwise.
 */
function decodeUnknownApiHeader(r: Reader, apiKey: number, apiVersion: number): RequestHeader {
  r.skip(4);
  const correlationId = r.readInt32();
  const mark = r.pos;
  let clientId: string | null = null;
  try {
    clientId = r.readNullableString();
  } catch (e) {
    if (!(e instanceof ProtocolError)) throw e;
    r.pos = mark;
  }
  return { apiKey, apiVersion, correlationId, clientId, headerVersion: 1, supported: false };
}

/** Writes the response header for a response to (apiKey, apiVersion). */
export function encodeResponseHeader(w: Writer, apiKey: number, apiVersion: number, correlationId: number): void {
  // Written directly rather than through the generated ResponseHeader codec: it is two fields on every response.
  w.writeInt32(correlationId);
  if (responseHeaderVersion(apiKey, apiVersion) >= 1) w.writeUnsignedVarint(0);
}

/** Reads a response header (for clients of other brokers and for tests); returns the correlation id. */
export function decodeResponseHeader(r: Reader, apiKey: number, apiVersion: number): number {
  const correlationId = r.readInt32();
  if (responseHeaderVersion(apiKey, apiVersion) >= 1) r.skipTaggedFields();
  return correlationId;
}
