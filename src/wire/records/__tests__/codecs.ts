// Test helper for the record-format suites.

import { Compression, type CompressionCodec } from '../batch';

/**
 * Every codec a batch can carry, with the name tests are titled by. Suites that must hold for each codec iterate
 * this one list, so a codec added to the format is covered by all of them at once.
 */
export const ALL_CODECS: readonly (readonly [name: string, codec: CompressionCodec])[] = [
  ['none', Compression.none],
  ['gzip', Compression.gzip],
  ['snappy', Compression.snappy],
  ['lz4', Compression.lz4],
  ['zstd', Compression.zstd],
];
