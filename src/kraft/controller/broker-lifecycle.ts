// Broker registration, heartbeats and fencing on the active controller (KIP-631). A broker registers
// (BrokerRegistration) and gets an epoch — the offset of its RegisterBrokerRecord, as Kafka assigns it — and starts
// fenced: it leads nothing and clients are not sent to it. Its heartbeats report how far it has replayed the metadata
// log; once that reaches its registration (currentMetadataOffset ≥ its epoch) it has seen every partition assigned
// to it, and the controller unfences it (UnfenceBrokerRecord) and gives it the leaderless partitions it can lead.
//
// A broker whose heartbeats stop for broker.session.timeout.ms is fenced (FenceBrokerRecord) and leaves every ISR,
// its leaderships moving to other ISR members (leadership.ts). A broker shutting down asks with wantShutDown: it is
// marked in controlled shutdown, its leaderships move at once, and it is told it may stop. UnregisterBroker removes
// a registration for good.
//
// Session times live only in memory on the active controller: a newly active controller gives every broker a full
// session from the moment it takes over, as Kafka's does, rather than fencing brokers for the old controller's gap.

import { ErrorCode } from '../../wire/errors';
import type { Logger } from '../../handlers/types';
import type { MetadataImage } from '../metadata/image';
import { MetadataRecordType } from '../metadata/image';
import type { Controller, MetadataRecordOut, PlannedWrite } from './controller';
import { planBrokerRemoval, planElectionsForReturningBroker } from './leadership';

export interface BrokerLifecycleOptions {
  clusterId: string;
  /** broker.session.timeout.ms */
  sessionTimeoutMs: number;
  /** unclean.leader.election.enable of the cluster (a topic's own setting wins). */
  uncleanLeaderElectionEnable?: boolean;
  /** Whether this node is the active controller (the metadata log's isActive). */
  isActive(): boolean;
  now?: () => number;
  log?: Logger;
}

export interface RegistrationInput {
  brokerId: number;
  clusterId: string;
  incarnationId: string;
  listeners: { name: string; host: string; port: number; securityProtocol: number }[];
  rack: string | null;
}

export interface HeartbeatInput {
  brokerId: number;
  brokerEpoch: number;
  currentMetadataOffset: number;
  wantFence: boolean;
  wantShutDown: boolean;
}

export interface HeartbeatResult {
  errorCode: number;
  isCaughtUp: boolean;
  isFenced: boolean;
  shouldShutDown: boolean;
}

const REGISTER_BROKER_VERSION = 3;

function fenceRecord(id: number, epoch: number): MetadataRecordOut {
  return { apiKey: MetadataRecordType.FenceBroker, version: 0, data: { id, epoch } };
}

export class BrokerLifecycle {
  /** Last heartbeat (or registration) per broker, on this controller's clock. */
  private readonly lastContact = new Map<number, number>();
  private timer: NodeJS.Timeout | null = null;
  private readonly now: () => number;
  private checking = false;

  constructor(
    private readonly controller: Controller,
    private readonly image: MetadataImage,
    private readonly opts: BrokerLifecycleOptions,
  ) {
    this.now = opts.now ?? Date.now;
  }

  private get unclean(): boolean {
    return this.opts.uncleanLeaderElectionEnable ?? false;
  }

