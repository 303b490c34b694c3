// Every quorum RPC through its wire form and back, in every version we speak: what one node's core says is what
// the other node's core hears (field mapping, null leaders, EndQuorumEpoch v0 successors vs v1 candidates, Fetch
// naming the partition by name before v13 and by the fixed topic id after, records as Kafka batches).

import { BeginQuorumEpochApi, EndQuorumEpochApi, FetchApi, FetchSnapshotApi, VoteApi, type ApiDef } from '../wire/generated/apis';
import { Reader, Writer } from '../wire/primitives';
import { ErrorCode } from '../wire/errors';
import type * as Raft from './raft/messages';
import {
  QUORUM_FETCH_MIN_VERSION,
  beginQuorumEpochRequestFromWire,
  beginQuorumEpochRequestToWire,
  beginQuorumEpochResponseFromWire,
  beginQuorumEpochResponseToWire,
  endQuorumEpochRequestFromWire,
  endQuorumEpochRequestToWire,
  endQuorumEpochResponseFromWire,
  endQuorumEpochResponseToWire,
  fetchRequestFromWire,
  fetchRequestToWire,
  fetchResponseFromWire,
  fetchResponseToWire,
  fetchSnapshotRequestFromWire,
  fetchSnapshotRequestToWire,
  fetchSnapshotResponseFromWire,
  fetchSnapshotResponseToWire,
  isMetadataFetch,
  voteRequestFromWire,
  voteRequestToWire,
  voteResponseFromWire,
  voteResponseToWire,
} from './quorum-wire';

const CLUSTER = 'cluster-x';
const endpoint = (id: number) => ({ host: `c${id}`, port: 9093 });

function viaRequest<Req>(api: ApiDef<Req, unknown>, version: number, m: Req): Req {
  const w = new Writer(256);
  api.encodeRequest(w, version, m);
  return api.decodeRequest(new Reader(Buffer.from(w.toBuffer())), version);
}

function viaResponse<Res>(api: ApiDef<unknown, Res>, version: number, m: Res): Res {
  const w = new Writer(256);
  api.encodeResponse(w, version, m);
  return api.decodeResponse(new Reader(Buffer.from(w.toBuffer())), version);
}

const versions = (api: { minVersion: number; maxVersion: number }, min = api.minVersion) =>
  Array.from({ length: api.maxVersion - min + 1 }, (_, i) => min + i);

test.each(versions(VoteApi))('Vote v%i', (v) => {
  const req: Raft.VoteRequest = { type: 'VoteRequest', candidateEpoch: 5, candidateId: 2, lastOffsetEpoch: 4, lastOffset: 120, preVote: false };
  expect(voteRequestFromWire(viaRequest(VoteApi, v, voteRequestToWire(req, CLUSTER, 3)), CLUSTER)).toEqual({ from: 2, message: req });
  const resp: Raft.VoteResponse = { type: 'VoteResponse', errorCode: 0, leaderEpoch: 5, leaderId: null, voteGranted: true, preVote: false };
  expect(voteResponseFromWire(viaResponse(VoteApi, v, voteResponseToWire(resp, endpoint)))).toEqual(resp);
  expect(voteRequestFromWire(voteRequestToWire(req, 'other', 3), CLUSTER)).toEqual({ errorCode: ErrorCode.INCONSISTENT_CLUSTER_ID });
});

test.each(versions(BeginQuorumEpochApi))('BeginQuorumEpoch v%i', (v) => {
  const req: Raft.BeginQuorumEpochRequest = { type: 'BeginQuorumEpochRequest', leaderId: 1, leaderEpoch: 9 };
  const wire = beginQuorumEpochRequestToWire(req, CLUSTER, 2, { name: 'CONTROLLER', host: 'c1', port: 9093 });
  expect(beginQuorumEpochRequestFromWire(viaRequest(BeginQuorumEpochApi, v, wire), CLUSTER)).toEqual({ from: 1, message: req });
  const resp: Raft.BeginQuorumEpochResponse = { type: 'BeginQuorumEpochResponse', errorCode: ErrorCode.FENCED_LEADER_EPOCH, leaderEpoch: 10, leaderId: 3 };
  expect(beginQuorumEpochResponseFromWire(viaResponse(BeginQuorumEpochApi, v, beginQuorumEpochResponseToWire(resp, endpoint)))).toEqual(resp);
});

