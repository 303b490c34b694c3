// The quorum settings of server.properties: who the voters are and where their controller listeners are
// (controller.quorum.voters, `id@host:port` entries as Kafka writes them), and the controller.quorum.* timeouts.
//
// controller.quorum.bootstrap.servers (KIP-853, dynamic quorums) names endpoints without ids; the Raft core works
// with a static voter set, so it is accepted only together with controller.quorum.voters (whose ids it cannot
// supply) and otherwise refused with a clear message.

import type { BrokerConfig } from '../config/broker-config';
import { ConfigError } from '../config/broker-config';
import type { RaftConfig } from './raft/config';
import type { Endpoint } from './quorum-wire';

export interface QuorumSettings {
  /** Voter id → controller endpoint. Empty: no quorum configured (the single-node local metadata log). */
  voters: Map<number, Endpoint>;
  /** Names of the controller listeners (controller.listener.names). */
  controllerListenerNames: string[];
  /** The Raft timeouts from controller.quorum.*. */
  raft: Pick<RaftConfig, 'electionTimeoutMs' | 'electionBackoffMaxMs' | 'fetchTimeoutMs' | 'requestTimeoutMs' | 'retryBackoffMs'>;
  snapshotMaxBytes: number;
  snapshotIntervalMs: number;
}

/** Parses `id@host:port` entries ([v6]:port allowed). */
export function parseVoters(entries: readonly string[]): Map<number, Endpoint> {
  const out = new Map<number, Endpoint>();
  for (const raw of entries) {
    const m = /^(\d+)@(\[[^\]]+\]|[^:@]+):(\d+)$/.exec(raw.trim());
    if (!m) throw new ConfigError(`controller.quorum.voters: "${raw}" is not of the form id@host:port`);
    const id = Number(m[1]);
    const port = Number(m[3]);
    if (port <= 0 || port > 65535) throw new ConfigError(`controller.quorum.voters: "${raw}" has an invalid port`);
    if (out.has(id)) throw new ConfigError(`controller.quorum.voters: voter ${id} is listed twice`);
    const host = m[2]!.startsWith('[') ? m[2]!.slice(1, -1) : m[2]!;
    out.set(id, { host, port });
  }
  return out;
}

export function quorumSettings(config: BrokerConfig): QuorumSettings {
  const voters = parseVoters(config.list('controller.quorum.voters'));
  if (voters.size === 0 && config.list('controller.quorum.bootstrap.servers').length > 0) {
    throw new ConfigError(
      'controller.quorum.bootstrap.servers without controller.quorum.voters is not supported: this broker runs a static voter set; list the voters as id@host:port',
    );
  }
  return {
    voters,
    controllerListenerNames: config.list('controller.listener.names').map((n) => n.toUpperCase()),
    raft: {
      electionTimeoutMs: config.num('controller.quorum.election.timeout.ms'),
      electionBackoffMaxMs: config.num('controller.quorum.election.backoff.max.ms'),
      fetchTimeoutMs: config.num('controller.quorum.fetch.timeout.ms'),
      requestTimeoutMs: config.num('controller.quorum.request.timeout.ms'),
      retryBackoffMs: config.num('controller.quorum.retry.backoff.ms'),
    },
    snapshotMaxBytes: config.num('metadata.log.max.record.bytes.between.snapshots'),
    snapshotIntervalMs: config.num('metadata.log.max.snapshot.interval.ms'),
  };
}
