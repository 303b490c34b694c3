// Turning a failed __consumer_offsets append into the error a group client should see, as Kafka does: partition
// trouble means "find the coordinator again", size trouble is the request's fault.

import { ErrorCode, KafkaError } from '../wire/errors';

function baseMapping(code: number): number | undefined {
  switch (code) {
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case ErrorCode.REQUEST_TIMED_OUT:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR;
    default:
      return undefined;
  }
}

function isSizeError(code: number): boolean {
  return (
    code === ErrorCode.MESSAGE_TOO_LARGE ||
    code === ErrorCode.RECORD_LIST_TOO_LARGE ||
    code === ErrorCode.INVALID_FETCH_SIZE
  );
}

// Errors that are not KafkaErrors (I/O failures, bugs in the log adapter) are reported as a retriable
// coordinator problem, so clients look the coordinator up again instead of failing hard.
function codeOf(err: unknown): number {
  return err instanceof KafkaError ? err.code : ErrorCode.COORDINATOR_NOT_AVAILABLE;
}

/** Error for an offset commit whose append failed. */
export function commitAppendError(err: unknown): number {
  const code = codeOf(err);
  if (isSizeError(code)) return ErrorCode.INVALID_COMMIT_OFFSET_SIZE;
  return baseMapping(code) ?? code;
}

/** Error for a group metadata write (SyncGroup, static member replacement) whose append failed. */
export function groupAppendError(err: unknown): number {
  const code = codeOf(err);
  if (isSizeError(code)) return ErrorCode.UNKNOWN_SERVER_ERROR;
  return baseMapping(code) ?? code;
}
