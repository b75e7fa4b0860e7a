import pino from 'pino';
import type { Config } from '../config/load-config';

export type Logger = pino.Logger;

export function createLogger(config: Pick<Config, 'logLevel' | 'nodeId'>): Logger {
  return pino({
    level: config.logLevel,
    base: { node: config.nodeId },
    redact: ['password', '*.password', 'refreshToken', '*.refreshToken', 'token', '*.token'],
  });
}
