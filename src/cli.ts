#!/usr/bin/env node
// Command line: `start` (default) runs a broker, `format` prepares storage, `cluster` runs a local multi-node
// cluster. Both take a server.properties file and
// --override key=value entries with Kafka's key names, like kafka-server-start.sh and kafka-storage.sh.

import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { BrokerConfig, ConfigError } from './config/broker-config';
import { BROKER_CONFIGS } from './config/definitions';
import { Broker } from './broker/broker';
import { StorageError, formatStorage } from './broker/storage-format';
import { runLocalCluster } from './broker/local-cluster';

function loadConfig(argv: { config?: string; override?: string[]; 'log-level'?: string }): BrokerConfig {
  // --log-level is applied last, so it wins over the file and over --override log.level=...
  const level = argv['log-level'];
  return BrokerConfig.load({ file: argv.config, overrides: [...(argv.override ?? []), ...(level ? [`log.level=${level}`] : [])] });
}

/** One clear line and exit code 1 for a bad configuration or data dir; a stack for anything else. */
function die(e: unknown): never {
  if (e instanceof ConfigError || e instanceof StorageError) {
    process.stderr.write(`error: ${e.message}\n`);
  } else if ((e as NodeJS.ErrnoException)?.code === 'EADDRINUSE') {
    process.stderr.write(`error: listener address already in use: ${(e as Error).message}\n`);
  } else {
    process.stderr.write(`error: ${(e as Error)?.stack ?? String(e)}\n`);
  }
  process.exit(1);
}

async function start(argv: { config?: string; override?: string[]; 'log-level'?: string }): Promise<void> {
  let broker: Broker;
  try {
    broker = await Broker.start({ config: loadConfig(argv) });
  } catch (e) {
    die(e);
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    broker.log.info({ signal }, 'shutdown requested');
    broker.stop().then(
      () => process.exit(0),
      (e) => {
        broker.log.error({ err: (e as Error).message }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

const LOG_LEVELS = BROKER_CONFIGS.find((d) => d.name === 'log.level')?.oneOf ?? [];

const configOptions = {
  override: { type: 'string', array: true, describe: 'Set a configuration key: --override key=value (repeatable)' },
} as const;

void yargs(hideBin(process.argv))
  .scriptName('nodekafka')
  .command(
    ['start [config]', '$0 [config]'],
    'Start a broker (default: single node on localhost:9092, data in ./data, formatted on first start)',
    (y) =>
      y
        .positional('config', { type: 'string', describe: 'server.properties file' })
        .options({ ...configOptions, 'log-level': { type: 'string', choices: LOG_LEVELS, describe: 'Log level (overrides log.level)' } }),
    (argv) => start(argv),
  )
  .command(
    'format [config]',
    'Format the data directories (cluster id and meta.properties), as kafka-storage.sh format',
    (y) =>
      y
        .positional('config', { type: 'string', describe: 'server.properties file' })
        .options({ ...configOptions, 'cluster-id': { type: 'string', describe: 'Cluster id (default: a new random id)' } }),
    (argv) => {
      try {
        const cfg = loadConfig(argv);
        const dirs = [...new Set([...cfg.logDirs, cfg.metadataLogDir])];
        const id = formatStorage(dirs, cfg.nodeId, argv['cluster-id']);
        process.stdout.write(`Formatted ${dirs.join(', ')} with cluster.id ${id}\n`);
      } catch (e) {
        die(e);
      }
    },
  )
  .command(
    'cluster',
    'Run a local cluster: N nodes in combined mode (broker + controller), one process and data dir each',
    (y) =>
      y.options({
        nodes: { type: 'number', default: 3, describe: 'Number of nodes' },
        'base-port': { type: 'number', default: 9092, describe: 'Client port of node 1 (node i: base + i - 1; controller: +10000)' },
        dir: { type: 'string', default: './cluster-data', describe: 'Data directory (node-<id> under it)' },
        override: { type: 'string', array: true, describe: 'Set a configuration key on every node: --override key=value' },
      }),
    (argv) =>
      runLocalCluster({ nodes: argv.nodes, basePort: argv['base-port'], dir: argv.dir, overrides: argv.override }, __filename).catch((e) => die(e)),
  )
  .strict()
  .help()
  .parseAsync();
