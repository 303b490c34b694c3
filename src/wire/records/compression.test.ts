import { gzipSync } from 'node:zlib';
import { compressSync as snappyRaw } from '@napi-rs/snappy';
import { compressFrameSync } from 'lz4-napi';
import * as zstdBinding from 'zstd-napi/binding';
import { Compression, type CompressionCodec } from './batch';
import { compress, decompress } from './compression';
import { ErrorCode, KafkaError } from '../errors';
import { ALL_CODECS } from './__tests__/codecs';

// The LZ4 fixtures were written by the lz4 command-line tool (liblz4's frame encoder, as librdkafka uses) over
// pattern(70000), in 64 KiB blocks:
//   linked: lz4 -BD -B4 -BX --content-size   (linked blocks, block checksums, content size, content checksum)
//   indep:  lz4 -B4 --content-size           (independent blocks, content size, content checksum)
const LZ4_LINKED = 'BCJNGFxAcBEBAAAAAADjCgUAAP/////006fWDcI+za8gr2mWJlJlfua7RNCfWlt9qrnaXpYCZAXMH0fBspdSWyf86rHakM1G2XOyak+Cr45HrxPmCYoZckY+sAw6JzAPeeW3yAJ6lKzf3OoXWQZ+A5R/VgUe0ZR0uG6/lGMAZSWQG7mf3tukGtbMcJuRR/43MAckXJyttjDkdFC9SE/fc7Mshjc6FVP15Xn1d9S/UPyHA6jO04/MyttzaaMNXnZL9IFf0GsrZp+BclbnDgeDo9AKunSgho9i9uk8JOGT7HwvXjLiV7cMdG2jnOU00JH4EI3dp209JRLdrynUAm7zTxDkmSNr8t7Ns1T6JUjsYUMX3UH7MPoe8oH8uQe2jieLCxHZhqSy5QCuKdEXWkbDSYAlwT9poHgVI2GjzFSrD3NkveQ3iWaUXwIhr+mE5HZJs2vmfyaunIpNzMruO5sgxCaeV6AtG8k1n5pLhOvrJQHkkuIDATxeXdaIPfLXULq4LUN8Zy950M7ES4uLw5llqBJalU4eAwCU4Ds1HKHXKQYfG0luu8VgbfhHfl9JS7nyC1yMIS9VLjPb5hpqHlml4WxuX9OI4JxTEABiHsd4jhBlEfx2cR8DOYHnf5jdHVL1VGIL79pFE78uQJ+glbM/roTLy4au7QOh2vghG3qDQW7f9khYgA7A6r4wyXoVqxLzmbmIxDvmH2M3MOwonwls8uMJu9/U7gsIeFSi/LUtOYWe523h+cq0cjj/9asASb2iBFO1k8A2xUtjixU07iDRhFw6ZMdW+Yy8yDWBUV33CB6taDW9tdMv4M4SPOlJhuaLZ3f/nktu2y4e/Px/geYMfxq74+OzTvTwV4FboVaBbbMfO37LXr9DrrzYAllHA3ZbT5gVx0bJKqHly+KdtEpIka8CzOyfHtAgcaxavZFX3sYgKM5lhQdVE7BBb9gPOkU0DySC361a/WJYt/ZGUAjITClwuvkTZGRlNo/JDBvEHygE0uK5r92tUdiR9EuCV6P51VAz+CDXsa5FvOaum3h7dhwc3dBdrjHDpDKf3i2hzVJZhz8SZvYFBfUt5e5eAOyjtO0OsvZvSIu7627OZmGNWbesjzcu8ZF6rKEUuT4l8K30DL0sSV4aeWdpBKZOLBeOvTWAkEuU9hwbNOy4IcrxEs8c3EavVz1YP7curBKzjOkFcx6DG0g+8j5fEE/67kTKBpwNQg3PsO8nPOjk6MP34vWTHLCLEeACXvVRn8itLUkj5pqh1driAUy4WAwWRlBrvp3d9xKQwE4QJ62Fkz7YfoAyeh4DJaxOKkrRnu1CfPFfeG9xsgIt0zSAS5lz9WHYQJJTsSH7UpCIbNHSx9hLX6HiinP8PuGJ+OiAMYpBzTxS9nKORUOFgAAE////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////5FCORUOFgLKof0MbAAAADwD8//////////////////////9pUGcvedDOJ0oD1gAAAAABS2IM';
const LZ4_INDEP = 'BCJNGGxAcBEBAAAAAAA3CgUAAP/////006fWDcI+za8gr2mWJlJlfua7RNCfWlt9qrnaXpYCZAXMH0fBspdSWyf86rHakM1G2XOyak+Cr45HrxPmCYoZckY+sAw6JzAPeeW3yAJ6lKzf3OoXWQZ+A5R/VgUe0ZR0uG6/lGMAZSWQG7mf3tukGtbMcJuRR/43MAckXJyttjDkdFC9SE/fc7Mshjc6FVP15Xn1d9S/UPyHA6jO04/MyttzaaMNXnZL9IFf0GsrZp+BclbnDgeDo9AKunSgho9i9uk8JOGT7HwvXjLiV7cMdG2jnOU00JH4EI3dp209JRLdrynUAm7zTxDkmSNr8t7Ns1T6JUjsYUMX3UH7MPoe8oH8uQe2jieLCxHZhqSy5QCuKdEXWkbDSYAlwT9poHgVI2GjzFSrD3NkveQ3iWaUXwIhr+mE5HZJs2vmfyaunIpNzMruO5sgxCaeV6AtG8k1n5pLhOvrJQHkkuIDATxeXdaIPfLXULq4LUN8Zy950M7ES4uLw5llqBJalU4eAwCU4Ds1HKHXKQYfG0luu8VgbfhHfl9JS7nyC1yMIS9VLjPb5hpqHlml4WxuX9OI4JxTEABiHsd4jhBlEfx2cR8DOYHnf5jdHVL1VGIL79pFE78uQJ+glbM/roTLy4au7QOh2vghG3qDQW7f9khYgA7A6r4wyXoVqxLzmbmIxDvmH2M3MOwonwls8uMJu9/U7gsIeFSi/LUtOYWe523h+cq0cjj/9asASb2iBFO1k8A2xUtjixU07iDRhFw6ZMdW+Yy8yDWBUV33CB6taDW9tdMv4M4SPOlJhuaLZ3f/nktu2y4e/Px/geYMfxq74+OzTvTwV4FboVaBbbMfO37LXr9DrrzYAllHA3ZbT5gVx0bJKqHly+KdtEpIka8CzOyfHtAgcaxavZFX3sYgKM5lhQdVE7BBb9gPOkU0DySC361a/WJYt/ZGUAjITClwuvkTZGRlNo/JDBvEHygE0uK5r92tUdiR9EuCV6P51VAz+CDXsa5FvOaum3h7dhwc3dBdrjHDpDKf3i2hzVJZhz8SZvYFBfUt5e5eAOyjtO0OsvZvSIu7627OZmGNWbesjzcu8ZF6rKEUuT4l8K30DL0sSV4aeWdpBKZOLBeOvTWAkEuU9hwbNOy4IcrxEs8c3EavVz1YP7curBKzjOkFcx6DG0g+8j5fEE/67kTKBpwNQg3PsO8nPOjk6MP34vWTHLCLEeACXvVRn8itLUkj5pqh1driAUy4WAwWRlBrvp3d9xKQwE4QJ62Fkz7YfoAyeh4DJaxOKkrRnu1CfPFfeG9xsgIt0zSAS5lz9WHYQJJTsSH7UpCIbNHSx9hLX6HiinP8PuGJ+OiAMYpBzTxS9nKORUOFgAAE////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////5FCORUOFgBsEAAD/////9NOn1g3CPs2vIK9pliZSZX7mu0TQn1pbfaq52l6WAmQFzB9HwbKXUlsn/Oqx2pDNRtlzsmpPgq+OR68T5gmKGXJGPrAMOicwD3nlt8gCepSs39zqF1kGfgOUf1YFHtGUdLhuv5RjAGUlkBu5n97bpBrWzHCbkUf+NzAHJFycrbYw5HRQvUhP33OzLIY3OhVT9eV59XfUv1D8hwOoztOPzMrbc2mjDV52S/SBX9BrK2afgXJW5w4Hg6PQCrp0oIaPYvbpPCThk+x8L14y4le3DHRto5zlNNCR+BCN3adtPSUS3a8p1AJu808Q5Jkja/LezbNU+iVI7GFDF91B+zD6HvKB/LkHto4niwsR2YaksuUArinRF1pGw0mAJcE/aaB4FSNho8xUqw9zZL3kN4lmlF8CIa/phOR2SbNr5n8mrpyKTczK7jubIMQmnlegLRvJNZ+aS4Tr6yUB5JLiAwE8Xl3WiD3y11C6uC1DfGcvedDOxEuLi8OZZagSWpVOHgMAlOA7NRyh1ykGHxtJbrvFYG34R35fSUu58gtcjCEvVS4z2+Yaah5ZpeFsbl/TiOCcUxAAYh7HeI4QZRH8dnEfAzmB53+Y3R1S9VRiC+/aRRO/LkCfoJWzP66Ey8uGru0Dodr4IRt6g0Fu3/ZIWIAOwOq+MMl6FasS85m5iMQ75h9jNzDsKJ8JbPLjCbvf1O4LCHhUovy1LTmFnudt4fnKtHI4//WrAEm9ogRTtZPANsVLY4sVNO4g0YRcOmTHVvmMvMg1gVFd9wgerWg1vbXTL+DOEjzpSYbmi2d3/55LbtsuHvz8f4HmDH8au+Pjs0708FeBW6FWgW2zHzt+y16/Q6682AJZRwN2W0+YFcdGySqh5cvinbRKSJGvAszsnx7QIHGsWr2RV97GICjOZYUHVROwQW/YDzpFNA8kgt+tWv1iWLf2RlAIyEwpcLr5E2RkZTaPyQwbxB8oBNLiua/drVHYkfRLglej+dVQM/gg17GuRbzmrpt4e3YcHN3QXa4xw6Qyn94toc1SWYc/Emb2BQX1LeXuXgDso7TtDrL2b0iLu+tuzmZhjVm3rI83LvGReqyhFLk+JfCt9Ay9LEleGnlnaQSmTiwXjr01gJBLlPYcGzTsuCHK8RLPHNxGr1c9WD+3LqwSs4zpBXMegxtIPvI+XxBP+u5EygacDUINz7DvJzzo5OjD9+L1kxywixHgAl71UZ/IrS1JI+aaodXa4gFMuFgMFkZQa76d3fcSkMBOECethZM+2H6AMnoeAyWsTipK0Z7tQnzxX3hvcbICLdM0gEuZc/Vh2ECSU7Eh+1KQiGzR0sfYS1+h4opz/D7hifjogDGKQc08UvZyjkVDhYAABP////////////////9lUGcvedDOAAAAAAFLYgw=';

