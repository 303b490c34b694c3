// Incremental fetch sessions (KIP-227). A client that opens a session sends its partitions once; later fetches
// name only what changed, and responses carry only partitions with news (data, a moved high watermark or log start
// offset, or an error). Sessions are bounded in number and evicted least-recently-used.

import { ErrorCode } from '../wire/errors';

export const INITIAL_EPOCH = 0;
export const FINAL_EPOCH = -1;

export interface SessionPartition {
  topic: string;
  topicId: string;
  partition: number;
  fetchOffset: number;
  logStartOffset: number;
  maxBytes: number;
  currentLeaderEpoch: number;
  lastFetchedEpoch: number;
  /** What the client last saw, to decide whether the next incremental response must include this partition. */
  lastHighWatermark: number;
  lastLogStartOffset: number;
  lastLastStableOffset: number;
}

export interface FetchSession {
  id: number;
  /** The epoch the next request must carry. */
  nextEpoch: number;
  partitions: Map<string, SessionPartition>;
  lastUsed: number;
}

export function partitionKey(topicIdOrName: string, partition: number): string {
  return `${topicIdOrName}:${partition}`;
}

export type SessionLookup =
  | { kind: 'sessionless' }
  | { kind: 'new'; session: FetchSession }
  | { kind: 'incremental'; session: FetchSession }
  | { kind: 'error'; errorCode: number };

export class FetchSessionCache {
  private readonly sessions = new Map<number, FetchSession>();

  constructor(
    private readonly maxSessions = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.sessions.size;
  }

  /**
   * Interprets a request's session id and epoch. A full fetch (epoch 0) opens a new session; epoch -1 is a
   * sessionless full fetch that also closes the named session; any other epoch continues an existing session.
   */
  begin(sessionId: number, epoch: number): SessionLookup {
    if (epoch === FINAL_EPOCH) {
      if (sessionId !== 0) this.sessions.delete(sessionId);
      return { kind: 'sessionless' };
    }
    if (epoch === INITIAL_EPOCH) {
      if (sessionId !== 0) this.sessions.delete(sessionId);
      if (this.maxSessions <= 0) return { kind: 'sessionless' };
      if (this.sessions.size >= this.maxSessions) this.evictOldest();
      const session: FetchSession = { id: this.newId(), nextEpoch: 1, partitions: new Map(), lastUsed: this.now() };
      this.sessions.set(session.id, session);
      return { kind: 'new', session };
    }
    const session = this.sessions.get(sessionId);
    if (!session) return { kind: 'error', errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND };
    if (session.nextEpoch !== epoch) return { kind: 'error', errorCode: ErrorCode.INVALID_FETCH_SESSION_EPOCH };
    session.lastUsed = this.now();
    // Keep LRU order: re-insert at the end.
    this.sessions.delete(session.id);
    this.sessions.set(session.id, session);
    return { kind: 'incremental', session };
  }

  /** Moves the session to its next epoch after a response was built. */
  advance(session: FetchSession): void {
    session.nextEpoch = session.nextEpoch >= 0x7fffffff ? 1 : session.nextEpoch + 1;
  }

  remove(sessionId: number): void {
    this.sessions.delete(sessionId);
  }

  private evictOldest(): void {
    const first = this.sessions.keys().next();
    if (!first.done) this.sessions.delete(first.value);
  }

  private newId(): number {
    for (;;) {
      const id = 1 + Math.floor(Math.random() * 0x7ffffffe);
      if (!this.sessions.has(id)) return id;
    }
  }
}
