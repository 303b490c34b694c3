// Compression codecs for the records section of a v2 batch, selected by the low three bits of its attributes.
//
// Everything is synchronous: batches are small (bounded by max.message.bytes) and the callers — produce validation,
// internal topic loading, compaction — run inline. Every decompression takes an output limit so that a small batch
// cannot inflate into an unbounded allocation (a "decompression bomb"); exceeding it, or any malformed input, fails
// with CORRUPT_MESSAGE.

import { gunzipSync, gzipSync } from 'node:zlib';
import { Compression, type CompressionCodec } from './batch';
import { ErrorCode, KafkaError } from '../errors';
import { lz4Compress, lz4Decompress, lz4DecompressBlocks } from './lz4';
import { snappyCompress, snappyDecompress } from './snappy';
import { zstdCompress, zstdDecompress } from './zstd';

/** Output limit when the caller gives none. Callers on the produce path derive theirs from max.message.bytes. */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024;

/**
 * The limit used for a batch of a topic with the given max.message.bytes: generous (legitimate batches of repetitive
 * data compress very well) yet bounded.
 */
export function decompressionLimit(maxMessageBytes: number): number {
  return Math.max(DEFAULT_MAX_DECOMPRESSED_BYTES, maxMessageBytes * 16);
}

export function compressionName(codec: number): string {
  switch (codec) {
    case Compression.none:
      return 'none';
    case Compression.gzip:
      return 'gzip';
    case Compression.snappy:
      return 'snappy';
    case Compression.lz4:
      return 'lz4';
    case Compression.zstd:
      return 'zstd';
    default:
      return `unknown(${codec})`;
  }
}

function unsupported(codec: number): KafkaError {
  return new KafkaError(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, `unsupported compression type ${codec}`);
}

export function compress(codec: CompressionCodec, data: Buffer): Buffer {
  switch (codec) {
    case Compression.none:
      return data;
    case Compression.gzip:
      return gzipSync(data);
    case Compression.snappy:
      return snappyCompress(data);
    case Compression.lz4:
      return lz4Compress(data);
    case Compression.zstd:
      return zstdCompress(data);
    default:
      throw unsupported(codec);
  }
}

/**
 * Decompresses `data` written with `codec` (a value from batch attributes, hence `number`). Throws KafkaError:
 * UNSUPPORTED_COMPRESSION_TYPE for an unknown codec, CORRUPT_MESSAGE for malformed input or output beyond
 * `maxOutputBytes`.
 */
export function decompress(codec: number, data: Buffer, maxOutputBytes = DEFAULT_MAX_DECOMPRESSED_BYTES): Buffer {
  try {
    switch (codec) {
      case Compression.none:
        if (data.length > maxOutputBytes) throw new Error(`output exceeds limit ${maxOutputBytes}`);
        return data;
      case Compression.gzip:
        return gunzipSync(data, { maxOutputLength: Math.max(1, maxOutputBytes) });
      case Compression.snappy:
        return snappyDecompress(data, maxOutputBytes);
      case Compression.lz4:
        return lz4Decompress(data, maxOutputBytes);
      case Compression.zstd:
        return zstdDecompress(data, maxOutputBytes);
    }
  } catch (e) {
    throw decompressionFailed(codec, e);
  }
  throw unsupported(codec);
}

function decompressionFailed(codec: number, e: unknown): KafkaError {
  return new KafkaError(ErrorCode.CORRUPT_MESSAGE, `${compressionName(codec)} decompression failed: ${(e as Error).message}`);
}

/**
 * decompress, in the pieces the codec produces (lz4: one buffer per block) when joining them is not needed: the
 * produce validator walks records across them (walkRecordChunks) rather than copying them together.
 */
export function decompressChunks(codec: number, data: Buffer, maxOutputBytes = DEFAULT_MAX_DECOMPRESSED_BYTES): Buffer[] {
  if (codec !== Compression.lz4) return [decompress(codec, data, maxOutputBytes)];
  try {
    return lz4DecompressBlocks(data, maxOutputBytes);
  } catch (e) {
    throw decompressionFailed(codec, e);
  }
}
