// Embedding for tests: a broker inside the calling Node process, on a free port with a temporary data dir, so an
// application's jest tests can use kafkajs against a real broker without Docker.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { Broker } from '../broker/broker';
import { BrokerConfig } from '../config/broker-config';

export interface EmbeddedBrokerOptions {
  /** server.properties keys, e.g. { 'num.partitions': 3 }. */
  config?: Record<string, string | number | boolean>;
  /** Data directory; default a new temporary directory, removed on stop. */
  dataDir?: string;
  /** Port to listen on; default 0 (any free port). */
  port?: number;
  /** Broker log level; default 'warn' (written to stderr). */
  logLevel?: string;
}

export interface EmbeddedBroker {
  /** host:port for a client's `brokers` list. */
  readonly bootstrap: string;
  readonly port: number;
  readonly dataDir: string;
  /** Stops the broker cleanly; removes the data dir when it was a temporary one. */
  stop(): Promise<void>;
}

/** Defaults that make a test broker quick: no initial rebalance delay and few offsets partitions. */
export const TEST_DEFAULTS: Readonly<Record<string, string | number | boolean>> = {
  'group.initial.rebalance.delay.ms': 0,
  'offsets.topic.num.partitions': 5,
};

export async function startBroker(opts: EmbeddedBrokerOptions = {}): Promise<EmbeddedBroker> {
  const temporary = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'nodekafka-'));
  const level = opts.logLevel ?? 'warn';
  const config = BrokerConfig.load({
    values: {
      ...TEST_DEFAULTS,
      'log.dirs': dataDir,
      listeners: `PLAINTEXT://127.0.0.1:${opts.port ?? 0}`,
      'log.level': level,
      ...opts.config,
    },
  });
  const logger = pino({ level, base: { node: config.nodeId } }, pino.destination(2));
  const broker = await Broker.start({ config, logger });
  return {
    bootstrap: broker.bootstrap,
    port: broker.listeners[0]!.boundPort,
    dataDir,
    async stop() {
      await broker.stop();
      if (temporary) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
