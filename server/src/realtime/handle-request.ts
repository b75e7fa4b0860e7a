import type { Ack, ClientToServerEvents } from '@parley/contract';
import type { ZodType, infer as ZodInfer } from 'zod';
import { parseOrThrow, toErrorBody } from '../errors';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { ParleySocket } from './socket-types';

type AckData<E extends keyof ClientToServerEvents> = Parameters<
  ClientToServerEvents[E]
>[1] extends (ack: Ack<infer R>) => void
  ? R
  : never;

/**
 * Registers one request event: validates the payload with its contract schema, runs
 * the handler, and always answers with the ack envelope. Unknown errors are logged
 * and sent as INTERNAL, never with a stack or a driver message.
 */
export function handleRequest<E extends keyof ClientToServerEvents, S extends ZodType>(
  ctx: {
    socket: ParleySocket;
    logger: Logger;
    metrics: Metrics;
    track?: <T>(p: Promise<T>) => Promise<T>;
  },
  event: E,
  schema: S,
  handler: (payload: ZodInfer<S>) => Promise<AckData<E>>,
) {
  const { socket, logger, metrics } = ctx;
  const listener = (payload: unknown, ack: unknown) => {
    if (typeof ack !== 'function') {
      socket.emit('error:raised', {
        code: 'VALIDATION',
        message: `${event} needs an acknowledgement callback`,
      });
      return;
    }
    const started = performance.now();
    const reply = (response: Ack<AckData<E>>) => {
      const outcome = response.ok ? 'ok' : response.error.code;
      const seconds = (performance.now() - started) / 1000;
      metrics.socketRequests.inc({ event, outcome });
      metrics.socketRequestLatency.observe({ event }, seconds);
      // The hot path: per-request lines only at debug.
      logger.debug({ event, outcome, ms: Math.round(seconds * 1000) }, 'socket request');
      (ack as (response: Ack<AckData<E>>) => void)(response);
    };
    if (event === 'history:fetch') metrics.catchUpReads.inc();
    const work = (async () => handler(parseOrThrow(schema, payload)))();
    void (ctx.track ? ctx.track(work) : work).then(
      (data) => reply({ ok: true, data }),
      (err: unknown) => {
        const { body, internal } = toErrorBody(err);
        if (internal)
          logger.error({ err, event, userId: socket.data.userId }, 'socket handler failed');
        metrics.eventErrors.inc({ code: body.code });
        reply({ ok: false, error: body });
      },
    );
  };
  // The typed overloads cannot express "any payload": validation is our job here.
  (socket.on as (event: string, listener: (payload: unknown, ack: unknown) => void) => void)(
    event,
    listener,
  );
}
