import { randomUUID } from 'node:crypto';
import type { E2eeMessageKind, Message } from '@parley/contract';
import { consumeOrThrow } from '../auth/login-throttle';
import { AppError } from '../errors';
import type { NodeContext } from '../ports/node-context';
import { bodyHash, type SendBinding, type SendKey } from '../ports/send-binding';
import { WriteNotAppliedError } from '../storage/write-errors';

/** What clients see: a deleted message keeps its place but loses its body. */
export function toClientMessage(message: Message): Message {
  return message.deleted ? { ...message, body: '' } : message;
}

export interface SendRequest {
  senderId: string;
  roomId: string;
  clientMsgId: string;
  body: string;
  /** E2EE rooms: the MLS kind of the (ciphertext) body; checked by the message service. */
  kind?: E2eeMessageKind;
  /** 1 = first attempt, 2+ = retry, undefined = unknown (treated as a retry). */
  attempt?: number;
}

/**
 * The send path (docs/architecture.md, "The send path"): one identity per send,
 * decided once — (room, sender, clientMsgId) → (seq, id, createdAt, body hash) — and
 * reused by every attempt, so a retried write rewrites the same row with the same values.
 * "A failed write is not a write that did not happen": a seq is released only when the
 * store proves the write was not applied.
 */
export function createSendPath(deps: NodeContext, publish: (message: Message) => void) {
  const { stores, engine, metrics, logger } = deps;
  const bindings = engine.sendBindings;
  const sendLimiter = engine.createRateLimiter({
    keyPrefix: 'send',
    points: deps.config.limits.messagesPer10s,
    durationSeconds: 10,
  });

  return async function send(req: SendRequest): Promise<Message> {
    const timer = metrics.sendLatency.startTimer();
    await consumeOrThrow(sendLimiter, req.senderId, 'sending too fast');
    const key: SendKey = {
      roomId: req.roomId,
      senderId: req.senderId,
      clientMsgId: req.clientMsgId,
    };
    const hash = bodyHash(req.body);
    // Only a sender that says "first attempt" may skip the durable check when Redis has no
    // binding: any other attempt may have been stored before Redis lost its state.
    const retry = req.attempt === undefined || req.attempt >= 2;
    const outcome = await bindings
      .bind(
        key,
        { id: randomUUID(), createdAt: new Date().toISOString(), bodyHash: hash },
        retry,
        () => stores.messages.findLatestSeq(req.roomId),
      )
      .catch((err: unknown) => {
        throw unavailable('bind', err);
      });

    if (outcome.state === 'reseeded-recently') {
      metrics.sendOutcomes.inc({ outcome: 'reseed_quiet' });
      throw new AppError('UNAVAILABLE', 'message positions are being restored; retry shortly', {
        retryable: true,
        retryAfterMs: Math.min(outcome.retryAfterMs, 5_000),
      });
    }

    let binding = outcome.binding;
    let rewrite = false;
    // Only the attempt that alone decided a binding may give it back on a certain failure:
    // after any other path, an earlier attempt or the durable record may hold it already.
    const soleOwner = outcome.state === 'new' && !retry;
    if (outcome.state === 'existing') {
      metrics.duplicateSends.inc();
      requireSameBody(binding, hash);
      if (outcome.stored) {
        const current = await readBound(key, binding);
        if (current) return replay(current);
      }
      // An earlier attempt is in flight or failed with an uncertain outcome: write the
      // same row again. Concurrent attempts write identical values, so no lock is needed.
      rewrite = true;
    } else if (retry) {
      // Redis had no binding for a send that may have been stored before: decide it in
      // Cassandra (lightweight transaction), reusing any binding decided earlier.
      const decided = await decideDurably(key, binding);
      if (decided !== binding) {
        metrics.duplicateSends.inc();
        const current = await readBound(key, decided);
        await bindings.adopt(key, binding, decided, current !== undefined).catch(() => undefined);
        binding = decided;
        if (current) {
          requireSameBody(binding, hash, current);
          return replay(current);
        }
        requireSameBody(binding, hash);
        // Records from before migration 0003 lack createdAt; their message row always came
        // in the same batch, so it is only not readable yet.
        if (!binding.createdAt) throw unavailable('bound message not readable yet', binding.seq);
        rewrite = true;
      }
    }

    const message: Message = {
      roomId: req.roomId,
      seq: binding.seq,
      id: binding.id,
      senderId: req.senderId,
      clientMsgId: req.clientMsgId,
      body: req.body,
      createdAt: binding.createdAt,
    };
    if (req.kind !== undefined) message.kind = req.kind;
    try {
      await stores.messages.appendMessage(message);
    } catch (err) {
      if (err instanceof WriteNotAppliedError && soleOwner) {
        // Proven not applied: the seq becomes a hole at once, and the next attempt binds anew.
        metrics.sendOutcomes.inc({ outcome: 'not_applied' });
        void bindings.release(key, binding).catch(() => undefined);
        throw unavailable('store (not applied)', err.cause);
      }
      // Maybe applied (or another attempt of this binding may have been): keep the binding,
      // so the retry rewrites this very row, and leave the seq unsettled until a retry
      // lands it or the settle timeout passes.
      metrics.sendOutcomes.inc({
        outcome: err instanceof WriteNotAppliedError ? 'not_applied' : 'maybe_applied',
      });
      throw unavailable('store (maybe applied)', err);
    }
    // Publish before marking stored: a binding marked stored implies the event went out
    // (or its node died after the publish), so a retry of a stored binding need not
    // rebroadcast anything but the current state.
    const answer = rewrite ? ((await readBound(key, binding)) ?? message) : message;
    if (!answer.deleted) publish(answer);
    void bindings
      .markStored(key, binding)
      .then(({ late }) => {
        if (!late) return;
        metrics.sendOutcomes.inc({ outcome: 'late' });
        logger.warn(
          { roomId: req.roomId, seq: binding.seq },
          'message landed after its seq was settled (late)',
        );
      })
      .catch(() => undefined);
    metrics.messagesStored.inc();
    metrics.sendOutcomes.inc({ outcome: rewrite ? 'rewritten' : 'stored' });
    timer();
    return toClientMessage(answer);
  };

  /** A retry answers with the stored row as it is now: never a cached body. */
  function replay(current: Message): Message {
    metrics.sendOutcomes.inc({ outcome: 'replayed' });
    // Re-publish in case the first attempt's node died between the write and the
    // publish; a deleted message is not announced again (its text is gone).
    if (!current.deleted) publish(current);
    return toClientMessage(current);
  }

  async function readBound(key: SendKey, binding: SendBinding) {
    return stores.messages
      .findMessageAt(key.roomId, binding.seq, binding.id)
      .catch((err: unknown) => {
        throw unavailable('read bound message', err);
      });
  }

  async function decideDurably(key: SendKey, ours: SendBinding): Promise<SendBinding> {
    try {
      const decided = await stores.messages.decideSendBinding(key, ours);
      return decided.seq === ours.seq && decided.id === ours.id ? ours : decided;
    } catch (err) {
      // A Paxos round that timed out may still have decided our proposal: keep our
      // binding then, so retries rewrite it. Only a certain refusal frees the seq.
      if (err instanceof WriteNotAppliedError)
        void bindings.release(key, ours).catch(() => undefined);
      throw unavailable('decide binding', err);
    }
  }

  function unavailable(stage: string, err: unknown) {
    logger.warn(
      { err: err instanceof Error ? err.message : String(err), stage },
      'send failed; client will retry',
    );
    return new AppError('UNAVAILABLE', 'storage is unavailable; retry', { retryable: true });
  }
}

/**
 * One clientMsgId is one message: a retry must carry the body first sent. Records from
 * before body hashes were kept are compared with the stored body, unless it was edited.
 */
function requireSameBody(binding: SendBinding, hash: string, current?: Message) {
  const expected =
    binding.bodyHash ||
    (current && !current.editedAt && !current.deleted ? bodyHash(current.body) : hash);
  if (expected === hash) return;
  throw new AppError('CONFLICT', 'this clientMsgId was already used for another message', {
    retryable: false,
  });
}
