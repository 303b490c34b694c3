import { ProtocolError } from './errors';
import { ApiKey, APIS, apiInfo } from './generated/apis';
import {
  decodeRequestHeader,
  decodeResponseHeader,
  encodeResponseHeader,
  isFlexible,
  requestHeaderVersion,
  responseHeaderVersion,
} from './header';
import { Reader, Writer } from './primitives';

const b = (h: string): Buffer => Buffer.from(h.replace(/\s+/g, ''), 'hex');
const ascii = (s: string): string => Buffer.from(s).toString('hex');

describe('request header', () => {
  test('v1 for a non-flexible version (Metadata v8)', () => {
    const r = new Reader(b(`0003 0008 0000002a 0003 ${ascii('cli')} ff`));
    expect(decodeRequestHeader(r)).toEqual({
      apiKey: 3,
      apiVersion: 8,
      correlationId: 42,
      clientId: 'cli',
      headerVersion: 1,
      supported: true,
    });
    expect(r.remaining).toBe(1);
  });

  test('v2 for a flexible version: client id stays a classic string, then tagged fields', () => {
    // Metadata v12, null client id, one unknown tagged field (tag 5, 2 bytes).
    const r = new Reader(b('0003 000c 00000007 ffff 01 05 02 abcd 99'));
    const h = decodeRequestHeader(r);
    expect(h).toMatchObject({ apiKey: 3, apiVersion: 12, correlationId: 7, clientId: null, headerVersion: 2 });
    expect(r.remaining).toBe(1);
  });

  test('ControlledShutdown v0 has no client id (header v0)', () => {
    const r = new Reader(b('0007 0000 00000001 00000005'));
    expect(decodeRequestHeader(r)).toMatchObject({ apiKey: 7, headerVersion: 0, clientId: null, correlationId: 1 });
    expect(r.remaining).toBe(4);
    expect(requestHeaderVersion(ApiKey.ControlledShutdown, 1)).toBe(1);
  });

  test('a version beyond the schema is flagged, keeping key, version and correlation id', () => {
    // ApiVersions v99 from a future client: flexible, so header v2.
    const r = new Reader(b(`0012 0063 00000003 0001 ${ascii('x')} 00 aa`));
    const h = decodeRequestHeader(r);
    expect(h).toEqual({
      apiKey: 18,
      apiVersion: 99,
      correlationId: 3,
      clientId: 'x',
      headerVersion: 2,
      supported: false,
    });
    expect(r.remaining).toBe(1);
  });

  test('an unknown API key is flagged', () => {
    const h = decodeRequestHeader(new Reader(b(`7fff 0001 00000009 0002 ${ascii('ab')}`)));
    expect(h).toEqual({ apiKey: 32767, apiVersion: 1, correlationId: 9, clientId: 'ab', headerVersion: 1, supported: false });
    // A client id that does not parse is dropped rather than failing the header.
    const r = new Reader(b('ffff 0000 0000000a 7fff'));
    expect(decodeRequestHeader(r)).toMatchObject({ apiKey: -1, correlationId: 10, clientId: null, supported: false });
  });

  test('truncated headers are ProtocolErrors', () => {
    expect(() => decodeRequestHeader(new Reader(b('0003 0001 0000')))).toThrow(ProtocolError);
    expect(() => decodeRequestHeader(new Reader(b('0003 0001 00000001 0005 6162')))).toThrow(ProtocolError);
  });
});

describe('response header', () => {
  const encode = (apiKey: number, v: number): string => {
    const w = new Writer();
    encodeResponseHeader(w, apiKey, v, 0x01020304);
    return w.toBuffer().toString('hex');
  };

  test('v0 for non-flexible versions, v1 (tagged fields) for flexible ones', () => {
    expect(encode(ApiKey.Metadata, 8)).toBe('01020304');
    expect(encode(ApiKey.Metadata, 9)).toBe('0102030400');
    expect(encode(ApiKey.Fetch, 12)).toBe('0102030400');
  });

  test('ApiVersions responses always use header v0', () => {
    for (let v = 0; v <= 4; v++) expect(encode(ApiKey.ApiVersions, v)).toBe('01020304');
    expect(responseHeaderVersion(ApiKey.ApiVersions, 3)).toBe(0);
  });

  test('decodeResponseHeader mirrors the rules', () => {
    const r = new Reader(b('01020304 00 ff'));
    expect(decodeResponseHeader(r, ApiKey.Metadata, 12)).toBe(0x01020304);
    expect(r.remaining).toBe(1);
  });
});

describe('API table', () => {
  test('keys are unique and ascending; known APIs are present', () => {
    const keys = APIS.map((a) => a.apiKey);
    expect([...keys].sort((x, y) => x - y)).toEqual(keys);
    expect(new Set(keys).size).toBe(keys.length);
    expect(apiInfo(0)?.name).toBe('Produce');
    expect(apiInfo(18)).toMatchObject({ name: 'ApiVersions', minVersion: 0, flexibleMin: 3 });
    expect(apiInfo(3)).toMatchObject({ name: 'Metadata', flexibleMin: 9 });
    expect(apiInfo(-1)).toBeUndefined();
    expect(apiInfo(9999)).toBeUndefined();
    for (const a of APIS) {
      expect(a.minVersion).toBeLessThanOrEqual(a.maxVersion);
      expect(typeof a.decodeRequest).toBe('function');
      expect(ApiKey[a.name as keyof typeof ApiKey]).toBe(a.apiKey);
    }
  });

  test('isFlexible', () => {
    expect(isFlexible(ApiKey.Produce, 8)).toBe(false);
    expect(isFlexible(ApiKey.Produce, 9)).toBe(true);
    expect(isFlexible(9999, 5)).toBe(false);
    const neverFlexible = APIS.filter((a) => a.flexibleMin < 0);
    for (const a of neverFlexible) expect(isFlexible(a.apiKey, a.maxVersion)).toBe(false);
  });
});
