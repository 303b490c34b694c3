// What the request path reports to metrics. The dispatcher and the replica manager depend on these interfaces only,
// so they need not know about prom-client, and with metrics off (no metrics.port) they are simply absent.

/** An API as the dispatcher knows it (an ApiHandler satisfies this). */
export interface ApiRef {
  readonly apiKey: number;
  readonly name: string;
}

/** Per-API request outcomes, reported by the dispatcher. */
export interface RequestObserver {
  /** A request was answered (or, for acks=0, handled) `seconds` after its header was decoded. */
  completed(api: ApiRef, seconds: number): void;
  /** A whole request failed with `errorCode` (the handler threw, or the version is not implemented). */
  failed(api: ApiRef, errorCode: number): void;
}

/** Partition-level error codes are counted under the API they answer. */
export const PRODUCE_API: ApiRef = { apiKey: 0, name: 'Produce' };
export const FETCH_API: ApiRef = { apiKey: 1, name: 'Fetch' };

/**
 * Per-topic traffic and partition-level errors. The replica manager reports appends and the errors of appends and
 * reads; the fetch handler reports what it sends, once per response (a long poll may read several times before it
 * answers, so counting reads would count bytes that were never sent).
 */
export interface TrafficObserver {
  appended(topic: string, bytes: number, records: number): void;
  sent(topic: string, bytes: number): void;
  partitionError(api: ApiRef, errorCode: number): void;
}
