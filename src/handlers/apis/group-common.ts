// Helpers shared by the group API handlers (FindCoordinator, JoinGroup, ... OffsetDelete).
//
// Ownership checks are left to the coordinator: every coordinator entry point already answers NOT_COORDINATOR for
// groups whose __consumer_offsets partition this broker does not lead and COORDINATOR_LOAD_IN_PROGRESS while the
// partition is still being replayed, so the handlers only translate between wire versions and the plain API.

import type { GroupCoordinator } from '../../groupcoord/coordinator';
import type { MetadataImage } from '../../kraft/metadata/image';
import { ErrorCode } from '../../wire/errors';
import type { RequestContext } from '../types';

/** The group coordinator, or null when this broker runs without one (every group API then answers
 *  COORDINATOR_NOT_AVAILABLE, which clients treat as "look the coordinator up again later"). */
export function coordinatorOf(ctx: RequestContext): GroupCoordinator | null {
  return ctx.broker.groups?.coordinator ?? null;
}

/**
 * The client address as Kafka reports it in DescribeGroups: Java's InetAddress.toString() of an unresolved
 * address, i.e. "/" followed by the IP ("/127.0.0.1"). Connections record "ip:port"; IPv4 clients on a dual-stack
 * socket show up as "::ffff:a.b.c.d", which Java would print as the plain IPv4 address.
 */
export function clientHost(remoteAddress: string): string {
  const colon = remoteAddress.lastIndexOf(':');
  let ip = colon > 0 ? remoteAddress.slice(0, colon) : remoteAddress;
  if (ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1);
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  return `/${mapped ? mapped[1] : ip}`;
}

/** The first occurrence of each string, in request order (Kafka answers each group once). */
export function distinct(values: readonly string[]): string[] {
  return [...new Set(values)];
}

/**
 * Kafka checks the topics named in OffsetCommit and OffsetDelete against the metadata before handing them to the
 * coordinator: offsets of topics that do not exist are refused with UNKNOWN_TOPIC_OR_PARTITION. `partition`
 * undefined checks the topic only (OffsetDelete does that).
 */
export function topicPartitionError(image: MetadataImage, topic: string, partition?: number): number {
  const t = image.topics.get(topic);
  if (!t) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
  if (partition !== undefined && !t.partitions.has(partition)) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
  return ErrorCode.NONE;
}

/** Per-(topic, partition) error codes, to merge the handler's own refusals with the coordinator's results. */
export class PartitionCodes {
  private readonly codes = new Map<string, Map<number, number>>();

  set(topic: string, partition: number, code: number): void {
    let m = this.codes.get(topic);
    if (!m) this.codes.set(topic, (m = new Map()));
    m.set(partition, code);
  }

  get(topic: string, partition: number): number | undefined {
    return this.codes.get(topic)?.get(partition);
  }

  /**
   * The response's topics: every partition the request named, in request order (clients match answers to what
   * they asked), with the code whichever step decided it. A partition no step decided is a broker bug; it still
   * gets an answer, UNKNOWN_SERVER_ERROR, rather than being left out.
   */
  answer(topics: readonly RequestedTopic[]): AnsweredTopic[] {
    return topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({
        partitionIndex: p.partitionIndex,
        errorCode: this.get(t.name, p.partitionIndex) ?? ErrorCode.UNKNOWN_SERVER_ERROR,
      })),
    }));
  }
}

/** A topic as OffsetCommit and OffsetDelete requests name it, reduced to what an answer needs. */
interface RequestedTopic {
  readonly name: string;
  readonly partitions: readonly { readonly partitionIndex: number }[];
}

/** A topic of an OffsetCommit or OffsetDelete response (both have the same shape). */
interface AnsweredTopic {
  name: string;
  partitions: { partitionIndex: number; errorCode: number }[];
}
