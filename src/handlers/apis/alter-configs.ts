// AlterConfigs (key 33), v0-2. The controller validates and commits; this handler only translates.
//   v0: resources with their complete set of overrides; validateOnly. v1: same (throttling before the response).
//   v2: flexible.
// Replace semantics, as Kafka's legacy API: the given keys become the resource's only overrides (every other
// override is removed); a null value removes that key. TOPIC (2) and BROKER (4, this node's id or "" for the
// cluster default) resources are supported; other types get INVALID_REQUEST from the controller. A resource
// listed twice is INVALID_REQUEST (Kafka's "Duplicate resource"); a key listed twice in one resource keeps the
// last value, as Kafka's map does.

import { AlterConfigsApi } from '../../wire/generated/apis';
import type { AlterConfigsRequest } from '../../wire/generated/messages/AlterConfigsRequest';
import type { AlterConfigsResponse, AlterConfigsResponseAlterConfigsResourceResponse } from '../../wire/generated/messages/AlterConfigsResponse';
import { ErrorCode } from '../../wire/errors';
import { defineHandler } from '../define';
import type { RequestContext } from '../types';

const SET = 0;

export function resourceKey(resourceType: number, resourceName: string): string {
  return `${resourceType}:${resourceName}`;
}

/** Keys of resources that occur more than once in a request. */
export function duplicateResources(resources: { resourceType: number; resourceName: string }[]): Set<string> {
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const r of resources) {
    const k = resourceKey(r.resourceType, r.resourceName);
    (seen.has(k) ? dup : seen).add(k);
  }
  return dup;
}

function response(
  r: { resourceType: number; resourceName: string },
  errorCode: number,
  errorMessage: string | null,
): AlterConfigsResponseAlterConfigsResourceResponse {
  return { errorCode, errorMessage, resourceType: r.resourceType, resourceName: r.resourceName };
}

async function handleAlterConfigs(req: AlterConfigsRequest, ctx: RequestContext): Promise<AlterConfigsResponse> {
  const dup = duplicateResources(req.resources);
  const valid = req.resources.filter((r) => !dup.has(resourceKey(r.resourceType, r.resourceName)));
  const results = await ctx.broker.controller.alterConfigs(
    valid.map((r) => ({
      resourceType: r.resourceType,
      resourceName: r.resourceName,
      changes: r.configs.map((c) => ({ name: c.name, value: c.value, op: SET })),
    })),
    true,
    req.validateOnly,
  );
  let next = 0;
  return {
    throttleTimeMs: 0,
    responses: req.resources.map((r) => {
      if (dup.has(resourceKey(r.resourceType, r.resourceName))) return response(r, ErrorCode.INVALID_REQUEST, 'Duplicate resource.');
      const out = results[next++]!;
      return response(r, out.errorCode, out.errorMessage);
    }),
  };
}

export const alterConfigsHandler = defineHandler(AlterConfigsApi, {
  minVersion: 0,
  maxVersion: 2,
  handle: handleAlterConfigs,
  errorResponse: (req, errorCode) => ({ throttleTimeMs: 0, responses: req.resources.map((r) => response(r, errorCode, null)) }),
});