  /** Checks sessions periodically (only the active controller acts on them). */
  start(checkIntervalMs = Math.max(50, Math.min(1000, Math.floor(this.opts.sessionTimeoutMs / 4)))): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (this.opts.isActive()) void this.expireSessions().catch((e) => this.opts.log?.warn({ err: (e as Error).message }, 'fencing expired brokers failed'));
    }, checkIntervalMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** This node became the active controller: every registered broker's session starts now. */
  onActivated(): void {
    const now = this.now();
    this.lastContact.clear();
    for (const id of this.image.brokers.keys()) this.lastContact.set(id, now);
  }

  private sessionExpired(id: number, now: number): boolean {
    const last = this.lastContact.get(id);
    return last === undefined || now - last > this.opts.sessionTimeoutMs;
  }

  async register(req: RegistrationInput): Promise<{ errorCode: number; brokerEpoch: number }> {
    if (!this.opts.isActive()) return { errorCode: ErrorCode.NOT_CONTROLLER, brokerEpoch: -1 };
    if (req.clusterId !== this.opts.clusterId) return { errorCode: ErrorCode.INCONSISTENT_CLUSTER_ID, brokerEpoch: -1 };
    return this.controller.write((nextOffset): PlannedWrite<{ errorCode: number; brokerEpoch: number }> => {
      const now = this.now();
      const prev = this.image.brokers.get(req.brokerId);
      // Another live process already holds this id: refuse rather than fence a working broker.
      if (prev && prev.incarnationId !== req.incarnationId && !prev.fenced && !this.sessionExpired(req.brokerId, now)) {
        return { records: [], result: { errorCode: ErrorCode.DUPLICATE_BROKER_REGISTRATION, brokerEpoch: -1 } };
      }
      const brokerEpoch = nextOffset; // the RegisterBrokerRecord goes first, so this is its offset
      const records: MetadataRecordOut[] = [
        {
          apiKey: MetadataRecordType.RegisterBroker,
          version: REGISTER_BROKER_VERSION,
          data: {
            brokerId: req.brokerId,
            isMigratingZkBroker: false,
            incarnationId: req.incarnationId,
            brokerEpoch,
            endPoints: req.listeners.map((l) => ({ name: l.name, host: l.host, port: l.port, securityProtocol: l.securityProtocol })),
            features: [],
            rack: req.rack,
            fenced: true,
            inControlledShutdown: false,
            logDirs: [],
          },
        },
        // A restarted broker's old incarnation may still hold leaderships and ISR places: it has lost its state.
        ...planBrokerRemoval(this.image, req.brokerId, this.unclean),
      ];
      this.lastContact.set(req.brokerId, now);
      return { records, result: { errorCode: ErrorCode.NONE, brokerEpoch } };
    });
  }

  async heartbeat(req: HeartbeatInput): Promise<HeartbeatResult> {
    const refuse = (errorCode: number): HeartbeatResult => ({ errorCode, isCaughtUp: false, isFenced: true, shouldShutDown: false });
    if (!this.opts.isActive()) return refuse(ErrorCode.NOT_CONTROLLER);
    return this.controller.write((): PlannedWrite<HeartbeatResult> => {
      const b = this.image.brokers.get(req.brokerId);
      if (!b) return { records: [], result: refuse(ErrorCode.BROKER_ID_NOT_REGISTERED) };
      if (b.epoch !== req.brokerEpoch) return { records: [], result: refuse(ErrorCode.STALE_BROKER_EPOCH) };
      this.lastContact.set(req.brokerId, this.now());
      const isCaughtUp = req.currentMetadataOffset >= b.epoch;
      const records: MetadataRecordOut[] = [];
      let isFenced = b.fenced;
      let shouldShutDown = false;
      if (req.wantShutDown) {
        if (!b.fenced) {
          // Controlled shutdown: leaderships move now, so once this commits it leads nothing and may stop.
          if (!b.inControlledShutdown) {
            records.push({
              apiKey: MetadataRecordType.BrokerRegistrationChange,
              version: 1,
              data: { brokerId: b.id, brokerEpoch: b.epoch, fenced: 0, inControlledShutdown: 1, logDirs: [] },
            });
          }
          records.push(...planBrokerRemoval(this.image, b.id, this.unclean), fenceRecord(b.id, b.epoch));
        }
        isFenced = true;
        shouldShutDown = true;
      } else if (req.wantFence) {
        if (!b.fenced) records.push(...planBrokerRemoval(this.image, b.id, this.unclean), fenceRecord(b.id, b.epoch));
        isFenced = true;
      } else if (b.fenced && isCaughtUp && !b.inControlledShutdown) {
        records.push({ apiKey: MetadataRecordType.UnfenceBroker, version: 0, data: { id: b.id, epoch: b.epoch } });
        // It may lead again: the partitions left without a leader that it replicates get one (it, if in the ISR).
        records.push(...planElectionsForReturningBroker(this.image, b.id, this.unclean));
        isFenced = false;
      }
      return { records, result: { errorCode: ErrorCode.NONE, isCaughtUp, isFenced, shouldShutDown } };
    });
  }

  async unregister(brokerId: number): Promise<{ errorCode: number; errorMessage: string | null }> {
    if (!this.opts.isActive()) return { errorCode: ErrorCode.NOT_CONTROLLER, errorMessage: null };
    return this.controller.write((): PlannedWrite<{ errorCode: number; errorMessage: string | null }> => {
      const b = this.image.brokers.get(brokerId);
      if (!b) {
        return { records: [], result: { errorCode: ErrorCode.BROKER_ID_NOT_REGISTERED, errorMessage: `Broker ID ${brokerId} is not currently registered` } };
      }
      this.lastContact.delete(brokerId);
      return {
        records: [
          ...planBrokerRemoval(this.image, brokerId, this.unclean),
          { apiKey: MetadataRecordType.UnregisterBroker, version: 0, data: { brokerId, brokerEpoch: b.epoch } },
        ],
        result: { errorCode: ErrorCode.NONE, errorMessage: null },
      };
    });
  }

  /** Fences every unfenced broker whose session has expired; returns their ids. */
  async expireSessions(): Promise<number[]> {
    if (this.checking) return [];
    this.checking = true;
    try {
      const now = this.now();
      const expired: number[] = [];
      for (const b of this.image.brokers.values()) {
        if (b.fenced) continue;
        if (!this.lastContact.has(b.id)) {
          // Registered before this controller knew of it (replayed, not heard from): its session starts now.
          this.lastContact.set(b.id, now);
          continue;
        }
        if (this.sessionExpired(b.id, now)) expired.push(b.id);
      }
      const fenced: number[] = [];
      for (const id of expired) {
        const done = await this.controller.write((): PlannedWrite<boolean> => {
          const b = this.image.brokers.get(id);
          // Re-checked in the queue: a heartbeat may have arrived meanwhile.
          if (!b || b.fenced || !this.sessionExpired(id, this.now())) return { records: [], result: false };
          return { records: [...planBrokerRemoval(this.image, id, this.unclean), fenceRecord(id, b.epoch)], result: true };
        });
        if (done) {
          fenced.push(id);
          this.opts.log?.warn({ brokerId: id, sessionTimeoutMs: this.opts.sessionTimeoutMs }, 'broker session expired: fenced');
        }
      }
      return fenced;
    } finally {
      this.checking = false;
    }
  }
}
