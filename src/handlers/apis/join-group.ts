// JoinGroup (key 11), v0-9: a member joins (or rejoins) a classic group; the answer waits for the rebalance.
//   v0    no RebalanceTimeoutMs: the session timeout stands in for it, as Kafka does.
//   v1-3  RebalanceTimeoutMs (v2 adds throttle time to the response).
//   v4+   a member without an id is given one with MEMBER_ID_REQUIRED and must join again with it (KIP-394).
//   v5+   GroupInstanceId: static membership (KIP-345); the leader's member list carries instance ids.
//   v6    first flexible version.
//   v7+   the response names the protocol type, and the protocol name becomes nullable (KIP-559): "" before v7,
//         null from v7 when no protocol is selected (error answers).
//   v8+   Reason, logged with the join (KIP-800).
//   v9    the response's SkipAssignment: a static leader rejoining a stable group learns it leads but must not
//         compute a new assignment (KIP-814); only v9 clients are told, older ones are named a non-leader.
// The member's client host is the connection's IP in Kafka's "/ip" form (what DescribeGroups shows).

import { JoinGroupApi } from '../../wire/generated/apis';
import type { JoinGroupRequest } from '../../wire/generated/messages/JoinGroupRequest';
import type { JoinGroupResponse } from '../../wire/generated/messages/JoinGroupResponse';
import type { JoinGroupResult } from '../../groupcoord/types';
import { ErrorCode } from '../../wire/errors';
import { defineHandler } from '../define';
import type { RequestContext } from '../types';
import { clientHost, coordinatorOf } from './group-common';

const REQUIRE_KNOWN_MEMBER_ID_VERSION = 4;
const NULLABLE_PROTOCOL_NAME_VERSION = 7;
const SKIP_ASSIGNMENT_VERSION = 9;

/** Before v7 the protocol name cannot be null on the wire; from v7 "no protocol" is null rather than "". */
function protocolNameFor(version: number, name: string | null): string | null {
  if (version < NULLABLE_PROTOCOL_NAME_VERSION) return name ?? '';
  return name === '' ? null : name;
}

function toResponse(r: JoinGroupResult, version: number): JoinGroupResponse {
  return {
    throttleTimeMs: 0,
    errorCode: r.errorCode,
    generationId: r.generationId,
    protocolType: r.protocolType,
    protocolName: protocolNameFor(version, r.protocolName),
    leader: r.leader,
    skipAssignment: r.skipAssignment,
    memberId: r.memberId,
    members: r.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadata })),
  };
}

/** Kafka's error answer: no generation, no member id, no leader. */
function errorResponse(errorCode: number, version: number): JoinGroupResponse {
  return {
    throttleTimeMs: 0,
    errorCode,
    generationId: -1,
    protocolType: null,
    protocolName: protocolNameFor(version, null),
    leader: '',
    skipAssignment: false,
    memberId: '',
    members: [],
  };
}

async function handleJoinGroup(req: JoinGroupRequest, ctx: RequestContext): Promise<JoinGroupResponse> {
  const version = ctx.apiVersion;
  const coordinator = coordinatorOf(ctx);
  if (!coordinator) return errorResponse(ErrorCode.COORDINATOR_NOT_AVAILABLE, version);
  const result = await coordinator.joinGroup({
    groupId: req.groupId,
    memberId: req.memberId,
    groupInstanceId: req.groupInstanceId,
    protocolType: req.protocolType,
    protocols: req.protocols.map((p) => ({ name: p.name, metadata: p.metadata })),
    sessionTimeoutMs: req.sessionTimeoutMs,
    rebalanceTimeoutMs: version === 0 ? req.sessionTimeoutMs : req.rebalanceTimeoutMs,
    clientId: ctx.clientId ?? '',
    clientHost: clientHost(ctx.connection.remoteAddress),
    requireKnownMemberId: version >= REQUIRE_KNOWN_MEMBER_ID_VERSION,
    reason: req.reason,
    supportsSkipAssignment: version >= SKIP_ASSIGNMENT_VERSION,
  });
  return toResponse(result, version);
}

export const joinGroupHandler = defineHandler(JoinGroupApi, {
  minVersion: 0,
  maxVersion: 9,
  handle: handleJoinGroup,
  errorResponse: (_req, errorCode, ctx) => errorResponse(errorCode, ctx.apiVersion),
});
