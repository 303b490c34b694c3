// Metadata for named topics on a broker whose copy of the cluster metadata lags the controller's: a topic that the
// controller already has but this broker has not heard of yet.

import { BrokerConfig } from '../../config/broker-config';
import { Controller } from '../../kraft/controller/controller';
import { MetadataImage } from '../../kraft/metadata/image';
import type { ReplicaManager } from '../../isr/replica-manager';
import { ErrorCode } from '../../wire/errors';
import { defaultMetadataRequest, defaultMetadataRequestTopic } from '../../wire/generated/messages/MetadataRequest';
import { MemoryCommitter, brokerContext, registerBrokers, requestContext } from './__tests__/broker-fixture';
import { handleMetadata } from './metadata';

function controllerOver(image: MetadataImage): Controller {
  const opts = { numPartitions: 3, defaultReplicationFactor: 1, deleteTopicEnable: true, validateBrokerConfig: () => null };
  return new Controller(image, new MemoryCommitter(image), opts);
}

async function laggingBroker(values: Record<string, string> = {}) {
  const config = BrokerConfig.load({ values });
  const controllerImage = new MetadataImage();
  const controller = controllerOver(controllerImage);
  await registerBrokers(controller, 1);
  // The broker's image has the broker registered but never sees the topic records.
  const brokerImage = new MetadataImage();
  await registerBrokers(controllerOver(brokerImage), 1);
  const broker = brokerContext({ clusterId: 'c', config, image: brokerImage, controller, replicas: {} as ReplicaManager, groups: null });
  await controller.createTopics([{ name: 'made-elsewhere', numPartitions: 3, replicationFactor: 1, assignments: [], configs: [] }], false);
  return { broker, controllerImage, brokerImage };
}

function request(name: string, allowAutoTopicCreation: boolean) {
  return { ...defaultMetadataRequest(), topics: [{ ...defaultMetadataRequestTopic(), name }], allowAutoTopicCreation };
}

describe('Metadata on a broker that has not caught up with the controller', () => {
  it('answers LEADER_NOT_AVAILABLE (retriable) for a topic auto-creation finds already created', async () => {
    const { broker, controllerImage } = await laggingBroker();
    expect(controllerImage.topics.has('made-elsewhere')).toBe(true);
    const res = await handleMetadata(request('made-elsewhere', true), requestContext(broker, 12));
    expect(res.topics).toHaveLength(1);
    expect(res.topics[0]!.errorCode).toBe(ErrorCode.LEADER_NOT_AVAILABLE);
    expect(res.topics[0]!.partitions).toEqual([]);
  });

  it('answers LEADER_NOT_AVAILABLE for a topic it just asked the controller to create', async () => {
    const { broker, controllerImage } = await laggingBroker();
    const res = await handleMetadata(request('brand-new', true), requestContext(broker, 12));
    expect(controllerImage.topics.get('brand-new')?.partitions.size).toBe(3);
    expect(res.topics[0]!.errorCode).toBe(ErrorCode.LEADER_NOT_AVAILABLE);
  });

  it('answers UNKNOWN_TOPIC_OR_PARTITION when auto-creation is not allowed', async () => {
    const { broker, controllerImage } = await laggingBroker();
    const res = await handleMetadata(request('not-allowed', false), requestContext(broker, 12));
    expect(res.topics[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect(controllerImage.topics.has('not-allowed')).toBe(false);
  });

  it('answers UNKNOWN_TOPIC_OR_PARTITION when auto.create.topics.enable is false', async () => {
    const { broker } = await laggingBroker({ 'auto.create.topics.enable': 'false' });
    const res = await handleMetadata(request('made-elsewhere', true), requestContext(broker, 12));
    expect(res.topics[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });
});
