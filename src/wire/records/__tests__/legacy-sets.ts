// Test helper: legacy message sets (magic 0 and 1) built by hand, byte by byte, with their CRC-32 from a second
// implementation (crc-32) and compressed payloads from the codec libraries directly (gzip from zlib, snappy in
// xerial framing or as a raw block, lz4 frames), not from the broker's own encoders.

import { gzipSync } from 'node:zlib';
import * as CRC32 from 'crc-32';
import { compressSync as snappyRaw } from '@napi-rs/snappy';
import { compressFrameSync } from 'lz4-napi';
import { Compression } from '../batch';

export type Bytes = Buffer | string | null;

export interface MessageSpec {
  magic: 0 | 1;
  key?: Bytes;
  value: Bytes;
  /** Magic 1 only. */
  timestamp?: number;
  codec?: number;
  logAppendTime?: boolean;
}

function bytes(b: Bytes | undefined): Buffer | null {
  return b === undefined || b === null ? null : typeof b === 'string' ? Buffer.from(b) : b;
}

function int64(v: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(BigInt(v));
  return b;
}

function sized(b: Buffer | null): Buffer {
  const len = Buffer.alloc(4);
  len.writeInt32BE(b === null ? -1 : b.length);
  return b === null ? len : Buffer.concat([len, b]);
}

/** One message: crc | magic | attributes | [timestamp] | key | value. */
export function message(m: MessageSpec): Buffer {
  const attributes = (m.codec ?? 0) | (m.logAppendTime ? 0x08 : 0);
  const body = Buffer.concat([
    Buffer.from([m.magic, attributes]),
    m.magic === 1 ? int64(m.timestamp ?? 0) : Buffer.alloc(0),
    sized(bytes(m.key)),
    sized(bytes(m.value)),
  ]);
  const crc = Buffer.alloc(4);
  crc.writeInt32BE(CRC32.buf(body));
  return Buffer.concat([crc, body]);
}

/** A message set entry: offset | size | message. */
export function entry(offset: number, msg: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32BE(msg.length);
  return Buffer.concat([int64(offset), size, msg]);
}

/** A message set of uncompressed messages, offsets 0..n-1 (relative, as magic 1 inner sets number them). */
export function messageSet(specs: MessageSpec[], firstOffset = 0): Buffer {
  return Buffer.concat(specs.map((s, i) => entry(firstOffset + i, message(s))));
}

const XERIAL_HEADER = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1]);

/** Compressed the way the legacy producers did: gzip, snappy-java's xerial stream, Kafka's lz4 frames. */
export function compressWith(codec: number, data: Buffer, variant?: 'raw-snappy' | 'kip57'): Buffer {
  switch (codec) {
    case Compression.gzip:
      return gzipSync(data);
    case Compression.snappy: {
      const block = snappyRaw(data);
      if (variant === 'raw-snappy') return block;
      const len = Buffer.alloc(4);
      len.writeInt32BE(block.length);
      return Buffer.concat([XERIAL_HEADER, len, block]);
    }
    case Compression.lz4: {
      const frame = Buffer.from(compressFrameSync(data));
      // Kafka before 0.10 (magic 0) computed the frame descriptor checksum over the magic number too (KIP-57): any
      // other byte there must be read the same way.
      if (variant === 'kip57') {
        const hc = 6 + ((frame[4]! & 0x08) !== 0 ? 8 : 0); // after FLG, BD and the optional content size
        frame[hc] = frame[hc]! ^ 0x5a;
      }
      return frame;
    }
    default:
      throw new Error(`codec ${codec}`);
  }
}

/** A compressed wrapper holding `inner` (a whole inner message set) at outer offset `offset`. */
export function wrapper(magic: 0 | 1, codec: number, inner: Buffer, opts: { offset?: number; timestamp?: number; logAppendTime?: boolean; variant?: 'raw-snappy' | 'kip57' } = {}): Buffer {
  const value = compressWith(codec, inner, opts.variant);
  return entry(opts.offset ?? 0, message({ magic, codec, value, timestamp: opts.timestamp, logAppendTime: opts.logAppendTime }));
}
