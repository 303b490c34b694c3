// Just enough of the consumer protocol's embedded subscription format to know which topics a consumer group
// reads (for OffsetDelete's GROUP_SUBSCRIBED_TO_TOPIC and offset expiry of stable groups):
//   version int16 | topics: int32 count, then int16-length strings | userData: nullable bytes | v1+ more fields.
// Everything after the topics is ignored, so every subscription version parses the same way.

export const CONSUMER_PROTOCOL_TYPE = 'consumer';

/** The subscribed topics, or null when the bytes are not a consumer subscription. */
export function parseSubscriptionTopics(buf: Buffer): string[] | null {
  try {
    let pos = 0;
    const need = (n: number): number => {
      if (pos + n > buf.length) throw new RangeError('truncated');
      const p = pos;
      pos += n;
      return p;
    };
    const version = buf.readInt16BE(need(2));
    if (version < 0) return null;
    const count = buf.readInt32BE(need(4));
    if (count < 0 || count > buf.length) return null;
    const topics: string[] = [];
    for (let i = 0; i < count; i++) {
      const len = buf.readInt16BE(need(2));
      if (len < 0) return null;
      const p = need(len);
      topics.push(buf.toString('utf8', p, p + len));
    }
    return topics;
  } catch {
    return null;
  }
}

/** Encodes a (version 0) subscription; used by tests and tools. */
export function encodeSubscription(topics: readonly string[], userData: Buffer | null = null): Buffer {
  const parts: Buffer[] = [];
  const head = Buffer.alloc(6);
  head.writeInt16BE(0, 0);
  head.writeInt32BE(topics.length, 2);
  parts.push(head);
  for (const t of topics) {
    const s = Buffer.from(t, 'utf8');
    const l = Buffer.alloc(2);
    l.writeInt16BE(s.length, 0);
    parts.push(l, s);
  }
  const ud = Buffer.alloc(4);
  ud.writeInt32BE(userData === null ? -1 : userData.length, 0);
  parts.push(ud);
  if (userData !== null) parts.push(userData);
  return Buffer.concat(parts);
}
