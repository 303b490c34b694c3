import { KeyedTimers, SystemClock } from './clock';
import { encodeSubscription, parseSubscriptionTopics } from './consumer-protocol';
import { FakeClock } from './fake-clock';
import { GroupMember } from './member';
import { javaStringHashCode, kafkaAbs, partitionFor } from './partition';
import { candidateProtocols, selectProtocol, supportsProtocols } from './protocol-selection';
import {
  decodeGroupMetadataValue,
  decodeKey,
  decodeOffsetCommitValue,
  encodeGroupMetadataKey,
  encodeGroupMetadataValue,
  encodeOffsetCommitKey,
  encodeOffsetCommitValue,
} from './records';
import { Writer } from '../wire/primitives';
import { encodeGroupMetadataValue as encodeBody } from '../wire/generated/groupcoord';

/** Reference String.hashCode with arbitrary precision, reduced to int32 at the end. */
function referenceHash(s: string): number {
  let h = 0n;
  for (let i = 0; i < s.length; i++) h = h * 31n + BigInt(s.charCodeAt(i));
  return Number(BigInt.asIntN(32, h));
}

describe('partitionFor', () => {
  test('matches Java String.hashCode', () => {
    expect(javaStringHashCode('hello')).toBe(99162322);
    expect(javaStringHashCode('')).toBe(0);
    expect(javaStringHashCode('Aa')).toBe(2112);
    expect(javaStringHashCode('BB')).toBe(2112);
    expect(javaStringHashCode('Hello World')).toBe(-862545276);
    expect(javaStringHashCode('polygenelubricants')).toBe(-2147483648);
    for (const s of ['my-group', 'consumer-group-1', 'ünïcödé', '😀 emoji', 'x'.repeat(1000)]) {
      expect(javaStringHashCode(s)).toBe(referenceHash(s));
    }
  });

  test('uses Kafka Utils.abs (MIN_VALUE maps to 0) and the partition count', () => {
    expect(kafkaAbs(-2147483648)).toBe(0);
    expect(kafkaAbs(-1)).toBe(2147483647);
    expect(kafkaAbs(5)).toBe(5);
    expect(partitionFor('hello', 50)).toBe(99162322 % 50);
    expect(partitionFor('Hello World', 50)).toBe((-862545276 & 0x7fffffff) % 50);
    expect(partitionFor('Hello World', 50)).toBe(22);
    expect(partitionFor('polygenelubricants', 50)).toBe(0);
  });
});

describe('record codecs', () => {
  test('keys carry their record type as the version', () => {
    expect(encodeOffsetCommitKey('g', 't', 3).readInt16BE(0)).toBe(1);
    expect(decodeKey(encodeOffsetCommitKey('g', 't', 3))).toEqual({ type: 'offset', group: 'g', topic: 't', partition: 3 });
    expect(decodeKey(encodeGroupMetadataKey('g'))).toEqual({ type: 'group', group: 'g' });
    const v0 = Buffer.from(encodeOffsetCommitKey('g', 't', 3));
    v0.writeInt16BE(0, 0);
    expect(decodeKey(v0)).toMatchObject({ type: 'offset', partition: 3 });
    expect(decodeKey(Buffer.from([0, 9, 1, 2]))).toEqual({ type: 'unknown', version: 9 });
  });

  test('offset values round-trip (v3, and v1 with an expire timestamp)', () => {
    const o = { offset: 2 ** 40, leaderEpoch: 5, metadata: 'héllo', commitTimestamp: 1_700_000_000_123, expireTimestamp: null };
    expect(encodeOffsetCommitValue(o).readInt16BE(0)).toBe(3);
    expect(decodeOffsetCommitValue(encodeOffsetCommitValue(o))).toEqual(o);
    const e = { ...o, expireTimestamp: 1_800_000_000_000 };
    expect(encodeOffsetCommitValue(e).readInt16BE(0)).toBe(1);
    expect(decodeOffsetCommitValue(encodeOffsetCommitValue(e))).toEqual({ ...e, leaderEpoch: -1 });
  });

  test('group metadata values round-trip, and flexible v4 values decode', () => {
    const g = {
      protocolType: 'consumer',
      generation: 4,
      protocol: 'range',
      leader: 'm1',
      currentStateTimestamp: 123,
      members: [
        {
          memberId: 'm1',
          groupInstanceId: 'i1',
          clientId: 'c',
          clientHost: '/h',
          rebalanceTimeout: 30000,
          sessionTimeout: 10000,
          subscription: Buffer.from([1, 2]),
          assignment: Buffer.from([3]),
        },
      ],
    };
    expect(decodeGroupMetadataValue(encodeGroupMetadataValue(g))).toEqual(g);
    const w = new Writer();
    w.writeInt16(4);
    encodeBody(w, 4, g);
    expect(decodeGroupMetadataValue(Buffer.from(w.toBuffer()))).toEqual(g);
    expect(() => decodeGroupMetadataValue(Buffer.from([0, 9]))).toThrow();
  });
});

