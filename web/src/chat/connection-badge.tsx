import type { ChatStore } from './chat-store';

const labels = {
  connecting: 'Connecting…',
  connected: 'Online',
  reconnecting: 'Offline — reconnecting',
  disconnected: 'Disconnected',
  'auth-failed': 'Signed out',
} as const;

/** Connection status, announced to screen readers when it changes. */
export function ConnectionBadge(props: { store: ChatStore }) {
  const { status, pending } = props.store;
  return (
    <span class={`badge status-${status}`} role="status" aria-live="polite" data-testid="status">
      <span class={`dot ${status === 'connected' ? 'online' : ''}`} aria-hidden="true" />
      {labels[status]}
      {pending.length > 0 && ` · ${pending.length} waiting to send`}
    </span>
  );
}
