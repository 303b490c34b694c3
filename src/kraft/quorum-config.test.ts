// controller.quorum.* settings as server.properties gives them.

import { BrokerConfig, ConfigError } from '../config/broker-config';
import { parseVoters, quorumSettings } from './quorum-config';

test('voters are id@host:port entries (IPv6 in brackets); malformed or repeated ones are refused', () => {
  expect([...parseVoters(['1@c1:9093', '2@[::1]:9094', ' 3@10.0.0.3:9095 '])]).toEqual([
    [1, { host: 'c1', port: 9093 }],
    [2, { host: '::1', port: 9094 }],
    [3, { host: '10.0.0.3', port: 9095 }],
  ]);
  expect(() => parseVoters(['c1:9093'])).toThrow(ConfigError);
  expect(() => parseVoters(['1@c1:99999'])).toThrow(/invalid port/);
  expect(() => parseVoters(['1@a:1', '1@b:2'])).toThrow(/twice/);
});

test('timeouts come from controller.quorum.* with Kafka defaults; bootstrap servers alone are refused', () => {
  const cfg = BrokerConfig.load({ values: { 'controller.quorum.voters': '1@a:9093,2@b:9093,3@c:9093', 'controller.quorum.fetch.timeout.ms': 3000 } });
  const s = quorumSettings(cfg);
  expect([...s.voters.keys()]).toEqual([1, 2, 3]);
  expect(s.raft).toEqual({ electionTimeoutMs: 1000, electionBackoffMaxMs: 1000, fetchTimeoutMs: 3000, requestTimeoutMs: 2000, retryBackoffMs: 20 });
  expect(s.controllerListenerNames).toEqual(['CONTROLLER']);
  expect(s.snapshotMaxBytes).toBe(20 * 1024 * 1024);
  expect(quorumSettings(BrokerConfig.load({ values: {} })).voters.size).toBe(0);
  expect(() => quorumSettings(BrokerConfig.load({ values: { 'controller.quorum.bootstrap.servers': 'a:9093' } }))).toThrow(/not supported/);
});
