import { ProtocolError } from './errors';
import { Reader, Writer, ZERO_UUID, isValidUuidString, uuidFromString, uuidToString } from './primitives';

const hex = (w: Writer): string => w.toBuffer().toString('hex');
const reader = (h: string): Reader => new Reader(Buffer.from(h, 'hex'));

describe('varint (zig-zag int32)', () => {
  test.each([
    [0, '00'],
    [-1, '01'],
    [1, '02'],
    [-64, '7f'],
    [64, '8001'],
    [2147483647, 'feffffff0f'],
    [-2147483648, 'ffffffff0f'],
  ])('%i ⇄ %s', (v, h) => {
    expect(hex(new Writer().writeVarint(v))).toBe(h);
    const r = reader(h);
    expect(r.readVarint()).toBe(v);
    expect(r.remaining).toBe(0);
  });

  test('a sixth byte is refused', () => {
    expect(() => reader('ffffffffff01').readVarint()).toThrow(ProtocolError);
  });
  test('truncated varint', () => {
    expect(() => reader('ff').readVarint()).toThrow(ProtocolError);
  });
});

describe('unsigned varint', () => {
  test.each([
    [0, '00'],
    [127, '7f'],
    [128, '8001'],
    [300, 'ac02'],
    [4294967295, 'ffffffff0f'],
  ])('%i ⇄ %s', (v, h) => {
    expect(hex(new Writer().writeUnsignedVarint(v))).toBe(h);
    expect(reader(h).readUnsignedVarint()).toBe(v);
  });
});

describe('varlong (zig-zag int64)', () => {
  test.each([
    [0, '00'],
    [-1, '01'],
    [2147483647, 'feffffff0f'],
    [-2147483648, 'ffffffff0f'],
    [2 ** 40, '808080808040'],
    [-(2 ** 40), 'ffffffffff3f'],
  ])('%i ⇄ %s', (v, h) => {
    expect(hex(new Writer().writeVarlong(v))).toBe(h);
    const r = reader(h);
    expect(r.readVarlong()).toBe(v);
    expect(r.remaining).toBe(0);
  });

  // Zig-zag doubles the magnitude, so exactness holds up to ±2^52 (int64 values here stay far below that).
  test('large values round-trip', () => {
    for (const v of [2 ** 52 - 1, -(2 ** 52 - 1), 1700000000000, -1700000000000]) {
      expect(new Reader(new Writer().writeVarlong(v).toBuffer()).readVarlong()).toBe(v);
    }
  });

  test('an eleventh byte is refused', () => {
    expect(() => reader('ffffffffffffffffffff01').readVarlong()).toThrow(ProtocolError);
  });
});

describe('fixed-width integers', () => {
  test('int64 as numbers, including negatives', () => {
    for (const v of [0, -1, 1, 2 ** 40, -(2 ** 40), 2 ** 53 - 1, -(2 ** 53 - 1), 4294967296, -4294967297]) {
      const w = new Writer().writeInt64(v);
      expect(w.length).toBe(8);
      expect(new Reader(w.toBuffer()).readInt64()).toBe(v);
    }
    expect(hex(new Writer().writeInt64(-1))).toBe('ffffffffffffffff');
    expect(hex(new Writer().writeInt64(2 ** 32))).toBe('0000000100000000');
  });

  test('unsigned and float', () => {
    const w = new Writer().writeUint16(65535).writeUint32(4294967295).writeFloat64(-2.5);
    const r = new Reader(w.toBuffer());
    expect([r.readUint16(), r.readUint32(), r.readFloat64()]).toEqual([65535, 4294967295, -2.5]);
  });

  test('reading past the end is a ProtocolError', () => {
    expect(() => reader('000000').readInt32()).toThrow(ProtocolError);
    expect(() => reader('00000000000000').readInt64()).toThrow(ProtocolError);
  });
});

