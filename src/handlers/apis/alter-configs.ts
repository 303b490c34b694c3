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
import type { AlterConfigsResponse } from '../../wire/generated/messages/AlterConfigsResponse';
import type { ConfigChange } from '../../kraft/controller/controller';
import { ErrorCode } from '../../wire/errors';
import { defineHandler } from '../define';
import type { RequestContext } from '../types';

const SET = 0;

interface ResourceId {
  readonly resourceType: number;
  readonly resourceName: string;
}

/** One resource's answer: AlterConfigs and IncrementalAlterConfigs responses both carry exactly this. */
export interface ResourceResult {
  resourceType: number;
  resourceName: string;
  errorCode: number;
  errorMessage: string | null;
}

export function resourceResult(r: ResourceId, errorCode: number, errorMessage: string | null): ResourceResult {
  return { errorCode, errorMessage, resourceType: r.resourceType, resourceName: r.resourceName };
}

/** Why a resource is answered before the controller sees it. */
export interface Refusal {
  code: number;
  message: string;
}

function resourceKey(r: ResourceId): string {
  return `${r.resourceType}:${r.resourceName}`;
}

/** Keys of resources that occur more than once in a request. */
function duplicateResources(resources: readonly ResourceId[]): Set<string> {
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const r of resources) {
    const k = resourceKey(r);
    (seen.has(k) ? dup : seen).add(k);
  }
  return dup;
}

/**
 * The body of both config-altering APIs. A resource listed twice (all its occurrences), or one `refuse` objects
 * to, is answered here and never reaches the controller; the rest go to the controller in one call, so
 * validateOnly and the commit cover them together. Answers come back in request order, as clients expect.
 */
export async function alterResources<R extends ResourceId>(
  ctx: RequestContext,
  resources: readonly R[],
  opts: {
    changes(r: R): ConfigChange[];
    refuse?(r: R): Refusal | null;
    /** AlterConfigs semantics: the given keys become the resource's only overrides. */
    replace: boolean;
    validateOnly: boolean;
  },
): Promise<ResourceResult[]> {
  const dup = duplicateResources(resources);
  const refusals = resources.map((r): Refusal | null =>
    dup.has(resourceKey(r)) ? { code: ErrorCode.INVALID_REQUEST, message: 'Duplicate resource.' } : (opts.refuse?.(r) ?? null),
  );
  const valid = resources.filter((_, i) => refusals[i] === null);
  const results = await ctx.broker.controller.alterConfigs(
    valid.map((r) => ({ resourceType: r.resourceType, resourceName: r.resourceName, changes: opts.changes(r) })),
    opts.replace,
    opts.validateOnly,
  );
  let next = 0;
  return resources.map((r, i) => {
    const refusal = refusals[i];
    if (refusal) return resourceResult(r, refusal.code, refusal.message);
    const out = results[next++]!;
    return resourceResult(r, out.errorCode, out.errorMessage);
  });
}

async function handleAlterConfigs(req: AlterConfigsRequest, ctx: RequestContext): Promise<AlterConfigsResponse> {
  const responses = await alterResources(ctx, req.resources, {
    changes: (r) => r.configs.map((c) => ({ name: c.name, value: c.value, op: SET })),
    replace: true,
    validateOnly: req.validateOnly,
  });
  return { throttleTimeMs: 0, responses };
}

export const alterConfigsHandler = defineHandler(AlterConfigsApi, {
  minVersion: 0,
  maxVersion: 2,
  handle: handleAlterConfigs,
  errorResponse: (req, errorCode) => ({ throttleTimeMs: 0, responses: req.resources.map((r) => resourceResult(r, errorCode, null)) }),
});
