// DescribeGroups (key 15), v0-5: state, protocol and members of classic groups.
//   v0-2  same request (v1 adds throttle time to the response).
//   v3+   IncludeAuthorizedOperations: when asked, a described group carries the operations the caller may
//         perform on it. There is no authorizer here, so that is every group operation (GROUP_OPERATIONS);
//         when not asked (or for a group that failed), Kafka's "omitted" value.
//   v4+   members carry their GroupInstanceId (static membership).
//   v5    first flexible version.
// A group this coordinator does not hold (on a partition it leads) is described as Dead with no error, as Kafka
// does up to v5; GROUP_ID_NOT_FOUND for unknown groups only arrives with v6, which this schema does not define.
// Member metadata and assignments, and the protocol name, are only filled in for a Stable group.

import { DescribeGroupsApi } from '../../wire/generated/apis';
import type { DescribeGroupsRequest } from '../../wire/generated/messages/DescribeGroupsRequest';
import type { DescribeGroupsResponse, DescribeGroupsResponseDescribedGroup } from '../../wire/generated/messages/DescribeGroupsResponse';
import { GROUP_OPERATIONS, OPERATIONS_NOT_REQUESTED } from '../../security/acl-operations';
import { ErrorCode } from '../../wire/errors';
import { defineHandler } from '../define';
import type { RequestContext } from '../types';
import { coordinatorOf } from './group-common';

const AUTHORIZED_OPERATIONS_VERSION = 3;

function failed(groupId: string, errorCode: number): DescribeGroupsResponseDescribedGroup {
  return {
    errorCode,
    groupId,
    groupState: '',
    protocolType: '',
    protocolData: '',
    members: [],
    authorizedOperations: OPERATIONS_NOT_REQUESTED,
  };
}

function handleDescribeGroups(req: DescribeGroupsRequest, ctx: RequestContext): DescribeGroupsResponse {
  const coordinator = coordinatorOf(ctx);
  if (!coordinator) return errorResponse(req, ErrorCode.COORDINATOR_NOT_AVAILABLE);
  const withOps = ctx.apiVersion >= AUTHORIZED_OPERATIONS_VERSION && req.includeAuthorizedOperations;
  return {
    throttleTimeMs: 0,
    groups: coordinator.describeGroups(req.groups).map((g) => ({
      errorCode: g.errorCode,
      groupId: g.groupId,
      groupState: g.groupState,
      protocolType: g.protocolType,
      protocolData: g.protocolData,
      members: g.members.map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        memberMetadata: m.memberMetadata,
        memberAssignment: m.memberAssignment,
      })),
      authorizedOperations: withOps && g.errorCode === ErrorCode.NONE ? GROUP_OPERATIONS : OPERATIONS_NOT_REQUESTED,
    })),
  };
}

function errorResponse(req: DescribeGroupsRequest, errorCode: number): DescribeGroupsResponse {
  return { throttleTimeMs: 0, groups: req.groups.map((g) => failed(g, errorCode)) };
}

export const describeGroupsHandler = defineHandler(DescribeGroupsApi, {
  minVersion: 0,
  maxVersion: 5,
  handle: handleDescribeGroups,
  errorResponse: (req, errorCode) => errorResponse(req, errorCode),
});
