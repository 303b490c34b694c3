// AlterPartition (key 56), v0-3: a partition leader's ISR change, served by the controller (KIP-497; v1 adds
// leader recovery state, v2 topic ids, v3 broker epochs of the ISR members, KIP-903). Validation and the record
// it writes live with the controller (kraft/controller/alter-partition.ts).

import { AlterPartitionApi } from '../../wire/generated/apis';
import { defineHandler } from '../define';

export const alterPartitionHandler = defineHandler(AlterPartitionApi, {
  minVersion: 0,
  maxVersion: 3,
  handle: (req, ctx) => ctx.broker.controller.alterPartition(req, ctx.apiVersion),
  errorResponse: (_req, errorCode) => ({ throttleTimeMs: 0, errorCode, topics: [] }),
});