/** 1 KiB of pseudo-random bytes repeated: compressible, but only through matches across 1 KiB. */
function pattern(n: number): Buffer {
  const b = Buffer.alloc(n);
  let x = 0;
  for (let i = 0; i < n; i++) {
    if (i % 1024 === 0) x = 12345;
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

function random(n: number): Buffer {
  const b = Buffer.alloc(n);
  let x = 987654321;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

function expectCode(fn: () => unknown, code: number): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(KafkaError);
  expect((err as KafkaError).code).toBe(code);
}

describe('round trips', () => {
  const inputs: [string, Buffer][] = [
    ['empty', Buffer.alloc(0)],
    ['one byte', Buffer.from([7])],
    ['text', Buffer.from('hello kafka '.repeat(1000))],
    ['random 100k', random(100_000)],
    ['pattern 300k (several blocks)', pattern(300_000)],
  ];
  for (const [name, codec] of ALL_CODECS) {
    for (const [what, input] of inputs) {
      test(`${name}: ${what}`, () => {
        const packed = compress(codec, input);
        expect(decompress(codec, packed, 10 << 20).equals(input)).toBe(true);
      });
    }
  }
});

describe('gzip', () => {
  test('concatenated members decode as one stream', () => {
    const both = Buffer.concat([gzipSync(Buffer.from('abc')), gzipSync(Buffer.from('def'))]);
    expect(decompress(Compression.gzip, both).toString()).toBe('abcdef');
  });
  test('garbage is CORRUPT_MESSAGE', () => {
    expectCode(() => decompress(Compression.gzip, Buffer.from('not gzip at all')), ErrorCode.CORRUPT_MESSAGE);
  });
});

describe('snappy', () => {
  test('encodes xerial framing', () => {
    const packed = compress(Compression.snappy, Buffer.from('x'.repeat(100)));
    expect(packed.subarray(0, 8).equals(Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]))).toBe(true);
    expect(packed.readInt32BE(8)).toBe(1);
    expect(packed.readInt32BE(12)).toBe(1);
  });
  test('decodes a raw snappy block (librdkafka)', () => {
    const input = pattern(50_000);
    expect(decompress(Compression.snappy, snappyRaw(input)).equals(input)).toBe(true);
  });
  test('decodes hand-built xerial with several chunks', () => {
    const a = Buffer.from('first chunk '.repeat(50));
    const b = Buffer.from('second chunk '.repeat(70));
    const header = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0, 0, 0, 0, 1, 0, 0, 0, 1]);
    const chunk = (d: Buffer) => {
      const c = snappyRaw(d);
      const len = Buffer.alloc(4);
      len.writeInt32BE(c.length);
      return Buffer.concat([len, c]);
    };
    const stream = Buffer.concat([header, chunk(a), chunk(b)]);
    expect(decompress(Compression.snappy, stream).equals(Buffer.concat([a, b]))).toBe(true);
    // snappy-java also reads streams concatenated with their headers
    const twice = Buffer.concat([stream, stream]);
    expect(decompress(Compression.snappy, twice).equals(Buffer.concat([a, b, a, b]))).toBe(true);
  });
  test('truncated xerial chunk is CORRUPT_MESSAGE', () => {
    const packed = compress(Compression.snappy, pattern(10_000));
    expectCode(() => decompress(Compression.snappy, packed.subarray(0, packed.length - 3)), ErrorCode.CORRUPT_MESSAGE);
  });
  test('output limit is checked from the length preamble', () => {
    const packed = compress(Compression.snappy, Buffer.alloc(1 << 20));
    expectCode(() => decompress(Compression.snappy, packed, 100_000), ErrorCode.CORRUPT_MESSAGE);
    expectCode(() => decompress(Compression.snappy, snappyRaw(Buffer.alloc(1 << 20)), 100_000), ErrorCode.CORRUPT_MESSAGE);
  });
});

