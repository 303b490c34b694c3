// `cluster`: a local multi-node cluster in one command. N broker processes in combined mode (broker + controller,
// every node a voter) on consecutive client ports, controller listeners 10000 ports higher, one data dir each,
// all formatted with one shared cluster id. Replication factors follow the node count (up to 3), so a 3-node
// cluster survives the loss of any one node with acks=all producers still writing.
//
// The processes are this same CLI started as children (exactly what a user would run by hand); their logs go to
// <dir>/node-<id>/broker.log so the terminal shows only the cluster's state. SIGINT/SIGTERM stop every child with
// SIGTERM (a controlled shutdown each) and exit 0 once all have exited.

import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatStorage, newClusterId, readMetaProperties } from './storage-format';

export interface LocalClusterOptions {
  nodes: number;
  basePort: number;
  dir: string;
  host?: string;
  /** Extra key=value settings for every node. */
  overrides?: string[];
}

/** Controller listeners sit this far above the client ports. */
export const CONTROLLER_PORT_OFFSET = 10_000;

export interface ClusterNodeSpec {
  nodeId: number;
  clientPort: number;
  controllerPort: number;
}

/** Node ids 1..n with their ports. */
export function clusterNodes(nodes: number, basePort: number, controllerBasePort = basePort + CONTROLLER_PORT_OFFSET): ClusterNodeSpec[] {
  return Array.from({ length: nodes }, (_, i) => ({ nodeId: i + 1, clientPort: basePort + i, controllerPort: controllerBasePort + i }));
}

/**
 * The settings of one combined-mode node of an n-node cluster. min.insync.replicas is 2 from RF 3 on (one node
 * may fail without refusing acks=all writes), else 1 (a 2-node cluster with min ISR 2 could not lose any node).
 */
export function clusterNodeOverrides(self: ClusterNodeSpec, all: ClusterNodeSpec[], dataDir: string, host = '127.0.0.1'): Record<string, string> {
  const rf = Math.min(3, all.length);
  const minIsr = rf >= 3 ? 2 : 1;
  return {
    'node.id': String(self.nodeId),
    'process.roles': 'broker,controller',
    listeners: `PLAINTEXT://${host}:${self.clientPort},CONTROLLER://${host}:${self.controllerPort}`,
    'advertised.listeners': `PLAINTEXT://${host}:${self.clientPort}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'controller.quorum.voters': all.map((n) => `${n.nodeId}@${host}:${n.controllerPort}`).join(','),
    'log.dirs': dataDir,
    'default.replication.factor': String(rf),
    'min.insync.replicas': String(minIsr),
    'offsets.topic.replication.factor': String(rf),
    'transaction.state.log.replication.factor': String(rf),
    'transaction.state.log.min.isr': String(minIsr),
  };
}

/** The cluster id already in <dir> (a restarted cluster keeps its data), else a new one. */
function clusterIdFor(dirs: string[]): string {
  for (const d of dirs) {
    const meta = fs.existsSync(d) ? readMetaProperties(d) : null;
    if (meta) return meta.clusterId;
  }
  return newClusterId();
}

interface Child {
  nodeId: number;
  /** Size of its log file before it started (the file is appended to across restarts). */
  logStart: number;
  proc: ChildProcess;
  exited: Promise<number | null>;
}

/** Starts the cluster and runs until a signal stops it. */
export async function runLocalCluster(opts: LocalClusterOptions, cli: string): Promise<void> {
  if (!Number.isInteger(opts.nodes) || opts.nodes < 1) throw new Error('--nodes must be a positive integer');
  const host = opts.host ?? '127.0.0.1';
  const specs = clusterNodes(opts.nodes, opts.basePort);
  const dirs = specs.map((s) => path.resolve(opts.dir, `node-${s.nodeId}`));
  const clusterId = clusterIdFor(dirs);
  specs.forEach((s, i) => formatStorage([dirs[i]!], s.nodeId, clusterId));

  const children: Child[] = specs.map((s, i) => {
    const settings = clusterNodeOverrides(s, specs, dirs[i]!, host);
    const args = [cli, 'start'];
    for (const [k, v] of Object.entries(settings)) args.push('--override', `${k}=${v}`);
    for (const o of opts.overrides ?? []) args.push('--override', o);
    const logFile = path.join(dirs[i]!, 'broker.log');
    const logStart = fs.existsSync(logFile) ? fs.statSync(logFile).size : 0;
    const out = fs.openSync(logFile, 'a');
    // detached: a Ctrl-C in the terminal reaches only this process, which then stops the nodes in order.
    // The nodes run with this process's Node flags, so `node --cpu-prof cli.js cluster` profiles every node.
    const proc = spawn(process.execPath, [...process.execArgv, ...args], { stdio: ['ignore', out, out], detached: true });
    fs.closeSync(out);
    const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
    return { nodeId: s.nodeId, logStart, proc, exited };
  });

  let stopping = false;
  const stopAll = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`${signal}: stopping ${children.length} nodes\n`);
    for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGTERM');
    await Promise.all(children.map((c) => c.exited));
    process.stdout.write('cluster stopped\n');
    process.exit(0);
  };
  process.on('SIGINT', () => void stopAll('SIGINT'));
  process.on('SIGTERM', () => void stopAll('SIGTERM'));
  for (const c of children) {
    void c.exited.then((code) => {
      if (!stopping) process.stdout.write(`node ${c.nodeId} exited with ${code ?? c.proc.signalCode}; see ${dirs[c.nodeId - 1]}/broker.log\n`);
    });
  }

  process.stdout.write(`cluster ${clusterId}: ${opts.nodes} nodes, data in ${path.resolve(opts.dir)}\n`);
  for (const s of specs) process.stdout.write(`  node ${s.nodeId}: client ${host}:${s.clientPort}, controller ${host}:${s.controllerPort}\n`);
  await Promise.all(specs.map((s, i) => waitStarted(path.join(dirs[i]!, 'broker.log'), children[i]!)));
  if (stopping) return;
  process.stdout.write(`bootstrap servers: ${specs.map((s) => `${host}:${s.clientPort}`).join(',')}\n`);
}

/** Resolves when the node's log says "broker started" (or it exits). */
async function waitStarted(logFile: string, child: Child): Promise<void> {
  let exited = false;
  void child.exited.then(() => (exited = true));
  for (;;) {
    const text = fs.existsSync(logFile) ? fs.readFileSync(logFile).subarray(child.logStart).toString('utf8') : '';
    if (text.includes('"msg":"broker started"')) return;
    if (exited) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}
