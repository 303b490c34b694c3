// Round-trips every generated codec in every valid version, with samples built from the generated field
// descriptors, and checks that malformed input fails with ProtocolError rather than a crash.

import { ProtocolError } from './errors';
import * as groupcoord from './generated/groupcoord';
import * as messages from './generated/messages';
import * as metadata from './generated/metadata';
import * as raft from './generated/raft';
import { MESSAGE_DESCRIPTORS, type FieldDesc, type MessageDesc } from './generated/__tests__/descriptors';
import * as txn from './generated/txn';
import { Reader, Writer, uuidToString } from './primitives';

type Obj = Record<string, unknown>;
type Fn = (...args: unknown[]) => unknown;

const MODULES: Record<string, Record<string, unknown>> = { messages, metadata, groupcoord, txn, raft };

function fn(desc: MessageDesc, prefix: string, name: string): Fn {
  const f = MODULES[desc.dir]![prefix + name];
  if (typeof f !== 'function') throw new Error(`missing ${prefix}${name} in ${desc.dir}`);
  return f as Fn;
}

function inRange(spec: string, v: number): boolean {
  if (spec === '') return false;
  if (spec.endsWith('+')) return v >= Number(spec.slice(0, -1));
  const [lo, hi] = spec.split('-').map(Number);
  return v >= lo! && v <= hi!;
}

const UUIDS = [uuidToString(Buffer.from('0123456789abcdef')), uuidToString(Buffer.from('fedcba9876543210'))];

/** A value of the primitive type differing from `def` (the field's default). `n` varies array elements. */
function primitiveSample(type: string, def: unknown, n: number): unknown {
  switch (type) {
    case 'bool':
      return def !== true;
    case 'int8':
      return def === 7 + n ? -8 - n : 7 + n;
    case 'int16':
      return def === 1234 + n ? -1234 : 1234 + n;
    case 'uint16':
      return 65000 + n;
    case 'int32':
      return def === 123456 + n ? -123456 : 123456 + n;
    case 'uint32':
      return 4000000000 + n;
    case 'int64':
      return 1234567890123 + n;
    case 'float64':
      return 2.5 + n;
    case 'string':
      return `s${n}-é`;
    case 'uuid':
      return UUIDS[n % 2];
    case 'bytes':
      return Buffer.from([1, 2, 3, n]);
    case 'records':
      return Buffer.from(`records-${n}`);
  }
  throw new Error(`unknown type ${type}`);
}

/**
 * A sample of struct `si` for version `v`: every field present in `v` set to a non-default value (or, with
 * `nulls`, to null where `v` allows it); fields absent from `v` keep their defaults, which is what decode gives.
 */
function buildSample(desc: MessageDesc, si: number, v: number, nulls: boolean): Obj {
  const [name, fields] = desc.structs[si]!;
  const m = fn(desc, 'default', name)() as Obj;
  for (const [prop, type, versions, nullable, , , sub] of fields as readonly FieldDesc[]) {
    if (!inRange(versions, v)) continue;
    if (nulls && inRange(nullable, v)) {
      m[prop] = null;
      continue;
    }
    const isArray = type.startsWith('[]');
    const base = isArray ? type.slice(2) : type;
    const one = (n: number): unknown =>
      base === 'struct' ? buildSample(desc, sub, v, nulls) : primitiveSample(base, isArray ? undefined : m[prop], n);
    m[prop] = isArray ? [one(0), one(1)] : one(0);
  }
  return m;
}

function encode(desc: MessageDesc, v: number, m: Obj): Buffer {
  const w = new Writer(16);
  fn(desc, 'encode', desc.name)(w, v, m);
  return w.toBuffer();
}

function decodeAll(desc: MessageDesc, v: number, buf: Buffer): Obj {
  const r = new Reader(buf);
  const m = fn(desc, 'decode', desc.name)(r, v) as Obj;
  expect(r.remaining).toBe(0);
  return m;
}

function versions(desc: MessageDesc): number[] {
  const out: number[] = [];
  for (let v = desc.validVersions[0]; v <= desc.validVersions[1]; v++) out.push(v);
  return out;
}

const cases = MESSAGE_DESCRIPTORS.map((d) => [`${d.dir}/${d.name}`, d] as const);

