// Every server.properties key the broker reads, with Kafka's name, type, default and meaning. This table is the
// single source for validation at start-up, for DescribeConfigs of a broker, and for the README's key list.

export type ConfigType = 'string' | 'int' | 'long' | 'short' | 'boolean' | 'double' | 'list' | 'password';

export interface ConfigDef {
  name: string;
  type: ConfigType;
  /** Default as Kafka prints it (string form); null means no default. */
  default: string | null;
  doc: string;
  /** Allowed values for enumerations. */
  oneOf?: readonly string[];
  /** Inclusive lower bound for numbers. */
  min?: number;
  /** Topic-level key that this broker key is the default of (e.g. log.retention.ms → retention.ms). */
  topicKey?: string;
  /** Can be changed at runtime through (Incremental)AlterConfigs on the broker resource. */
  dynamic?: boolean;
}

const MAX_LONG = '9223372036854775807';

export const BROKER_CONFIGS: readonly ConfigDef[] = [
  // Identity and roles
  { name: 'node.id', type: 'int', default: '1', min: 0, doc: 'Id of this node in the cluster.' },
  { name: 'broker.id', type: 'int', default: null, doc: 'Alias of node.id kept for old configuration files.' },
  {
    name: 'process.roles',
    type: 'list',
    default: 'broker,controller',
    doc: 'Roles of this process: broker, controller, or both (combined mode).',
  },
  { name: 'broker.rack', type: 'string', default: null, doc: 'Rack of this broker, for rack-aware replica placement.' },
  {
    name: 'controller.quorum.voters',
    type: 'list',
    default: '',
    doc: 'Controller quorum as id@host:port entries. Empty: this node is the only controller.',
  },
  {
    name: 'controller.quorum.bootstrap.servers',
    type: 'list',
    default: '',
    doc: 'Controller endpoints to discover the quorum from (alternative to controller.quorum.voters).',
  },
  {
    name: 'controller.listener.names',
    type: 'list',
    default: 'CONTROLLER',
    doc: 'Names of the listeners used by the controller quorum.',
  },
  // Network
  {
    name: 'listeners',
    type: 'list',
    default: 'PLAINTEXT://:9092',
    doc: 'Listeners as NAME://host:port. An empty host binds every interface (IPv4 and IPv6).',
  },
  {
    name: 'advertised.listeners',
    type: 'list',
    default: null,
    doc: 'Addresses given to clients in Metadata. Defaults to listeners, with localhost for an empty host.',
  },
  {
    name: 'listener.security.protocol.map',
    type: 'list',
    default: 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    doc: 'Security protocol of each listener name. Only PLAINTEXT is supported.',
  },
  {
    name: 'inter.broker.listener.name',
    type: 'string',
    default: null,
    doc: 'Listener used between brokers. Defaults to the first non-controller listener.',
  },
  {
    name: 'socket.request.max.bytes',
    type: 'int',
    default: '104857600',
    min: 1,
    doc: 'Largest request frame accepted; a larger one closes the connection.',
  },
  {
    name: 'connections.max.idle.ms',
    type: 'long',
    default: '600000',
    doc: 'Idle connections are closed after this long.',
  },
  // Storage
  {
    name: 'log.dirs',
    type: 'list',
    default: null,
    doc: 'Directories holding partition data. Defaults to log.dir.',
  },
  { name: 'log.dir', type: 'string', default: './data', doc: 'Data directory used when log.dirs is not set.' },
  {
    name: 'metadata.log.dir',
    type: 'string',
    default: null,
    doc: 'Directory of the cluster metadata log. Defaults to the first log dir.',
  },
  {
    name: 'log.segment.bytes',
    type: 'int',
    default: '1073741824',
    min: 14,
    topicKey: 'segment.bytes',
    dynamic: true,
    doc: 'Size at which a segment is rolled.',
  },
  { name: 'log.roll.ms', type: 'long', default: null, topicKey: 'segment.ms', dynamic: true, doc: 'Age at which a segment is rolled.' },
  { name: 'log.roll.hours', type: 'int', default: '168', min: 1, doc: 'Age in hours at which a segment is rolled (when log.roll.ms is unset).' },
  {
    name: 'log.index.size.max.bytes',
    type: 'int',
    default: '10485760',
    min: 4,
    topicKey: 'segment.index.bytes',
    dynamic: true,
    doc: 'Largest offset index of a segment.',
  },
  {
    name: 'log.index.interval.bytes',
    type: 'int',
    default: '4096',
    min: 0,
    topicKey: 'index.interval.bytes',
    dynamic: true,
    doc: 'Bytes between offset index entries.',
  },
  { name: 'log.retention.ms', type: 'long', default: null, topicKey: 'retention.ms', dynamic: true, doc: 'Time to keep a closed segment; -1 keeps forever.' },
  { name: 'log.retention.minutes', type: 'int', default: null, doc: 'Retention in minutes (when log.retention.ms is unset).' },
  { name: 'log.retention.hours', type: 'int', default: '168', doc: 'Retention in hours (when the finer keys are unset).' },
  {
    name: 'log.retention.bytes',
    type: 'long',
    default: '-1',
    topicKey: 'retention.bytes',
    dynamic: true,
    doc: 'Size a partition may reach before old segments are deleted; -1 means no limit.',
  },
  {
    name: 'log.retention.check.interval.ms',
    type: 'long',
    default: '300000',
    min: 1,
    doc: 'How often retention is checked.',
  },
  {
    name: 'log.cleanup.policy',
    type: 'list',
    default: 'delete',
    topicKey: 'cleanup.policy',
    dynamic: true,
    doc: 'delete, compact, or both.',
  },
  {
    name: 'log.cleaner.enable',
    type: 'boolean',
    default: 'true',
    doc: 'Run the log cleaner for compacted topics.',
  },
  {
    name: 'log.cleaner.delete.retention.ms',
    type: 'long',
    default: '86400000',
    topicKey: 'delete.retention.ms',
    dynamic: true,
    doc: 'How long tombstones stay after compaction.',
  },
  {
    name: 'log.cleaner.min.compaction.lag.ms',
    type: 'long',
    default: '0',
    topicKey: 'min.compaction.lag.ms',
    dynamic: true,
    doc: 'Minimum age of a record before it may be compacted.',
  },
  {
    name: 'log.cleaner.min.cleanable.ratio',
    type: 'double',
    default: '0.5',
    topicKey: 'min.cleanable.dirty.ratio',
    dynamic: true,
    doc: 'Dirty fraction of a log that makes it eligible for cleaning.',
  },
  {
    name: 'log.cleaner.backoff.ms',
    type: 'long',
    default: '15000',
    doc: 'Pause of the cleaner when there is nothing to clean.',
  },
  {
    name: 'log.flush.interval.messages',
    type: 'long',
    default: MAX_LONG,
    min: 1,
    topicKey: 'flush.messages',
    dynamic: true,
    doc: 'Messages written before a forced fsync. 1 makes every acknowledged write durable on disk.',
  },
  {
    name: 'log.flush.interval.ms',
    type: 'long',
    default: null,
    topicKey: 'flush.ms',
    dynamic: true,
    doc: 'Time before a forced fsync (defaults to no time-based flush).',
  },
  {
    name: 'log.message.timestamp.type',
    type: 'string',
    default: 'CreateTime',
    oneOf: ['CreateTime', 'LogAppendTime'],
    topicKey: 'message.timestamp.type',
    dynamic: true,
    doc: 'Whether record timestamps are the producer’s or the broker’s append time.',
  },
  {
    name: 'message.max.bytes',
    type: 'int',
    default: '1048588',
    min: 0,
    topicKey: 'max.message.bytes',
    dynamic: true,
    doc: 'Largest record batch accepted.',
  },
  {
    name: 'log.segment.delete.delay.ms',
    type: 'long',
    default: '60000',
    topicKey: 'file.delete.delay.ms',
    doc: 'Delay before a deleted segment file is removed from disk.',
  },
  // Topics
  { name: 'num.partitions', type: 'int', default: '1', min: 1, doc: 'Partitions of auto-created topics and of CreateTopics without a count.' },
  {
    name: 'default.replication.factor',
    type: 'short',
    default: '1',
    min: 1,
    doc: 'Replication factor of auto-created topics and of CreateTopics without one.',
  },
  { name: 'auto.create.topics.enable', type: 'boolean', default: 'true', doc: 'Create a topic when Metadata asks for an unknown one.' },
  { name: 'delete.topic.enable', type: 'boolean', default: 'true', doc: 'Allow DeleteTopics.' },
  {
    name: 'min.insync.replicas',
    type: 'int',
    default: '1',
    min: 1,
    topicKey: 'min.insync.replicas',
    dynamic: true,
    doc: 'In-sync replicas needed for an acks=all produce.',
  },
  {
    name: 'unclean.leader.election.enable',
    type: 'boolean',
    default: 'false',
    topicKey: 'unclean.leader.election.enable',
    dynamic: true,
    doc: 'Allow an out-of-sync replica to become leader.',
  },
  {
    name: 'replica.lag.time.max.ms',
    type: 'long',
    default: '30000',
    doc: 'A follower that has not caught up for this long leaves the ISR.',
  },
  // Groups and offsets
  { name: 'offsets.topic.num.partitions', type: 'int', default: '50', min: 1, doc: 'Partitions of __consumer_offsets.' },
  {
    name: 'offsets.topic.replication.factor',
    type: 'short',
    default: '3',
    min: 1,
    doc: 'Replication factor of __consumer_offsets (capped at the number of brokers).',
  },
  {
    name: 'offsets.topic.segment.bytes',
    type: 'int',
    default: '104857600',
    min: 1,
    doc: 'Segment size of __consumer_offsets.',
  },
  { name: 'offsets.retention.minutes', type: 'int', default: '10080', min: 1, doc: 'Committed offsets of empty groups expire after this long.' },
  { name: 'offsets.retention.check.interval.ms', type: 'long', default: '600000', min: 1, doc: 'How often offsets are checked for expiry.' },
  { name: 'offset.metadata.max.bytes', type: 'int', default: '4096', doc: 'Largest metadata string of a committed offset.' },
  {
    name: 'group.initial.rebalance.delay.ms',
    type: 'int',
    default: '3000',
    min: 0,
    doc: 'Wait for more members before the first rebalance of an empty group.',
  },
  { name: 'group.min.session.timeout.ms', type: 'int', default: '6000', doc: 'Smallest session timeout a member may ask for.' },
  { name: 'group.max.session.timeout.ms', type: 'int', default: '1800000', doc: 'Largest session timeout a member may ask for.' },
  { name: 'group.max.size', type: 'int', default: '2147483647', min: 1, doc: 'Most members in one group.' },
  // Transactions and producer ids
  { name: 'transaction.max.timeout.ms', type: 'int', default: '900000', min: 1, doc: 'Largest transaction timeout a producer may ask for.' },
  { name: 'transactional.id.expiration.ms', type: 'int', default: '604800000', min: 1, doc: 'Idle transactional ids expire after this long.' },
  { name: 'transaction.state.log.num.partitions', type: 'int', default: '50', min: 1, doc: 'Partitions of __transaction_state.' },
  {
    name: 'transaction.state.log.replication.factor',
    type: 'short',
    default: '3',
    min: 1,
    doc: 'Replication factor of __transaction_state (capped at the number of brokers).',
  },
  { name: 'transaction.state.log.min.isr', type: 'int', default: '2', min: 1, doc: 'min.insync.replicas of __transaction_state.' },
  // Controller and brokers
  { name: 'broker.session.timeout.ms', type: 'int', default: '9000', doc: 'A broker without a heartbeat for this long is fenced.' },
  { name: 'broker.heartbeat.interval.ms', type: 'int', default: '2000', doc: 'Interval of broker heartbeats to the controller.' },
  // Operability
  {
    name: 'log.level',
    type: 'string',
    default: 'info',
    oneOf: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'],
    doc: 'Level of the broker’s own log.',
  },
  { name: 'metrics.port', type: 'int', default: null, min: 0, doc: 'Port of the Prometheus /metrics endpoint; off when unset.' },
];

