import type { Message } from '@parley/contract';

/**
 * One (sender, clientMsgId) is one message. The send path never stores a second copy,
 * but rows stored twice before it was fixed (an uncertain write retried under a new seq)
 * still exist; reads show only the lowest seq of each, which is the first binding.
 * Works within the rows given (one page, or one export stream in seq order).
 */
export function hideDuplicates(messages: Message[]): Message[] {
  const lowest = new Map<string, number>();
  for (const m of messages) {
    const key = `${m.senderId}:${m.clientMsgId}`;
    const seen = lowest.get(key);
    if (seen === undefined || m.seq < seen) lowest.set(key, m.seq);
  }
  if (lowest.size === messages.length) return messages;
  return messages.filter((m) => lowest.get(`${m.senderId}:${m.clientMsgId}`) === m.seq);
}

/** The streaming form, for walks that see each row once in ascending seq order. */
export function createDuplicateFilter(): (m: Message) => boolean {
  const seen = new Set<string>();
  return (m) => {
    const key = `${m.senderId}:${m.clientMsgId}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  };
}