describe('generated codecs round-trip', () => {
  test('descriptors cover every schema directory', () => {
    const dirs = new Set(MESSAGE_DESCRIPTORS.map((d) => d.dir));
    expect([...dirs].sort()).toEqual(['groupcoord', 'messages', 'metadata', 'raft', 'txn']);
    expect(MESSAGE_DESCRIPTORS.length).toBeGreaterThan(200);
  });

  test.each(cases)('%s', (_, desc) => {
    for (const v of versions(desc)) {
      for (const nulls of [false, true]) {
        const sample = buildSample(desc, 0, v, nulls);
        const bytes = encode(desc, v, sample);
        const decoded = decodeAll(desc, v, bytes);
        try {
          expect(decoded).toEqual(sample);
        } catch (e) {
          throw new Error(`v${v}${nulls ? ' (nulls)' : ''}: ${(e as Error).message}`);
        }
        // Re-encoding what was decoded gives the same bytes.
        expect(encode(desc, v, decoded).equals(bytes)).toBe(true);
      }
      // The all-defaults message round-trips too (tagged fields at their defaults are not written).
      const def = fn(desc, 'default', desc.name)() as Obj;
      expect(decodeAll(desc, v, encode(desc, v, def))).toEqual(def);
    }
  });
});

describe('generated codecs reject malformed input', () => {
  // Every strict prefix of a valid encoding must fail with ProtocolError: no field is optional on the wire.
  test.each(cases)('truncations of %s', (_, desc) => {
    const v = desc.validVersions[1];
    const bytes = encode(desc, v, buildSample(desc, 0, v, false));
    const decode = fn(desc, 'decode', desc.name);
    for (let len = 0; len < bytes.length; len++) {
      expect(() => decode(new Reader(bytes.subarray(0, len)), v)).toThrow(ProtocolError);
    }
  });

  // Corrupted bytes may decode to something else, but must never escape as a TypeError/RangeError.
  test('random corruption throws only ProtocolError', () => {
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (const desc of MESSAGE_DESCRIPTORS) {
      const v = desc.validVersions[1];
      const bytes = encode(desc, v, buildSample(desc, 0, v, false));
      const decode = fn(desc, 'decode', desc.name);
      for (let k = 0; k < 20 && bytes.length > 0; k++) {
        const copy = Buffer.from(bytes);
        for (let j = 0; j < 3; j++) copy[rand(copy.length)] = rand(2) === 0 ? 0xff : rand(256);
        try {
          decode(new Reader(copy), v);
        } catch (e) {
          if (!(e instanceof ProtocolError)) throw new Error(`${desc.name}: ${String(e)}`);
        }
      }
    }
  });

  test('array length beyond the frame is refused before allocating', () => {
    // MetadataRequest v1: topics array claiming 2^31-1 entries in a 4-byte frame.
    const buf = Buffer.from([0x7f, 0xff, 0xff, 0xff]);
    expect(() => messages.decodeMetadataRequest(new Reader(buf), 1)).toThrow(ProtocolError);
    // Compact (v9+): varint length 2^28.
    const compact = Buffer.from([0x81, 0x80, 0x80, 0x80, 0x01]);
    expect(() => messages.decodeMetadataRequest(new Reader(compact), 9)).toThrow(ProtocolError);
  });

  test('null in a non-nullable array is a ProtocolError', () => {
    // MetadataRequest v0 topics are not nullable.
    expect(() => messages.decodeMetadataRequest(new Reader(Buffer.from([0xff, 0xff, 0xff, 0xff])), 0)).toThrow(
      ProtocolError,
    );
  });

  test('tagged field whose size disagrees with its content is a ProtocolError', () => {
    // ApiVersionsResponse v3 with tag 1 (FinalizedFeaturesEpoch, int64) declared as 9 bytes.
    const buf = Buffer.from([0, 0, 1, 0, 0, 0, 0, 1, 1, 9, 0, 0, 0, 0, 0, 0, 0, 5, 0]);
    expect(() => messages.decodeApiVersionsResponse(new Reader(buf), 3)).toThrow(ProtocolError);
  });
});

