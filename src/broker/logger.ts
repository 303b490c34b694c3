// The broker's own log: pino at `log.level`. Structured JSON (one object a line) wherever stdout goes to a file, a
// pipe or a log collector; readable lines when stdout is a terminal.

import pino from 'pino';
import { PrettyStream } from './pretty-log';

export type BrokerLogger = pino.Logger;

export function createLogger(level: string, nodeId: number, destination?: pino.DestinationStream): BrokerLogger {
  return pino({ level, base: { node: nodeId }, timestamp: pino.stdTimeFunctions.isoTime }, destination ?? defaultDestination());
}

function defaultDestination(): pino.DestinationStream {
  // NO_COLOR (no-color.org) keeps the readable format without escape codes.
  if (process.stdout.isTTY) return new PrettyStream(process.stdout, !process.env.NO_COLOR);
  return pino.destination({ sync: false });
}