test.each(versions(EndQuorumEpochApi))('EndQuorumEpoch v%i carries the preferred successors', (v) => {
  const req: Raft.EndQuorumEpochRequest = { type: 'EndQuorumEpochRequest', leaderId: 1, leaderEpoch: 9, preferredSuccessors: [3, 2] };
  const wire = viaRequest(EndQuorumEpochApi, v, endQuorumEpochRequestToWire(req, CLUSTER, null));
  expect(endQuorumEpochRequestFromWire(wire, CLUSTER, v)).toEqual({ from: 1, message: req });
  const resp: Raft.EndQuorumEpochResponse = { type: 'EndQuorumEpochResponse', errorCode: 0, leaderEpoch: 9, leaderId: null };
  expect(endQuorumEpochResponseFromWire(viaResponse(EndQuorumEpochApi, v, endQuorumEpochResponseToWire(resp, endpoint)))).toEqual(resp);
});

test.each(versions(FetchApi, QUORUM_FETCH_MIN_VERSION))('Fetch v%i of __cluster_metadata-0', (v) => {
  const req: Raft.FetchRequest = {
    type: 'FetchRequest',
    correlationId: 77,
    replicaId: 3,
    currentLeaderEpoch: 4,
    fetchOffset: 10,
    lastFetchedEpoch: 3,
    maxWaitMs: 500,
    maxBytes: 1 << 20,
  };
  const wire = viaRequest(FetchApi, v, fetchRequestToWire(req, CLUSTER));
  expect(isMetadataFetch(wire, v)).toBe(true);
  expect(fetchRequestFromWire(wire, v, CLUSTER)).toEqual({ from: 3, message: { ...req, correlationId: 0 } });

  const entries = [
    { offset: 8, epoch: 4, value: Buffer.alloc(0), control: { type: 'leaderChange' as const, leaderId: 1, voters: [1, 2, 3], grantingVoters: [1, 3] } },
    { offset: 9, epoch: 4, value: Buffer.from('r9') },
    { offset: 10, epoch: 4, value: Buffer.from('r10') },
    { offset: 11, epoch: 4, value: Buffer.from('r11') },
  ];
  const resp: Raft.FetchResponse = {
    type: 'FetchResponse',
    correlationId: 77,
    errorCode: 0,
    leaderEpoch: 4,
    leaderId: 1,
    highWatermark: 11,
    logStartOffset: 0,
    divergingEpoch: null,
    snapshotId: null,
    entries,
  };
  // The follower keeps what starts at its fetch offset (a leader's batch may begin before it).
  expect(fetchResponseFromWire(viaResponse(FetchApi, v, fetchResponseToWire(resp, endpoint)), v, req)).toEqual({ ...resp, entries: entries.slice(2) });
  const diverging: Raft.FetchResponse = { ...resp, divergingEpoch: { epoch: 0, endOffset: 6 }, entries: [] };
  expect(fetchResponseFromWire(viaResponse(FetchApi, v, fetchResponseToWire(diverging, endpoint)), v, req)).toEqual(diverging);
  const snapshot: Raft.FetchResponse = { ...resp, snapshotId: { endOffset: 50, epoch: 3 }, entries: [], leaderId: null };
  expect(fetchResponseFromWire(viaResponse(FetchApi, v, fetchResponseToWire(snapshot, endpoint)), v, req)).toEqual(snapshot);
});

test('a quorum Fetch older than v12 is refused (no last fetched epoch)', () => {
  const wire = fetchRequestToWire(
    { type: 'FetchRequest', correlationId: 1, replicaId: 2, currentLeaderEpoch: 1, fetchOffset: 0, lastFetchedEpoch: 0, maxWaitMs: 0, maxBytes: 1 },
    CLUSTER,
  );
  expect(fetchRequestFromWire(wire, 11, CLUSTER)).toEqual({ errorCode: ErrorCode.UNSUPPORTED_VERSION });
});

test.each(versions(FetchSnapshotApi))('FetchSnapshot v%i', (v) => {
  const req: Raft.FetchSnapshotRequest = {
    type: 'FetchSnapshotRequest',
    correlationId: 5,
    replicaId: 2,
    currentLeaderEpoch: 6,
    snapshotId: { endOffset: 100, epoch: 5 },
    position: 4096,
    maxBytes: 1024,
  };
  expect(fetchSnapshotRequestFromWire(viaRequest(FetchSnapshotApi, v, fetchSnapshotRequestToWire(req, CLUSTER)), CLUSTER)).toEqual({
    from: 2,
    message: { ...req, correlationId: 0 },
  });
  const resp: Raft.FetchSnapshotResponse = {
    type: 'FetchSnapshotResponse',
    correlationId: 5,
    errorCode: 0,
    leaderEpoch: 6,
    leaderId: 1,
    snapshotId: { endOffset: 100, epoch: 5 },
    size: 9000,
    position: 4096,
    bytes: Buffer.from('chunk'),
  };
  expect(fetchSnapshotResponseFromWire(viaResponse(FetchSnapshotApi, v, fetchSnapshotResponseToWire(resp, endpoint)), req)).toEqual(resp);
});
