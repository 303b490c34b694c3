// IncrementalAlterConfigs (key 44), v0-1. The controller validates and commits; this handler only translates.
//   v0: per-key operations SET (0), DELETE (1), APPEND (2), SUBTRACT (3); validateOnly. v1: flexible.
// Only the named keys change; other overrides stay. APPEND and SUBTRACT work on list-typed keys only (others get
// INVALID_CONFIG, as in Kafka), checked here against the topic or broker key definitions. A key named twice in one
// resource, a null value for anything but DELETE, and a resource listed twice are INVALID_REQUEST. TOPIC (2) and
// BROKER (4, this node's id or "" for the cluster default) resources are supported; other types get
// INVALID_REQUEST from the controller.

import { IncrementalAlterConfigsApi } from '../../wire/generated/apis';
import type {
  IncrementalAlterConfigsRequest,
  IncrementalAlterConfigsRequestAlterConfigsResource,
} from '../../wire/generated/messages/IncrementalAlterConfigsRequest';
import type { IncrementalAlterConfigsResponse } from '../../wire/generated/messages/IncrementalAlterConfigsResponse';
import { ErrorCode } from '../../wire/errors';
import { ResourceType } from '../../kraft/metadata/image';
import type { ConfigType } from '../../config/definitions';
import { configDef } from '../../config/broker-config';
import { topicConfigDef } from '../../config/topic-configs';
import { defineHandler } from '../define';
import type { RequestContext } from '../types';
import { alterResources, type Refusal, resourceResult } from './alter-configs';

export const ConfigOp = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const;

function keyType(resourceType: number, name: string): ConfigType | undefined {
  if (resourceType === ResourceType.TOPIC) return topicConfigDef(name)?.type;
  if (resourceType === ResourceType.BROKER) return configDef(name)?.type;
  return undefined;
}

/** A request-level problem with one resource's changes (decided before the controller sees them), or null. */
function changesError(res: IncrementalAlterConfigsRequestAlterConfigsResource): Refusal | null {
  const names = new Set<string>();
  for (const c of res.configs) {
    if (names.has(c.name)) return { code: ErrorCode.INVALID_REQUEST, message: `Error due to duplicate config keys: ${c.name}` };
    names.add(c.name);
    // Only DELETE goes without a value; a null SET would silently become a delete.
    if (c.value === null && c.configOperation !== ConfigOp.DELETE) {
      return { code: ErrorCode.INVALID_REQUEST, message: `Null value not supported for : ${c.name}` };
    }
  }
  for (const c of res.configs) {
    if (c.configOperation !== ConfigOp.APPEND && c.configOperation !== ConfigOp.SUBTRACT) continue;
    const type = keyType(res.resourceType, c.name);
    // Unknown keys and unsupported resource types are the controller's to refuse, with its own message.
    if (type !== undefined && type !== 'list') {
      const verb = c.configOperation === ConfigOp.APPEND ? 'append' : 'subtract';
      return { code: ErrorCode.INVALID_CONFIG, message: `Config value ${verb} is not allowed for config key: ${c.name}` };
    }
  }
  return null;
}

async function handleIncrementalAlterConfigs(req: IncrementalAlterConfigsRequest, ctx: RequestContext): Promise<IncrementalAlterConfigsResponse> {
  const responses = await alterResources(ctx, req.resources, {
    changes: (r) => r.configs.map((c) => ({ name: c.name, value: c.value, op: c.configOperation })),
    refuse: changesError,
    replace: false,
    validateOnly: req.validateOnly,
  });
  return { throttleTimeMs: 0, responses };
}

export const incrementalAlterConfigsHandler = defineHandler(IncrementalAlterConfigsApi, {
  minVersion: 0,
  maxVersion: 1,
  handle: handleIncrementalAlterConfigs,
  errorResponse: (req, errorCode) => ({ throttleTimeMs: 0, responses: req.resources.map((r) => resourceResult(r, errorCode, null)) }),
});
