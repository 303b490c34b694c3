// Builds an ApiHandler from the generated API definition plus the handler's own logic, so every handler takes its
// codecs from one place and states the version range it implements.

import type { ApiDef } from '../wire/generated/apis';
import type { ApiHandler, RequestContext } from './types';

export function defineHandler<Req, Res>(
  api: ApiDef<Req, Res>,
  spec: {
    minVersion: number;
    maxVersion: number;
    handle(req: Req, ctx: RequestContext): Res | null | Promise<Res | null>;
    errorResponse(req: Req, errorCode: number, ctx: RequestContext): Res;
  },
): ApiHandler<Req, Res> {
  if (spec.minVersion < api.minVersion || spec.maxVersion > api.maxVersion) {
    throw new Error(`${api.name}: versions ${spec.minVersion}-${spec.maxVersion} exceed the schema's ${api.minVersion}-${api.maxVersion}`);
  }
  return {
    apiKey: api.apiKey,
    name: api.name,
    minVersion: spec.minVersion,
    maxVersion: spec.maxVersion,
    decode: (r, v) => api.decodeRequest(r, v),
    encode: (w, v, res) => api.encodeResponse(w, v, res),
    handle: spec.handle,
    errorResponse: spec.errorResponse,
  };
}

/** A decoded `records` field is always a single view of the frame. */
export function recordsBuffer(records: Buffer | Buffer[] | null): Buffer | null {
  if (records === null || Buffer.isBuffer(records)) return records;
  return records.length === 1 ? records[0]! : Buffer.concat(records);
}
