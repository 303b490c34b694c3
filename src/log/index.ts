// The segment-file log engine: public surface for the replica manager, coordinators and the metadata log.
export { LogManager, CLEAN_SHUTDOWN_FILE } from './log-manager';
export type { LogManagerOptions } from './log-manager';
export { PartitionLog } from './partition-log';
export type { AppendOptions, AppendResult, ReadOptions, ReadResult, TimestampOffset } from './partition-log';
export {
  DEFAULT_LOG_CONFIG,
  LONG_MAX,
  TOPIC_CONFIG_KEYS,
  logConfigFromTopicProps,
  logConfigFromBrokerProps,
  logConfigToTopicProps,
  mergeLogConfig,
  parseCleanupPolicy,
} from './config';
export type { LogConfig, CleanupPolicy } from './config';
export type { CleanStats } from './cleaner';
export type { EpochEntry } from './leader-epoch';