describe('lz4 frames', () => {
  const expected = pattern(70_000);
  test('linked blocks with block checksums, content size and content checksum (lz4 CLI)', () => {
    const frame = Buffer.from(LZ4_LINKED, 'base64');
    expect(frame[4]! & 0x20).toBe(0); // really linked
    expect(decompress(Compression.lz4, frame).equals(expected)).toBe(true);
  });
  test('independent blocks with content size and content checksum (lz4 CLI)', () => {
    const frame = Buffer.from(LZ4_INDEP, 'base64');
    expect(decompress(Compression.lz4, frame).equals(expected)).toBe(true);
  });
  test('lz4-napi frames with and without checksums', () => {
    const input = pattern(200_000);
    for (const options of [undefined, { blockChecksums: true }, { contentChecksum: true }, { blockChecksums: true, contentChecksum: true }]) {
      expect(decompress(Compression.lz4, compressFrameSync(input, options)).equals(input)).toBe(true);
    }
  });
  test('uncompressed blocks and concatenated frames', () => {
    const raw = Buffer.from('stored as is');
    const header = Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82]);
    const word = Buffer.alloc(4);
    word.writeUInt32LE((0x80000000 | raw.length) >>> 0);
    const frame = Buffer.concat([header, word, raw, Buffer.alloc(4)]);
    expect(decompress(Compression.lz4, frame).toString()).toBe('stored as is');
    const two = Buffer.concat([frame, compressFrameSync(Buffer.from(' and more'))]);
    expect(decompress(Compression.lz4, two).toString()).toBe('stored as is and more');
  });
  test('content size above the limit fails before decoding', () => {
    expectCode(() => decompress(Compression.lz4, Buffer.from(LZ4_INDEP, 'base64'), 60_000), ErrorCode.CORRUPT_MESSAGE);
  });
  test('decompression bomb without content size is stopped at the limit', () => {
    const bomb = compressFrameSync(Buffer.alloc(8 << 20));
    expect(bomb.length).toBeLessThan(64 << 10);
    expectCode(() => decompress(Compression.lz4, bomb, 1 << 20), ErrorCode.CORRUPT_MESSAGE);
    expect(decompress(Compression.lz4, bomb, 8 << 20).length).toBe(8 << 20);
  });
  test('the input frame is left byte for byte as it was, after success and after failure', () => {
    // The decoder lends each block's size word to lz4-napi as its capacity prefix and must put it back: the frame
    // is part of a stored or received batch covered by its CRC.
    for (const frame of [Buffer.from(LZ4_LINKED, 'base64'), Buffer.from(LZ4_INDEP, 'base64'), compressFrameSync(pattern(300_000))]) {
      const before = Buffer.from(frame);
      decompress(Compression.lz4, frame);
      expect(frame.equals(before)).toBe(true);
      expectCode(() => decompress(Compression.lz4, frame, 1000), ErrorCode.CORRUPT_MESSAGE);
      expect(frame.equals(before)).toBe(true);
      const corrupt = Buffer.from(frame);
      corrupt.fill(0xff, 20, 60);
      const corruptBefore = Buffer.from(corrupt);
      try {
        decompress(Compression.lz4, corrupt); // garbage inside literals decodes; elsewhere it fails
      } catch {
        // either way the buffer must be unchanged
      }
      expect(corrupt.equals(corruptBefore)).toBe(true);
    }
  });
  test('bad magic, truncation and corrupt blocks are CORRUPT_MESSAGE', () => {
    const good = compressFrameSync(pattern(100_000));
    expectCode(() => decompress(Compression.lz4, Buffer.from('nope nope')), ErrorCode.CORRUPT_MESSAGE);
    expectCode(() => decompress(Compression.lz4, good.subarray(0, good.length - 10)), ErrorCode.CORRUPT_MESSAGE);
    const bad = Buffer.from(good);
    bad.fill(0xff, 12, 40);
    expectCode(() => decompress(Compression.lz4, bad), ErrorCode.CORRUPT_MESSAGE);
  });
});

