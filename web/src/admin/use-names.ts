import type { ParleyClient } from '@parley/client-sdk';
import { useCallback, useRef, useState } from 'preact/hooks';

/** Usernames for ids, looked up in batches through the SDK and remembered. */
export function useNames(client: ParleyClient) {
  const names = useRef(new Map<string, string>());
  const [, setVersion] = useState(0);
  const learn = useCallback(
    (ids: string[]) => {
      const unknown = [...new Set(ids)].filter((id) => !names.current.has(id));
      if (unknown.length === 0) return;
      for (const id of unknown) names.current.set(id, id.slice(0, 8));
      void client.users.get(unknown.slice(0, 100)).then((users) => {
        for (const u of users) names.current.set(u.id, u.username);
        setVersion((v) => v + 1);
      });
    },
    [client],
  );
  const nameOf = (id: string) => names.current.get(id) ?? id.slice(0, 8);
  return { learn, nameOf };
}
