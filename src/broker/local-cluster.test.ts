import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BrokerConfig } from '../config/broker-config';
import { quorumSettings } from '../kraft/quorum-config';
import { clusterNodeOverrides, clusterNodes } from './local-cluster';
import { quorumClusterId } from './quorum-member';
import { formatStorage, StorageError } from './storage-format';

describe('local cluster settings', () => {
  test('three nodes: consecutive ports, every node a voter, RF 3 and min ISR 2', () => {
    const specs = clusterNodes(3, 9092);
    expect(specs).toEqual([
      { nodeId: 1, clientPort: 9092, controllerPort: 19092 },
      { nodeId: 2, clientPort: 9093, controllerPort: 19093 },
      { nodeId: 3, clientPort: 9094, controllerPort: 19094 },
    ]);
    const o = clusterNodeOverrides(specs[1]!, specs, '/d/node-2');
    const config = BrokerConfig.load({ overrides: Object.entries(o).map(([k, v]) => `${k}=${v}`) });
    expect(config.nodeId).toBe(2);
    expect(config.clientListeners.map((l) => l.port)).toEqual([9093]);
    expect([...quorumSettings(config).voters]).toEqual([
      [1, { host: '127.0.0.1', port: 19092 }],
      [2, { host: '127.0.0.1', port: 19093 }],
      [3, { host: '127.0.0.1', port: 19094 }],
    ]);
    expect(config.num('default.replication.factor')).toBe(3);
    expect(config.num('min.insync.replicas')).toBe(2);
    expect(config.num('offsets.topic.replication.factor')).toBe(3);
    expect(config.num('transaction.state.log.replication.factor')).toBe(3);
  });

  test('fewer nodes cap the replication factor and keep one node failure writable', () => {
    const two = clusterNodes(2, 9092);
    const o = clusterNodeOverrides(two[0]!, two, '/d');
    expect([o['default.replication.factor'], o['min.insync.replicas'], o['transaction.state.log.min.isr']]).toEqual(['2', '1', '1']);
  });
});

describe('quorum storage', () => {
  test('a quorum node refuses unformatted storage and keeps the formatted cluster id', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nk-quorum-fmt-'));
    expect(() => quorumClusterId([dir], 1)).toThrow(StorageError);
    formatStorage([dir], 1, 'AAAAAAAAAAAAAAAAAAAAAQ');
    const extra = path.join(dir, 'second');
    expect(quorumClusterId([dir, extra], 1)).toBe('AAAAAAAAAAAAAAAAAAAAAQ');
    expect(fs.readFileSync(path.join(extra, 'meta.properties'), 'utf8')).toContain('cluster.id=AAAAAAAAAAAAAAAAAAAAAQ');
    expect(() => quorumClusterId([dir], 2)).toThrow(StorageError);
  });

  test('a controller-only node needs no client listener', () => {
    const config = BrokerConfig.load({
      overrides: ['process.roles=controller', 'listeners=CONTROLLER://127.0.0.1:19092', 'controller.quorum.voters=1@127.0.0.1:19092'],
    });
    expect(config.clientListeners).toEqual([]);
    expect(() => BrokerConfig.load({ overrides: ['process.roles=broker', 'listeners=CONTROLLER://127.0.0.1:19092'] })).toThrow(/client listener/);
  });
});
