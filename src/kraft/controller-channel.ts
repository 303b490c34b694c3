// How a node reaches the controller for the operations only the active controller performs (topic creation and
// deletion, partitions, configs, ISR changes, producer id blocks, leader elections). On the active controller the
// local Controller runs them. Anywhere else the equivalent Kafka request goes to the active controller's controller
// listener, which serves these APIs too, and the answer is mapped back — forwarding as KIP-590 intends, without the
// Envelope wrapping (our controller trusts its own cluster's brokers; no principal travels).
//
// The controller can move at any time. A forward that finds no controller, cannot connect, or is answered
// NOT_CONTROLLER is retried (after a short pause, to whichever node leads then) until the forward deadline; a node
// that becomes the active controller meanwhile runs the operation itself. A local operation whose commit loses
// leadership fails with NOT_CONTROLLER and is not retried: its records may still be committed by the next leader,
// so a blind retry could apply it twice — the client decides, as with Kafka.
//
// Forwarded requests must not be forwarded again: the controller listener's handlers use localOnly(), which runs
// the operation here or answers NOT_CONTROLLER.

import { ErrorCode, KafkaError } from '../wire/errors';
import {
  AllocateProducerIdsApi,
  AlterConfigsApi,
  AlterPartitionApi,
  CreatePartitionsApi,
  CreateTopicsApi,
  DeleteTopicsApi,
  ElectLeadersApi,
  IncrementalAlterConfigsApi,
  type ApiDef,
} from '../wire/generated/apis';
import type { AlterPartitionRequest } from '../wire/generated/messages/AlterPartitionRequest';
import type { AlterPartitionResponse } from '../wire/generated/messages/AlterPartitionResponse';
import type { ControllerChannel as NetControllerChannel } from '../net/controller-channel';
import { NetworkError } from '../net/errors';
import type { Logger } from '../handlers/types';
import type { ConfigChange, Controller, CreatePartitionsInput, CreateTopicInput, CreateTopicResult, DeleteTopicResult } from './controller/controller';
import type { ElectLeadersInput, TopicElectionResult } from './controller/elect-leaders';

/** The controller operations the broker side calls (ctx.broker.controller). The Controller class has them all. */
export type ControllerOps = Pick<
  Controller,
  'createTopics' | 'deleteTopics' | 'createPartitions' | 'alterConfigs' | 'alterPartition' | 'allocateProducerIds' | 'electLeaders'
>;

type AlterConfigsResult = { resourceType: number; resourceName: string; errorCode: number; errorMessage: string | null };

export interface KraftControllerChannelOptions {
  /** The local controller (controller nodes); null on broker-only nodes. */
  local: ControllerOps | null;
  /** Whether this node is the active controller right now (RaftMetadataLog.isActive). */
  isLocalActive(): boolean;
  /** Requests to the active controller's controller listener (src/net PoolControllerChannel). */
  remote: NetControllerChannel;
  /** How long a forward keeps retrying to find the controller (request.timeout.ms-like). */
  forwardTimeoutMs?: number;
  retryBackoffMs?: number;
  log?: Logger;
}

const notController = () => new KafkaError(ErrorCode.NOT_CONTROLLER, 'this node is not the active controller');

export class KraftControllerChannel implements ControllerOps {
  private readonly timeoutMs: number;
  private readonly backoffMs: number;

  constructor(private readonly opts: KraftControllerChannelOptions) {
    this.timeoutMs = opts.forwardTimeoutMs ?? 30_000;
    this.backoffMs = opts.retryBackoffMs ?? 100;
  }

  /** The operations as the controller listener serves them: here when active, else NOT_CONTROLLER (no re-forward). */
  localOnly(): ControllerOps {
    const local = this.opts.local;
    const guard = <T>(op: (c: ControllerOps) => Promise<T>): Promise<T> =>
      local !== null && this.opts.isLocalActive() ? op(local) : Promise.reject(notController());
    return {
      createTopics: (i, v) => guard((c) => c.createTopics(i, v)),
      deleteTopics: (t) => guard((c) => c.deleteTopics(t)),
      createPartitions: (i, v) => guard((c) => c.createPartitions(i, v)),
      alterConfigs: (r, rep, v) => guard((c) => c.alterConfigs(r, rep, v)),
      alterPartition: (req, ver) => guard((c) => c.alterPartition(req, ver)),
      allocateProducerIds: (b, e, n) => guard((c) => c.allocateProducerIds(b, e, n)),
      electLeaders: (i) => guard((c) => c.electLeaders(i)),
    };
  }

