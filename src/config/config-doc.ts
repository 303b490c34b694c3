// Renders docs/CONFIGURATION.md from the key tables, so the documentation cannot drift from what the broker
// accepts: scripts/gen-config-doc.ts writes it, and a unit test fails when the committed file is stale.

import { BROKER_CONFIGS, type ConfigDef, IGNORED_KAFKA_KEYS } from './definitions';
import { TOPIC_CONFIGS, type TopicConfigDef } from './topic-configs';

export const CONFIGURATION_DOC = 'docs/CONFIGURATION.md';

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function code(value: string): string {
  return value === '' ? '(empty)' : `\`${value}\``;
}

function constraints(d: { oneOf?: readonly string[]; min?: number; supportedValues?: readonly string[] }): string {
  const parts: string[] = [];
  if (d.supportedValues) parts.push(`Supported here: ${d.supportedValues.map(code).join(', ')}.`);
  else if (d.oneOf) parts.push(`One of ${d.oneOf.map(code).join(', ')}.`);
  if (d.min !== undefined) parts.push(`At least ${d.min}.`);
  return parts.join(' ');
}

function brokerRow(d: ConfigDef): string {
  const meaning = [d.doc, constraints(d), d.topicKey ? `Default of the topic key \`${d.topicKey}\`.` : ''].filter(Boolean).join(' ');
  return `| \`${d.name}\` | ${d.type} | ${d.default === null ? '—' : code(d.default)} | ${cell(meaning)} |`;
}

function topicRow(d: TopicConfigDef, brokerDefs: ReadonlyMap<string, ConfigDef>): string {
  const broker = d.brokerKey ? brokerDefs.get(d.brokerKey) : undefined;
  if (d.brokerKey && !broker) throw new Error(`topic key ${d.name}: unknown broker key ${d.brokerKey}`);
  const doc = d.doc ?? broker?.doc ?? '';
  if (doc === '') throw new Error(`topic key ${d.name} has no documentation`);
  const dflt = d.fixedDefault !== undefined ? code(d.fixedDefault) : `broker's \`${d.brokerKey}\``;
  return `| \`${d.name}\` | ${d.type} | ${dflt} | ${cell([doc, constraints(d)].filter(Boolean).join(' '))} |`;
}

export function renderConfigurationDoc(): string {
  const brokerDefs = new Map(BROKER_CONFIGS.map((d) => [d.name, d]));
  return [
    '# Configuration',
    '',
    '<!-- Generated from src/config/definitions.ts and src/config/topic-configs.ts by `npm run gen:config-doc`. -->',
    '<!-- Do not edit by hand: a unit test fails when this file is stale. -->',
    '',
    'The broker reads a `server.properties` file with Apache Kafka\'s key names, then `--override key=value` entries',
    '(see the README). An unknown key, or a value of the wrong type or out of range, stops the start with one line',
    'naming it. `--log-level` on the command line overrides `log.level`.',
    '',
    '## Broker keys',
    '',
    '| key | type | default | meaning |',
    '|---|---|---|---|',
    ...BROKER_CONFIGS.map(brokerRow),
    '',
    '## Topic keys',
    '',
    'Set per topic with CreateTopics, AlterConfigs or IncrementalAlterConfigs. A topic without its own value takes the',
    'default shown: the value of a broker key, or a fixed default.',
    '',
    '| key | type | default | meaning |',
    '|---|---|---|---|',
    ...TOPIC_CONFIGS.map((d) => topicRow(d, brokerDefs)),
    '',
    '## Accepted and ignored',
    '',
    'These keys of Apache Kafka\'s stock `server.properties` tune machinery this broker does not have (thread pools,',
    'socket buffers, ZooKeeper). They are accepted, so an existing file keeps working, and logged as ignored at start.',
    '',
    ...IGNORED_KAFKA_KEYS.map((k) => `- \`${k}\``),
    '',
  ].join('\n');
}
