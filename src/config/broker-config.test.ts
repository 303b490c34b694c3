import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BrokerConfig, ConfigError, parseListener } from './broker-config';
import { parseProperties } from './properties';

test('properties: separators, comments, continuations and escapes', () => {
  const p = parseProperties('# comment\n! also\nlog.dirs=/a,\\\n  /b\nnum.partitions : 3\nlisteners PLAINTEXT://:9092\nx=a\\tb\\u0041\n');
  expect(p.get('log.dirs')).toBe('/a,/b');
  expect(p.get('num.partitions')).toBe('3');
  expect(p.get('listeners')).toBe('PLAINTEXT://:9092');
  expect(p.get('x')).toBe('a\tbA');
});

test('defaults give a single node on :9092 with data in ./data', () => {
  const c = BrokerConfig.load({});
  expect(c.nodeId).toBe(1);
  expect(c.logDirs).toEqual(['./data']);
  expect(c.listeners).toEqual([{ name: 'PLAINTEXT', host: '', port: 9092 }]);
  expect(c.advertisedListeners).toEqual([{ name: 'PLAINTEXT', host: 'localhost', port: 9092 }]);
  expect(c.retentionMs).toBe(168 * 3600_000);
  expect(c.num('message.max.bytes')).toBe(1048588);
});

test('file plus overrides, override wins; retention precision order', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cfg-'));
  const file = path.join(dir, 'server.properties');
  fs.writeFileSync(file, 'num.partitions=3\nlog.retention.hours=1\nnum.io.threads=8\n');
  const c = BrokerConfig.load({ file, overrides: ['num.partitions=6', 'log.retention.minutes=5'] });
  expect(c.num('num.partitions')).toBe(6);
  expect(c.retentionMs).toBe(5 * 60_000);
  expect(c.ignoredKeys).toEqual(['num.io.threads']);
  expect(c.topicDefaults().get('retention.ms')).toBe(String(5 * 60_000));
});

test('unknown keys and malformed values are refused with one clear message', () => {
  expect(() => BrokerConfig.load({ overrides: ['no.such.key=1'] })).toThrow(new ConfigError('unknown configuration key "no.such.key"'));
  expect(() => BrokerConfig.load({ overrides: ['num.partitions=many'] })).toThrow(/num.partitions must be an integer/);
  expect(() => BrokerConfig.load({ overrides: ['num.partitions=0'] })).toThrow(/at least 1/);
  expect(() => BrokerConfig.load({ overrides: ['auto.create.topics.enable=yes'] })).toThrow(/true or false/);
  expect(() => BrokerConfig.load({ overrides: ['listeners=localhost:9092'] })).toThrow(/NAME:\/\/host:port/);
  expect(() => BrokerConfig.load({ overrides: ['novalue'] })).toThrow(/key=value/);
  expect(() => BrokerConfig.load({ overrides: ['log.message.timestamp.type=Wallclock'] })).toThrow(/one of/);
  expect(() => BrokerConfig.load({ file: '/nonexistent/server.properties' })).toThrow(/cannot read/);
});

test('listener parsing handles empty hosts and IPv6', () => {
  expect(parseListener('PLAINTEXT://[::1]:9093')).toEqual({ name: 'PLAINTEXT', host: '::1', port: 9093 });
  expect(parseListener('internal://0.0.0.0:1')).toEqual({ name: 'INTERNAL', host: '0.0.0.0', port: 1 });
});
