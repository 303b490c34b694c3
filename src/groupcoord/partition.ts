// Which __consumer_offsets partition owns a group. Clients and other brokers compute the same mapping, so it must
// match Kafka bit for bit: abs(String.hashCode(groupId)) % partitions, with Java's hashCode and Kafka's Utils.abs.

export const CONSUMER_OFFSETS_TOPIC = '__consumer_offsets';

/** Java's String.hashCode: s[0]*31^(n-1) + ... + s[n-1] over UTF-16 code units, in int32 arithmetic. */
export function javaStringHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/** Kafka's Utils.abs: clears the sign bit, so Integer.MIN_VALUE maps to 0 rather than staying negative. */
export function kafkaAbs(n: number): number {
  return n & 0x7fffffff;
}

export function partitionFor(groupId: string, numPartitions: number): number {
  return kafkaAbs(javaStringHashCode(groupId)) % numPartitions;
}
