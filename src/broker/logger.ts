// The broker's own log: pino, structured JSON (one object a line) at `log.level`.

import pino from 'pino';

export type BrokerLogger = pino.Logger;

export function createLogger(level: string, nodeId: number, destination?: pino.DestinationStream): BrokerLogger {
  return pino({ level, base: { node: nodeId }, timestamp: pino.stdTimeFunctions.isoTime }, destination ?? pino.destination({ sync: false }));
}
