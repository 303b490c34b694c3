// The consumer-group APIs (classic protocol): coordinator lookup, membership, committed offsets and group
// administration. Each API lives in its own module; the registry adds this list to the handler table.

import type { ApiHandler } from '../types';
import { findCoordinatorHandler } from './find-coordinator';
import { joinGroupHandler } from './join-group';
import { syncGroupHandler } from './sync-group';
import { heartbeatHandler } from './heartbeat';
import { leaveGroupHandler } from './leave-group';
import { offsetCommitHandler } from './offset-commit';
import { offsetFetchHandler } from './offset-fetch';
import { describeGroupsHandler } from './describe-groups';
import { listGroupsHandler } from './list-groups';
import { deleteGroupsHandler } from './delete-groups';
import { offsetDeleteHandler } from './offset-delete';

export const GROUP_HANDLERS: ApiHandler[] = [
  findCoordinatorHandler,
  joinGroupHandler,
  syncGroupHandler,
  heartbeatHandler,
  leaveGroupHandler,
  offsetCommitHandler,
  offsetFetchHandler,
  describeGroupsHandler,
  listGroupsHandler,
  deleteGroupsHandler,
  offsetDeleteHandler,
];
