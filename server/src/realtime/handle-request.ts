import {
  type Ack,
  isRequestEvent,
  requestSchemas,
  type RequestEvent,
  type RequestPayloadOf,
  type RequestResultOf,
} from '@parley/contract';
import { AppError, parseOrThrow, toErrorBody } from '../errors';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { ParleySocket } from './socket-types';

export interface RequestContext {
  socket: ParleySocket;
  logger: Logger;
  metrics: Metrics;
  track?: <T>(p: Promise<T>) => Promise<T>;
}

type Reply = (response: Ack<unknown>) => void;

/**
 * Splits an emit's arguments into payload and ack. The ack is the last argument when it is
 * a function, so `socket.emit('room:list', cb)` (callback only, no payload) is answered too.
 */
function splitArgs(args: unknown[]): { payload: unknown; reply?: Reply } {
  const last = args[args.length - 1];
  if (typeof last === 'function') {
    return { payload: args.length > 1 ? args[0] : undefined, reply: last as Reply };
  }
  return { payload: args[0] };
}

/**
 * Registers one request event. The payload schema comes from the contract's request table
 * (`requestSchemas[event]`), so the event name alone decides what is validated and what the
 * handler must return. Every emit gets an answer: the ack envelope when it came with a
 * callback, an `error:raised` event when it did not. Unknown errors are logged and sent as
 * INTERNAL, never with a stack or a driver message; error bodies are size-capped.
 */
export function handleRequest<E extends RequestEvent>(
  ctx: RequestContext,
  event: E,
  handler: (payload: RequestPayloadOf<E>) => Promise<RequestResultOf<E>>,
) {
  const { socket, logger, metrics } = ctx;
  const schema = requestSchemas[event];
  const listener = (...args: unknown[]) => {
    const { payload, reply: ack } = splitArgs(args);
    if (!ack) {
      socket.emit('error:raised', {
        code: 'VALIDATION',
        message: `${event} needs an acknowledgement callback`,
        event,
      });
      return;
    }
    const started = performance.now();
    const reply = (response: Parameters<Reply>[0]) => {
      const outcome = response.ok ? 'ok' : response.error.code;
      const seconds = (performance.now() - started) / 1000;
      metrics.socketRequests.inc({ event, outcome });
      metrics.socketRequestLatency.observe({ event }, seconds);
      // The hot path: per-request lines only at debug.
      logger.debug({ event, outcome, ms: Math.round(seconds * 1000) }, 'socket request');
      ack(response);
    };
    if (event === 'history:fetch') metrics.catchUpReads.inc();
    const work = (async () => handler(parseOrThrow(schema, payload) as RequestPayloadOf<E>))();
    void (ctx.track ? ctx.track(work) : work).then(
      (data) => reply({ ok: true, data }),
      (err: unknown) => {
        const { body, internal, backend } = toErrorBody(err);
        if (internal)
          logger.error({ err, event, userId: socket.data.userId }, 'socket handler failed');
        else if (backend)
          logger.warn({ err: (err as Error).message, event }, 'backing service unavailable');
        metrics.eventErrors.inc({ code: body.code });
        reply({ ok: false, error: body });
      },
    );
  };
  // The typed overloads cannot express "any arguments": validation is our job here.
  (socket.on as (event: string, listener: (...args: unknown[]) => void) => void)(event, listener);
}

/**
 * Answers every emit whose name is not in the request table: NOT_FOUND through its ack, or
 * `error:raised` without one. Without this a client emitting a typo waits for its own
 * timeout. Socket.IO's reserved events never reach `onAny`.
 */
export function answerUnknownEvents(ctx: Pick<RequestContext, 'socket' | 'metrics'>) {
  const { socket, metrics } = ctx;
  socket.onAny((event: unknown, ...args: unknown[]) => {
    if (typeof event === 'string' && isRequestEvent(event)) return;
    const name = typeof event === 'string' ? event.slice(0, 64) : typeof event;
    metrics.eventErrors.inc({ code: 'NOT_FOUND' });
    const error = new AppError('NOT_FOUND', `unknown event: ${name}`);
    const { reply } = splitArgs(args);
    if (reply) reply({ ok: false, error: toErrorBody(error).body });
    else socket.emit('error:raised', { code: 'NOT_FOUND', message: error.message, event: name });
  });
}
