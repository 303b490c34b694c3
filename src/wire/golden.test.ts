// Hand-assembled frames for flexible versions, laid out field by field from the protocol specification, decoded and
// re-encoded by the generated codecs.

import * as msg from './generated/messages';
import { decodeRequestHeader } from './header';
import { Reader, Writer, ZERO_UUID } from './primitives';

/** Hex with whitespace, `'text'` segments (ASCII) and `#` comments to the end of the line. */
function bytes(spec: string): Buffer {
  const h = spec
    .replace(/#.*$/gm, '')
    .replace(/'([^']*)'/g, (_, s: string) => Buffer.from(s).toString('hex'))
    .replace(/\s+/g, '');
  if (!/^([0-9a-f]{2})*$/i.test(h)) throw new Error(`bad hex in test frame: ${h}`);
  return Buffer.from(h, 'hex');
}

function encoded<T>(encode: (w: Writer, v: number, m: T) => void, v: number, m: T): Buffer {
  const w = new Writer();
  encode(w, v, m);
  return w.toBuffer();
}

test('ApiVersionsRequest v3 with client software name and version (request header v2)', () => {
  const frame = bytes(`
    0012 0003 00000007          # api key 18, version 3, correlation id 7
    0009 'my-client'            # client id: classic INT16-length string even in header v2
    00                          # header tagged fields
    12 'apache-kafka-java'      # compact string: length 17 + 1
    06 '3.7.0'                  # compact string: length 5 + 1
    00                          # body tagged fields
  `);
  const r = new Reader(frame);
  expect(decodeRequestHeader(r)).toMatchObject({ apiKey: 18, apiVersion: 3, correlationId: 7, clientId: 'my-client' });
  const body = frame.subarray(r.pos);
  const m = msg.decodeApiVersionsRequest(r, 3);
  expect(r.remaining).toBe(0);
  expect(m).toEqual({ clientSoftwareName: 'apache-kafka-java', clientSoftwareVersion: '3.7.0' });
  expect(encoded(msg.encodeApiVersionsRequest, 3, m)).toEqual(body);
});

test('MetadataRequest v12: one topic by id, and null topics (all)', () => {
  const id = '000102030405060708090a0b0c0d0e0f';
  const one = bytes(`02 ${id} 04 'foo' 00   01 00 00`);
  const m = msg.decodeMetadataRequest(new Reader(one), 12);
  expect(m).toEqual({
    topics: [{ topicId: 'AAECAwQFBgcICQoLDA0ODw', name: 'foo' }],
    allowAutoTopicCreation: true,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: false,
  });
  expect(encoded(msg.encodeMetadataRequest, 12, m)).toEqual(one);

  // Topic identified by id only: the name is a compact null (v10+).
  const byId = bytes(`02 ${id} 00 00   00 01 00`);
  const d = msg.decodeMetadataRequest(new Reader(byId), 12);
  expect(d.topics).toEqual([{ topicId: 'AAECAwQFBgcICQoLDA0ODw', name: null }]);
  expect(d.allowAutoTopicCreation).toBe(false);
  expect(d.includeTopicAuthorizedOperations).toBe(true);

  const all = bytes('00 01 00 00');
  expect(msg.decodeMetadataRequest(new Reader(all), 12).topics).toBeNull();
  expect(encoded(msg.encodeMetadataRequest, 12, { ...msg.defaultMetadataRequest(), topics: null })).toEqual(all);
});

test('ApiVersionsResponse v3 with tagged fields (and an unknown tag skipped)', () => {
  const withUnknown = bytes(`
    0000                        # error code
    02 0012 0000 0004 00        # api keys: [ApiVersions 0..4], struct tagged fields
    00000000                    # throttle time
    03                          # three tagged fields
    00 14                       # tag 0 (SupportedFeatures), 20 bytes:
       02 0e 'kraft.version' 0000 0001 00
    01 08 000000000000002a      # tag 1 (FinalizedFeaturesEpoch) = 42
    07 02 abcd                  # tag 7: unknown, skipped
  `);
  const r = new Reader(withUnknown);
  const m = msg.decodeApiVersionsResponse(r, 3);
  expect(r.remaining).toBe(0);
  expect(m).toEqual({
    errorCode: 0,
    apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 4 }],
    throttleTimeMs: 0,
    supportedFeatures: [{ name: 'kraft.version', minVersion: 0, maxVersion: 1 }],
    finalizedFeaturesEpoch: 42,
    finalizedFeatures: [],
    zkMigrationReady: false,
  });
  // Re-encoded: the unknown tag is gone, the known ones are written in tag order.
  const expected = Buffer.concat([withUnknown.subarray(0, 14), Buffer.from([2]), withUnknown.subarray(15, 15 + 22 + 10)]);
  expect(encoded(msg.encodeApiVersionsResponse, 3, m)).toEqual(expected);
});

test('FetchResponse v16: tagged CurrentLeader in a partition, tagged NodeEndpoints at the top', () => {
  const frame = bytes(`
    00000000 0000 00000000      # throttle time, error code, session id
    02                          # one topic
      ${'00'.repeat(15)}01      # topic id
      02                        # one partition
        00000000 0006           # partition 0, NOT_LEADER_OR_FOLLOWER
        ffffffffffffffff ffffffffffffffff ffffffffffffffff   # high watermark, LSO, log start
        00                      # aborted transactions: null
        ffffffff                # preferred read replica
        00                      # records: null
        01 01 09 00000002 00000005 00    # tag 1: current leader 2, epoch 5
      00                        # topic tagged fields
    01 00 0e                    # tag 0 (NodeEndpoints), 14 bytes
      02 00000002 03 'h2' 00002384 00 00   # node 2 at h2:9092, rack null
  `);
  const r = new Reader(frame);
  const m = msg.decodeFetchResponse(r, 16);
  expect(r.remaining).toBe(0);
  const p = m.responses[0]!.partitions[0]!;
  expect(m.responses[0]!.topicId).not.toBe(ZERO_UUID);
  expect(p).toMatchObject({ partitionIndex: 0, errorCode: 6, highWatermark: -1, abortedTransactions: null, records: null });
  expect(p.currentLeader).toEqual({ leaderId: 2, leaderEpoch: 5 });
  expect(p.divergingEpoch).toEqual({ epoch: -1, endOffset: -1 });
  expect(m.nodeEndpoints).toEqual([{ nodeId: 2, host: 'h2', port: 9092, rack: null }]);
  expect(encoded(msg.encodeFetchResponse, 16, m)).toEqual(frame);
});
