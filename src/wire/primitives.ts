// Byte-level readers and writers for the Kafka wire format.
//
// int64 values are carried as JS numbers: every int64 the broker handles (offsets, timestamps, producer ids,
// session ids) stays far below 2^53, and numbers keep the hot path free of BigInt arithmetic. Values beyond
// 2^53 lose precision; readers never throw on them.

import { ProtocolError } from './errors';

const TWO_32 = 4294967296;
const utf8Decoder = new TextDecoder('utf-8', { fatal: false });

/** Sequential reader over one Buffer. Slices returned by readBytes/readRecords are views, not copies. */
export class Reader {
  pos: number;
  readonly end: number;

  constructor(readonly buf: Buffer, start = 0, end = buf.length) {
    this.pos = start;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number): number {
    const p = this.pos;
    if (p + n > this.end) throw new ProtocolError(`truncated: need ${n} bytes at ${p}, have ${this.end - p}`);
    this.pos = p + n;
    return p;
  }

  readInt8(): number {
    return this.buf.readInt8(this.need(1));
  }
  readBool(): boolean {
    return this.buf[this.need(1)] !== 0;
  }
  readInt16(): number {
    return this.buf.readInt16BE(this.need(2));
  }
  readUint16(): number {
    return this.buf.readUInt16BE(this.need(2));
  }
  readInt32(): number {
    return this.buf.readInt32BE(this.need(4));
  }
  readUint32(): number {
    return this.buf.readUInt32BE(this.need(4));
  }
  readInt64(): number {
    const p = this.need(8);
    return this.buf.readInt32BE(p) * TWO_32 + this.buf.readUInt32BE(p + 4);
  }
  readFloat64(): number {
    return this.buf.readDoubleBE(this.need(8));
  }

  readUnsignedVarint(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (this.pos >= this.end) throw new ProtocolError('truncated varint');
      const b = this.buf[this.pos++]!;
      if (shift < 28) result |= (b & 0x7f) << shift;
      else result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) break;
      shift += 7;
      // At most 5 bytes, as Kafka's readUnsignedVarint: a continuation bit on the 5th byte is malformed.
      if (shift > 28) throw new ProtocolError('varint too long');
    }
    return result;
  }
  readVarint(): number {
    const v = this.readUnsignedVarint();
    // zig-zag decode on a 32-bit value
    return (v >>> 1) ^ -(v & 1);
  }
  readUnsignedVarlong(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; ; i++) {
      if (this.pos >= this.end) throw new ProtocolError('truncated varlong');
      if (i > 9) throw new ProtocolError('varlong too long');
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) break;
      mul *= 128;
    }
    return result;
  }
  readVarlong(): number {
    const v = this.readUnsignedVarlong();
    // zig-zag decode without 32-bit overflow
    return v % 2 === 0 ? v / 2 : -(v + 1) / 2;
  }

  readUuid(): string {
    const p = this.need(16);
    return uuidToString(this.buf, p);
  }

  private readUtf8(len: number): string {
    const p = this.need(len);
    return len === 0 ? '' : utf8Decoder.decode(this.buf.subarray(p, p + len));
  }

  /** INT16-length string; null when the length is -1. */
  readNullableString(): string | null {
    const len = this.readInt16();
    if (len < 0) return null;
    return this.readUtf8(len);
  }
  readString(): string {
    const s = this.readNullableString();
    if (s === null) throw new ProtocolError('null string where a string is required');
    return s;
  }
  /** Unsigned-varint-length (length + 1) string; null when 0. */
  readCompactNullableString(): string | null {
    const len = this.readUnsignedVarint() - 1;
    if (len < 0) return null;
    return this.readUtf8(len);
  }
  readCompactString(): string {
    const s = this.readCompactNullableString();
    if (s === null) throw new ProtocolError('null compact string where a string is required');
    return s;
  }

  /** INT32-length bytes as a view; null when the length is -1. */
  readNullableBytes(): Buffer | null {
    const len = this.readInt32();
    if (len < 0) return null;
    const p = this.need(len);
    return this.buf.subarray(p, p + len);
  }
  readBytes(): Buffer {
    const b = this.readNullableBytes();
    if (b === null) throw new ProtocolError('null bytes where bytes are required');
    return b;
  }
  readCompactNullableBytes(): Buffer | null {
    const len = this.readUnsignedVarint() - 1;
    if (len < 0) return null;
    const p = this.need(len);
    return this.buf.subarray(p, p + len);
  }
  readCompactBytes(): Buffer {
    const b = this.readCompactNullableBytes();
    if (b === null) throw new ProtocolError('null compact bytes where bytes are required');
    return b;
  }

  /** INT32 array length; -1 means null. Guards against lengths the frame cannot hold. */
  readArrayLength(): number {
    const n = this.readInt32();
    if (n > this.remaining) throw new ProtocolError(`array length ${n} exceeds frame`);
    return n;
  }
  /** Compact array length (unsigned varint N+1); -1 means null. */
  readCompactArrayLength(): number {
    const n = this.readUnsignedVarint() - 1;
    if (n > this.remaining) throw new ProtocolError(`array length ${n} exceeds frame`);
    return n;
  }

  skip(n: number): void {
    this.need(n);
  }

  /** Skips a flexible struct's tagged-field section (count, then tag/size/data per field) without reading it. */
  skipTaggedFields(): void {
    const count = this.readUnsignedVarint();
    for (let i = 0; i < count; i++) {
      this.readUnsignedVarint();
      this.skip(this.readUnsignedVarint());
    }
  }
}

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Kafka prints and parses UUIDs as unpadded URL-safe base64 (22 characters). */
export function uuidToString(buf: Buffer, offset = 0): string {
  return buf.toString('base64url', offset, offset + 16);
}

