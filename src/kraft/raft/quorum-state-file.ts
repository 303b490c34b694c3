// The durable election state in Kafka's `quorum-state` file (in the metadata partition directory): JSON of
// QuorumStateData v0 — leaderId, leaderEpoch, votedId (-1 for none), appliedOffset, currentVoters — plus Kafka's
// `data_version`. Every write goes to a temporary file that is fsynced and renamed over the old one, and the
// directory is fsynced, so a crash leaves the old state or the new one, never a torn file; the Raft core relies on
// write() returning only once the state is durable (a vote must never be forgotten).

import * as fs from 'fs';
import * as path from 'path';
import type { QuorumState, QuorumStateStore } from './quorum-state';
import { fsyncDirSync } from './snapshot-store';

export const QUORUM_STATE_FILE = 'quorum-state';

interface QuorumStateJson {
  clusterId: string;
  leaderId: number;
  leaderEpoch: number;
  votedId: number;
  appliedOffset: number;
  currentVoters: { voterId: number }[] | null;
  data_version: number;
}

export class FileQuorumStateStore implements QuorumStateStore {
  readonly file: string;

  constructor(
    dir: string,
    /** Written into the file for operators (Kafka records the static voter set there too). */
    private readonly voters: readonly number[] = [],
  ) {
    fs.mkdirSync(dir, { recursive: true });
    this.file = path.join(dir, QUORUM_STATE_FILE);
  }

  read(): QuorumState | null {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
    const j = JSON.parse(text) as Partial<QuorumStateJson>;
    const epoch = j.leaderEpoch;
    if (typeof epoch !== 'number' || !Number.isInteger(epoch)) throw new Error(`${this.file}: leaderEpoch is missing`);
    const id = (v: unknown): number | null => (typeof v === 'number' && v >= 0 ? v : null);
    // Kafka writes -1 for "no epoch yet"; the core's first epoch is 0.
    return { leaderEpoch: Math.max(epoch, 0), votedId: id(j.votedId), leaderId: id(j.leaderId) };
  }

  write(state: QuorumState): void {
    const json: QuorumStateJson = {
      clusterId: '',
      leaderId: state.leaderId ?? -1,
      leaderEpoch: state.leaderEpoch,
      votedId: state.votedId ?? -1,
      appliedOffset: 0,
      currentVoters: this.voters.map((voterId) => ({ voterId })),
      data_version: 0,
    };
    const tmp = `${this.file}.tmp`;
    const fd = fs.openSync(tmp, 'w', 0o644);
    try {
      fs.writeSync(fd, JSON.stringify(json));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, this.file);
    fsyncDirSync(path.dirname(this.file));
  }
}
