// A multi-node cluster of real broker processes in combined mode (broker + controller), each with its own data dir
// and free ports, formatted with one cluster id through the CLI's `format --cluster-id`, as an operator would.
// Nodes can be SIGKILLed and restarted with the same settings; the active controller is found by DescribeQuorum on
// the controller listeners (only the quorum leader answers it without an error there).

import { execFileSync } from 'node:child_process';
import * as net from 'node:net';
import { clusterNodeOverrides, type ClusterNodeSpec } from '../../src/broker/local-cluster';
import { newClusterId } from '../../src/broker/storage-format';
import { ErrorCode } from '../../src/wire/errors';
import type { DescribeQuorumResponse } from '../../src/wire/generated/messages/DescribeQuorumResponse';
import { RawClient } from './raw-client';
import { CLI, startBroker, tempDir, type BrokerProcess } from './broker-process';

const DESCRIBE_QUORUM = 55;

/** Ports that were free a moment ago (the OS picks them; closed again before use). */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, () => new Promise<net.Server>((resolve) => {
      const s = net.createServer();
      s.listen(0, '127.0.0.1', () => resolve(s));
    })),
  );
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

export interface ClusterNode extends ClusterNodeSpec {
  readonly dataDir: string;
  readonly overrides: Record<string, string>;
  proc: BrokerProcess | null;
}

export class TestCluster {
  private constructor(
    readonly clusterId: string,
    readonly nodes: ClusterNode[],
  ) {}

  /** Formats and starts n combined nodes at once (a quorum needs a majority up to elect its first leader). */
  static async start(n = 3, extra: Record<string, string | number> = {}): Promise<TestCluster> {
    const ports = await freePorts(2 * n);
    const specs: ClusterNodeSpec[] = Array.from({ length: n }, (_, i) => ({ nodeId: i + 1, clientPort: ports[i]!, controllerPort: ports[n + i]! }));
    const clusterId = newClusterId();
    const nodes: ClusterNode[] = specs.map((s) => {
      const dataDir = tempDir(`nk-cluster-${s.nodeId}-`);
      const overrides: Record<string, string> = {
        ...clusterNodeOverrides(s, specs, dataDir),
        // Fast failure detection for tests: a dead broker is fenced within a second and a half.
        'broker.heartbeat.interval.ms': '500',
        'broker.session.timeout.ms': '1500',
        'group.initial.rebalance.delay.ms': '0',
        'offsets.topic.num.partitions': '3',
        ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, String(v)])),
      };
      const args = [CLI, 'format', '--cluster-id', clusterId];
      for (const [k, v] of Object.entries(overrides)) args.push('--override', `${k}=${v}`);
      execFileSync(process.execPath, args, { stdio: 'pipe' });
      return { ...s, dataDir, overrides, proc: null };
    });
    const cluster = new TestCluster(clusterId, nodes);
    try {
      await Promise.all(nodes.map((x) => cluster.startNode(x.nodeId)));
    } catch (e) {
      await cluster.stop();
      throw e;
    }
    return cluster;
  }

  node(id: number): ClusterNode {
    return this.nodes.find((n) => n.nodeId === id)!;
  }

  get live(): ClusterNode[] {
    return this.nodes.filter((n) => n.proc !== null);
  }

  /** Bootstrap list of the running nodes. */
  bootstrap(): string[] {
    return this.live.map((n) => `127.0.0.1:${n.clientPort}`);
  }

  async startNode(id: number): Promise<BrokerProcess> {
    const n = this.node(id);
    n.proc = await startBroker({ dataDir: n.dataDir, port: n.clientPort, overrides: n.overrides });
    return n.proc;
  }

  async kill(id: number): Promise<void> {
    const n = this.node(id);
    await n.proc?.kill();
    n.proc = null;
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map(async (n) => {
      await n.proc?.stop();
      n.proc = null;
    }));
  }

  /** The quorum leader as a live controller that is the leader says (null while there is none). */
  async activeController(): Promise<{ leaderId: number; epoch: number } | null> {
    for (const n of this.live) {
      const r = await describeQuorum(n.controllerPort).catch(() => null);
      const p = r?.topics[0]?.partitions[0];
      if (r && r.errorCode === ErrorCode.NONE && p && p.errorCode === ErrorCode.NONE && p.leaderId === n.nodeId) {
        return { leaderId: p.leaderId, epoch: p.leaderEpoch };
      }
    }
    return null;
  }

  /** Polls until `check` yields a value (not null/undefined/false) or the time is up. */
  static async waitFor<T>(what: string, check: () => Promise<T | null | undefined | false>, timeoutMs = 15_000, everyMs = 50): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = await check().catch(() => null);
      if (v !== null && v !== undefined && v !== false) return v;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, everyMs));
    }
  }
}

/** DescribeQuorum v0 of __cluster_metadata-0, sent to a controller listener. */
export async function describeQuorum(controllerPort: number, timeoutMs = 2000): Promise<DescribeQuorumResponse | null> {
  const c = await RawClient.connect(controllerPort);
  try {
    c.write(RawClient.frame(DESCRIBE_QUORUM, 0, 1, { topics: [{ topicName: '__cluster_metadata', partitions: [{ partitionIndex: 0 }] }] }));
    const frame = await c.next(timeoutMs);
    return frame === null ? null : RawClient.decode<DescribeQuorumResponse>(DESCRIBE_QUORUM, 0, frame).body;
  } finally {
    c.socket.destroy();
  }
}
