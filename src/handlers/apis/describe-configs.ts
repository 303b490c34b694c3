// DescribeConfigs (key 32), v1-4. Served from the metadata image and this broker's configuration.
//   v1: config sources and synonyms (includeSynonyms). v2: same as v1 (throttling before the response).
//   v3: includeDocumentation, configType per entry. v4: flexible encoding.
// v0 (isDefault instead of a source) is not offered.
//
// Resources:
//   TOPIC (2): every topic-level key with its effective value and source (topic override, static broker key,
//     default). Invalid names get INVALID_TOPIC_EXCEPTION, unknown topics UNKNOWN_TOPIC_OR_PARTITION.
//   BROKER (4) named with this node's id: every broker key; the value is the dynamic per-broker override, else the
//     dynamic cluster default, else the static (server.properties) value, else the key's default.
//   BROKER (4) named "": as in Kafka, only the dynamic cluster-wide defaults that are set.
//   BROKER (4) naming another node, BROKER_LOGGER (8) and every other type: INVALID_REQUEST.
// configurationKeys null or empty lists every key; otherwise only the named keys (unknown names are left out, as
// Kafka does). Synonyms follow Kafka's order and rules (see configSynonyms below).

import { DescribeConfigsApi } from '../../wire/generated/apis';
import type {
  DescribeConfigsRequest,
  DescribeConfigsRequestDescribeConfigsResource as Resource,
} from '../../wire/generated/messages/DescribeConfigsRequest';
import type {
  DescribeConfigsResponse,
  DescribeConfigsResponseDescribeConfigsResult,
  DescribeConfigsResponseDescribeConfigsResourceResult as ConfigEntry,
  DescribeConfigsResponseDescribeConfigsSynonym as Synonym,
} from '../../wire/generated/messages/DescribeConfigsResponse';
import { ErrorCode } from '../../wire/errors';
import { ResourceType } from '../../kraft/metadata/image';
import { topicNameError } from '../../kraft/controller/topic-validation';
import { BROKER_CONFIGS, type ConfigType } from '../../config/definitions';
import { configDef } from '../../config/broker-config';
import { ConfigSource, effectiveTopicConfigs, topicConfigDef } from '../../config/topic-configs';
import { defineHandler } from '../define';
import type { BrokerContext, RequestContext } from '../types';

/** Kafka's DescribeConfigsResponse.ConfigType ids. */
const CONFIG_TYPE_ID: Record<ConfigType, number> = {
  boolean: 1,
  string: 2,
  int: 3,
  short: 4,
  long: 5,
  double: 6,
  list: 7,
  password: 9,
};
const CONFIG_TYPE_UNKNOWN = 0;

/**
 * Broker keys that stand in for one another, most specific first (Kafka's broker config synonyms restricted to
 * the keys this broker defines): e.g. retention comes from log.retention.ms, else minutes, else hours.
 */
const BROKER_KEY_SYNONYMS: Readonly<Record<string, readonly string[]>> = {
  'log.retention.ms': ['log.retention.ms', 'log.retention.minutes', 'log.retention.hours'],
  'log.roll.ms': ['log.roll.ms', 'log.roll.hours'],
};

function brokerKeySynonyms(name: string): readonly string[] {
  return BROKER_KEY_SYNONYMS[name] ?? [name];
}

/** Where broker-level values come from, by layer, as DescribeConfigs reports them. */
interface BrokerLayers {
  /** Dynamic per-broker overrides of this node (BROKER resource named with the node id). */
  perBroker: ReadonlyMap<string, string>;
  /** Dynamic cluster-wide defaults (BROKER resource named ""). */
  clusterDefault: ReadonlyMap<string, string>;
  staticValue(name: string): string | undefined;
  defaultValue(name: string): string | undefined;
}

function brokerLayers(broker: BrokerContext): BrokerLayers {
  return {
    perBroker: broker.image.resourceConfig(ResourceType.BROKER, String(broker.nodeId)),
    clusterDefault: broker.image.resourceConfig(ResourceType.BROKER, ''),
    staticValue: (name) => broker.config.explicit.get(name),
    defaultValue: (name) => configDef(name)?.default ?? undefined,
  };
}

