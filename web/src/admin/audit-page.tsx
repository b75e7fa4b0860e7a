import type { ParleyClient } from '@parley/client-sdk';
import { useEffect, useState } from 'preact/hooks';
import { errorText, formatDateTime } from '../shared/format';
import type { AuditEntry } from './admin-types';
import { useNames } from './use-names';

/** The newest audit log entries: who did what to whom, and why. */
export function AuditPage(props: { client: ParleyClient }) {
  const [entries, setEntries] = useState<AuditEntry[]>([]);
  const [error, setError] = useState<string | undefined>();
  const names = useNames(props.client);

  async function load() {
    try {
      const { entries } = await props.client.rest<{ entries: AuditEntry[] }>(
        'GET',
        '/admin/audit?limit=200',
      );
      names.learn(entries.map((e) => e.actorId));
      setEntries(entries);
      setError(undefined);
    } catch (err) {
      setError(errorText(err));
    }
  }
  useEffect(() => void load(), []);

  return (
    <section aria-label="Audit log">
      <button type="button" onClick={() => void load()}>
        Refresh
      </button>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <table>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Actor</th>
            <th scope="col">Action</th>
            <th scope="col">Target</th>
            <th scope="col">Detail</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((e) => (
            <tr key={e.id}>
              <td>{formatDateTime(e.at)}</td>
              <td>{names.nameOf(e.actorId)}</td>
              <td>{e.action}</td>
              <td>
                {e.targetType} <code>{e.targetId.slice(0, 13)}</code>
              </td>
              <td>
                <code>{e.detail ?? ''}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