export function uuidFromString(s: string): Buffer {
  const b = Buffer.from(s, 'base64url');
  if (b.length !== 16) throw new ProtocolError(`invalid uuid ${s}`);
  return b;
}

export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';

export function isValidUuidString(s: string): boolean {
  if (s.length !== 22) return false;
  for (let i = 0; i < s.length; i++) if (BASE64URL.indexOf(s[i]!) < 0) return false;
  return true;
}

/**
 * Growable writer. Large byte payloads (record sets read from the log) are not copied: writeRaw() with a buffer of
 * at least RAW_CHUNK_MIN bytes closes the current chunk and appends the caller's buffer as its own chunk, so a
 * fetch response is handed to the socket as a list of buffers (writev) with the log data untouched.
 */
export class Writer {
  static readonly RAW_CHUNK_MIN = 4096;

  private buf: Buffer;
  private pos = 0;
  private chunks: Buffer[] = [];
  private chunkedBytes = 0;

  constructor(initialSize = 256) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  /** Total bytes written so far. */
  get length(): number {
    return this.chunkedBytes + this.pos;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  writeInt8(v: number): this {
    this.ensure(1);
    this.buf.writeInt8(v, this.pos);
    this.pos += 1;
    return this;
  }
  writeBool(v: boolean): this {
    this.ensure(1);
    this.buf[this.pos++] = v ? 1 : 0;
    return this;
  }
  writeInt16(v: number): this {
    this.ensure(2);
    this.buf.writeInt16BE(v, this.pos);
    this.pos += 2;
    return this;
  }
  writeUint16(v: number): this {
    this.ensure(2);
    this.buf.writeUInt16BE(v, this.pos);
    this.pos += 2;
    return this;
  }
  writeInt32(v: number): this {
    this.ensure(4);
    this.buf.writeInt32BE(v, this.pos);
    this.pos += 4;
    return this;
  }
  writeUint32(v: number): this {
    this.ensure(4);
    this.buf.writeUInt32BE(v >>> 0, this.pos);
    this.pos += 4;
    return this;
  }
  writeInt64(v: number): this {
    this.ensure(8);
    const hi = Math.floor(v / TWO_32);
    const lo = v - hi * TWO_32;
    this.buf.writeInt32BE(hi | 0, this.pos);
    this.buf.writeUInt32BE(lo >>> 0, this.pos + 4);
    this.pos += 8;
    return this;
  }
  writeFloat64(v: number): this {
    this.ensure(8);
    this.buf.writeDoubleBE(v, this.pos);
    this.pos += 8;
    return this;
  }

  writeUnsignedVarint(v: number): this {
    this.ensure(5);
    v = v >>> 0;
    while (v >= 0x80) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[this.pos++] = v;
    return this;
  }
  writeVarint(v: number): this {
    return this.writeUnsignedVarint(((v << 1) ^ (v >> 31)) >>> 0);
  }
  writeUnsignedVarlong(v: number): this {
    this.ensure(10);
    while (v >= 0x80) {
      this.buf[this.pos++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
    return this;
  }
  writeVarlong(v: number): this {
    return this.writeUnsignedVarlong(v >= 0 ? v * 2 : -v * 2 - 1);
  }

  writeUuid(s: string): this {
    const b = uuidFromString(s);
    this.ensure(16);
    b.copy(this.buf, this.pos);
    this.pos += 16;
    return this;
  }

  private writeUtf8(s: string, len: number): void {
    this.ensure(len);
    this.buf.write(s, this.pos, len, 'utf8');
    this.pos += len;
  }

  writeNullableString(s: string | null): this {
    if (s === null) return this.writeInt16(-1);
    const len = Buffer.byteLength(s, 'utf8');
    this.writeInt16(len);
    this.writeUtf8(s, len);
    return this;
  }
  writeString(s: string): this {
    return this.writeNullableString(s);
  }
  writeCompactNullableString(s: string | null): this {
    if (s === null) return this.writeUnsignedVarint(0);
    const len = Buffer.byteLength(s, 'utf8');
    this.writeUnsignedVarint(len + 1);
    this.writeUtf8(s, len);
    return this;
  }
  writeCompactString(s: string): this {
    return this.writeCompactNullableString(s);
  }

  writeNullableBytes(b: Buffer | null): this {
    if (b === null) return this.writeInt32(-1);
    this.writeInt32(b.length);
    return this.writeRaw(b);
  }
  writeBytes(b: Buffer): this {
    return this.writeNullableBytes(b);
  }
  writeCompactNullableBytes(b: Buffer | null): this {
    if (b === null) return this.writeUnsignedVarint(0);
    this.writeUnsignedVarint(b.length + 1);
    return this.writeRaw(b);
  }
  writeCompactBytes(b: Buffer): this {
    return this.writeCompactNullableBytes(b);
  }

  /** Record sets may arrive as several buffers (e.g. spanning segments); they are written back to back. */
  writeRecords(records: Buffer | readonly Buffer[] | null, compact: boolean): this {
    if (records === null) return compact ? this.writeUnsignedVarint(0) : this.writeInt32(-1);
    if (Buffer.isBuffer(records)) return compact ? this.writeCompactBytes(records) : this.writeBytes(records);
    let total = 0;
    for (const r of records) total += r.length;
    if (compact) this.writeUnsignedVarint(total + 1);
    else this.writeInt32(total);
    for (const r of records) this.writeRaw(r);
    return this;
  }

  writeArrayLength(n: number): this {
    return this.writeInt32(n);
  }
  writeCompactArrayLength(n: number): this {
    return this.writeUnsignedVarint(n + 1);
  }

  /** Appends bytes; large buffers become their own chunk instead of being copied. */
  writeRaw(b: Buffer): this {
    if (b.length >= Writer.RAW_CHUNK_MIN) {
      this.flushChunk();
      this.chunks.push(b);
      this.chunkedBytes += b.length;
      return this;
    }
    this.ensure(b.length);
    b.copy(this.buf, this.pos);
    this.pos += b.length;
    return this;
  }

  private flushChunk(): void {
    if (this.pos === 0) return;
    const chunk = this.buf.subarray(0, this.pos);
    this.chunks.push(chunk);
    this.chunkedBytes += this.pos;
    // Continue in a fresh buffer: the old one is now owned by the chunk list.
    this.buf = Buffer.allocUnsafe(Math.max(256, this.buf.length - this.pos));
    this.pos = 0;
  }

  /** The written bytes as a list of buffers, in order. */
  toChunks(): Buffer[] {
    this.flushChunk();
    return this.chunks;
  }

  /** The written bytes as one buffer (copies only when large raw chunks were appended). */
  toBuffer(): Buffer {
    if (this.chunks.length === 0) return this.buf.subarray(0, this.pos);
    const all = this.toChunks();
    return all.length === 1 ? all[0]! : Buffer.concat(all);
  }
}