describe('strings and bytes', () => {
  test('compact null vs empty', () => {
    expect(hex(new Writer().writeCompactNullableString(null))).toBe('00');
    expect(hex(new Writer().writeCompactNullableString(''))).toBe('01');
    expect(reader('00').readCompactNullableString()).toBeNull();
    expect(reader('01').readCompactNullableString()).toBe('');
    expect(() => reader('00').readCompactString()).toThrow(ProtocolError);
    expect(hex(new Writer().writeCompactNullableBytes(null))).toBe('00');
    expect(hex(new Writer().writeCompactNullableBytes(Buffer.alloc(0)))).toBe('01');
    expect(reader('00').readCompactNullableBytes()).toBeNull();
    expect(reader('01').readCompactNullableBytes()).toEqual(Buffer.alloc(0));
    expect(() => reader('00').readCompactBytes()).toThrow(ProtocolError);
    expect(hex(new Writer().writeCompactArrayLength(-1))).toBe('00');
    expect(hex(new Writer().writeCompactArrayLength(0))).toBe('01');
    expect(reader('00').readCompactArrayLength()).toBe(-1);
  });

  test('classic null vs empty', () => {
    expect(hex(new Writer().writeNullableString(null))).toBe('ffff');
    expect(hex(new Writer().writeNullableString(''))).toBe('0000');
    expect(reader('ffff').readNullableString()).toBeNull();
    expect(() => reader('ffff').readString()).toThrow(ProtocolError);
    expect(hex(new Writer().writeNullableBytes(null))).toBe('ffffffff');
    expect(reader('ffffffff').readNullableBytes()).toBeNull();
  });

  test('UTF-8 lengths count bytes, not characters', () => {
    const w = new Writer().writeCompactString('é€').writeString('é');
    expect(hex(w)).toBe('06c3a9e282ac0002c3a9');
    const r = new Reader(w.toBuffer());
    expect(r.readCompactString()).toBe('é€');
    expect(r.readString()).toBe('é');
  });

  test('lengths beyond the frame are refused', () => {
    expect(() => reader('0005616263').readString()).toThrow(ProtocolError);
    expect(() => reader('05616263').readCompactString()).toThrow(ProtocolError);
    expect(() => reader('7fffffff').readBytes()).toThrow(ProtocolError);
    expect(() => reader('7fffffff').readArrayLength()).toThrow(ProtocolError);
    expect(() => reader('ffffffff0f').readCompactArrayLength()).toThrow(ProtocolError);
  });

  test('bytes are views of the frame', () => {
    const buf = Buffer.from('0000000361626364', 'hex');
    const b = new Reader(buf).readBytes();
    expect(b.toString()).toBe('abc');
    expect(b.buffer).toBe(buf.buffer);
  });
});

describe('uuid', () => {
  test('22-character URL-safe base64 both ways', () => {
    const bytes = Buffer.from([...Array(16).keys()]);
    const s = uuidToString(bytes);
    expect(s).toBe('AAECAwQFBgcICQoLDA0ODw');
    expect(isValidUuidString(s)).toBe(true);
    expect(uuidFromString(s)).toEqual(bytes);
    const w = new Writer().writeUuid(s).writeUuid(ZERO_UUID);
    expect(hex(w)).toBe(bytes.toString('hex') + '00'.repeat(16));
    const r = new Reader(w.toBuffer());
    expect(r.readUuid()).toBe(s);
    expect(r.readUuid()).toBe(ZERO_UUID);
  });

  test('bytes with the URL-safe characters', () => {
    const bytes = Buffer.alloc(16, 0xff);
    const s = uuidToString(bytes);
    expect(s).toBe('_____________________w');
    expect(new Reader(new Writer().writeUuid(s).toBuffer()).readUuid()).toBe(s);
  });

  test('invalid uuid strings are refused', () => {
    expect(() => new Writer().writeUuid('short')).toThrow(ProtocolError);
    expect(isValidUuidString('AAECAwQFBgcICQoLDA0OD+')).toBe(false);
  });
});

describe('tagged fields and chunks', () => {
  test('skipTaggedFields skips every field', () => {
    const r = reader('02' + '00' + '02' + 'abcd' + '05' + '01' + 'ee' + '99');
    r.skipTaggedFields();
    expect(r.remaining).toBe(1);
    expect(() => reader('01' + '00' + '05' + 'ab').skipTaggedFields()).toThrow(ProtocolError);
  });

  test('large raw buffers become their own chunk', () => {
    const big = Buffer.alloc(Writer.RAW_CHUNK_MIN, 1);
    const w = new Writer().writeInt32(1).writeRecords([big, Buffer.from('xy')], false).writeInt8(2);
    const chunks = w.toChunks();
    expect(chunks).toContain(big);
    expect(Buffer.concat(chunks).length).toBe(4 + 4 + big.length + 2 + 1);
    expect(w.toBuffer().readInt32BE(4)).toBe(big.length + 2);
  });

  test('compact records from several buffers', () => {
    const w = new Writer().writeRecords([Buffer.from('ab'), Buffer.from('c')], true).writeRecords(null, true);
    expect(hex(w)).toBe('0461626300');
  });
});
