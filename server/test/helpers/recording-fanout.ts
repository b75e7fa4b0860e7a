import type { Fanout, ServerEvent, ServerEventPayload } from '../../src/ports/fanout';

export interface RecordedEmit {
  to: { rooms: string[] } | { user: string };
  event: ServerEvent;
  payload: unknown;
}

/** A fan-out port that records what a service published, for unit tests of the domain. */
export function recordingFanout(): Fanout & { emits: RecordedEmit[] } {
  const emits: RecordedEmit[] = [];
  return {
    emits,
    toRooms<E extends ServerEvent>(roomIds: string[], event: E, payload: ServerEventPayload<E>) {
      emits.push({ to: { rooms: roomIds }, event, payload });
    },
    toUser<E extends ServerEvent>(userId: string, event: E, payload: ServerEventPayload<E>) {
      emits.push({ to: { user: userId }, event, payload });
    },
    subscribeUsers: () => Promise.resolve('confirmed'),
    unsubscribeUsers: () => Promise.resolve('confirmed'),
    disconnectUser: () => undefined,
    disconnectSession: () => undefined,
  };
}
