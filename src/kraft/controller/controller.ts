// The controller: the only writer of cluster metadata. Every change (topics, partitions, configs, brokers,
// producer id blocks) is validated against the current image and written as metadata records; it takes effect
// when the records are committed by the metadata log and applied to the image. Operations run one at a time, so
// each validates against the image its predecessors left.

import { randomBytes } from 'node:crypto';
import { ErrorCode } from '../../wire/errors';
import { ZERO_UUID } from '../../wire/primitives';
import type { MetadataImage } from '../metadata/image';
import { MetadataRecordType, NO_LEADER_CHANGE, ResourceType } from '../metadata/image';
import { collisionKey, isInternalTopic, topicNameError } from './topic-validation';
import { placeReplicas } from './placement';
import { validateTopicConfig } from '../../config/topic-configs';
import { buildPartitionChange } from './partition-change';
import { planAlterPartition } from './alter-partition';
import type { AlterPartitionRequest } from '../../wire/generated/messages/AlterPartitionRequest';
import type { AlterPartitionResponse } from '../../wire/generated/messages/AlterPartitionResponse';
import { planElectLeaders, type ElectLeadersInput, type TopicElectionResult } from './elect-leaders';

/** A metadata record to write: its api key, schema version and fields. */
export interface MetadataRecordOut {
  apiKey: number;
  version: number;
  data: Record<string, unknown>;
}

/** Where the controller writes: resolves once the records are committed and applied to the image. */
export interface MetadataCommitter {
  commit(records: MetadataRecordOut[]): Promise<void>;
  /** Offset the next commit's first record will get; absent where every write is applied at once (local log). */
  nextWriteOffset?(): number;
}

/** A write planned by another controller module: the records to commit and what to answer once they are. */
export interface PlannedWrite<T> {
  records: MetadataRecordOut[];
  result: T;
}

export interface CreateTopicInput {
  name: string;
  /** -1: the broker default (num.partitions) */
  numPartitions: number;
  /** -1: the broker default (default.replication.factor) */
  replicationFactor: number;
  assignments: { partitionIndex: number; brokerIds: number[] }[];
  configs: { name: string; value: string | null }[];
}

export interface CreateTopicResult {
  name: string;
  topicId: string;
  errorCode: number;
  errorMessage: string | null;
  numPartitions: number;
  replicationFactor: number;
}

export interface DeleteTopicResult {
  name: string | null;
  topicId: string;
  errorCode: number;
  errorMessage: string | null;
}

export interface CreatePartitionsInput {
  name: string;
  count: number;
  assignments: { brokerIds: number[] }[] | null;
}

export interface ConfigChange {
  name: string;
  value: string | null;
  /** IncrementalAlterConfigs op: 0 SET, 1 DELETE, 2 APPEND, 3 SUBTRACT. AlterConfigs uses SET for all. */
  op: number;
}

export interface ControllerDefaults {
  numPartitions: number;
  defaultReplicationFactor: number;
  deleteTopicEnable: boolean;
  /** Validates a dynamic broker config key/value; returns an error message or null. */
  validateBrokerConfig(name: string, value: string | null): string | null;
  /** unclean.leader.election.enable of the cluster (a topic's own setting wins); false when absent. */
  uncleanLeaderElectionEnable?: boolean;
}

const TOPIC_RECORD_VERSION = 0;
const PARTITION_RECORD_VERSION = 0;

export function newUuid(): string {
  for (;;) {
    const b = randomBytes(16);
    // Version 4 variant bits, as Java's Uuid.randomUuid; never hand out the zero or "metadata topic" ids.
    b[6] = (b[6]! & 0x0f) | 0x40;
    b[8] = (b[8]! & 0x3f) | 0x80;
    const s = b.toString('base64url');
    if (s !== ZERO_UUID && !s.startsWith('-')) return s;
  }
}

