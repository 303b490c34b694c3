// Unit tests of the group API handlers against a real GroupCoordinatorService: its controller commits metadata to
// an in-memory image (so FindCoordinator really creates __consumer_offsets), and its coordinator writes to a
// replica manager stand-in that accepts every append (nothing here replays the log). Every request is encoded and
// decoded at the version under test before it reaches the handler, and every response is encoded at that version
// and decoded again, which catches nulls in non-nullable fields and fields a version cannot carry.

import { BrokerConfig } from '../../config/broker-config';
import { Controller } from '../../kraft/controller/controller';
import { MetadataImage } from '../../kraft/metadata/image';
import type { ReplicaManager } from '../../isr/replica-manager';
import { CONSUMER_OFFSETS_TOPIC, encodeSubscription } from '../../groupcoord';
import { GROUP_OPERATIONS, OPERATIONS_NOT_REQUESTED } from '../../security/acl-operations';
import {
  type ApiDef,
  DeleteGroupsApi,
  DescribeGroupsApi,
  FindCoordinatorApi,
  HeartbeatApi,
  JoinGroupApi,
  LeaveGroupApi,
  ListGroupsApi,
  OffsetCommitApi,
  OffsetDeleteApi,
  OffsetFetchApi,
  SyncGroupApi,
} from '../../wire/generated/apis';
import type { JoinGroupRequest } from '../../wire/generated/messages/JoinGroupRequest';
import type { JoinGroupResponse } from '../../wire/generated/messages/JoinGroupResponse';
import type { OffsetCommitRequest } from '../../wire/generated/messages/OffsetCommitRequest';
import { ErrorCode } from '../../wire/errors';
import { Reader, Writer } from '../../wire/primitives';
import { encodeRequestHeader } from '../../wire/generated/messages/RequestHeader';
import { decodeResponseHeader, requestHeaderVersion } from '../../wire/header';
import { Dispatcher } from '../dispatcher';
import { GroupCoordinatorService } from '../group-service';
import { supportedApiVersions } from '../registry';
import type { ApiHandler, BrokerContext, RequestContext } from '../types';
import { GROUP_HANDLERS } from './groups';
import { clientHost } from './group-common';
import { findCoordinatorHandler } from './find-coordinator';
import { joinGroupHandler } from './join-group';
import { syncGroupHandler } from './sync-group';
import { heartbeatHandler } from './heartbeat';
import { leaveGroupHandler } from './leave-group';
import { offsetCommitHandler } from './offset-commit';
import { offsetFetchHandler } from './offset-fetch';
import { describeGroupsHandler } from './describe-groups';
import { listGroupsHandler } from './list-groups';
import { deleteGroupsHandler } from './delete-groups';
import { offsetDeleteHandler } from './offset-delete';
import { MemoryCommitter, brokerContext, registerBrokers, requestContext, silentLog } from './__tests__/broker-fixture';

// ---------------------------------------------------------------------------------------------------------------
// Fixture

/** Accepts every coordinator append at once; no partition has a log to replay. */
const acceptingReplicas = {
  appendToLeader: () => ({ errorCode: 0, errorMessage: null, baseOffset: 0, logAppendTime: -1, logStartOffset: 0, done: null }),
  getPartition: () => undefined,
} as unknown as ReplicaManager;

const OFFSETS_PARTITIONS = 4;

interface Fixture {
  broker: BrokerContext;
  image: MetadataImage;
  service: GroupCoordinatorService;
  ctx(version: number, over?: Partial<RequestContext>): RequestContext;
}

const services: GroupCoordinatorService[] = [];
afterEach(async () => {
  for (const s of services.splice(0)) await s.stop();
});

async function setup(opts: { brokers?: number; start?: boolean } = {}): Promise<Fixture> {
  const config = BrokerConfig.load({
    values: { 'offsets.topic.num.partitions': OFFSETS_PARTITIONS, 'group.initial.rebalance.delay.ms': 0 },
  });
  const image = new MetadataImage();
  const controller = new Controller(image, new MemoryCommitter(image), {
    numPartitions: 1,
    defaultReplicationFactor: 1,
    deleteTopicEnable: true,
    validateBrokerConfig: () => null,
  });
  await registerBrokers(controller, opts.brokers ?? 1);
  const created = await controller.createTopics(
    [{ name: 't1', numPartitions: 3, replicationFactor: 1, assignments: [], configs: [] }],
    false,
  );
  expect(created[0]!.errorCode).toBe(ErrorCode.NONE);
  const service = new GroupCoordinatorService(1, config, controller, image, acceptingReplicas, silentLog);
  services.push(service);
  const broker = brokerContext({ clusterId: 'test-cluster', config, image, controller, replicas: acceptingReplicas, groups: service });
  if (opts.start !== false) {
    // The first lookup creates __consumer_offsets; starting then loads the partitions this broker leads.
    await service.findCoordinator('bootstrap');
    await service.start();
  }
  const ctx = (apiVersion: number, over: Partial<RequestContext> = {}): RequestContext => requestContext(broker, apiVersion, over);
  return { broker, image, service, ctx };
}

/**
 * Sends `req` through the wire at `version` (so fields the version lacks take their defaults, as a real decode
 * would), runs the handler, and checks the response survives an encode/decode at the same version.
 */
async function call<Req, Res>(
  api: ApiDef<Req, Res>,
  h: ApiHandler<Req, Res>,
  f: Fixture,
  req: Partial<Req>,
  version: number,
  over: Partial<RequestContext> = {},
): Promise<Res> {
  expect(version).toBeGreaterThanOrEqual(h.minVersion);
  expect(version).toBeLessThanOrEqual(h.maxVersion);
  const w = new Writer();
  api.encodeRequest(w, version, { ...api.defaultRequest(), ...req });
  const decoded = h.decode(new Reader(w.toBuffer()), version);
  const res = (await h.handle(decoded, { ...f.ctx(version, over), apiKey: h.apiKey }))!;
  expect(res).not.toBeNull();
  roundTrip(api, h, res, version);
  return res;
}

