// Group coordinator settings, by their Kafka server.properties names. Defaults are Kafka's.

export interface GroupCoordinatorConfig {
  /** group.initial.rebalance.delay.ms: how long the first rebalance of an empty group waits for more members;
   *  extended by the same amount each time a member joins, up to the group's rebalance timeout. */
  groupInitialRebalanceDelayMs: number;
  /** group.min.session.timeout.ms: JoinGroup with a smaller session timeout gets INVALID_SESSION_TIMEOUT. */
  groupMinSessionTimeoutMs: number;
  /** group.max.session.timeout.ms: JoinGroup with a larger session timeout gets INVALID_SESSION_TIMEOUT. */
  groupMaxSessionTimeoutMs: number;
  /** group.max.size: members beyond this get GROUP_MAX_SIZE_REACHED. */
  groupMaxSize: number;
  /** offsets.topic.num.partitions: partitions of __consumer_offsets; a group lives in one of them. */
  offsetsTopicNumPartitions: number;
  /** offsets.retention.minutes: committed offsets of an empty group are dropped this long after it emptied. */
  offsetsRetentionMinutes: number;
  /** offsets.retention.check.interval.ms: how often expired offsets are looked for. */
  offsetsRetentionCheckIntervalMs: number;
  /** offset.metadata.max.bytes: larger commit metadata gets OFFSET_METADATA_TOO_LARGE for that partition. */
  offsetMetadataMaxBytes: number;
  /** Not a Kafka setting (Kafka hard-codes 5 minutes): how long a new member's JoinGroup may wait for the
   *  rebalance before the member is dropped; it guards against clients that gave up and retried. */
  newMemberJoinTimeoutMs: number;
}

export const DEFAULT_GROUP_COORDINATOR_CONFIG: Readonly<GroupCoordinatorConfig> = Object.freeze({
  groupInitialRebalanceDelayMs: 3000,
  groupMinSessionTimeoutMs: 6000,
  groupMaxSessionTimeoutMs: 1_800_000,
  groupMaxSize: 2_147_483_647,
  offsetsTopicNumPartitions: 50,
  offsetsRetentionMinutes: 7 * 24 * 60,
  offsetsRetentionCheckIntervalMs: 600_000,
  offsetMetadataMaxBytes: 4096,
  newMemberJoinTimeoutMs: 5 * 60 * 1000,
});

export function resolveConfig(overrides: Partial<GroupCoordinatorConfig> = {}): GroupCoordinatorConfig {
  const c = { ...DEFAULT_GROUP_COORDINATOR_CONFIG, ...overrides };
  if (c.offsetsTopicNumPartitions < 1) throw new Error('offsets.topic.num.partitions must be at least 1');
  if (c.groupMinSessionTimeoutMs > c.groupMaxSessionTimeoutMs)
    throw new Error('group.min.session.timeout.ms must not exceed group.max.session.timeout.ms');
  if (c.groupMaxSize < 1) throw new Error('group.max.size must be at least 1');
  return c;
}