describe('generated codecs: encoding rules', () => {
  test('writing null into a field that is not nullable in that version throws', () => {
    const m = messages.defaultMetadataRequest();
    m.topics = null;
    expect(() => messages.encodeMetadataRequest(new Writer(), 0, m)).toThrow(/non-nullable/);
    // Nullable from v1: null encodes as length -1.
    const w = new Writer();
    messages.encodeMetadataRequest(w, 1, m);
    expect(w.toBuffer()).toEqual(Buffer.from([0xff, 0xff, 0xff, 0xff]));
  });

  test('fields absent from a version are not written and decode as defaults', () => {
    const m = messages.defaultMetadataRequest();
    m.allowAutoTopicCreation = false; // v4+
    m.includeTopicAuthorizedOperations = true; // v8+
    const w = new Writer();
    messages.encodeMetadataRequest(w, 3, m);
    expect(w.toBuffer()).toEqual(Buffer.from([0, 0, 0, 0]));
    const d = messages.decodeMetadataRequest(new Reader(w.toBuffer()), 3);
    expect(d.allowAutoTopicCreation).toBe(true);
    expect(d.includeTopicAuthorizedOperations).toBe(false);
  });

  test('records encode from a list of buffers and decode as a view of the frame', () => {
    const m = messages.defaultProduceRequest();
    const p = messages.defaultProduceRequestPartitionProduceData();
    p.index = 3;
    p.records = [Buffer.from('abc'), Buffer.from('defg')];
    const t = messages.defaultProduceRequestTopicProduceData();
    t.name = 'topic';
    t.partitionData = [p];
    m.topicData = [t];
    for (const v of [3, 9]) {
      const w = new Writer();
      messages.encodeProduceRequest(w, v, m);
      const frame = w.toBuffer();
      const d = messages.decodeProduceRequest(new Reader(frame), v);
      const rec = d.topicData[0]!.partitionData[0]!.records as Buffer;
      expect(rec.toString()).toBe('abcdefg');
      expect(rec.buffer).toBe(frame.buffer); // a view, not a copy
    }
  });

  test('large records are appended as their own chunk, not copied', () => {
    const big = Buffer.alloc(Writer.RAW_CHUNK_MIN * 2, 7);
    const m = messages.defaultFetchResponse();
    const p = messages.defaultFetchResponsePartitionData();
    p.records = big;
    const t = messages.defaultFetchResponseFetchableTopicResponse();
    t.partitions = [p];
    m.responses = [t];
    const w = new Writer();
    messages.encodeFetchResponse(w, 12, m);
    expect(w.toChunks()).toContain(big);
  });

  test('tagged fields are written only when they differ from their defaults, in tag order', () => {
    const m = messages.defaultApiVersionsResponse();
    const base = new Writer();
    messages.encodeApiVersionsResponse(base, 3, m);
    // errorCode, empty apiKeys, throttleTimeMs, no tagged fields.
    expect(base.toBuffer()).toEqual(Buffer.from([0, 0, 1, 0, 0, 0, 0, 0]));
    m.zkMigrationReady = true;
    m.finalizedFeaturesEpoch = 5;
    const w = new Writer();
    messages.encodeApiVersionsResponse(w, 3, m);
    expect(w.toBuffer()).toEqual(
      Buffer.from([0, 0, 1, 0, 0, 0, 0, 2, /* tag 1 */ 1, 8, 0, 0, 0, 0, 0, 0, 0, 5, /* tag 3 */ 3, 1, 1]),
    );
  });

  test('tagged struct equal to its default is not written; a changed one is', () => {
    const m = messages.defaultProduceResponse();
    const p = messages.defaultProduceResponsePartitionProduceResponse();
    const t = messages.defaultProduceResponseTopicProduceResponse();
    t.partitionResponses = [p];
    m.responses = [t];
    const plain = new Writer();
    messages.encodeProduceResponse(plain, 10, m);
    p.currentLeader.leaderId = 2;
    const tagged = new Writer();
    messages.encodeProduceResponse(tagged, 10, m);
    // tag 0, size 9 (leaderId int32 + leaderEpoch int32 + empty tagged section).
    expect(tagged.length - plain.length).toBe(11);
    const d = messages.decodeProduceResponse(new Reader(tagged.toBuffer()), 10);
    expect(d.responses[0]!.partitionResponses[0]!.currentLeader).toEqual({ leaderId: 2, leaderEpoch: -1 });
  });
});
