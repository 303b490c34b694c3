// The package's public surface: start a broker in this process (tests, embedding) or use the pieces directly.

export { startBroker, TEST_DEFAULTS, type EmbeddedBroker, type EmbeddedBrokerOptions } from './embed/in-process';
export { Broker, type BrokerStartOptions } from './broker/broker';
export { BrokerConfig, ConfigError } from './config/broker-config';
