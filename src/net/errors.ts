// Failures of broker-to-broker requests that are not Kafka error codes in a response: the connection could not be
// made or broke, a request outlived its timeout, or the two sides share no version of an API. Callers retry the
// first two with backoff; the third is a configuration problem.

/** Connecting failed, or the connection closed before the response arrived. Safe to retry after a backoff. */
export class NetworkError extends Error {
  override name = 'NetworkError';
}

/** No response within the request timeout. The connection it was sent on is closed (responses come in order). */
export class RequestTimeoutError extends NetworkError {
  override name = 'RequestTimeoutError';
}

/** The peer implements no version of the API in the range the caller can speak. */
export class UnsupportedVersionError extends Error {
  override name = 'UnsupportedVersionError';
}