/**
 * Keys of Apache Kafka's server.properties that tune machinery this broker does not have (thread pools, socket
 * buffer sizes, ZooKeeper). A stock configuration file keeps working: these are accepted and logged as ignored.
 */
export const IGNORED_KAFKA_KEYS: readonly string[] = [
  'num.network.threads',
  'num.io.threads',
  'num.recovery.threads.per.data.dir',
  'num.replica.fetchers',
  'background.threads',
  'queued.max.requests',
  'socket.send.buffer.bytes',
  'socket.receive.buffer.bytes',
  'socket.listen.backlog.size',
  'zookeeper.connect',
  'zookeeper.connection.timeout.ms',
  'zookeeper.session.timeout.ms',
  'log.cleaner.threads',
  'log.cleaner.dedupe.buffer.size',
  'log.cleaner.io.buffer.size',
  'log.cleaner.io.max.bytes.per.second',
  'log.flush.scheduler.interval.ms',
  'log.flush.offset.checkpoint.interval.ms',
  'log.flush.start.offset.checkpoint.interval.ms',
  'replica.socket.timeout.ms',
  'replica.socket.receive.buffer.bytes',
  'replica.fetch.max.bytes',
  'replica.fetch.wait.max.ms',
  'replica.fetch.min.bytes',
  'replica.high.watermark.checkpoint.interval.ms',
  'max.connections',
  'max.connections.per.ip',
  'security.inter.broker.protocol',
  'sasl.enabled.mechanisms',
  'share.coordinator.state.topic.replication.factor',
  'share.coordinator.state.topic.min.isr',
  'group.coordinator.rebalance.protocols',
  'group.consumer.min.session.timeout.ms',
  'group.consumer.heartbeat.interval.ms',
  'group.consumer.session.timeout.ms',
  'confluent.support.metrics.enable',
];