export class Controller {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly image: MetadataImage,
    private readonly log: MetadataCommitter,
    private readonly defaults: ControllerDefaults,
  ) {}

  /** Runs `op` after every earlier operation has committed. */
  private run<T>(op: () => Promise<T>): Promise<T> {
    const next = this.queue.then(op, op);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /**
   * Runs a write planned outside this class (broker lifecycle, leader elections) in the same queue as every other
   * operation, so it is planned against the image its predecessors left. `nextOffset` is the offset its first
   * record will get (Kafka's broker epoch for a registration).
   */
  write<T>(plan: (nextOffset: number) => PlannedWrite<T>): Promise<T> {
    return this.run(async () => {
      const p = plan(this.log.nextWriteOffset?.() ?? this.image.lastAppliedOffset + 1);
      if (p.records.length > 0) await this.log.commit(p.records);
      return p.result;
    });
  }

  createTopics(inputs: CreateTopicInput[], validateOnly: boolean): Promise<CreateTopicResult[]> {
    return this.run(async () => {
      const records: MetadataRecordOut[] = [];
      const seen = new Map<string, number>();
      for (const t of inputs) seen.set(t.name, (seen.get(t.name) ?? 0) + 1);
      const creatingKeys = new Set<string>();
      const results = inputs.map((t) => {
        const base = { name: t.name, topicId: ZERO_UUID, numPartitions: -1, replicationFactor: -1 };
        if (seen.get(t.name)! > 1) {
          return { ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Create topics request from client contains a duplicate topic name: ${t.name}` };
        }
        const r = this.planTopic(t, creatingKeys);
        if ('errorCode' in r) return { ...base, ...r };
        creatingKeys.add(collisionKey(t.name));
        if (!validateOnly) records.push(...r.records);
        return { ...base, topicId: validateOnly ? ZERO_UUID : r.topicId, numPartitions: r.numPartitions, replicationFactor: r.replicationFactor, errorCode: ErrorCode.NONE, errorMessage: null };
      });
      if (records.length > 0) await this.log.commit(records);
      return results;
    });
  }

  private planTopic(
    t: CreateTopicInput,
    creatingKeys: Set<string>,
  ): { errorCode: number; errorMessage: string } | { records: MetadataRecordOut[]; topicId: string; numPartitions: number; replicationFactor: number } {
    const nameErr = topicNameError(t.name);
    if (nameErr) return { errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, errorMessage: nameErr };
    if (this.image.topics.has(t.name)) {
      return { errorCode: ErrorCode.TOPIC_ALREADY_EXISTS, errorMessage: `Topic '${t.name}' already exists.` };
    }
    const key = collisionKey(t.name);
    const collides = creatingKeys.has(key) || [...this.image.topics.keys()].some((n) => collisionKey(n) === key);
    if (collides) {
      return { errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, errorMessage: `Topic '${t.name}' collides with an existing topic.` };
    }
    for (const c of t.configs) {
      const err = validateTopicConfig(c.name, c.value);
      if (err) return { errorCode: ErrorCode.INVALID_CONFIG, errorMessage: err };
    }
    let assignments: number[][];
    if (t.assignments.length > 0) {
      if (t.numPartitions !== -1 || t.replicationFactor !== -1) {
        return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Both numPartitions or replicationFactor and replicasAssignments were set.' };
      }
      const sorted = [...t.assignments].sort((a, b) => a.partitionIndex - b.partitionIndex);
      for (let i = 0; i < sorted.length; i++) {
        if (sorted[i]!.partitionIndex !== i) {
          return { errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, errorMessage: 'Partitions should be a consecutive 0-based integer sequence' };
        }
      }
      assignments = sorted.map((a) => a.brokerIds);
      const err = this.assignmentError(assignments);
      if (err) return { errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, errorMessage: err };
    } else {
      const numPartitions = t.numPartitions === -1 ? this.defaults.numPartitions : t.numPartitions;
      const rf = t.replicationFactor === -1 ? this.defaults.defaultReplicationFactor : t.replicationFactor;
      if (numPartitions <= 0) {
        return { errorCode: ErrorCode.INVALID_PARTITIONS, errorMessage: 'Number of partitions was set to an invalid non-positive value.' };
      }
      if (rf <= 0) {
        return { errorCode: ErrorCode.INVALID_REPLICATION_FACTOR, errorMessage: 'Replication factor must be larger than 0, or -1 to use the default value.' };
      }
      const live = this.image.liveBrokers();
      if (rf > live.length) {
        return {
          errorCode: ErrorCode.INVALID_REPLICATION_FACTOR,
          errorMessage: `Unable to replicate the partition ${rf} time(s): The target replication factor of ${rf} cannot be reached because only ${live.length} broker(s) are registered.`,
        };
      }
      assignments = placeReplicas(live, numPartitions, rf);
    }
    const topicId = newUuid();
    const records: MetadataRecordOut[] = [{ apiKey: MetadataRecordType.Topic, version: TOPIC_RECORD_VERSION, data: { name: t.name, topicId } }];
    for (const c of t.configs) {
      if (c.value === null) continue;
      records.push(configRecord(ResourceType.TOPIC, t.name, c.name, c.value));
    }
    assignments.forEach((replicas, partitionId) => records.push(this.partitionRecord(topicId, partitionId, replicas)));
    return { records, topicId, numPartitions: assignments.length, replicationFactor: assignments[0]?.length ?? 0 };
  }

  private assignmentError(assignments: number[][]): string | null {
    for (const replicas of assignments) {
      if (replicas.length === 0) return 'The manual partition assignment includes an empty replica list.';
      if (new Set(replicas).size !== replicas.length) return 'The manual partition assignment includes duplicate replicas.';
      for (const id of replicas) {
        if (!this.image.brokers.has(id)) return `The manual partition assignment includes broker ${id}, but no such broker is registered.`;
      }
      if (replicas.length !== assignments[0]!.length) return 'The manual partition assignment includes a partition with a different replication factor.';
    }
    return null;
  }

  private partitionRecord(topicId: string, partitionId: number, replicas: number[]): MetadataRecordOut {
    const live = new Set(this.image.liveBrokers().map((b) => b.id));
    const isr = replicas.filter((r) => live.has(r));
    return {
      apiKey: MetadataRecordType.Partition,
      version: PARTITION_RECORD_VERSION,
      data: {
        partitionId,
        topicId,
        replicas,
        isr: isr.length > 0 ? isr : replicas,
        removingReplicas: [],
        addingReplicas: [],
        leader: isr[0] ?? -1,
        leaderRecoveryState: 0,
        leaderEpoch: 0,
        partitionEpoch: 0,
      },
    };
  }

  deleteTopics(targets: { name: string | null; topicId: string }[]): Promise<DeleteTopicResult[]> {
    return this.run(async () => {
      const records: MetadataRecordOut[] = [];
      const deleting = new Set<string>();
      const results = targets.map((t): DeleteTopicResult => {
        const byId = t.name === null || t.name === '';
        const topic = byId ? this.image.topicsById.get(t.topicId) : this.image.topics.get(t.name!);
        if (!topic) {
          return byId
            ? { name: null, topicId: t.topicId, errorCode: ErrorCode.UNKNOWN_TOPIC_ID, errorMessage: null }
            : { name: t.name, topicId: ZERO_UUID, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: null };
        }
        if (!this.defaults.deleteTopicEnable) {
          return { name: topic.name, topicId: topic.id, errorCode: ErrorCode.TOPIC_DELETION_DISABLED, errorMessage: null };
        }
        if (isInternalTopic(topic.name)) {
          return { name: topic.name, topicId: topic.id, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: 'Internal topics cannot be deleted' };
        }
        if (!deleting.has(topic.id)) {
          deleting.add(topic.id);
          records.push({ apiKey: MetadataRecordType.RemoveTopic, version: 0, data: { topicId: topic.id } });
        }
        return { name: topic.name, topicId: topic.id, errorCode: ErrorCode.NONE, errorMessage: null };
      });
      if (records.length > 0) await this.log.commit(records);
      return results;
    });
  }

  createPartitions(inputs: CreatePartitionsInput[], validateOnly: boolean): Promise<{ name: string; errorCode: number; errorMessage: string | null }[]> {
    return this.run(async () => {
      const records: MetadataRecordOut[] = [];
      const seen = new Map<string, number>();
      for (const t of inputs) seen.set(t.name, (seen.get(t.name) ?? 0) + 1);
      const results = inputs.map((t) => {
        const fail = (errorCode: number, errorMessage: string) => ({ name: t.name, errorCode, errorMessage });
        if (seen.get(t.name)! > 1) return fail(ErrorCode.INVALID_REQUEST, 'Duplicate topic in request.');
        const topic = this.image.topics.get(t.name);
        if (!topic) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${t.name}' does not exist.`);
        const current = topic.partitions.size;
        if (t.count < current) {
          return fail(ErrorCode.INVALID_PARTITIONS, `The topic ${t.name} currently has ${current} partition(s); ${t.count} would not be an increase.`);
        }
        if (t.count === current) {
          return fail(ErrorCode.INVALID_PARTITIONS, `Topic already has ${current} partition(s).`);
        }
        const add = t.count - current;
        const rf = topic.partitions.get(0)?.replicas.length ?? 1;
        let assignments: number[][];
        if (t.assignments !== null) {
          if (t.assignments.length !== add) {
            return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Attempted to add ${add} additional partition(s), but only ${t.assignments.length} assignment(s) were specified.`);
          }
          assignments = t.assignments.map((a) => a.brokerIds);
          const err = this.assignmentError(assignments) ?? (assignments[0]!.length !== rf ? 'Inconsistent replication factor between partitions.' : null);
          if (err) return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, err);
        } else {
          const live = this.image.liveBrokers();
          if (rf > live.length) {
            return fail(ErrorCode.INVALID_REPLICATION_FACTOR, `Unable to replicate the partition ${rf} time(s): only ${live.length} broker(s) are registered.`);
          }
          assignments = placeReplicas(live, add, rf, current);
        }
        if (!validateOnly) assignments.forEach((r, i) => records.push(this.partitionRecord(topic.id, current + i, r)));
        return { name: t.name, errorCode: ErrorCode.NONE, errorMessage: null };
      });
      if (records.length > 0) await this.log.commit(records);
      return results;
    });
  }

  /**
   * Applies config changes to resources. `replace` is AlterConfigs' semantics (the given set replaces every
   * override of the resource); otherwise each change is an IncrementalAlterConfigs operation.
   */
  alterConfigs(
    resources: { resourceType: number; resourceName: string; changes: ConfigChange[] }[],
    replace: boolean,
    validateOnly: boolean,
  ): Promise<{ resourceType: number; resourceName: string; errorCode: number; errorMessage: string | null }[]> {
    return this.run(async () => {
      const records: MetadataRecordOut[] = [];
      const results = resources.map((res) => {
        const fail = (errorCode: number, errorMessage: string | null) => ({ resourceType: res.resourceType, resourceName: res.resourceName, errorCode, errorMessage });
        let current: ReadonlyMap<string, string>;
        let validate: (name: string, value: string | null) => string | null;
        if (res.resourceType === ResourceType.TOPIC) {
          if (!this.image.topics.has(res.resourceName)) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic ${res.resourceName} does not exist`);
          current = this.image.topicConfig(res.resourceName);
          validate = validateTopicConfig;
        } else if (res.resourceType === ResourceType.BROKER) {
          if (res.resourceName !== '' && !this.image.brokers.has(Number(res.resourceName))) {
            return fail(ErrorCode.INVALID_REQUEST, `Unknown broker ${res.resourceName}`);
          }
          current = this.image.resourceConfig(res.resourceType, res.resourceName);
          validate = this.defaults.validateBrokerConfig;
        } else {
          return fail(ErrorCode.INVALID_REQUEST, `Unsupported resource type ${res.resourceType}`);
        }
        const next = new Map(replace ? [] : current);
        for (const c of res.changes) {
          switch (c.op) {
            case 0:
              if (c.value === null) next.delete(c.name);
              else next.set(c.name, c.value);
              break;
            case 1:
              next.delete(c.name);
              break;
            case 2:
            case 3: {
              const items = (next.get(c.name) ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
              const given = (c.value ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
              const merged = c.op === 2 ? [...items, ...given.filter((g) => !items.includes(g))] : items.filter((i) => !given.includes(i));
              next.set(c.name, merged.join(','));
              break;
            }
            default:
              return fail(ErrorCode.INVALID_REQUEST, `Unknown config operation ${c.op}`);
          }
          const err = validate(c.name, c.op === 1 ? null : next.get(c.name) ?? null);
          if (err) return fail(ErrorCode.INVALID_CONFIG, err);
        }
        if (!validateOnly) {
          for (const [name, value] of next) {
            if (current.get(name) !== value) records.push(configRecord(res.resourceType, res.resourceName, name, value));
          }
          for (const name of current.keys()) {
            if (!next.has(name)) records.push(configRecord(res.resourceType, res.resourceName, name, null));
          }
        }
        return fail(ErrorCode.NONE, null);
      });
      if (records.length > 0) await this.log.commit(records);
      return results;
    });
  }

  /** Registers (or re-registers) a broker with its endpoints. A single-node cluster registers itself unfenced. */
  registerBroker(reg: {
    brokerId: number;
    incarnationId: string;
    endpoints: { name: string; host: string; port: number; securityProtocol: number }[];
    rack: string | null;
    fenced: boolean;
  }): Promise<number> {
    return this.run(async () => {
      const prev = this.image.brokers.get(reg.brokerId);
      const epoch = (prev?.epoch ?? -1) + 1;
      await this.log.commit([
        {
          apiKey: MetadataRecordType.RegisterBroker,
          version: 3,
          data: {
            brokerId: reg.brokerId,
            isMigratingZkBroker: false,
            incarnationId: reg.incarnationId,
            brokerEpoch: epoch,
            endPoints: reg.endpoints,
            features: [],
            rack: reg.rack,
            fenced: reg.fenced,
            inControlledShutdown: false,
            logDirs: [],
          },
        },
      ]);
      return epoch;
    });
  }

  /**
   * Elects a leader for every partition that has none, now that `brokerId` is back (after a single-node restart,
   * or when a replica returns). Only an ISR member may lead, unless the topic enables unclean election.
   */
  electLeadersWhereMissing(brokerId: number): Promise<void> {
    return this.run(async () => {
      const live = (r: number) => r === brokerId || this.isActiveBroker(r);
      const records: MetadataRecordOut[] = [];
      for (const t of this.image.topics.values()) {
        for (const p of t.partitions.values()) {
          if (p.leader !== -1) continue;
          const change = buildPartitionChange(t.id, p, { targetIsr: p.isr, isAcceptableLeader: live, uncleanElection: this.uncleanElection(t.name) });
          if (change) records.push(change);
        }
      }
      if (records.length > 0) await this.log.commit(records);
    });
  }

  /**
   * Fences a broker that stopped (its session expired, or it shut down): it leaves every ISR, partitions it led
   * get a new leader from the rest of their ISR (none when it was the last member: the ISR keeps it and the
   * partition stays offline until it returns, unless unclean election is enabled), and it is marked fenced.
   */
  fenceBroker(brokerId: number): Promise<void> {
    return this.run(async () => {
      const b = this.image.brokers.get(brokerId);
      if (!b) return;
      const acceptable = (r: number) => r !== brokerId && this.isActiveBroker(r);
      const records: MetadataRecordOut[] = [];
      for (const t of this.image.topics.values()) {
        for (const p of t.partitions.values()) {
          if (!p.isr.includes(brokerId) && p.leader !== brokerId) continue;
          const change = buildPartitionChange(t.id, p, {
            targetIsr: p.isr.filter((r) => r !== brokerId),
            isAcceptableLeader: acceptable,
            uncleanElection: this.uncleanElection(t.name),
          });
          if (change) records.push(change);
        }
      }
      if (!b.fenced) records.push({ apiKey: MetadataRecordType.FenceBroker, version: 0, data: { id: brokerId, epoch: b.epoch } });
      if (records.length > 0) await this.log.commit(records);
    });
  }

  /** AlterPartition (key 56): a leader's ISR change, validated and written as a PartitionChangeRecord. */
  alterPartition(req: AlterPartitionRequest, version: number): Promise<AlterPartitionResponse> {
    return this.run(async () => {
      const plan = planAlterPartition(this.image, req, version);
      if (plan.records.length > 0) await this.log.commit(plan.records);
      return plan.respond(this.image);
    });
  }

  private isActiveBroker(id: number): boolean {
    const b = this.image.brokers.get(id);
    return b !== undefined && !b.fenced && !b.inControlledShutdown;
  }

  private uncleanElection(topic: string): boolean {
    const v = this.image.topicConfig(topic).get('unclean.leader.election.enable');
    return v !== undefined ? v.trim().toLowerCase() === 'true' : (this.defaults.uncleanLeaderElectionEnable ?? false);
  }

  /** ElectLeaders (key 43): preferred or unclean leader elections (elect-leaders.ts). */
  electLeaders(input: ElectLeadersInput): Promise<TopicElectionResult[]> {
    return this.write(() => planElectLeaders(this.image, input));
  }

  /** Hands out a block of producer ids (ProducerIdsRecord), as AllocateProducerIds does. */
  allocateProducerIds(brokerId: number, brokerEpoch: number, blockSize = 1000): Promise<{ start: number; length: number }> {
    return this.run(async () => {
      const start = this.image.nextProducerId;
      await this.log.commit([
        { apiKey: MetadataRecordType.ProducerIds, version: 0, data: { brokerId, brokerEpoch, nextProducerId: start + blockSize } },
      ]);
      return { start, length: blockSize };
    });
  }
}

function configRecord(resourceType: number, resourceName: string, name: string, value: string | null): MetadataRecordOut {
  return { apiKey: MetadataRecordType.Config, version: 0, data: { resourceType, resourceName, name, value } };
}

export { NO_LEADER_CHANGE };