  createTopics(inputs: CreateTopicInput[], validateOnly: boolean): Promise<CreateTopicResult[]> {
    return this.route(
      (c) => c.createTopics(inputs, validateOnly),
      async (timeoutMs) => {
        const { response } = await this.opts.remote.request(CreateTopicsApi, () => ({
          topics: inputs.map((t) => ({
            name: t.name,
            numPartitions: t.numPartitions,
            replicationFactor: t.replicationFactor,
            assignments: t.assignments.map((a) => ({ partitionIndex: a.partitionIndex, brokerIds: [...a.brokerIds] })),
            configs: t.configs.map((c) => ({ name: c.name, value: c.value })),
          })),
          timeoutMs,
          validateOnly,
        }), { timeoutMs: timeoutMs + 1000 });
        return response.topics.map((t) => ({
          name: t.name,
          topicId: t.topicId,
          errorCode: t.errorCode,
          errorMessage: t.errorMessage,
          numPartitions: t.numPartitions,
          replicationFactor: t.replicationFactor,
        }));
      },
      (rs) => rs.some((r) => r.errorCode === ErrorCode.NOT_CONTROLLER),
    );
  }

  deleteTopics(targets: { name: string | null; topicId: string }[]): Promise<DeleteTopicResult[]> {
    return this.route(
      (c) => c.deleteTopics(targets),
      async (timeoutMs) => {
        const { response } = await this.opts.remote.request(DeleteTopicsApi, () => ({
          // v6+ names topics in `topics` (by name or id); older versions by name only.
          topics: targets.map((t) => ({ name: t.name, topicId: t.topicId })),
          topicNames: targets.map((t) => t.name ?? ''),
          timeoutMs,
        }), { timeoutMs: timeoutMs + 1000 });
        return response.responses.map((r) => ({ name: r.name, topicId: r.topicId, errorCode: r.errorCode, errorMessage: r.errorMessage }));
      },
      (rs) => rs.some((r) => r.errorCode === ErrorCode.NOT_CONTROLLER),
    );
  }

  createPartitions(inputs: CreatePartitionsInput[], validateOnly: boolean): Promise<{ name: string; errorCode: number; errorMessage: string | null }[]> {
    return this.route(
      (c) => c.createPartitions(inputs, validateOnly),
      async (timeoutMs) => {
        const { response } = await this.opts.remote.request(CreatePartitionsApi, () => ({
          topics: inputs.map((t) => ({
            name: t.name,
            count: t.count,
            assignments: t.assignments === null ? null : t.assignments.map((a) => ({ brokerIds: [...a.brokerIds] })),
          })),
          timeoutMs,
          validateOnly,
        }), { timeoutMs: timeoutMs + 1000 });
        return response.results.map((r) => ({ name: r.name, errorCode: r.errorCode, errorMessage: r.errorMessage }));
      },
      (rs) => rs.some((r) => r.errorCode === ErrorCode.NOT_CONTROLLER),
    );
  }

  alterConfigs(
    resources: { resourceType: number; resourceName: string; changes: ConfigChange[] }[],
    replace: boolean,
    validateOnly: boolean,
  ): Promise<AlterConfigsResult[]> {
    return this.route(
      (c) => c.alterConfigs(resources, replace, validateOnly),
      async (timeoutMs) => {
        // AlterConfigs replaces a resource's overrides; IncrementalAlterConfigs applies operations: the same split
        // the handlers made, so the controller applies the same semantics.
        if (replace) {
          const { response } = await this.opts.remote.request(AlterConfigsApi, () => ({
            resources: resources.map((r) => ({
              resourceType: r.resourceType,
              resourceName: r.resourceName,
              configs: r.changes.map((c) => ({ name: c.name, value: c.value })),
            })),
            validateOnly,
          }), { timeoutMs });
          return response.responses.map((r) => ({ resourceType: r.resourceType, resourceName: r.resourceName, errorCode: r.errorCode, errorMessage: r.errorMessage }));
        }
        const { response } = await this.opts.remote.request(IncrementalAlterConfigsApi, () => ({
          resources: resources.map((r) => ({
            resourceType: r.resourceType,
            resourceName: r.resourceName,
            configs: r.changes.map((c) => ({ name: c.name, configOperation: c.op, value: c.value })),
          })),
          validateOnly,
        }), { timeoutMs });
        return response.responses.map((r) => ({ resourceType: r.resourceType, resourceName: r.resourceName, errorCode: r.errorCode, errorMessage: r.errorMessage }));
      },
      (rs) => rs.some((r) => r.errorCode === ErrorCode.NOT_CONTROLLER),
    );
  }

