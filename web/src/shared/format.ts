/** Small display helpers shared by the chat and the console. */
export function formatTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime())
    ? ''
    : date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '—' : date.toLocaleString();
}

export function errorText(err: unknown): string {
  if (err && typeof err === 'object' && 'message' in err) {
    const code = 'code' in err ? `${String((err as { code: unknown }).code)}: ` : '';
    return `${code}${String((err as { message: unknown }).message)}`;
  }
  return String(err);
}