function roundTrip<Req, Res>(api: ApiDef<Req, Res>, h: ApiHandler<Req, Res>, res: Res, version: number): void {
  const out = new Writer();
  h.encode(out, version, res);
  const r = new Reader(out.toBuffer());
  api.decodeResponse(r, version);
}

const SUB = encodeSubscription(['t1']);
const RANGE = [{ name: 'range', metadata: SUB }];

function joinReq(over: Partial<JoinGroupRequest> = {}): Partial<JoinGroupRequest> {
  return {
    groupId: 'g',
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 30_000,
    memberId: '',
    groupInstanceId: null,
    protocolType: 'consumer',
    protocols: RANGE,
    reason: null,
    ...over,
  };
}

/** JoinGroup at v4+: the first call hands out an id (MEMBER_ID_REQUIRED), the second joins with it. */
async function joinWithId(f: Fixture, version: number, over: Partial<JoinGroupRequest> = {}): Promise<JoinGroupResponse> {
  const first = await call(JoinGroupApi, joinGroupHandler, f, joinReq(over), version);
  expect(first.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
  expect(first.memberId).not.toBe('');
  return call(JoinGroupApi, joinGroupHandler, f, joinReq({ ...over, memberId: first.memberId }), version);
}

/** A one-member group with a completed generation (JoinGroup v3 + SyncGroup v3). */
async function stableGroup(f: Fixture, groupId: string): Promise<{ memberId: string; generationId: number }> {
  const join = await call(JoinGroupApi, joinGroupHandler, f, joinReq({ groupId }), 3);
  expect(join.errorCode).toBe(ErrorCode.NONE);
  const sync = await call(
    SyncGroupApi,
    syncGroupHandler,
    f,
    { groupId, generationId: join.generationId, memberId: join.memberId, assignments: [{ memberId: join.memberId, assignment: Buffer.from('a') }] },
    3,
  );
  expect(sync.errorCode).toBe(ErrorCode.NONE);
  return { memberId: join.memberId, generationId: join.generationId };
}

function commitReq(groupId: string, offsets: [string, number, number][], over: Partial<OffsetCommitRequest> = {}): Partial<OffsetCommitRequest> {
  const topics = new Map<string, { partitionIndex: number; committedOffset: number; committedLeaderEpoch: number; commitTimestamp: number; committedMetadata: string | null }[]>();
  for (const [name, partitionIndex, committedOffset] of offsets) {
    if (!topics.has(name)) topics.set(name, []);
    topics.get(name)!.push({ partitionIndex, committedOffset, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: null });
  }
  return {
    groupId,
    generationIdOrMemberEpoch: -1,
    memberId: '',
    groupInstanceId: null,
    retentionTimeMs: -1,
    topics: [...topics].map(([name, partitions]) => ({ name, partitions })),
    ...over,
  };
}

function codesOf(res: { topics: { name: string; partitions: { partitionIndex: number; errorCode: number }[] }[] }): [string, number, number][] {
  return res.topics.flatMap((t) => t.partitions.map((p): [string, number, number] => [t.name, p.partitionIndex, p.errorCode]));
}

/** Every errorCode anywhere in a response. */
function errorCodes(res: unknown): number[] {
  return (JSON.stringify(res).match(/"errorCode":-?\d+/g) ?? []).map((c) => Number(c.split(':')[1]));
}

/** A group id whose __consumer_offsets partition is led by `nodeId`. */
function groupLedBy(f: Fixture, nodeId: number): string {
  const topic = f.image.topics.get(CONSUMER_OFFSETS_TOPIC)!;
  for (let i = 0; i < 1000; i++) {
    const id = `group-${i}`;
    if (topic.partitions.get(f.service.coordinator.partitionFor(id))!.leader === nodeId) return id;
  }
  throw new Error(`no group led by ${nodeId}`);
}

// ---------------------------------------------------------------------------------------------------------------

describe('registry list and error answers', () => {
  test('exports each group API once with the versions it implements', () => {
    expect(GROUP_HANDLERS.map((h) => [h.name, h.apiKey, h.minVersion, h.maxVersion])).toEqual([
      ['FindCoordinator', 10, 0, 6],
      ['JoinGroup', 11, 0, 9],
      ['SyncGroup', 14, 0, 5],
      ['Heartbeat', 12, 0, 4],
      ['LeaveGroup', 13, 0, 5],
      ['OffsetCommit', 8, 1, 9],
      ['OffsetFetch', 9, 1, 9],
      ['DescribeGroups', 15, 0, 5],
      ['ListGroups', 16, 0, 5],
      ['DeleteGroups', 42, 0, 2],
      ['OffsetDelete', 47, 0, 0],
    ]);
  });

  const APIS: [ApiDef<any, any>, ApiHandler, Record<string, unknown>][] = [
    [FindCoordinatorApi, findCoordinatorHandler, { key: 'g', coordinatorKeys: ['g', 'h'] }],
    [JoinGroupApi, joinGroupHandler, joinReq()],
    [SyncGroupApi, syncGroupHandler, { groupId: 'g', memberId: 'm' }],
    [HeartbeatApi, heartbeatHandler, { groupId: 'g', memberId: 'm' }],
    [LeaveGroupApi, leaveGroupHandler, { groupId: 'g', memberId: 'm', members: [{ memberId: 'm', groupInstanceId: null, reason: null }] }],
    [OffsetCommitApi, offsetCommitHandler, commitReq('g', [['t1', 0, 5]])],
    [
      OffsetFetchApi,
      offsetFetchHandler,
      { groupId: 'g', topics: [{ name: 't1', partitionIndexes: [0] }], groups: [{ groupId: 'g', memberId: null, memberEpoch: -1, topics: null }] },
    ],
    [DescribeGroupsApi, describeGroupsHandler, { groups: ['g'] }],
    [ListGroupsApi, listGroupsHandler, {}],
    [DeleteGroupsApi, deleteGroupsHandler, { groupsNames: ['g', 'g'] }],
    [OffsetDeleteApi, offsetDeleteHandler, { groupId: 'g', topics: [{ name: 't1', partitions: [{ partitionIndex: 0 }] }] }],
  ];

  test.each(APIS.map(([api, h, req]) => [api.name, api, h, req] as const))(
    '%s: errorResponse encodes at every implemented version',
    async (_name, api, h, req) => {
      const f = await setup({ start: false });
      for (let v = h.minVersion; v <= h.maxVersion; v++) {
        const w = new Writer();
        api.encodeRequest(w, v, { ...api.defaultRequest(), ...req });
        const decoded = h.decode(new Reader(w.toBuffer()), v);
        const res = h.errorResponse(decoded, ErrorCode.NOT_COORDINATOR, f.ctx(v));
        roundTrip(api, h, res, v);
        const failures = errorCodes(res).filter((c) => c !== ErrorCode.NONE);
        expect(failures.length).toBeGreaterThan(0);
        for (const c of failures) expect(c).toBe(ErrorCode.NOT_COORDINATOR);
      }
    },
  );

  test.each(APIS.map(([api, h, req]) => [api.name, api, h, req] as const))(
    '%s: without a group coordinator every version answers COORDINATOR_NOT_AVAILABLE',
    async (_name, api, h, req) => {
      const f = await setup({ start: false });
      (f.broker as { groups: unknown }).groups = null;
      for (let v = h.minVersion; v <= h.maxVersion; v++) {
        const res = await call(api, h, f, req, v);
        const failures = errorCodes(res).filter((c) => c !== ErrorCode.NONE);
        expect(failures.length).toBeGreaterThan(0);
        for (const c of failures) expect(c).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
      }
    },
  );
});

describe('FindCoordinator', () => {
  test('v0 (key only) names this broker on the listener the request came in on, creating __consumer_offsets', async () => {
    const f = await setup({ start: false });
    expect(f.image.topics.has(CONSUMER_OFFSETS_TOPIC)).toBe(false);
    const res = await call(FindCoordinatorApi, findCoordinatorHandler, f, { key: 'g' }, 0);
    expect(res).toMatchObject({ errorCode: ErrorCode.NONE, nodeId: 1, host: 'host1', port: 9091 });
    expect(f.image.topics.get(CONSUMER_OFFSETS_TOPIC)!.partitions.size).toBe(OFFSETS_PARTITIONS);
    const ext = await call(FindCoordinatorApi, findCoordinatorHandler, f, { key: 'g', keyType: 0 }, 3, {
      connection: { id: 2, remoteAddress: '10.0.0.1:1', listenerName: 'EXTERNAL' },
    });
    expect(ext).toMatchObject({ errorCode: ErrorCode.NONE, errorMessage: null, nodeId: 1, host: 'ext1', port: 19091 });
  });

  test('v3 transactional ids without a transaction coordinator: COORDINATOR_NOT_AVAILABLE with a message; unknown key types: INVALID_REQUEST', async () => {
    const f = await setup();
    const txn = await call(FindCoordinatorApi, findCoordinatorHandler, f, { key: 'tx', keyType: 1 }, 3);
    expect(txn).toMatchObject({ errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, nodeId: -1, host: '', port: -1 });
    expect(txn.errorMessage).toMatch(/transaction coordinator/i);
    const share = await call(FindCoordinatorApi, findCoordinatorHandler, f, { key: 's', keyType: 2 }, 3);
    expect(share.errorCode).toBe(ErrorCode.INVALID_REQUEST);
    const bogus = await call(FindCoordinatorApi, findCoordinatorHandler, f, { key: 's', keyType: 7 }, 2);
    expect(bogus.errorCode).toBe(ErrorCode.INVALID_REQUEST);
  });

  test('v4 batches keys, each with its own coordinator and error; v6 refuses share keys', async () => {
    const f = await setup({ brokers: 2 });
    const on1 = groupLedBy(f, 1);
    const on2 = groupLedBy(f, 2);
    const res = await call(FindCoordinatorApi, findCoordinatorHandler, f, { keyType: 0, coordinatorKeys: [on1, on2] }, 4);
    expect(res.coordinators).toEqual([
      { key: on1, nodeId: 1, host: 'host1', port: 9091, errorCode: ErrorCode.NONE, errorMessage: null },
      { key: on2, nodeId: 2, host: 'host2', port: 9092, errorCode: ErrorCode.NONE, errorMessage: null },
    ]);
    const txn = await call(FindCoordinatorApi, findCoordinatorHandler, f, { keyType: 1, coordinatorKeys: ['a', 'b'] }, 5);
    expect(txn.coordinators.map((c) => [c.key, c.errorCode, c.nodeId])).toEqual([
      ['a', ErrorCode.COORDINATOR_NOT_AVAILABLE, -1],
      ['b', ErrorCode.COORDINATOR_NOT_AVAILABLE, -1],
    ]);
    const share = await call(FindCoordinatorApi, findCoordinatorHandler, f, { keyType: 2, coordinatorKeys: ['g:x:0'] }, 6);
    expect(share.coordinators[0]).toMatchObject({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage: expect.stringMatching(/share/i) });
  });

  test('a coordinator without an endpoint on the request listener is not available', async () => {
    const f = await setup();
    const res = await call(FindCoordinatorApi, findCoordinatorHandler, f, { key: 'g' }, 1, {
      connection: { id: 3, remoteAddress: '10.0.0.1:1', listenerName: 'NOPE' },
    });
    expect(res).toMatchObject({ errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, nodeId: -1 });
  });

  test('groups whose partition another broker leads: lookups name it, group requests here get NOT_COORDINATOR', async () => {
    const f = await setup({ brokers: 2 });
    const elsewhere = groupLedBy(f, 2);
    const found = await call(FindCoordinatorApi, findCoordinatorHandler, f, { key: elsewhere }, 2);
    expect(found).toMatchObject({ errorCode: ErrorCode.NONE, nodeId: 2, host: 'host2' });
    const join = await call(JoinGroupApi, joinGroupHandler, f, joinReq({ groupId: elsewhere }), 5);
    expect(join.errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    const hb = await call(HeartbeatApi, heartbeatHandler, f, { groupId: elsewhere, memberId: 'm', generationId: 1 }, 4);
    expect(hb.errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    const commit = await call(OffsetCommitApi, offsetCommitHandler, f, commitReq(elsewhere, [['t1', 0, 1]]), 8);
    expect(codesOf(commit)).toEqual([['t1', 0, ErrorCode.NOT_COORDINATOR]]);
    const fetch = await call(OffsetFetchApi, offsetFetchHandler, f, { groupId: elsewhere, topics: null }, 7);
    expect(fetch).toMatchObject({ errorCode: ErrorCode.NOT_COORDINATOR, topics: [] });
    const described = await call(DescribeGroupsApi, describeGroupsHandler, f, { groups: [elsewhere] }, 5);
    expect(described.groups[0]).toMatchObject({ errorCode: ErrorCode.NOT_COORDINATOR, groupState: '' });
    const deleted = await call(DeleteGroupsApi, deleteGroupsHandler, f, { groupsNames: [elsewhere] }, 2);
    expect(deleted.results).toEqual([{ groupId: elsewhere, errorCode: ErrorCode.NOT_COORDINATOR }]);
  });
});

describe('JoinGroup', () => {
  test('v4+: a member without an id gets MEMBER_ID_REQUIRED, then joins with it and leads generation 1', async () => {
    const f = await setup();
    const first = await call(JoinGroupApi, joinGroupHandler, f, joinReq(), 4);
    expect(first).toMatchObject({ errorCode: ErrorCode.MEMBER_ID_REQUIRED, generationId: -1, protocolName: '' });
    expect(first.memberId).toMatch(/^test-client-/);
    const joined = await call(JoinGroupApi, joinGroupHandler, f, joinReq({ memberId: first.memberId }), 4);
    expect(joined).toMatchObject({ errorCode: ErrorCode.NONE, generationId: 1, protocolName: 'range', leader: first.memberId, memberId: first.memberId });
    expect(joined.members).toEqual([{ memberId: first.memberId, groupInstanceId: null, metadata: SUB }]);
  });

  test('v3: no member id round trip; the id comes with the first answer', async () => {
    const f = await setup();
    const joined = await call(JoinGroupApi, joinGroupHandler, f, joinReq(), 3);
    expect(joined).toMatchObject({ errorCode: ErrorCode.NONE, generationId: 1 });
    expect(joined.leader).toBe(joined.memberId);
  });

  test('v0: the session timeout stands in for the rebalance timeout; the client host is "/ip"', async () => {
    const f = await setup();
    const joined = await call(JoinGroupApi, joinGroupHandler, f, joinReq({ sessionTimeoutMs: 7000, rebalanceTimeoutMs: 99_999 }), 0);
    expect(joined.errorCode).toBe(ErrorCode.NONE);
    const member = f.service.coordinator.getGroup('g')!.get(joined.memberId)!;
    expect(member.rebalanceTimeoutMs).toBe(7000);
    expect(member.clientHost).toBe('/127.0.0.1');
    expect(member.clientId).toBe('test-client');
  });

  test('protocol name on errors: "" before v7, null from v7; invalid session timeouts are refused', async () => {
    const f = await setup();
    const old = await call(JoinGroupApi, joinGroupHandler, f, joinReq({ sessionTimeoutMs: 1 }), 6);
    expect(old).toMatchObject({ errorCode: ErrorCode.INVALID_SESSION_TIMEOUT, protocolName: '' });
    const recent = await call(JoinGroupApi, joinGroupHandler, f, joinReq({ sessionTimeoutMs: 1 }), 7);
    expect(recent).toMatchObject({ errorCode: ErrorCode.INVALID_SESSION_TIMEOUT, protocolName: null, protocolType: null });
    const empty = await call(JoinGroupApi, joinGroupHandler, f, joinReq({ groupId: '' }), 9);
    expect(empty.errorCode).toBe(ErrorCode.INVALID_GROUP_ID);
  });

  test('v5+: a static member joins without MEMBER_ID_REQUIRED and is listed with its instance id', async () => {
    const f = await setup();
    const joined = await call(JoinGroupApi, joinGroupHandler, f, joinReq({ groupInstanceId: 'inst-1' }), 5);
    expect(joined.errorCode).toBe(ErrorCode.NONE);
    expect(joined.memberId).toMatch(/^inst-1-/);
    expect(joined.members).toEqual([{ memberId: joined.memberId, groupInstanceId: 'inst-1', metadata: SUB }]);
  });
});

describe('round trips', () => {
  test('kafkajs versions: FindCoordinator v2, JoinGroup v5, SyncGroup v3, Heartbeat v3, OffsetCommit v5, OffsetFetch v4, LeaveGroup v3', async () => {
    const f = await setup();
    const coord = await call(FindCoordinatorApi, findCoordinatorHandler, f, { key: 'kjs', keyType: 0 }, 2);
    expect(coord).toMatchObject({ errorCode: ErrorCode.NONE, nodeId: 1, host: 'host1', port: 9091, errorMessage: null });

    const joined = await joinWithId(f, 5, { groupId: 'kjs' });
    expect(joined).toMatchObject({ errorCode: ErrorCode.NONE, generationId: 1 });
    const me = joined.memberId;

    const sync = await call(
      SyncGroupApi,
      syncGroupHandler,
      f,
      { groupId: 'kjs', generationId: 1, memberId: me, groupInstanceId: null, assignments: [{ memberId: me, assignment: Buffer.from('mine') }] },
      3,
    );
    expect(sync).toMatchObject({ errorCode: ErrorCode.NONE, assignment: Buffer.from('mine') });

    const hb = await call(HeartbeatApi, heartbeatHandler, f, { groupId: 'kjs', generationId: 1, memberId: me }, 3);
    expect(hb.errorCode).toBe(ErrorCode.NONE);
    const staleHb = await call(HeartbeatApi, heartbeatHandler, f, { groupId: 'kjs', generationId: 0, memberId: me }, 3);
    expect(staleHb.errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);

    const commit = await call(
      OffsetCommitApi,
      offsetCommitHandler,
      f,
      commitReq('kjs', [['t1', 0, 42], ['t1', 1, 7]], { generationIdOrMemberEpoch: 1, memberId: me }),
      5,
    );
    expect(codesOf(commit)).toEqual([['t1', 0, 0], ['t1', 1, 0]]);
    const badGen = await call(OffsetCommitApi, offsetCommitHandler, f, commitReq('kjs', [['t1', 0, 1]], { generationIdOrMemberEpoch: 9, memberId: me }), 5);
    expect(codesOf(badGen)).toEqual([['t1', 0, ErrorCode.ILLEGAL_GENERATION]]);

    const fetched = await call(OffsetFetchApi, offsetFetchHandler, f, { groupId: 'kjs', topics: [{ name: 't1', partitionIndexes: [0, 1, 2] }] }, 4);
    expect(fetched.errorCode).toBe(ErrorCode.NONE);
    expect(fetched.topics).toEqual([
      {
        name: 't1',
        partitions: [
          { partitionIndex: 0, committedOffset: 42, committedLeaderEpoch: -1, metadata: '', errorCode: 0 },
          { partitionIndex: 1, committedOffset: 7, committedLeaderEpoch: -1, metadata: '', errorCode: 0 },
          { partitionIndex: 2, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: 0 },
        ],
      },
    ]);

    const described = await call(DescribeGroupsApi, describeGroupsHandler, f, { groups: ['kjs'] }, 2);
    expect(described.groups[0]).toMatchObject({ errorCode: 0, groupState: 'Stable', protocolType: 'consumer', protocolData: 'range' });
    expect(described.groups[0]!.members).toEqual([
      { memberId: me, groupInstanceId: null, clientId: 'test-client', clientHost: '/127.0.0.1', memberMetadata: SUB, memberAssignment: Buffer.from('mine') },
    ]);

    const left = await call(LeaveGroupApi, leaveGroupHandler, f, { groupId: 'kjs', members: [{ memberId: me, groupInstanceId: null, reason: null }] }, 3);
    expect(left).toEqual({ throttleTimeMs: 0, errorCode: 0, members: [{ memberId: me, groupInstanceId: null, errorCode: 0 }] });
    expect(f.service.coordinator.groupState('kjs')).toBe('Empty');
  });

  test('flexible versions: FindCoordinator v6, JoinGroup v9, SyncGroup v5, Heartbeat v4, OffsetCommit v9, OffsetFetch v9, DescribeGroups v5, LeaveGroup v5', async () => {
    const f = await setup();
    const coord = await call(FindCoordinatorApi, findCoordinatorHandler, f, { keyType: 0, coordinatorKeys: ['java'] }, 6);
    expect(coord.coordinators).toEqual([{ key: 'java', nodeId: 1, host: 'host1', port: 9091, errorCode: 0, errorMessage: null }]);

    const joined = await joinWithId(f, 9, { groupId: 'java', reason: 'starting up' });
    expect(joined).toMatchObject({ errorCode: 0, generationId: 1, protocolType: 'consumer', protocolName: 'range', skipAssignment: false });
    const me = joined.memberId;

    const wrongProtocol = await call(
      SyncGroupApi,
      syncGroupHandler,
      f,
      { groupId: 'java', generationId: 1, memberId: me, protocolType: 'consumer', protocolName: 'roundrobin', assignments: [] },
      5,
    );
    expect(wrongProtocol.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    const sync = await call(
      SyncGroupApi,
      syncGroupHandler,
      f,
      { groupId: 'java', generationId: 1, memberId: me, protocolType: 'consumer', protocolName: 'range', assignments: [{ memberId: me, assignment: Buffer.from('x') }] },
      5,
    );
    expect(sync).toEqual({ throttleTimeMs: 0, errorCode: 0, protocolType: 'consumer', protocolName: 'range', assignment: Buffer.from('x') });

    const hb = await call(HeartbeatApi, heartbeatHandler, f, { groupId: 'java', generationId: 1, memberId: me, groupInstanceId: null }, 4);
    expect(hb.errorCode).toBe(0);

    const commit = await call(
      OffsetCommitApi,
      offsetCommitHandler,
      f,
      {
        groupId: 'java',
        generationIdOrMemberEpoch: 1,
        memberId: me,
        groupInstanceId: null,
        topics: [{ name: 't1', partitions: [{ partitionIndex: 2, committedOffset: 100, committedLeaderEpoch: 3, commitTimestamp: -1, committedMetadata: 'meta' }] }],
      },
      9,
    );
    expect(codesOf(commit)).toEqual([['t1', 2, 0]]);

    const fetched = await call(
      OffsetFetchApi,
      offsetFetchHandler,
      f,
      { groups: [{ groupId: 'java', memberId: null, memberEpoch: -1, topics: [{ name: 't1', partitionIndexes: [2] }] }], requireStable: true },
      9,
    );
    expect(fetched.groups).toEqual([
      {
        groupId: 'java',
        errorCode: 0,
        topics: [{ name: 't1', partitions: [{ partitionIndex: 2, committedOffset: 100, committedLeaderEpoch: 3, metadata: 'meta', errorCode: 0 }] }],
      },
    ]);

    const described = await call(DescribeGroupsApi, describeGroupsHandler, f, { groups: ['java', 'nobody'], includeAuthorizedOperations: true }, 5);
    expect(described.groups.map((g) => [g.groupId, g.errorCode, g.groupState, g.authorizedOperations])).toEqual([
      ['java', 0, 'Stable', GROUP_OPERATIONS],
      ['nobody', 0, 'Dead', GROUP_OPERATIONS],
    ]);

    const left = await call(LeaveGroupApi, leaveGroupHandler, f, { groupId: 'java', members: [{ memberId: me, groupInstanceId: null, reason: 'shutting down' }] }, 5);
    expect(left.members).toEqual([{ memberId: me, groupInstanceId: null, errorCode: 0 }]);
  });
});

describe('SyncGroup', () => {
  test('v5 without protocol type or name is INCONSISTENT_GROUP_PROTOCOL', async () => {
    const f = await setup();
    const { memberId, generationId } = await stableGroup(f, 'sg');
    const res = await call(SyncGroupApi, syncGroupHandler, f, { groupId: 'sg', generationId, memberId, protocolType: null, protocolName: 'range' }, 5);
    expect(res).toMatchObject({ errorCode: ErrorCode.INCONSISTENT_GROUP_PROTOCOL, protocolType: null, protocolName: null });
  });
});

describe('LeaveGroup', () => {
  test('v0: a single member; its outcome is the only error code', async () => {
    const f = await setup();
    const { memberId } = await stableGroup(f, 'lg');
    const unknown = await call(LeaveGroupApi, leaveGroupHandler, f, { groupId: 'lg', memberId: 'nobody' }, 0);
    expect(unknown).toEqual({ throttleTimeMs: 0, errorCode: ErrorCode.UNKNOWN_MEMBER_ID, members: [] });
    const left = await call(LeaveGroupApi, leaveGroupHandler, f, { groupId: 'lg', memberId }, 0);
    expect(left.errorCode).toBe(ErrorCode.NONE);
    expect(f.service.coordinator.groupState('lg')).toBe('Empty');
  });

  test('v3: a batch, answered per member (unknown members do not fail the request)', async () => {
    const f = await setup();
    // Two members join the same (empty) group before the zero initial delay runs out, so one rebalance takes both.
    const [a, b] = await Promise.all([
      call(JoinGroupApi, joinGroupHandler, f, joinReq({ groupId: 'batch' }), 3),
      call(JoinGroupApi, joinGroupHandler, f, joinReq({ groupId: 'batch' }), 3),
    ]);
    expect([a!.errorCode, b!.errorCode]).toEqual([0, 0]);
    expect(f.service.coordinator.getGroup('batch')!.size).toBe(2);
    const res = await call(
      LeaveGroupApi,
      leaveGroupHandler,
      f,
      {
        groupId: 'batch',
        members: [
          { memberId: a!.memberId, groupInstanceId: null, reason: null },
          { memberId: 'ghost', groupInstanceId: null, reason: null },
          { memberId: b!.memberId, groupInstanceId: null, reason: null },
        ],
      },
      3,
    );
    expect(res).toEqual({
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      members: [
        { memberId: a!.memberId, groupInstanceId: null, errorCode: 0 },
        { memberId: 'ghost', groupInstanceId: null, errorCode: ErrorCode.UNKNOWN_MEMBER_ID },
        { memberId: b!.memberId, groupInstanceId: null, errorCode: 0 },
      ],
    });
    expect(f.service.coordinator.getGroup('batch')!.size).toBe(0);
  });

  test('v4: a static member is removed by instance id alone; group-level errors list no members', async () => {
    const f = await setup();
    const joined = await call(JoinGroupApi, joinGroupHandler, f, joinReq({ groupId: 'st', groupInstanceId: 'i1' }), 6);
    expect(joined.errorCode).toBe(0);
    const res = await call(LeaveGroupApi, leaveGroupHandler, f, { groupId: 'st', members: [{ memberId: '', groupInstanceId: 'i1', reason: null }] }, 4);
    expect(res.members).toEqual([{ memberId: '', groupInstanceId: 'i1', errorCode: 0 }]);
    const bad = await call(LeaveGroupApi, leaveGroupHandler, f, { groupId: '', members: [{ memberId: 'x', groupInstanceId: null, reason: null }] }, 4);
    expect(bad).toEqual({ throttleTimeMs: 0, errorCode: ErrorCode.INVALID_GROUP_ID, members: [] });
  });
});

describe('OffsetCommit', () => {
  test('unknown topics and partitions are refused before the coordinator; the rest are committed', async () => {
    const f = await setup();
    const res = await call(OffsetCommitApi, offsetCommitHandler, f, commitReq('standalone', [['t1', 0, 5], ['t1', 9, 5], ['nope', 0, 5]]), 8);
    expect(codesOf(res)).toEqual([
      ['t1', 0, 0],
      ['t1', 9, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      ['nope', 0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
    ]);
    expect(f.service.coordinator.getGroup('standalone')!.offsets.get('t1', 0)!.offset).toBe(5);
    const none = await call(OffsetCommitApi, offsetCommitHandler, f, commitReq('other', [['nope', 0, 5]]), 8);
    expect(codesOf(none)).toEqual([['nope', 0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]);
    expect(f.service.coordinator.getGroup('other')).toBeUndefined();
  });

  test('v1: CommitTimestamp -1 is "now"; a client-chosen timestamp cannot be honoured (UNSUPPORTED_VERSION)', async () => {
    const f = await setup();
    const req = commitReq('v1', [['t1', 0, 3], ['t1', 1, 4]]);
    req.topics![0]!.partitions[1]!.commitTimestamp = 1_600_000_000_000;
    const res = await call(OffsetCommitApi, offsetCommitHandler, f, req, 1);
    expect(codesOf(res)).toEqual([['t1', 0, 0], ['t1', 1, ErrorCode.UNSUPPORTED_VERSION]]);
    const offsets = f.service.coordinator.getGroup('v1')!.offsets;
    expect(offsets.get('t1', 0)!.offset).toBe(3);
    expect(offsets.get('t1', 1)).toBeUndefined();
  });

  test('v2-4 retention time sets an expiry; v5+ has none', async () => {
    const f = await setup();
    const before = Date.now();
    await call(OffsetCommitApi, offsetCommitHandler, f, commitReq('ret', [['t1', 0, 1]], { retentionTimeMs: 60_000 }), 2);
    const kept = f.service.coordinator.getGroup('ret')!.offsets.get('t1', 0)!;
    expect(kept.expireTimestamp).toBeGreaterThanOrEqual(before + 60_000);
    await call(OffsetCommitApi, offsetCommitHandler, f, commitReq('ret', [['t1', 1, 1]], { retentionTimeMs: 60_000 }), 5);
    expect(f.service.coordinator.getGroup('ret')!.offsets.get('t1', 1)!.expireTimestamp).toBeNull();
  });

  test('a generation for an unknown group: ILLEGAL_GENERATION before v9, GROUP_ID_NOT_FOUND at v9', async () => {
    const f = await setup();
    const v8 = await call(OffsetCommitApi, offsetCommitHandler, f, commitReq('gone', [['t1', 0, 1]], { generationIdOrMemberEpoch: 3, memberId: 'm' }), 8);
    expect(codesOf(v8)).toEqual([['t1', 0, ErrorCode.ILLEGAL_GENERATION]]);
    const v9 = await call(OffsetCommitApi, offsetCommitHandler, f, commitReq('gone', [['t1', 0, 1]], { generationIdOrMemberEpoch: 3, memberId: 'm' }), 9);
    expect(codesOf(v9)).toEqual([['t1', 0, ErrorCode.GROUP_ID_NOT_FOUND]]);
    const simple = await call(OffsetCommitApi, offsetCommitHandler, f, commitReq('gone', [['t1', 0, 1]]), 9);
    expect(codesOf(simple)).toEqual([['t1', 0, 0]]);
  });
});

describe('OffsetFetch', () => {
  test('v1 copies a group-level error into each partition; v2+ puts it at the top with no partitions', async () => {
    const f = await setup();
    const p = f.service.coordinator.partitionFor('moved');
    f.service.coordinator.onResignation(p);
    const topics = [{ name: 't1', partitionIndexes: [0, 1] }];
    const v1 = await call(OffsetFetchApi, offsetFetchHandler, f, { groupId: 'moved', topics }, 1);
    expect(v1.topics[0]!.partitions.map((x) => [x.partitionIndex, x.committedOffset, x.errorCode])).toEqual([
      [0, -1, ErrorCode.NOT_COORDINATOR],
      [1, -1, ErrorCode.NOT_COORDINATOR],
    ]);
    const v2 = await call(OffsetFetchApi, offsetFetchHandler, f, { groupId: 'moved', topics }, 2);
    expect(v2).toMatchObject({ errorCode: ErrorCode.NOT_COORDINATOR, topics: [] });
  });

  test('v8: several groups, null topics meaning all, each group with its own error', async () => {
    const f = await setup();
    await call(OffsetCommitApi, offsetCommitHandler, f, commitReq('a', [['t1', 0, 10], ['t1', 2, 12]]), 8);
    await call(OffsetCommitApi, offsetCommitHandler, f, commitReq('b', [['t1', 1, 21]]), 8);
    const elsewhere = 'moved-away';
    f.service.coordinator.onResignation(f.service.coordinator.partitionFor(elsewhere));
    const res = await call(
      OffsetFetchApi,
      offsetFetchHandler,
      f,
      {
        groups: [
          { groupId: 'a', memberId: null, memberEpoch: -1, topics: null },
          { groupId: 'b', memberId: null, memberEpoch: -1, topics: [{ name: 't1', partitionIndexes: [0, 1] }] },
          { groupId: 'unknown', memberId: null, memberEpoch: -1, topics: null },
          { groupId: elsewhere, memberId: null, memberEpoch: -1, topics: null },
        ],
      },
      8,
    );
    const simplified = res.groups.map((g) => [g.groupId, g.errorCode, g.topics.flatMap((t) => t.partitions.map((p) => [t.name, p.partitionIndex, p.committedOffset]))]);
    expect(simplified).toEqual([
      ['a', 0, [['t1', 0, 10], ['t1', 2, 12]]],
      ['b', 0, [['t1', 0, -1], ['t1', 1, 21]]],
      ['unknown', 0, []],
      [elsewhere, ErrorCode.NOT_COORDINATOR, []],
    ]);
  });
});

describe('administration', () => {
  test('DescribeGroups: unknown groups are Dead; v3 operations only when asked; v4 instance ids', async () => {
    const f = await setup();
    await call(JoinGroupApi, joinGroupHandler, f, joinReq({ groupId: 'dg', groupInstanceId: 'static-1' }), 5);
    const v0 = await call(DescribeGroupsApi, describeGroupsHandler, f, { groups: ['missing'] }, 0);
    expect(v0.groups).toEqual([
      { errorCode: 0, groupId: 'missing', groupState: 'Dead', protocolType: '', protocolData: '', members: [], authorizedOperations: OPERATIONS_NOT_REQUESTED },
    ]);
    const notAsked = await call(DescribeGroupsApi, describeGroupsHandler, f, { groups: ['dg'], includeAuthorizedOperations: false }, 3);
    expect(notAsked.groups[0]!.authorizedOperations).toBe(OPERATIONS_NOT_REQUESTED);
    const asked = await call(DescribeGroupsApi, describeGroupsHandler, f, { groups: ['dg'], includeAuthorizedOperations: true }, 4);
    expect(asked.groups[0]!.authorizedOperations).toBe(GROUP_OPERATIONS);
    // Joined but never synced: CompletingRebalance, so neither protocol nor member data is shown yet.
    expect(asked.groups[0]).toMatchObject({ groupState: 'CompletingRebalance', protocolData: '' });
    expect(asked.groups[0]!.members[0]).toMatchObject({ groupInstanceId: 'static-1', memberMetadata: Buffer.alloc(0) });
  });

  test('ListGroups: all groups up to v3, StatesFilter at v4, TypesFilter at v5', async () => {
    const f = await setup();
    await stableGroup(f, 'busy');
    await call(OffsetCommitApi, offsetCommitHandler, f, commitReq('idle', [['t1', 0, 1]]), 8);
    const all = await call(ListGroupsApi, listGroupsHandler, f, {}, 2);
    expect(all.errorCode).toBe(0);
    expect(all.groups.map((g) => [g.groupId, g.protocolType]).sort()).toEqual([['busy', 'consumer'], ['idle', '']]);
    const stable = await call(ListGroupsApi, listGroupsHandler, f, { statesFilter: ['stable'] }, 4);
    expect(stable.groups.map((g) => [g.groupId, g.groupState])).toEqual([['busy', 'Stable']]);
    const classic = await call(ListGroupsApi, listGroupsHandler, f, { statesFilter: [], typesFilter: ['classic'] }, 5);
    expect(classic.groups.map((g) => [g.groupId, g.groupType]).sort()).toEqual([['busy', 'classic'], ['idle', 'classic']]);
    const consumer = await call(ListGroupsApi, listGroupsHandler, f, { typesFilter: ['consumer'] }, 5);
    expect(consumer.groups).toEqual([]);
  });

  test('DeleteGroups: deletes empty groups, refuses active ones, answers each name once', async () => {
    const f = await setup();
    await stableGroup(f, 'active');
    await call(OffsetCommitApi, offsetCommitHandler, f, commitReq('idle', [['t1', 0, 1]]), 8);
    const res = await call(DeleteGroupsApi, deleteGroupsHandler, f, { groupsNames: ['idle', 'active', 'missing', 'idle'] }, 1);
    expect(res.results).toEqual([
      { groupId: 'idle', errorCode: 0 },
      { groupId: 'active', errorCode: ErrorCode.NON_EMPTY_GROUP },
      { groupId: 'missing', errorCode: ErrorCode.GROUP_ID_NOT_FOUND },
    ]);
    expect(f.service.coordinator.getGroup('idle')).toBeUndefined();
  });

  test('OffsetDelete: removes offsets of an empty group; unknown topics and groups are refused', async () => {
    const f = await setup();
    await call(OffsetCommitApi, offsetCommitHandler, f, commitReq('od', [['t1', 0, 1], ['t1', 1, 2]]), 8);
    const res = await call(
      OffsetDeleteApi,
      offsetDeleteHandler,
      f,
      { groupId: 'od', topics: [{ name: 't1', partitions: [{ partitionIndex: 0 }] }, { name: 'nope', partitions: [{ partitionIndex: 0 }] }] },
      0,
    );
    expect(res.errorCode).toBe(0);
    expect(codesOf(res)).toEqual([['t1', 0, 0], ['nope', 0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]);
    const offsets = f.service.coordinator.getGroup('od')!.offsets;
    expect(offsets.get('t1', 0)).toBeUndefined();
    expect(offsets.get('t1', 1)!.offset).toBe(2);
    const missing = await call(OffsetDeleteApi, offsetDeleteHandler, f, { groupId: 'missing', topics: [{ name: 't1', partitions: [{ partitionIndex: 0 }] }] }, 0);
    expect(missing).toEqual({ errorCode: ErrorCode.GROUP_ID_NOT_FOUND, throttleTimeMs: 0, topics: [] });
  });

  test('OffsetDelete: an active consumer group keeps the offsets of topics it subscribes to', async () => {
    const f = await setup();
    const { memberId, generationId } = await stableGroup(f, 'sub');
    await call(OffsetCommitApi, offsetCommitHandler, f, commitReq('sub', [['t1', 0, 1]], { generationIdOrMemberEpoch: generationId, memberId }), 8);
    const res = await call(OffsetDeleteApi, offsetDeleteHandler, f, { groupId: 'sub', topics: [{ name: 't1', partitions: [{ partitionIndex: 0 }] }] }, 0);
    expect(codesOf(res)).toEqual([['t1', 0, ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC]]);
  });
});

describe('through the dispatcher', () => {
  async function send<Req, Res>(f: Fixture, api: ApiDef<Req, Res>, version: number, req: Partial<Req>): Promise<Res> {
    const w = new Writer();
    encodeRequestHeader(w, requestHeaderVersion(api.apiKey, version), {
      requestApiKey: api.apiKey,
      requestApiVersion: version,
      correlationId: 77,
      clientId: 'dispatched',
    });
    api.encodeRequest(w, version, { ...api.defaultRequest(), ...req });
    const dispatcher = new Dispatcher(() => f.broker, silentLog);
    const out = await dispatcher.dispatch(w.toBuffer(), { id: 9, remoteAddress: '10.9.8.7:1234', listenerName: 'PLAINTEXT' });
    const r = new Reader(Buffer.concat(out!));
    expect(decodeResponseHeader(r, api.apiKey, version)).toBe(77);
    return api.decodeResponse(r, version);
  }

  test('ApiVersions advertises the group APIs with the ranges implemented here', () => {
    const advertised = new Map(supportedApiVersions('broker').map((v) => [v.apiKey, [v.minVersion, v.maxVersion]]));
    for (const h of GROUP_HANDLERS) expect(advertised.get(h.apiKey)).toEqual([h.minVersion, h.maxVersion]);
  });

  test('a JoinGroup from the wire records the client id and host of the connection', async () => {
    const f = await setup();
    const res = await send(f, JoinGroupApi, 6, joinReq({ groupId: 'wire' }));
    expect(res.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
    expect(res.memberId).toMatch(/^dispatched-/);
    const joined = await send(f, JoinGroupApi, 6, joinReq({ groupId: 'wire', memberId: res.memberId }));
    expect(joined.errorCode).toBe(ErrorCode.NONE);
    const described = await send(f, DescribeGroupsApi, 5, { groups: ['wire'] });
    expect(described.groups[0]!.members[0]).toMatchObject({ clientId: 'dispatched', clientHost: '/10.9.8.7' });
  });

  test('OffsetCommit v0 and OffsetFetch v0 (ZooKeeper offsets in Kafka) answer UNSUPPORTED_VERSION', async () => {
    const f = await setup();
    const commit = await send(f, OffsetCommitApi, 0, commitReq('zk', [['t1', 0, 1]]));
    expect(codesOf(commit)).toEqual([['t1', 0, ErrorCode.UNSUPPORTED_VERSION]]);
    const fetch = await send(f, OffsetFetchApi, 0, { groupId: 'zk', topics: [{ name: 't1', partitionIndexes: [0] }] });
    expect(fetch.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION);
    expect(f.service.coordinator.getGroup('zk')).toBeUndefined();
  });
});

describe('clientHost', () => {
  test.each([
    ['127.0.0.1:5555', '/127.0.0.1'],
    ['::ffff:10.1.2.3:40000', '/10.1.2.3'],
    ['::1:40000', '/::1'],
    ['fe80::1:1234', '/fe80::1'],
  ])('%s -> %s', (addr, host) => {
    expect(clientHost(addr)).toBe(host);
  });
});
