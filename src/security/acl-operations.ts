// Authorized-operation bitfields that Metadata (v8+) and DescribeCluster report. This broker has no authorizer,
// so every principal may do everything a resource type supports; the bits follow Kafka's AclOperation codes.

const Op = {
  READ: 3,
  WRITE: 4,
  CREATE: 5,
  DELETE: 6,
  ALTER: 7,
  DESCRIBE: 8,
  CLUSTER_ACTION: 9,
  DESCRIBE_CONFIGS: 10,
  ALTER_CONFIGS: 11,
  IDEMPOTENT_WRITE: 12,
  CREATE_TOKENS: 13,
  DESCRIBE_TOKENS: 14,
} as const;

function bits(ops: number[]): number {
  return ops.reduce((acc, op) => acc | (1 << op), 0);
}

/** Sent when the client did not ask for authorized operations (Integer.MIN_VALUE in Kafka). */
export const OPERATIONS_NOT_REQUESTED = -2147483648;

export const TOPIC_OPERATIONS = bits([Op.READ, Op.WRITE, Op.CREATE, Op.DELETE, Op.ALTER, Op.DESCRIBE, Op.DESCRIBE_CONFIGS, Op.ALTER_CONFIGS]);

export const CLUSTER_OPERATIONS = bits([
  Op.CREATE,
  Op.ALTER,
  Op.DESCRIBE,
  Op.CLUSTER_ACTION,
  Op.DESCRIBE_CONFIGS,
  Op.ALTER_CONFIGS,
  Op.IDEMPOTENT_WRITE,
  Op.CREATE_TOKENS,
  Op.DESCRIBE_TOKENS,
]);

export const GROUP_OPERATIONS = bits([Op.READ, Op.DELETE, Op.DESCRIBE]);
