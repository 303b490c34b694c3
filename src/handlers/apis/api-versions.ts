// ApiVersions (key 18), v0-4. Advertises exactly the registered handlers' ranges, limited to the APIs exposed on
// the listener the request arrived on (client listeners: the schemas' "broker" APIs; controller listeners: the
// "controller" ones; see registry.ts). A request newer than v4 is answered by the dispatcher with a v0 body
// carrying UNSUPPORTED_VERSION and the ranges (KIP-511).

import { ApiVersionsApi } from '../../wire/generated/apis';
import { defaultApiVersionsResponse } from '../../wire/generated/messages/ApiVersionsResponse';
import { ErrorCode } from '../../wire/errors';
import { defineHandler } from '../define';
import { listenerKind, supportedApiVersions } from '../registry';
import type { RequestContext } from '../types';

/** Client software name and version (v3+) must be non-empty alphanumerics, dots and dashes (KIP-511). */
const SOFTWARE = /^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$/;

export const apiVersionsHandler = defineHandler(ApiVersionsApi, {
  minVersion: 0,
  maxVersion: 4,
  handle(req, ctx) {
    const res = defaultApiVersionsResponse();
    if (ctx.apiVersion >= 3 && (!SOFTWARE.test(req.clientSoftwareName) || !SOFTWARE.test(req.clientSoftwareVersion))) {
      res.errorCode = ErrorCode.INVALID_REQUEST;
    }
    res.apiKeys = advertised(ctx);
    return res;
  },
  errorResponse(_req, errorCode, ctx) {
    return { ...defaultApiVersionsResponse(), errorCode, apiKeys: advertised(ctx) };
  },
});

/** The APIs of the request's listener. */
function advertised(ctx: RequestContext) {
  return supportedApiVersions(listenerKind(ctx.broker, ctx.connection.listenerName));
}
