// Broker lifecycle on the controller listener (KIP-631): BrokerRegistration (62) v0-4, BrokerHeartbeat (63) v0-1,
// UnregisterBroker (64) v0, and AllocateProducerIds (67) v0 which brokers send to the controller for producer id
// blocks. The controller side lives in src/kraft/controller/broker-lifecycle.ts; a node that is not the active
// controller answers NOT_CONTROLLER and the broker retries against the new one.
//
// UnregisterBroker is also an admin API on brokers (kafka-cluster.sh unregister): a broker forwards it to the
// active controller.

import { AllocateProducerIdsApi, BrokerHeartbeatApi, BrokerRegistrationApi, UnregisterBrokerApi } from '../../wire/generated/apis';
import { ErrorCode } from '../../wire/errors';
import { kraftOf, onControllerListener } from '../../kraft/kraft-services';
import { defineHandler } from '../define';
import type { ApiHandler } from '../types';

export const brokerRegistrationHandler = defineHandler(BrokerRegistrationApi, {
  minVersion: 0,
  maxVersion: 4,
  async handle(req, ctx) {
    const lifecycle = kraftOf(ctx.broker)?.lifecycle;
    if (!lifecycle) return { throttleTimeMs: 0, errorCode: ErrorCode.NOT_CONTROLLER, brokerEpoch: -1 };
    const r = await lifecycle.register({
      brokerId: req.brokerId,
      clusterId: req.clusterId,
      incarnationId: req.incarnationId,
      listeners: req.listeners.map((l) => ({ name: l.name, host: l.host, port: l.port, securityProtocol: l.securityProtocol })),
      rack: req.rack,
    });
    return { throttleTimeMs: 0, errorCode: r.errorCode, brokerEpoch: r.brokerEpoch };
  },
  errorResponse: (_req, errorCode) => ({ throttleTimeMs: 0, errorCode, brokerEpoch: -1 }),
});

export const brokerHeartbeatHandler = defineHandler(BrokerHeartbeatApi, {
  minVersion: 0,
  maxVersion: 1,
  async handle(req, ctx) {
    const lifecycle = kraftOf(ctx.broker)?.lifecycle;
    if (!lifecycle) return { throttleTimeMs: 0, errorCode: ErrorCode.NOT_CONTROLLER, isCaughtUp: false, isFenced: true, shouldShutDown: false };
    const r = await lifecycle.heartbeat({
      brokerId: req.brokerId,
      brokerEpoch: req.brokerEpoch,
      currentMetadataOffset: req.currentMetadataOffset,
      wantFence: req.wantFence,
      wantShutDown: req.wantShutDown,
    });
    return { throttleTimeMs: 0, ...r };
  },
  errorResponse: (_req, errorCode) => ({ throttleTimeMs: 0, errorCode, isCaughtUp: false, isFenced: true, shouldShutDown: false }),
});

export const unregisterBrokerHandler = defineHandler(UnregisterBrokerApi, {
  minVersion: 0,
  maxVersion: 0,
  async handle(req, ctx) {
    const k = kraftOf(ctx.broker);
    if (!k) return { throttleTimeMs: 0, errorCode: ErrorCode.NOT_CONTROLLER, errorMessage: 'this node runs no metadata quorum' };
    if (k.lifecycle && k.metadataLog.isActive()) {
      return { throttleTimeMs: 0, ...(await k.lifecycle.unregister(req.brokerId)) };
    }
    if (onControllerListener(k, ctx.connection.listenerName)) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.NOT_CONTROLLER, errorMessage: null };
    }
    return k.channel.forward(UnregisterBrokerApi, () => req, (r) => r.errorCode === ErrorCode.NOT_CONTROLLER);
  },
  errorResponse: (_req, errorCode) => ({ throttleTimeMs: 0, errorCode, errorMessage: null }),
});

export const allocateProducerIdsHandler = defineHandler(AllocateProducerIdsApi, {
  minVersion: 0,
  maxVersion: 0,
  async handle(req, ctx) {
    const k = kraftOf(ctx.broker);
    const b = ctx.broker.image.brokers.get(req.brokerId);
    // A block for an old incarnation must not be handed out: that broker is gone.
    if (b !== undefined && b.epoch !== req.brokerEpoch) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.STALE_BROKER_EPOCH, producerIdStart: -1, producerIdLen: 0 };
    }
    const ops = k ? k.controllerOps : ctx.broker.controller;
    const block = await ops.allocateProducerIds(req.brokerId, req.brokerEpoch);
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerIdStart: block.start, producerIdLen: block.length };
  },
  errorResponse: (_req, errorCode) => ({ throttleTimeMs: 0, errorCode, producerIdStart: -1, producerIdLen: 0 }),
});

export const BROKER_LIFECYCLE_HANDLERS: ApiHandler[] = [
  brokerRegistrationHandler,
  brokerHeartbeatHandler,
  unregisterBrokerHandler,
  allocateProducerIdsHandler,
];
