import { useEffect, useRef, useState } from 'preact/hooks';
import type { ChatStore } from './chat-store';
import { TypingSignal } from './typing-signal';

/** Enter sends, Shift+Enter adds a line. Sends go through the SDK's outbox even offline. */
export function Composer(props: { store: ChatStore; roomId: string }) {
  const { store, roomId } = props;
  const [text, setText] = useState('');
  const field = useRef<HTMLTextAreaElement>(null);
  const typing = useRef<TypingSignal | undefined>(undefined);

  useEffect(() => field.current?.focus(), [roomId]);
  // One signal per room: its timers must not outlive the room view or say "stopped" elsewhere.
  useEffect(() => {
    const signal = new TypingSignal(
      (value) =>
        void store.client
          .room(roomId)
          .setTyping(value)
          .catch(() => undefined),
      () => store.client.connected,
    );
    typing.current = signal;
    return () => signal.dispose();
  }, [store, roomId]);

  function onInput(value: string) {
    setText(value);
    typing.current?.input();
  }

  function send() {
    const body = text.trim();
    if (!body) return;
    store.send(roomId, body);
    setText('');
    typing.current?.sent();
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
