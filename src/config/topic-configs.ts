// Topic-level configuration keys (as CreateTopics, AlterConfigs and DescribeConfigs name them), their types and
// where their defaults come from. A topic's effective config is: its own overrides, else the broker's key.

import type { BrokerConfig } from './broker-config';
import { ConfigDef, ConfigType } from './definitions';
import { validateValue } from './broker-config';

export interface TopicConfigDef {
  name: string;
  type: ConfigType;
  /** Broker key supplying the default, or a fixed default. */
  brokerKey?: string;
  fixedDefault?: string;
  oneOf?: readonly string[];
  min?: number;
  /** Only these values are supported by this broker (others are refused with INVALID_CONFIG, not ignored). */
  supportedValues?: readonly string[];
  /** Meaning, for keys without a broker key (the others share the broker key's doc). */
  doc?: string;
}

export const TOPIC_CONFIGS: readonly TopicConfigDef[] = [
  { name: 'cleanup.policy', type: 'list', brokerKey: 'log.cleanup.policy' },
  { name: 'retention.ms', type: 'long', brokerKey: 'log.retention.ms', min: -1 },
  { name: 'retention.bytes', type: 'long', brokerKey: 'log.retention.bytes', min: -1 },
  { name: 'segment.bytes', type: 'int', brokerKey: 'log.segment.bytes', min: 14 },
  { name: 'segment.ms', type: 'long', brokerKey: 'log.roll.ms', min: 1 },
  { name: 'segment.index.bytes', type: 'int', brokerKey: 'log.index.size.max.bytes', min: 4 },
  { name: 'index.interval.bytes', type: 'int', brokerKey: 'log.index.interval.bytes', min: 0 },
  { name: 'delete.retention.ms', type: 'long', brokerKey: 'log.cleaner.delete.retention.ms', min: 0 },
  { name: 'min.compaction.lag.ms', type: 'long', brokerKey: 'log.cleaner.min.compaction.lag.ms', min: 0 },
  {
    name: 'max.compaction.lag.ms',
    type: 'long',
    fixedDefault: '9223372036854775807',
    min: 1,
    doc: 'Longest time a record may stay uncompacted.',
  },
  { name: 'min.cleanable.dirty.ratio', type: 'double', brokerKey: 'log.cleaner.min.cleanable.ratio', min: 0 },
  { name: 'flush.messages', type: 'long', brokerKey: 'log.flush.interval.messages', min: 1 },
  { name: 'flush.ms', type: 'long', brokerKey: 'log.flush.interval.ms', min: 0 },
  { name: 'max.message.bytes', type: 'int', brokerKey: 'message.max.bytes', min: 0 },
  { name: 'message.timestamp.type', type: 'string', brokerKey: 'log.message.timestamp.type', oneOf: ['CreateTime', 'LogAppendTime'] },
  { name: 'min.insync.replicas', type: 'int', brokerKey: 'min.insync.replicas', min: 1 },
  { name: 'unclean.leader.election.enable', type: 'boolean', brokerKey: 'unclean.leader.election.enable' },
  { name: 'file.delete.delay.ms', type: 'long', brokerKey: 'log.segment.delete.delay.ms', min: 0 },
  {
    name: 'compression.type',
    type: 'string',
    fixedDefault: 'producer',
    doc: 'Compression of stored batches; producer keeps what the producer sent.',
    oneOf: ['uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'],
    // Batches are stored as the producer compressed them; recompression on the broker is not implemented.
    supportedValues: ['producer'],
  },
  { name: 'preallocate', type: 'boolean', fixedDefault: 'false', supportedValues: ['false'], doc: 'Preallocate segment files on disk.' },
];

const DEFS = new Map(TOPIC_CONFIGS.map((d) => [d.name, d]));

export function topicConfigDef(name: string): TopicConfigDef | undefined {
  return DEFS.get(name);
}

/** Returns an error message when `name=value` is not a valid topic config here, else null. */
export function validateTopicConfig(name: string, value: string | null): string | null {
  const def = DEFS.get(name);
  if (!def) return `Unknown topic config name: ${name}`;
  if (value === null) return null;
  const asDef: ConfigDef = { name, type: def.type, default: null, doc: '', oneOf: def.oneOf, min: def.min };
  const err = validateValue(asDef, value);
  if (err) return `Invalid value ${value} for configuration ${name}: ${err}`;
  if (name === 'cleanup.policy') {
    for (const p of value.split(',').map((s) => s.trim())) {
      if (p !== 'delete' && p !== 'compact') return `Invalid value ${value} for configuration cleanup.policy`;
    }
  }
  if (def.supportedValues && !def.supportedValues.includes(value.trim())) {
    return `${name}=${value} is not supported by this broker (supported: ${def.supportedValues.join(', ')})`;
  }
  return null;
}

/** The default of a topic key given the broker's configuration. */
export function topicConfigDefault(name: string, broker: BrokerConfig): string | null {
  const def = DEFS.get(name);
  if (!def) return null;
  if (def.fixedDefault !== undefined) return def.fixedDefault;
  return broker.topicDefaults().get(name) ?? null;
}

/** Effective value and where it came from, for DescribeConfigs. */
export interface EffectiveConfig {
  name: string;
  value: string | null;
  /** DescribeConfigs ConfigSource: 1 topic, 4 static broker, 5 default. */
  source: number;
  isDefault: boolean;
}

export const ConfigSource = {
  UNKNOWN: 0,
  DYNAMIC_TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
} as const;

export function effectiveTopicConfigs(overrides: ReadonlyMap<string, string>, broker: BrokerConfig): EffectiveConfig[] {
  return TOPIC_CONFIGS.map((def) => {
    const own = overrides.get(def.name);
    if (own !== undefined) return { name: def.name, value: own, source: ConfigSource.DYNAMIC_TOPIC_CONFIG, isDefault: false };
    const fromBroker = def.brokerKey !== undefined && broker.isExplicit(def.brokerKey);
    return {
      name: def.name,
      value: topicConfigDefault(def.name, broker),
      source: fromBroker ? ConfigSource.STATIC_BROKER_CONFIG : ConfigSource.DEFAULT_CONFIG,
      isDefault: !fromBroker,
    };
  });
}
