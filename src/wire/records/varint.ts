// Zig-zag varints read and written directly on Buffers, for the records inside a batch.
//
// primitives.ts has Reader/Writer varints for request frames; these are separate because the record walker runs on
// the produce hot path and must not allocate or throw per field: readers report failure through the shared cursor
// (`cursor.pos = -1`) instead of exceptions, and never read past the limit they are given.

/**
 * Position after the last successful read, or -1 after a failed one (truncated or over-long varint).
 * Module-level so the readers return plain numbers without allocating; callers read it right after each call.
 */
export const cursor = { pos: 0 };

/** Zig-zag varint (int32), at most 5 bytes like Kafka's ByteUtils.readVarint. */
export function readVarint(buf: Buffer, pos: number, limit: number): number {
  let raw = 0;
  for (let shift = 0; shift <= 28; shift += 7) {
    if (pos >= limit) break;
    const b = buf[pos++]!;
    raw |= (b & 0x7f) << shift;
    if ((b & 0x80) === 0) {
      cursor.pos = pos;
      raw >>>= 0;
      return (raw >>> 1) ^ -(raw & 1);
    }
  }
  cursor.pos = -1;
  return 0;
}

/** Zig-zag varlong (int64 as a number; exact below 2^53), at most 10 bytes. */
export function readVarlong(buf: Buffer, pos: number, limit: number): number {
  let raw = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= limit) break;
    const b = buf[pos++]!;
    raw += (b & 0x7f) * mul;
    if ((b & 0x80) === 0) {
      cursor.pos = pos;
      return raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
    }
    mul *= 128;
  }
  cursor.pos = -1;
  return 0;
}

function zigzag32(v: number): number {
  return ((v << 1) ^ (v >> 31)) >>> 0;
}

function zigzag64(v: number): number {
  return v >= 0 ? v * 2 : -v * 2 - 1;
}

export function sizeOfVarint(v: number): number {
  let u = zigzag32(v);
  let n = 1;
  while (u >= 0x80) {
    u >>>= 7;
    n++;
  }
  return n;
}

export function sizeOfVarlong(v: number): number {
  let u = zigzag64(v);
  let n = 1;
  while (u >= 0x80) {
    u = Math.floor(u / 128);
    n++;
  }
  return n;
}

/** Writes a zig-zag varint at pos; returns the position after it. The caller has sized the buffer. */
export function writeVarint(buf: Buffer, pos: number, v: number): number {
  let u = zigzag32(v);
  while (u >= 0x80) {
    buf[pos++] = (u & 0x7f) | 0x80;
    u >>>= 7;
  }
  buf[pos++] = u;
  return pos;
}

export function writeVarlong(buf: Buffer, pos: number, v: number): number {
  let u = zigzag64(v);
  while (u >= 0x80) {
    buf[pos++] = (u % 128) | 0x80;
    u = Math.floor(u / 128);
  }
  buf[pos++] = u;
  return pos;
}
