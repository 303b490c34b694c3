// Public surface of the classic group coordinator.

export { GroupCoordinator, CLASSIC_GROUP_TYPE, type GroupCoordinatorOptions } from './coordinator';
export type * from './types';
export { type Clock, type TimerHandle, SystemClock, KeyedTimers } from './clock';
export { FakeClock } from './fake-clock';
export { type GroupCoordinatorConfig, DEFAULT_GROUP_COORDINATOR_CONFIG, resolveConfig } from './config';
export { CONSUMER_OFFSETS_TOPIC, javaStringHashCode, kafkaAbs, partitionFor } from './partition';
export type { CoordinatorLog, CoordinatorRecord, StoredRecord } from './persistence';
export { InMemoryCoordinatorLog } from './memory-log';
export { CONSUMER_PROTOCOL_TYPE, encodeSubscription, parseSubscriptionTopics } from './consumer-protocol';
export type { CoordinatorLogger } from './membership';
export type { GroupState } from './group';
export { decodeKey, decodeGroupMetadataValue, decodeOffsetCommitValue, type CoordinatorKey } from './records';
