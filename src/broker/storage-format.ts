// The storage format step, as `kafka-storage.sh format` does it: every log dir gets a meta.properties naming the
// cluster id and this node's id. A zero-configuration start formats empty dirs on its own; a dir formatted for
// another node or cluster is refused.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { parseProperties } from '../config/properties';

export class StorageError extends Error {
  override name = 'StorageError';
}

export interface MetaProperties {
  clusterId: string;
  nodeId: number;
  directoryId: string;
}

const FILE = 'meta.properties';

export function newClusterId(): string {
  return randomBytes(16).toString('base64url');
}

export function readMetaProperties(dir: string): MetaProperties | null {
  const file = path.join(dir, FILE);
  if (!fs.existsSync(file)) return null;
  const props = parseProperties(fs.readFileSync(file, 'utf8'));
  const clusterId = props.get('cluster.id');
  const nodeId = props.get('node.id');
  if (!clusterId || nodeId === undefined) throw new StorageError(`${file} lacks cluster.id or node.id`);
  return { clusterId, nodeId: Number(nodeId), directoryId: props.get('directory.id') ?? '' };
}

function writeMetaProperties(dir: string, meta: MetaProperties): void {
  const text = [
    '# Written by the storage format step; do not edit.',
    `cluster.id=${meta.clusterId}`,
    `directory.id=${meta.directoryId}`,
    `node.id=${meta.nodeId}`,
    'version=1',
    '',
  ].join('\n');
  const tmp = path.join(dir, `${FILE}.tmp`);
  fs.writeFileSync(tmp, text);
  const fd = fs.openSync(tmp, 'r');
  fs.fsyncSync(fd);
  fs.closeSync(fd);
  fs.renameSync(tmp, path.join(dir, FILE));
}

/** Makes each dir exist and be writable; throws StorageError with one clear sentence otherwise. */
export function ensureDirsUsable(dirs: string[]): void {
  for (const dir of dirs) {
    try {
      fs.mkdirSync(dir, { recursive: true });
      fs.accessSync(dir, fs.constants.W_OK | fs.constants.R_OK);
    } catch (e) {
      throw new StorageError(`data directory ${dir} is not usable: ${(e as Error).message}`);
    }
    if (!fs.statSync(dir).isDirectory()) throw new StorageError(`data directory ${dir} is not a directory`);
  }
}

/**
 * Formats the dirs that are not formatted yet and checks the others agree. Returns the cluster id.
 * `clusterId` forces the id (the `format` command's --cluster-id); otherwise an existing one is kept or a new
 * one made.
 */
export function formatStorage(dirs: string[], nodeId: number, clusterId?: string): string {
  ensureDirsUsable(dirs);
  const existing = dirs.map((d) => ({ dir: d, meta: readMetaProperties(d) }));
  const cluster = clusterId ?? existing.find((e) => e.meta)?.meta?.clusterId ?? newClusterId();
  for (const { dir, meta } of existing) {
    if (!meta) continue;
    if (meta.clusterId !== cluster) {
      throw new StorageError(`${dir} belongs to cluster ${meta.clusterId}, not ${cluster}`);
    }
    if (meta.nodeId !== nodeId) {
      throw new StorageError(`${dir} was formatted for node.id ${meta.nodeId}, but this node is ${nodeId}`);
    }
  }
  for (const { dir, meta } of existing) {
    if (!meta) writeMetaProperties(dir, { clusterId: cluster, nodeId, directoryId: randomBytes(16).toString('base64url') });
  }
  return cluster;
}
