// Per-log configuration: Kafka's topic-level settings under camel-case names, their defaults, and the mapping from
// the dotted Kafka keys (`segment.bytes`, `retention.ms`, ...) used by CreateTopics, AlterConfigs and
// DescribeConfigs, plus the broker-level `log.*` defaults they fall back to.

import { ErrorCode, KafkaError } from '../wire/errors';

export interface CleanupPolicy {
  delete: boolean;
  compact: boolean;
}

export interface LogConfig {
  segmentBytes: number;
  segmentMs: number;
  segmentIndexBytes: number;
  indexIntervalBytes: number;
  /** -1 = unlimited. */
  retentionMs: number;
  /** -1 = unlimited. */
  retentionBytes: number;
  cleanupPolicy: CleanupPolicy;
  deleteRetentionMs: number;
  minCompactionLagMs: number;
  maxCompactionLagMs: number;
  minCleanableDirtyRatio: number;
  /** Records between fsyncs; Kafka's Long.MAX (never) is kept as a huge number. */
  flushMessages: number;
  flushMs: number;
  fileDeleteDelayMs: number;
  maxMessageBytes: number;
}

/** Kafka's Long.MAX_VALUE as a JS number: "never". Comparisons against it behave as intended. */
export const LONG_MAX = 9223372036854775807;

export const DEFAULT_LOG_CONFIG: Readonly<LogConfig> = Object.freeze({
  segmentBytes: 1024 * 1024 * 1024,
  segmentMs: 7 * 24 * 3600 * 1000,
  segmentIndexBytes: 10 * 1024 * 1024,
  indexIntervalBytes: 4096,
  retentionMs: 7 * 24 * 3600 * 1000,
  retentionBytes: -1,
  cleanupPolicy: Object.freeze({ delete: true, compact: false }),
  deleteRetentionMs: 24 * 3600 * 1000,
  minCompactionLagMs: 0,
  maxCompactionLagMs: LONG_MAX,
  minCleanableDirtyRatio: 0.5,
  flushMessages: LONG_MAX,
  flushMs: LONG_MAX,
  fileDeleteDelayMs: 60000,
  maxMessageBytes: 1048588,
});

type Kind = 'int' | 'long' | 'double' | 'policy';

/** Topic-level Kafka key → LogConfig field. */
export const TOPIC_CONFIG_KEYS: Readonly<Record<string, { field: keyof LogConfig; kind: Kind; min?: number }>> = {
  'segment.bytes': { field: 'segmentBytes', kind: 'int', min: 14 },
  'segment.ms': { field: 'segmentMs', kind: 'long', min: 1 },
  'segment.index.bytes': { field: 'segmentIndexBytes', kind: 'int', min: 4 },
  'index.interval.bytes': { field: 'indexIntervalBytes', kind: 'int', min: 0 },
  'retention.ms': { field: 'retentionMs', kind: 'long', min: -1 },
  'retention.bytes': { field: 'retentionBytes', kind: 'long' },
  'cleanup.policy': { field: 'cleanupPolicy', kind: 'policy' },
  'delete.retention.ms': { field: 'deleteRetentionMs', kind: 'long', min: 0 },
  'min.compaction.lag.ms': { field: 'minCompactionLagMs', kind: 'long', min: 0 },
  'max.compaction.lag.ms': { field: 'maxCompactionLagMs', kind: 'long', min: 1 },
  'min.cleanable.dirty.ratio': { field: 'minCleanableDirtyRatio', kind: 'double', min: 0 },
  'flush.messages': { field: 'flushMessages', kind: 'long', min: 1 },
  'flush.ms': { field: 'flushMs', kind: 'long', min: 0 },
  'file.delete.delay.ms': { field: 'fileDeleteDelayMs', kind: 'long', min: 0 },
  'max.message.bytes': { field: 'maxMessageBytes', kind: 'int', min: 0 },
};

/**
 * Broker-level (server.properties) keys that supply the defaults of the topic-level ones. Kafka's `.hours` and
 * `.minutes` variants are scaled; when several are given the most precise wins (ms over minutes over hours).
 */
