// Snappy for Kafka compression type 2.
//
// The Java client writes snappy-java's "xerial" stream framing: an 8-byte magic (0x82 'SNAPPY' 0x00), version and
// minimum compatible version as int32, then chunks of [int32 big-endian length][raw snappy block]. librdkafka and some
// JS codecs may instead write one plain raw snappy block. Both are decoded (told apart by the magic: a raw block
// starting with those 8 bytes would need an absurd length preamble); we always encode xerial, which all clients read.
//
// Each raw block starts with its uncompressed length as a varint, so the output limit is checked before decoding.

import { compressSync, uncompressSync } from '@napi-rs/snappy';

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_SIZE = 16;
/** snappy-java's default block size; also what the Java producer's stream uses. */
const XERIAL_BLOCK_SIZE = 32 * 1024;

export class SnappyFormatError extends Error {}

function isXerial(data: Buffer, pos: number): boolean {
  return data.length - pos >= XERIAL_HEADER_SIZE && data.compare(XERIAL_MAGIC, 0, 8, pos, pos + 8) === 0;
}

export function snappyCompress(data: Buffer): Buffer {
  const chunks: Buffer[] = [];
  const header = Buffer.alloc(XERIAL_HEADER_SIZE);
  XERIAL_MAGIC.copy(header, 0);
  header.writeInt32BE(1, 8); // version
  header.writeInt32BE(1, 12); // minimum compatible version
  chunks.push(header);
  for (let pos = 0; pos < data.length; pos += XERIAL_BLOCK_SIZE) {
    const block = compressSync(data.subarray(pos, Math.min(pos + XERIAL_BLOCK_SIZE, data.length)));
    const len = Buffer.allocUnsafe(4);
    len.writeInt32BE(block.length, 0);
    chunks.push(len, block);
  }
  return Buffer.concat(chunks);
}

export function snappyDecompress(data: Buffer, maxOutput: number): Buffer {
  if (!isXerial(data, 0)) return rawBlock(data, maxOutput);
  const out: Buffer[] = [];
  let total = 0;
  let pos = XERIAL_HEADER_SIZE;
  while (pos < data.length) {
    // snappy-java's reader accepts concatenated streams, each with its own header.
    if (isXerial(data, pos)) {
      pos += XERIAL_HEADER_SIZE;
      continue;
    }
    if (pos + 4 > data.length) throw new SnappyFormatError('snappy: truncated chunk length');
    const len = data.readInt32BE(pos);
    pos += 4;
    if (len < 0 || pos + len > data.length) throw new SnappyFormatError('snappy: bad chunk length');
    const block = rawBlock(data.subarray(pos, pos + len), maxOutput - total);
    total += block.length;
    out.push(block);
    pos += len;
  }
  return out.length === 1 ? out[0]! : Buffer.concat(out, total);
}

function rawBlock(block: Buffer, maxOutput: number): Buffer {
  const size = uncompressedLength(block);
  if (size > maxOutput) throw new SnappyFormatError(`snappy: output ${size} exceeds limit ${maxOutput}`);
  try {
    return uncompressSync(block);
  } catch (e) {
    throw new SnappyFormatError(`snappy: corrupt block: ${(e as Error).message}`);
  }
}

/** The varint preamble of a raw snappy block (little-endian base 128, at most 5 bytes for a 32-bit length). */
function uncompressedLength(block: Buffer): number {
  let v = 0;
  let mul = 1;
  for (let i = 0; i < 5 && i < block.length; i++) {
    const b = block[i]!;
    v += (b & 0x7f) * mul;
    if ((b & 0x80) === 0) return v;
    mul *= 128;
  }
  throw new SnappyFormatError('snappy: bad length preamble');
}