/**
 * Kafka's synonym list for a broker key: every layer in precedence order (dynamic per-broker, dynamic default,
 * static, default), each layer listing the key's synonyms that are set there. As Kafka does, entries before the
 * first one naming `name` itself are dropped, so a key is never described by a less specific synonym alone (e.g.
 * log.retention.ms shows no synonyms when only log.retention.hours is set).
 */
function configSynonyms(
  name: string,
  layers: BrokerLayers,
  include: { dynamic: boolean },
  sensitive: boolean,
): Synonym[] {
  const names = brokerKeySynonyms(name);
  const out: Synonym[] = [];
  const add = (lookup: (n: string) => string | undefined, source: number) => {
    for (const n of names) {
      const v = lookup(n);
      if (v !== undefined) out.push({ name: n, value: sensitive ? null : v, source });
    }
  };
  if (include.dynamic) {
    add((n) => layers.perBroker.get(n), ConfigSource.DYNAMIC_BROKER_CONFIG);
    add((n) => layers.clusterDefault.get(n), ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG);
  }
  add(layers.staticValue, ConfigSource.STATIC_BROKER_CONFIG);
  add(layers.defaultValue, ConfigSource.DEFAULT_CONFIG);
  const first = out.findIndex((s) => s.name === name);
  return first < 0 ? [] : out.slice(first);
}

interface DescribeOptions {
  includeSynonyms: boolean;
  includeDocumentation: boolean;
}

function wanted(keys: string[] | null): (name: string) => boolean {
  if (keys === null || keys.length === 0) return () => true;
  const set = new Set(keys);
  return (name) => set.has(name);
}

/** Every topic-level key of `topic` with its effective value and source. */
export function describeTopicConfigs(
  topic: string,
  broker: BrokerContext,
  keys: string[] | null,
  opts: DescribeOptions,
): ConfigEntry[] {
  const overrides = broker.image.topicConfig(topic);
  const layers = brokerLayers(broker);
  const include = wanted(keys);
  return effectiveTopicConfigs(overrides, broker.config)
    .filter((c) => include(c.name))
    .map((c) => {
      const def = topicConfigDef(c.name);
      const sensitive = def?.type === 'password';
      const brokerDef = def?.brokerKey !== undefined ? configDef(def.brokerKey) : undefined;
      let synonyms: Synonym[] = [];
      if (opts.includeSynonyms) {
        const own = overrides.get(c.name);
        if (own !== undefined) synonyms.push({ name: c.name, value: sensitive ? null : own, source: ConfigSource.DYNAMIC_TOPIC_CONFIG });
        // Dynamic broker overrides are stored by the controller but not applied to topic defaults by this broker
        // (effectiveTopicConfigs reads only the static configuration), so they are not synonyms of the value shown.
        if (brokerDef) synonyms = synonyms.concat(configSynonyms(brokerDef.name, layers, { dynamic: false }, sensitive));
      }
      return {
        name: c.name,
        value: sensitive ? null : c.value,
        readOnly: false,
        isDefault: c.source === ConfigSource.DEFAULT_CONFIG,
        configSource: c.source,
        isSensitive: sensitive,
        synonyms,
        configType: def ? CONFIG_TYPE_ID[def.type] : CONFIG_TYPE_UNKNOWN,
        // Topic keys carry no text of their own; the broker key they default from describes the same setting.
        documentation: opts.includeDocumentation ? (brokerDef?.doc ?? null) : null,
      };
    });
}

function brokerEntry(
  name: string,
  value: string | null,
  layers: BrokerLayers,
  perBroker: boolean,
  opts: DescribeOptions,
): ConfigEntry {
  const def = configDef(name);
  const sensitive = def?.type === 'password';
  let all = configSynonyms(name, layers, { dynamic: true }, sensitive);
  // The cluster-default resource describes only that layer.
  if (!perBroker) all = all.filter((s) => s.source === ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG);
  const source = all[0]?.source ?? ConfigSource.DEFAULT_CONFIG;
  return {
    name,
    value: sensitive ? null : value,
    readOnly: !def?.dynamic,
    isDefault: source === ConfigSource.DEFAULT_CONFIG,
    configSource: source,
    isSensitive: sensitive,
    synonyms: opts.includeSynonyms ? all : [],
    configType: def ? CONFIG_TYPE_ID[def.type] : CONFIG_TYPE_UNKNOWN,
    documentation: opts.includeDocumentation ? (def?.doc ?? null) : null,
  };
}

