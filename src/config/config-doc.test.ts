import * as fs from 'node:fs';
import * as path from 'node:path';
import { CONFIGURATION_DOC, renderConfigurationDoc } from './config-doc';
import { BROKER_CONFIGS, IGNORED_KAFKA_KEYS } from './definitions';
import { TOPIC_CONFIGS } from './topic-configs';

const doc = renderConfigurationDoc();

test(`${CONFIGURATION_DOC} is up to date with the key tables (regenerate: npm run gen:config-doc)`, () => {
  const committed = fs.readFileSync(path.resolve(__dirname, '../..', CONFIGURATION_DOC), 'utf8');
  expect(committed).toBe(doc);
});

test('every broker, topic and ignored key is documented', () => {
  for (const d of BROKER_CONFIGS) expect(doc).toContain(`| \`${d.name}\` | ${d.type} |`);
  for (const d of TOPIC_CONFIGS) expect(doc).toContain(`| \`${d.name}\` | ${d.type} |`);
  for (const k of IGNORED_KAFKA_KEYS) expect(doc).toContain(`- \`${k}\``);
});

test('a topic key names its broker default key; a broker key names the topic key it defaults', () => {
  expect(doc).toMatch(/\| `retention\.ms` \| long \| broker's `log\.retention\.ms` \| Time to keep a closed segment/);
  expect(doc).toMatch(/\| `log\.retention\.ms` \| long \| — \| .*Default of the topic key `retention\.ms`\. \|/);
  expect(doc).toMatch(/\| `compression\.type` \| string \| `producer` \| .*Supported here: `producer`\. \|/);
});