describe('consumer protocol subscription', () => {
  test('topics are read from any subscription version; garbage gives null', () => {
    expect(parseSubscriptionTopics(encodeSubscription(['a', 'bb'], Buffer.from('ud')))).toEqual(['a', 'bb']);
    const v3 = Buffer.concat([encodeSubscription(['x']), Buffer.from([0, 0, 0, 0, 0xff, 0xff])]);
    v3.writeInt16BE(3, 0);
    expect(parseSubscriptionTopics(v3)).toEqual(['x']);
    expect(parseSubscriptionTopics(Buffer.from([0, 0, 0, 0, 0, 5, 0]))).toBeNull();
    expect(parseSubscriptionTopics(Buffer.alloc(0))).toBeNull();
  });
});

describe('protocol selection', () => {
  const m = (id: string, names: string[]) =>
    new GroupMember(id, null, 'c', 'h', 1, 1, 'consumer', names.map((name) => ({ name, metadata: Buffer.alloc(0) })));

  test('candidates are the protocols every member supports; votes pick the most preferred', () => {
    const members = [m('a', ['range', 'roundrobin']), m('b', ['range', 'roundrobin']), m('c', ['roundrobin', 'range'])];
    expect(candidateProtocols(members)).toEqual(['range', 'roundrobin']);
    expect(selectProtocol(members)).toBe('range');
    expect(selectProtocol([m('a', ['x']), m('b', ['y'])])).toBeUndefined();
  });

  test('supportsProtocols: empty groups accept any non-empty type and list', () => {
    const members = [m('a', ['range'])];
    expect(supportsProtocols(true, null, [], 'consumer', ['x'])).toBe(true);
    expect(supportsProtocols(true, null, [], '', ['x'])).toBe(false);
    expect(supportsProtocols(true, null, [], 'consumer', [])).toBe(false);
    expect(supportsProtocols(false, 'consumer', members, 'consumer', ['sticky', 'range'])).toBe(true);
    expect(supportsProtocols(false, 'consumer', members, 'consumer', ['sticky'])).toBe(false);
    expect(supportsProtocols(false, 'consumer', members, 'connect', ['range'])).toBe(false);
  });
});

describe('clocks and timers', () => {
  test('FakeClock runs due timers in order, including ones scheduled meanwhile', () => {
    const clock = new FakeClock(0);
    const seen: string[] = [];
    clock.schedule(20, () => seen.push(`b@${clock.now()}`));
    clock.schedule(10, () => {
      seen.push(`a@${clock.now()}`);
      clock.schedule(5, () => seen.push(`c@${clock.now()}`));
    });
    const h = clock.schedule(12, () => seen.push('cancelled'));
    clock.cancel(h);
    clock.advance(30);
    expect(seen).toEqual(['a@10', 'c@15', 'b@20']);
    expect(clock.now()).toBe(30);
    expect(clock.pendingCount).toBe(0);
  });

  test('KeyedTimers replaces a name’s timer and cancels whole scopes', () => {
    const clock = new FakeClock(0);
    const t = new KeyedTimers(clock);
    const seen: string[] = [];
    t.set('g1', 'a', 10, () => seen.push('first'));
    t.set('g1', 'a', 20, () => seen.push('second'));
    t.set('g2', 'a', 5, () => seen.push('other'));
    t.set('g3', 'a', 5, () => seen.push('g3a'));
    t.set('g3', 'b', 5, () => seen.push('g3b'));
    t.cancelScope('g3');
    clock.advance(30);
    expect(seen).toEqual(['other', 'second']);
    expect(t.has('g1', 'a')).toBe(false);
    expect(clock.pendingCount).toBe(0);
  });
});

describe('SystemClock', () => {
  test('runs and cancels real timers', async () => {
    const clock = new SystemClock();
    const seen: number[] = [];
    clock.schedule(1, () => seen.push(1));
    const h = clock.schedule(1, () => seen.push(2));
    clock.cancel(h);
    await new Promise((r) => setTimeout(r, 20));
    expect(seen).toEqual([1]);
    expect(Math.abs(clock.now() - Date.now())).toBeLessThan(50);
  });

  test('a throwing timer callback is reported, not rethrown, when KeyedTimers has an error handler', () => {
    const clock = new FakeClock(0);
    const errors: unknown[] = [];
    const t = new KeyedTimers(clock, (e) => errors.push(e));
    t.set('g', 'x', 1, () => {
      throw new Error('boom');
    });
    clock.advance(1);
    expect(errors).toHaveLength(1);
  });
});