const BROKER_KEYS: Readonly<Record<string, { topicKey: string; scale: number; precision: number }>> = {
  'log.segment.bytes': { topicKey: 'segment.bytes', scale: 1, precision: 0 },
  'log.roll.hours': { topicKey: 'segment.ms', scale: 3600000, precision: 0 },
  'log.roll.ms': { topicKey: 'segment.ms', scale: 1, precision: 2 },
  'log.index.size.max.bytes': { topicKey: 'segment.index.bytes', scale: 1, precision: 0 },
  'log.index.interval.bytes': { topicKey: 'index.interval.bytes', scale: 1, precision: 0 },
  'log.retention.hours': { topicKey: 'retention.ms', scale: 3600000, precision: 0 },
  'log.retention.minutes': { topicKey: 'retention.ms', scale: 60000, precision: 1 },
  'log.retention.ms': { topicKey: 'retention.ms', scale: 1, precision: 2 },
  'log.retention.bytes': { topicKey: 'retention.bytes', scale: 1, precision: 0 },
  'log.cleanup.policy': { topicKey: 'cleanup.policy', scale: 1, precision: 0 },
  'log.cleaner.delete.retention.ms': { topicKey: 'delete.retention.ms', scale: 1, precision: 0 },
  'log.cleaner.min.compaction.lag.ms': { topicKey: 'min.compaction.lag.ms', scale: 1, precision: 0 },
  'log.cleaner.max.compaction.lag.ms': { topicKey: 'max.compaction.lag.ms', scale: 1, precision: 0 },
  'log.cleaner.min.cleanable.ratio': { topicKey: 'min.cleanable.dirty.ratio', scale: 1, precision: 0 },
  'log.flush.interval.messages': { topicKey: 'flush.messages', scale: 1, precision: 0 },
  'log.flush.interval.ms': { topicKey: 'flush.ms', scale: 1, precision: 0 },
  'log.segment.delete.delay.ms': { topicKey: 'file.delete.delay.ms', scale: 1, precision: 0 },
  'message.max.bytes': { topicKey: 'max.message.bytes', scale: 1, precision: 0 },
};

export type ConfigValue = string | number | boolean | null | undefined;

function invalid(key: string, value: ConfigValue): never {
  throw new KafkaError(ErrorCode.INVALID_CONFIG, `Invalid value ${String(value)} for configuration ${key}`);
}

export function parseCleanupPolicy(value: string): CleanupPolicy {
  const parts = value
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s.length > 0);
  const policy = { delete: false, compact: false };
  for (const p of parts) {
    if (p === 'delete') policy.delete = true;
    else if (p === 'compact') policy.compact = true;
    else invalid('cleanup.policy', value);
  }
  // Kafka accepts an empty list (KIP-1106 "no cleanup"); we keep that meaning: neither deletes nor compacts.
  return policy;
}

export function formatCleanupPolicy(p: CleanupPolicy): string {
  return [p.delete ? 'delete' : '', p.compact ? 'compact' : ''].filter((s) => s).join(',');
}

function parseValue(key: string, kind: Kind, min: number | undefined, value: ConfigValue): number | CleanupPolicy {
  if (kind === 'policy') {
    if (typeof value !== 'string') invalid(key, value);
    return parseCleanupPolicy(value);
  }
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  if (!Number.isFinite(n)) invalid(key, value);
  if (kind !== 'double' && !Number.isInteger(n)) invalid(key, value);
  if (kind === 'int' && n > 2147483647) invalid(key, value);
  if (min !== undefined && n < min) invalid(key, value);
  if (kind === 'double' && key === 'min.cleanable.dirty.ratio' && n > 1) invalid(key, value);
  return n;
}

/**
 * Applies Kafka topic-level keys to a base config (defaults unless given). Unknown keys are ignored (other layers
 * own them, e.g. `compression.type`); a known key with a bad value throws KafkaError(INVALID_CONFIG).
 */
export function logConfigFromTopicProps(
  props: Readonly<Record<string, ConfigValue>>,
  base: Readonly<LogConfig> = DEFAULT_LOG_CONFIG,
): LogConfig {
  const out: LogConfig = { ...base, cleanupPolicy: { ...base.cleanupPolicy } };
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null) continue;
    const spec = TOPIC_CONFIG_KEYS[key];
    if (!spec) continue;
    (out as unknown as Record<string, unknown>)[spec.field] = parseValue(key, spec.kind, spec.min, value);
  }
  return out;
}

/** Broker `log.*` keys (server.properties) → the default LogConfig for topics without overrides. */
export function logConfigFromBrokerProps(props: Readonly<Record<string, ConfigValue>>): LogConfig {
  const chosen = new Map<string, { value: ConfigValue; precision: number }>();
  for (const [key, value] of Object.entries(props)) {
    const spec = BROKER_KEYS[key];
    if (!spec || value === undefined || value === null) continue;
    const prev = chosen.get(spec.topicKey);
    if (prev && prev.precision > spec.precision) continue;
    const scaled = spec.scale === 1 ? value : Number(value) * spec.scale;
    chosen.set(spec.topicKey, { value: scaled, precision: spec.precision });
  }
  const topicProps: Record<string, ConfigValue> = {};
  for (const [k, v] of chosen) topicProps[k] = v.value;
  return logConfigFromTopicProps(topicProps);
}

/** The Kafka-key view of a config (for DescribeConfigs). */
export function logConfigToTopicProps(cfg: Readonly<LogConfig>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, spec] of Object.entries(TOPIC_CONFIG_KEYS)) {
    const v = cfg[spec.field];
    out[key] =
      spec.kind === 'policy'
        ? formatCleanupPolicy(v as CleanupPolicy)
        : v === LONG_MAX
          ? '9223372036854775807'
          : String(v);
  }
  return out;
}

export function mergeLogConfig(base: Readonly<LogConfig>, partial?: Partial<LogConfig>): LogConfig {
  const out: LogConfig = { ...base, ...(partial ?? {}) };
  out.cleanupPolicy = { ...(partial?.cleanupPolicy ?? base.cleanupPolicy) };
  return out;
}
