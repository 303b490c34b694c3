// LZ4 frame format (magic 0x184D2204), as Kafka uses for compression type 3.
//
// Decoding walks the frame ourselves and hands each block to lz4-napi's raw block decoder, instead of calling its
// frame decoder, for two reasons: the frame decoder has no output limit (a decompression bomb would be fully
// materialised), and walking the frame lets us accept every flag combination clients write — content size
// (librdkafka), block checksums, content checksum, linked blocks, concatenated frames. Checksums are skipped, not
// verified: the batch CRC-32C already covers these bytes.
//
// Encoding uses lz4-napi's frame encoder: 64 KiB independent blocks, no checksums, which every Kafka client (including
// the Java consumer, which cannot decode linked blocks) reads.

import { compressFrameSync, uncompressSync } from 'lz4-napi';

const FRAME_MAGIC = 0x184d2204;
/** Skippable frames: magic 0x184D2A50..0x184D2A5F, then a 4-byte size. */
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;
/** Linked blocks may reference up to 64 KiB of preceding output. */
const MAX_DISTANCE = 65536;
/** A match of n bytes costs at least n/255 input bytes, so output per block stays below this times its input. */
const MAX_RATIO = 255;

const BLOCK_MAX_SIZE = [0, 0, 0, 0, 64 << 10, 256 << 10, 1 << 20, 4 << 20];

export class Lz4FormatError extends Error {}

export function lz4Compress(data: Buffer): Buffer {
  return compressFrameSync(data);
}

export function lz4Decompress(data: Buffer, maxOutput: number): Buffer {
  const out = lz4DecompressBlocks(data, maxOutput);
  if (out.length === 1) return out[0]!;
  let total = 0;
  for (const b of out) total += b.length;
  return Buffer.concat(out, total);
}

/** The decompressed blocks of `data` in order, not joined (see walkRecordChunks). */
export function lz4DecompressBlocks(data: Buffer, maxOutput: number): Buffer[] {
  const out: Buffer[] = [];
  let total = 0;
  let pos = 0;
  if (data.length < 4) throw new Lz4FormatError('lz4: frame too short');
  while (pos < data.length) {
    if (pos + 4 > data.length) throw new Lz4FormatError('lz4: truncated frame magic');
    const magic = data.readUInt32LE(pos);
    if ((magic & SKIPPABLE_MASK) >>> 0 === SKIPPABLE_MAGIC) {
      if (pos + 8 > data.length) throw new Lz4FormatError('lz4: truncated skippable frame');
      pos += 8 + data.readUInt32LE(pos + 4);
      continue;
    }
    if (magic !== FRAME_MAGIC) throw new Lz4FormatError(`lz4: bad frame magic 0x${magic.toString(16)}`);
    pos += 4;
    if (pos + 3 > data.length) throw new Lz4FormatError('lz4: truncated frame descriptor');
    const flg = data[pos]!;
    const bd = data[pos + 1]!;
    if (flg >> 6 !== 1) throw new Lz4FormatError(`lz4: unsupported frame version ${flg >> 6}`);
    const independent = (flg & 0x20) !== 0;
    const blockChecksum = (flg & 0x10) !== 0;
    const hasContentSize = (flg & 0x08) !== 0;
    const contentChecksum = (flg & 0x04) !== 0;
    const hasDictId = (flg & 0x01) !== 0;
    const blockMax = BLOCK_MAX_SIZE[(bd >> 4) & 0x07]!;
    if (blockMax === 0) throw new Lz4FormatError(`lz4: invalid block size id ${(bd >> 4) & 7}`);
    if (hasDictId) throw new Lz4FormatError('lz4: preset dictionaries are not supported');
    pos += 2;
    if (hasContentSize) {
      if (pos + 8 > data.length) throw new Lz4FormatError('lz4: truncated content size');
      const size = data.readUInt32LE(pos) + data.readUInt32LE(pos + 4) * 4294967296;
      // Fail early when the frame announces more than the limit allows.
      if (total + size > maxOutput) throw new Lz4FormatError(`lz4: content size ${size} exceeds limit ${maxOutput}`);
      pos += 8;
    }
    pos += 1; // header checksum, not verified (see above)
    const frameStart = out.length;
    for (;;) {
      if (pos + 4 > data.length) throw new Lz4FormatError('lz4: truncated block size');
      const word = data.readUInt32LE(pos);
      pos += 4;
      if (word === 0) break; // end mark
      const uncompressed = (word & 0x80000000) !== 0;
      const len = word & 0x7fffffff;
      if (len > blockMax || pos + len > data.length) throw new Lz4FormatError('lz4: bad block length');
      let block: Buffer;
      if (uncompressed) {
        block = data.subarray(pos, pos + len);
      } else {
        const room = maxOutput - total;
        // lz4-napi takes the output capacity as a 4-byte little-endian prefix and fails rather than exceed it. The
        // block's own size word sits right before it: overwrite it with the capacity for the call and put it back,
        // rather than copying every block behind a new prefix (this runs for every lz4 batch a producer sends).
        const capacity = Math.min(blockMax, room + 1, len * MAX_RATIO + 16);
        const input = data.subarray(pos - 4, pos + len);
        input.writeUInt32LE(capacity, 0);
        try {
          block = independent ? uncompressSync(input) : uncompressSync(input, linkedDictionary(out, frameStart));
        } catch (e) {
          if (capacity === room + 1) throw new Lz4FormatError(`lz4: output exceeds limit ${maxOutput}`);
          throw new Lz4FormatError(`lz4: corrupt block: ${(e as Error).message}`);
        } finally {
          input.writeUInt32LE(word, 0);
        }
      }
      total += block.length;
      if (total > maxOutput) throw new Lz4FormatError(`lz4: output exceeds limit ${maxOutput}`);
      out.push(block);
      pos += len + (blockChecksum ? 4 : 0);
    }
    if (contentChecksum) pos += 4;
    if (pos > data.length) throw new Lz4FormatError('lz4: truncated frame checksum');
  }
  return out;
}

/** The last 64 KiB of this frame's output so far: the window a linked block may reference. */
function linkedDictionary(out: Buffer[], frameStart: number): Buffer {
  const parts: Buffer[] = [];
  let need = MAX_DISTANCE;
  for (let i = out.length - 1; i >= frameStart && need > 0; i--) {
    const b = out[i]!;
    const take = Math.min(need, b.length);
    parts.unshift(b.subarray(b.length - take));
    need -= take;
  }
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}
