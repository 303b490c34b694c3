// The admin APIs: topic creation and deletion, partitions, configs, cluster description and record deletion.
// The registry adds these to the handler list.

import type { ApiHandler } from '../types';
import { createTopicsHandler } from './create-topics';
import { deleteTopicsHandler } from './delete-topics';
import { deleteRecordsHandler } from './delete-records';
import { describeConfigsHandler } from './describe-configs';
import { alterConfigsHandler } from './alter-configs';
import { createPartitionsHandler } from './create-partitions';
import { incrementalAlterConfigsHandler } from './incremental-alter-configs';
import { describeClusterHandler } from './describe-cluster';

export const ADMIN_HANDLERS: ApiHandler[] = [
  createTopicsHandler,
  deleteTopicsHandler,
  deleteRecordsHandler,
  describeConfigsHandler,
  alterConfigsHandler,
  createPartitionsHandler,
  incrementalAlterConfigsHandler,
  describeClusterHandler,
];
