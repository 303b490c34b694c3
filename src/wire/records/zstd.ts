// Zstandard for Kafka compression type 4.
//
// zstd-napi's high-level decompress() trusts the content size in the frame header (it allocates whatever a frame
// claims) and has no output limit, so decoding drives the native context directly: frames that announce a size within
// the limit are decoded in one call into an exact buffer; frames without one (librdkafka writes them with the
// streaming API) are decoded in chunks with the limit enforced as output arrives.

import * as binding from 'zstd-napi/binding';
import { compress as zstdNapiCompress } from 'zstd-napi';

export class ZstdFormatError extends Error {}

let dctx: binding.DCtx | undefined;
const CHUNK = binding.dStreamOutSize();

export function zstdCompress(data: Buffer): Buffer {
  // Level 3 is both zstd's and Kafka's default (compression.zstd.level).
  return zstdNapiCompress(data, { compressionLevel: 3 });
}

export function zstdDecompress(data: Buffer, maxOutput: number): Buffer {
  dctx ??= new binding.DCtx();
  // A previous failure may have left the context mid-frame.
  dctx.reset(binding.ResetDirective.sessionOnly);
  try {
    const known = singleFrameSize(data);
    if (known !== null) {
      if (known > maxOutput) throw new ZstdFormatError(`zstd: content size ${known} exceeds limit ${maxOutput}`);
      const out = Buffer.allocUnsafe(known);
      const n = dctx.decompress(out, data);
      if (n !== known) throw new ZstdFormatError('zstd: frame shorter than its content size');
      return out;
    }
    return streaming(dctx, data, maxOutput);
  } catch (e) {
    dctx.reset(binding.ResetDirective.sessionOnly);
    if (e instanceof ZstdFormatError) throw e;
    throw new ZstdFormatError(`zstd: ${(e as Error).message}`);
  }
}

/** The content size when `data` is exactly one frame that declares it; null otherwise. */
function singleFrameSize(data: Buffer): number | null {
  let size: number | null;
  try {
    size = binding.getFrameContentSize(data);
    if (size === null) return null;
    if (binding.findFrameCompressedSize(data) !== data.length) return null;
  } catch {
    return null; // not decodable as a lone sized frame: let the streaming decoder report the problem
  }
  return size;
}

function streaming(ctx: binding.DCtx, data: Buffer, maxOutput: number): Buffer {
  const out: Buffer[] = [];
  let total = 0;
  let input = data;
  let pending = 1; // zstd's "more to come" hint; 0 once a frame has been fully decoded and flushed
  while (input.length > 0 || pending !== 0) {
    // One byte more than the limit allows, so overflow is detected rather than silently truncated.
    const room = maxOutput - total + 1;
    const chunk = Buffer.allocUnsafe(Math.min(Math.max(CHUNK, input.length * 4), room));
    const [ret, produced, consumed] = ctx.decompressStream(chunk, input);
    if (produced > 0) {
      total += produced;
      if (total > maxOutput) throw new ZstdFormatError(`zstd: output exceeds limit ${maxOutput}`);
      out.push(produced === chunk.length ? chunk : chunk.subarray(0, produced));
    }
    input = input.subarray(consumed);
    pending = ret;
    // No input left and the decoder still expects more, without producing anything: the frame is truncated.
    if (produced === 0 && consumed === 0) throw new ZstdFormatError('zstd: truncated frame');
  }
  return out.length === 1 ? out[0]! : Buffer.concat(out, total);
}
