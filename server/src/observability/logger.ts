import pino from 'pino';
import type { Config } from '../config/load-config';

export type Logger = pino.Logger;

export function createLogger(config: Pick<Config, 'logLevel' | 'nodeId'>): Logger {
  return pino(
    {
      level: config.logLevel,
      base: { node: config.nodeId },
      redact: ['password', '*.password', 'refreshToken', '*.refreshToken', 'token', '*.token'],
    },
    // Synchronous: pino's default hands each write to libuv's thread pool, and at exit it
    // flushes what is still queued but not a write already handed over. On a busy machine
    // that line came after 'stopped' or never (CI saw both), so a drained or crashed node
    // lost the end of its own story. Lines are per connection and per request, not per
    // message, so writing them in place costs little.
    pino.destination({ dest: 1, sync: true }),
  );
}
