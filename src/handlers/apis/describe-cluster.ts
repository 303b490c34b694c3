// DescribeCluster (key 60), v0-1. Served from the metadata image.
//   v0: cluster id, controller id, the live (unfenced) brokers with their address on the listener the request
//       came in on, and the cluster's authorized operations when asked for.
//   v1: endpointType (KIP-919). Requests arrive on broker listeners only (the controller quorum has no client
//       listener here), so, as a Kafka broker answers: 1 (brokers) is served, 2 (controllers) gets
//       MISMATCHED_ENDPOINT_TYPE, and any other value UNSUPPORTED_ENDPOINT_TYPE.
// controllerId is -1 when that node is not among the listed brokers, as Kafka does to avoid naming a node the
// client cannot reach.

import { DescribeClusterApi } from '../../wire/generated/apis';
import type { DescribeClusterRequest } from '../../wire/generated/messages/DescribeClusterRequest';
import type { DescribeClusterResponse } from '../../wire/generated/messages/DescribeClusterResponse';
import { ErrorCode } from '../../wire/errors';
import { CLUSTER_OPERATIONS, OPERATIONS_NOT_REQUESTED } from '../../security/acl-operations';
import { defineHandler } from '../define';
import type { RequestContext } from '../types';
import { liveBrokerEndpoints } from './metadata';

export const EndpointType = { BROKER: 1, CONTROLLER: 2 } as const;

function errorResponse(errorCode: number, errorMessage: string | null): DescribeClusterResponse {
  return {
    throttleTimeMs: 0,
    errorCode,
    errorMessage,
    endpointType: EndpointType.BROKER,
    clusterId: '',
    controllerId: -1,
    brokers: [],
    clusterAuthorizedOperations: OPERATIONS_NOT_REQUESTED,
  };
}

function handleDescribeCluster(req: DescribeClusterRequest, ctx: RequestContext): DescribeClusterResponse {
  // v0 has no endpointType field; the decoder gives its default (1, brokers).
  if (req.endpointType === EndpointType.CONTROLLER) {
    return errorResponse(
      ErrorCode.MISMATCHED_ENDPOINT_TYPE,
      'The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER',
    );
  }
  if (req.endpointType !== EndpointType.BROKER) {
    return errorResponse(ErrorCode.UNSUPPORTED_ENDPOINT_TYPE, `Unsupported endpoint type ${req.endpointType}`);
  }
  const brokers = liveBrokerEndpoints(ctx).map((b) => ({ brokerId: b.nodeId, host: b.host, port: b.port, rack: b.rack }));
  const controllerId = ctx.broker.controllerId();
  return {
    throttleTimeMs: 0,
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    endpointType: EndpointType.BROKER,
    clusterId: ctx.broker.clusterId,
    controllerId: brokers.some((b) => b.brokerId === controllerId) ? controllerId : -1,
    brokers,
    clusterAuthorizedOperations: req.includeClusterAuthorizedOperations ? CLUSTER_OPERATIONS : OPERATIONS_NOT_REQUESTED,
  };
}

export const describeClusterHandler = defineHandler(DescribeClusterApi, {
  minVersion: 0,
  maxVersion: 1,
  handle: handleDescribeCluster,
  errorResponse: (_req, errorCode) => errorResponse(errorCode, null),
});
