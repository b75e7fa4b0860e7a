import { useEffect, useRef, useState } from 'preact/hooks';
import type { ChatStore } from './chat-store';

const TYPING_REPEAT_MS = 3_000;
const TYPING_IDLE_MS = 4_000;
/**
 * The server takes one typing update per second per user, room and value (true / false):
 * a faster one of the same value is refused, so the gap is kept per value.
 */
const TYPING_MIN_GAP_MS = 1_100;

/** Enter sends, Shift+Enter adds a line. Sends go through the SDK's outbox even offline. */
export function Composer(props: { store: ChatStore; roomId: string }) {
  const { store, roomId } = props;
  const [text, setText] = useState('');
  const field = useRef<HTMLTextAreaElement>(null);
  const typingSent = useRef(0);
  const lastEmit = useRef({ true: 0, false: 0 });
  const idle = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  useEffect(() => field.current?.focus(), [roomId]);
  useEffect(() => () => clearTimeout(idle.current), []);

  function setTyping(typing: boolean) {
    if (!store.client.connected) return; // typing is ephemeral: never queue it
    const key = typing ? 'true' : 'false';
    if (Date.now() - lastEmit.current[key] < TYPING_MIN_GAP_MS) return;
    lastEmit.current[key] = Date.now();
    typingSent.current = typing ? Date.now() : 0;
    store.client
      .room(roomId)
      .setTyping(typing)
      .catch(() => undefined);
  }

  function onInput(value: string) {
    setText(value);
    if (Date.now() - typingSent.current > TYPING_REPEAT_MS) setTyping(true);
    clearTimeout(idle.current);
    idle.current = setTimeout(() => setTyping(false), TYPING_IDLE_MS);
  }

  function send() {
    const body = text.trim();
    if (!body) return;
    store.send(roomId, body);
    setText('');
    // No "stopped typing" event: the message itself clears the indicator for everyone.
    clearTimeout(idle.current);
    typingSent.current = 0;
  }

  return (
    <form
      class="composer"
      onSubmit={(e) => {
        e.preventDefault();
        send();
      }}
    >
      <label for="composer-input" class="visually-hidden">
        Message
      </label>
      <textarea
        id="composer-input"
        ref={field}
        rows={2}
        maxLength={4000}
        placeholder="Write a message — Enter to send, Shift+Enter for a new line"
        value={text}
        onInput={(e) => onInput(e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && !e.shiftKey) {
            e.preventDefault();
            send();
          }
        }}
      />
      <button class="primary" type="submit">
        Send
      </button>
    </form>
  );
}