describe('zstd', () => {
  function streamCompress(input: Buffer): Buffer {
    // The streaming API fed piecewise without a pledged size writes no content size, like librdkafka.
    const cctx = new zstdBinding.CCtx();
    cctx.setParameter(zstdBinding.CParameter.compressionLevel, 3);
    const out: Buffer[] = [];
    const dst = Buffer.alloc(64 << 10);
    let src = input;
    while (src.length > 0) {
      const [, produced, consumed] = cctx.compressStream2(dst, src, zstdBinding.EndDirective.continue);
      out.push(Buffer.from(dst.subarray(0, produced)));
      src = src.subarray(consumed);
    }
    for (;;) {
      const [remaining, produced] = cctx.compressStream2(dst, Buffer.alloc(0), zstdBinding.EndDirective.end);
      out.push(Buffer.from(dst.subarray(0, produced)));
      if (remaining === 0) break;
    }
    return Buffer.concat(out);
  }

  test('frame without content size (streaming encoder)', () => {
    const input = pattern(500_000);
    const frame = streamCompress(input);
    expect(zstdBinding.getFrameContentSize(frame)).toBeNull();
    expect(decompress(Compression.zstd, frame).equals(input)).toBe(true);
  });
  test('several frames back to back', () => {
    const a = Buffer.from('alpha '.repeat(100));
    const b = random(5000);
    const both = Buffer.concat([compress(Compression.zstd, a), streamCompress(b)]);
    expect(decompress(Compression.zstd, both).equals(Buffer.concat([a, b]))).toBe(true);
  });
  test('bombs are stopped at the limit, with or without content size', () => {
    const big = Buffer.alloc(16 << 20);
    expectCode(() => decompress(Compression.zstd, compress(Compression.zstd, big), 1 << 20), ErrorCode.CORRUPT_MESSAGE);
    expectCode(() => decompress(Compression.zstd, streamCompress(big), 1 << 20), ErrorCode.CORRUPT_MESSAGE);
    // the context is usable again after a failure
    expect(decompress(Compression.zstd, compress(Compression.zstd, Buffer.from('ok'))).toString()).toBe('ok');
  });
  test('truncated and garbage input are CORRUPT_MESSAGE', () => {
    const frame = streamCompress(pattern(100_000));
    expectCode(() => decompress(Compression.zstd, frame.subarray(0, frame.length - 5)), ErrorCode.CORRUPT_MESSAGE);
    expectCode(() => decompress(Compression.zstd, Buffer.from('definitely not zstd')), ErrorCode.CORRUPT_MESSAGE);
    expect(decompress(Compression.zstd, frame).length).toBe(100_000);
  });
});

describe('limits and unknown codecs', () => {
  test('gzip bomb is stopped at the limit', () => {
    const bomb = gzipSync(Buffer.alloc(8 << 20));
    expectCode(() => decompress(Compression.gzip, bomb, 1 << 20), ErrorCode.CORRUPT_MESSAGE);
  });
  test('unknown codec is UNSUPPORTED_COMPRESSION_TYPE', () => {
    expectCode(() => decompress(5, Buffer.from('x')), ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
    expectCode(() => compress(7 as CompressionCodec, Buffer.from('x')), ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
  });
});