  alterPartition(req: AlterPartitionRequest, version: number): Promise<AlterPartitionResponse> {
    return this.route(
      (c) => c.alterPartition(req, version),
      async (timeoutMs) => {
        // The same version: the controller's answer depends on it (topic names or ids, error codes).
        const { response } = await this.opts.remote.request(AlterPartitionApi, () => req, { minVersion: version, maxVersion: version, timeoutMs });
        return response;
      },
      (r) => r.errorCode === ErrorCode.NOT_CONTROLLER,
    );
  }

  allocateProducerIds(brokerId: number, brokerEpoch: number, blockSize?: number): Promise<{ start: number; length: number }> {
    return this.route(
      (c) => c.allocateProducerIds(brokerId, brokerEpoch, blockSize),
      async (timeoutMs) => {
        const { response } = await this.opts.remote.request(AllocateProducerIdsApi, () => ({ brokerId, brokerEpoch }), { timeoutMs });
        if (response.errorCode === ErrorCode.NOT_CONTROLLER) return null;
        if (response.errorCode !== ErrorCode.NONE) throw new KafkaError(response.errorCode);
        return { start: response.producerIdStart, length: response.producerIdLen };
      },
      (r) => r === null,
    ) as Promise<{ start: number; length: number }>;
  }

  electLeaders(input: ElectLeadersInput): Promise<TopicElectionResult[]> {
    return this.route(
      (c) => c.electLeaders(input),
      async (timeoutMs) => {
        const { response } = await this.opts.remote.request(ElectLeadersApi, () => ({
          electionType: input.electionType,
          topicPartitions: input.topicPartitions === null ? null : input.topicPartitions.map((t) => ({ topic: t.topic, partitions: [...t.partitions] })),
          timeoutMs,
        }), { timeoutMs: timeoutMs + 1000 });
        if (response.errorCode === ErrorCode.NOT_CONTROLLER) return null;
        if (response.errorCode !== ErrorCode.NONE) throw new KafkaError(response.errorCode);
        return response.replicaElectionResults.map((t) => ({
          topic: t.topic,
          partitions: t.partitionResult.map((p) => ({ partitionId: p.partitionId, errorCode: p.errorCode, errorMessage: p.errorMessage })),
        }));
      },
      (r) => r === null,
    ) as Promise<TopicElectionResult[]>;
  }

  /**
   * Sends a request built by `build` to the active controller as it is (APIs answered by the quorum leader itself,
   * such as DescribeQuorum), retried like the operations above.
   */
  forward<Req, Res>(api: ApiDef<Req, Res>, build: (version: number) => Req, isNotController: (r: Res) => boolean): Promise<Res> {
    return this.route<Res, Res>(
      null,
      async (timeoutMs) => (await this.opts.remote.request(api, build, { timeoutMs })).response,
      isNotController,
    );
  }

  /**
   * Runs the operation locally when this node is the active controller, else forwards it, retrying while the
   * answer is NOT_CONTROLLER or the controller cannot be reached, until the forward deadline.
   */
  private async route<L, R extends L | null>(
    local: ((c: ControllerOps) => Promise<L>) | null,
    forward: (timeoutMs: number) => Promise<R>,
    isNotController: (r: R) => boolean,
  ): Promise<L> {
    const deadline = Date.now() + this.timeoutMs;
    let last: Error = notController();
    for (;;) {
      if (local !== null && this.opts.local !== null && this.opts.isLocalActive()) return local(this.opts.local);
      const left = deadline - Date.now();
      if (left <= 0) throw last;
      try {
        const r = await forward(left);
        if (!isNotController(r)) return r as L;
        last = notController();
      } catch (e) {
        if (!(e instanceof NetworkError)) throw e;
        this.opts.log?.debug({ err: e.message }, 'forward to the controller failed; retrying');
        last = new KafkaError(ErrorCode.REQUEST_TIMED_OUT, `the controller could not be reached: ${e.message}`);
      }
      await new Promise((r) => setTimeout(r, Math.min(this.backoffMs, Math.max(0, deadline - Date.now()))));
    }
  }
}