/** This node's broker keys: every defined key, with dynamic overrides taking precedence over the static value. */
function describeThisBroker(broker: BrokerContext, keys: string[] | null, opts: DescribeOptions): ConfigEntry[] {
  const layers = brokerLayers(broker);
  const include = wanted(keys);
  return BROKER_CONFIGS.filter((d) => include(d.name)).map((d) => {
    const value = layers.perBroker.get(d.name) ?? layers.clusterDefault.get(d.name) ?? broker.config.raw(d.name);
    return brokerEntry(d.name, value, layers, true, opts);
  });
}

/** The dynamic cluster-wide defaults, as Kafka describes the BROKER resource named "". */
function describeClusterDefaults(broker: BrokerContext, keys: string[] | null, opts: DescribeOptions): ConfigEntry[] {
  const layers = brokerLayers(broker);
  const include = wanted(keys);
  return [...layers.clusterDefault.entries()]
    .filter(([name]) => include(name))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => brokerEntry(name, value, layers, false, opts));
}

function result(
  res: Resource,
  errorCode: number,
  errorMessage: string | null,
  configs: ConfigEntry[] = [],
): DescribeConfigsResponseDescribeConfigsResult {
  return { errorCode, errorMessage, resourceType: res.resourceType, resourceName: res.resourceName, configs };
}

function describeResource(res: Resource, broker: BrokerContext, opts: DescribeOptions): DescribeConfigsResponseDescribeConfigsResult {
  switch (res.resourceType) {
    case ResourceType.TOPIC: {
      const nameErr = topicNameError(res.resourceName);
      if (nameErr) return result(res, ErrorCode.INVALID_TOPIC_EXCEPTION, nameErr);
      if (!broker.image.topics.has(res.resourceName)) {
        return result(res, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic ${res.resourceName} does not exist`);
      }
      return result(res, ErrorCode.NONE, null, describeTopicConfigs(res.resourceName, broker, res.configurationKeys, opts));
    }
    case ResourceType.BROKER: {
      if (res.resourceName === '') return result(res, ErrorCode.NONE, null, describeClusterDefaults(broker, res.configurationKeys, opts));
      if (!/^-?\d+$/.test(res.resourceName)) {
        return result(res, ErrorCode.INVALID_REQUEST, `Broker id must be an integer, but it is: ${res.resourceName}`);
      }
      if (Number(res.resourceName) !== broker.nodeId) {
        const msg = `Unexpected broker id, expected ${broker.nodeId} or empty string, but received ${res.resourceName}`;
        return result(res, ErrorCode.INVALID_REQUEST, msg);
      }
      return result(res, ErrorCode.NONE, null, describeThisBroker(broker, res.configurationKeys, opts));
    }
    case ResourceType.BROKER_LOGGER:
      // Log levels are set by log.level at start-up; there are no per-logger levels to describe.
      return result(res, ErrorCode.INVALID_REQUEST, 'BROKER_LOGGER resources are not supported by this broker');
    default:
      return result(res, ErrorCode.INVALID_REQUEST, `Unsupported resource type: ${res.resourceType}`);
  }
}

function handleDescribeConfigs(req: DescribeConfigsRequest, ctx: RequestContext): DescribeConfigsResponse {
  // includeDocumentation only exists from v3; the decoder leaves it false below that.
  const opts = { includeSynonyms: req.includeSynonyms, includeDocumentation: req.includeDocumentation };
  return { throttleTimeMs: 0, results: req.resources.map((r) => describeResource(r, ctx.broker, opts)) };
}

export const describeConfigsHandler = defineHandler(DescribeConfigsApi, {
  minVersion: 1,
  maxVersion: 4,
  handle: handleDescribeConfigs,
  errorResponse: (req, errorCode) => ({ throttleTimeMs: 0, results: req.resources.map((r) => result(r, errorCode, null)) }),
});
