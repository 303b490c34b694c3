// The broker side of KIP-631: register with the active controller, then heartbeat every
// broker.heartbeat.interval.ms with how far this broker has replayed the metadata log. The controller answers
// whether the broker is fenced; it unfences it once it has caught up to its own registration. On shutdown the
// broker heartbeats with wantShutDown until the controller has moved its leaderships away and says it may stop.
//
// Requests go to whichever node leads the quorum (the channel asks on every request); NOT_CONTROLLER and network
// failures are retried on the next beat. A registration the controller no longer knows (the broker was fenced
// and unregistered, or the epoch went stale) is made again.

import { BrokerHeartbeatApi, BrokerRegistrationApi } from '../wire/generated/apis';
import { ErrorCode } from '../wire/errors';
import type { ControllerChannel } from '../net/controller-channel';
import type { Logger } from '../handlers/types';

export interface BrokerLifecycleClientOptions {
  brokerId: number;
  clusterId: string;
  /** Random per process start (Kafka: a new UUID per incarnation). */
  incarnationId: string;
  listeners: { name: string; host: string; port: number; securityProtocol: number }[];
  rack: string | null;
  /** Requests to the active controller (src/net PoolControllerChannel over the quorum leader id). */
  channel: ControllerChannel;
  /** broker.heartbeat.interval.ms */
  heartbeatIntervalMs: number;
  /** The offset of the last metadata record this broker has applied. */
  metadataOffset(): number;
  log?: Logger;
}

type State = 'idle' | 'registering' | 'fenced' | 'running' | 'shuttingDown' | 'stopped';

export class BrokerLifecycleClient {
  private state: State = 'idle';
  private epoch = -1;
  private timer: NodeJS.Timeout | null = null;
  private beating = false;
  private wantShutDown = false;
  private readonly registeredWaiters: ((epoch: number) => void)[] = [];
  private readonly unfencedWaiters: (() => void)[] = [];
  private readonly shutdownWaiters: (() => void)[] = [];

  constructor(private readonly opts: BrokerLifecycleClientOptions) {}

  /** The epoch of the current registration, -1 before one. */
  get brokerEpoch(): number {
    return this.epoch;
  }

  get isFenced(): boolean {
    return this.state !== 'running';
  }

  /** Starts registering and heartbeating; resolves with the broker epoch once registered. */
  start(): Promise<number> {
    if (this.state === 'idle') {
      this.state = 'registering';
      this.timer = setInterval(() => void this.beat(), this.opts.heartbeatIntervalMs);
      void this.beat();
    }
    return this.epoch >= 0 ? Promise.resolve(this.epoch) : new Promise((r) => this.registeredWaiters.push(r));
  }

  /** Resolves once the controller has unfenced this broker. */
  whenUnfenced(): Promise<void> {
    return this.state === 'running' ? Promise.resolve() : new Promise((r) => this.unfencedWaiters.push(r));
  }

  /**
   * Controlled shutdown: asks the controller to move this broker's leaderships away and resolves once it says
   * the broker may stop (or after timeoutMs, when the controller cannot be reached).
   */
  async controlledShutdown(timeoutMs: number): Promise<void> {
    if (this.state === 'idle' || this.state === 'stopped' || this.epoch < 0) return;
    this.wantShutDown = true;
    this.state = 'shuttingDown';
    let timer: NodeJS.Timeout | undefined;
    const done = new Promise<void>((r) => this.shutdownWaiters.push(r));
    void this.beat();
    await Promise.race([done, new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
  }

  stop(): void {
    this.state = 'stopped';
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const w of this.shutdownWaiters.splice(0)) w();
  }

  private async beat(): Promise<void> {
    if (this.beating || this.state === 'stopped') return;
    this.beating = true;
    try {
      if (this.epoch < 0) await this.register();
      else await this.heartbeat();
    } catch (e) {
      this.opts.log?.debug({ err: (e as Error).message }, 'broker lifecycle request failed; retrying');
    } finally {
      this.beating = false;
    }
  }

  private async register(): Promise<void> {
    const o = this.opts;
    const { response } = await o.channel.request(BrokerRegistrationApi, () => ({
      brokerId: o.brokerId,
      clusterId: o.clusterId,
      incarnationId: o.incarnationId,
      listeners: o.listeners,
      features: [],
      rack: o.rack,
      isMigratingZkBroker: false,
      logDirs: [],
      previousBrokerEpoch: -1,
    }));
    if (response.errorCode !== ErrorCode.NONE) {
      const fatal = response.errorCode === ErrorCode.INCONSISTENT_CLUSTER_ID || response.errorCode === ErrorCode.DUPLICATE_BROKER_REGISTRATION;
      (fatal ? o.log?.error.bind(o.log) : o.log?.debug.bind(o.log))?.({ errorCode: response.errorCode }, 'broker registration refused');
      return;
    }
    this.epoch = response.brokerEpoch;
    if (this.state === 'registering') this.state = 'fenced';
    o.log?.info({ brokerEpoch: this.epoch }, 'registered with the controller');
    for (const w of this.registeredWaiters.splice(0)) w(this.epoch);
    await this.heartbeat();
  }

  private async heartbeat(): Promise<void> {
    const o = this.opts;
    const { response } = await o.channel.request(BrokerHeartbeatApi, () => ({
      brokerId: o.brokerId,
      brokerEpoch: this.epoch,
      currentMetadataOffset: o.metadataOffset(),
      wantFence: false,
      wantShutDown: this.wantShutDown,
      offlineLogDirs: [],
    }));
    if (response.errorCode === ErrorCode.STALE_BROKER_EPOCH || response.errorCode === ErrorCode.BROKER_ID_NOT_REGISTERED) {
      // The controller no longer knows this registration: register again (a new epoch), fenced until caught up.
      this.epoch = -1;
      if (this.state === 'running') this.state = 'fenced';
      return;
    }
    if (response.errorCode !== ErrorCode.NONE) return;
    if (this.wantShutDown) {
      if (response.shouldShutDown) for (const w of this.shutdownWaiters.splice(0)) w();
      return;
    }
    if (!response.isFenced && this.state !== 'running') {
      this.state = 'running';
      o.log?.info({ brokerEpoch: this.epoch }, 'unfenced by the controller');
      for (const w of this.unfencedWaiters.splice(0)) w();
    } else if (response.isFenced && this.state === 'running') {
      this.state = 'fenced';
      o.log?.warn({ brokerEpoch: this.epoch }, 'fenced by the controller');
    }
  }
}
