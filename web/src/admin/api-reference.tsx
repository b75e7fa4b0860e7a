import { useEffect, useState } from 'preact/hooks';
import { errorText } from '../shared/format';

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  description?: string;
  schema?: unknown;
}
interface Operation {
  operationId?: string;
  summary?: string;
  description?: string;
  tags?: string[];
  parameters?: Parameter[];
  security?: unknown[];
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  responses?: Record<
    string,
    { description?: string; content?: Record<string, { schema?: unknown }> }
  >;
}
interface Document {
  info?: { title?: string; version?: string; description?: string };
  paths?: Record<string, Record<string, Operation>>;
}

/**
 * The REST reference, rendered here from the node's own /openapi.json: no CDN, no
 * third-party viewer, so it works offline and always matches the running server.
 */
export function ApiReference() {
  const [doc, setDoc] = useState<Document | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    fetch('/openapi.json')
      .then((res) => res.json() as Promise<Document>)
      .then(setDoc, (err: unknown) => setError(errorText(err)));
  }, []);
  if (error)
    return (
      <p class="error" role="alert">
        {error}
      </p>
    );
  if (!doc) return <p class="muted">Loading /openapi.json…</p>;

  const byTag = new Map<string, { method: string; path: string; op: Operation }[]>();
  for (const [path, ops] of Object.entries(doc.paths ?? {}))
    for (const [method, op] of Object.entries(ops)) {
      const tag = op.tags?.[0] ?? 'other';
      byTag.set(tag, [...(byTag.get(tag) ?? []), { method, path, op }]);
    }

  return (
    <section aria-label="API reference" class="api-ref">
      <p>
        {doc.info?.title} {doc.info?.version} — the raw document is at{' '}
        <a href="/openapi.json">/openapi.json</a>.
      </p>
      <nav aria-label="API sections" class="api-toc">
        {[...byTag.keys()].map((tag) => (
          <a key={tag} href={`#api-${slug(tag)}`} onClick={(e) => jump(e, `api-${slug(tag)}`)}>
            {tag}
          </a>
        ))}
      </nav>
      {[...byTag].map(([tag, ops]) => (
        <section key={tag} aria-labelledby={`api-${slug(tag)}`}>
          <h2 id={`api-${slug(tag)}`} tabIndex={-1}>
            {tag}
          </h2>
          {ops.map(({ method, path, op }) => (
            <details key={`${method} ${path}`} class="op card">
              <summary>
                <span class={`method m-${method}`}>{method.toUpperCase()}</span> <code>{path}</code>{' '}
                <span>{op.summary}</span>
              </summary>
              {op.description && <p>{op.description}</p>}
              {op.security && op.security.length > 0 && <p class="muted">Needs a bearer token.</p>}
              {op.parameters && op.parameters.length > 0 && (
                <table>
                  <caption class="visually-hidden">Parameters</caption>
                  <thead>
                    <tr>
                      <th scope="col">Parameter</th>
                      <th scope="col">In</th>
                      <th scope="col">Required</th>
                      <th scope="col">Description</th>
                    </tr>
                  </thead>
                  <tbody>
                    {op.parameters.map((p) => (
                      <tr key={`${p.in}:${p.name}`}>
                        <td>
                          <code>{p.name}</code>
                        </td>
                        <td>{p.in}</td>
                        <td>{p.required ? 'yes' : 'no'}</td>
                        <td>{p.description ?? ''}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
              {op.requestBody?.content && (
                <>
                  <h3>Request body</h3>
                  <Schema content={op.requestBody.content} />
                </>
              )}
              <h3>Responses</h3>
              <ul>
                {Object.entries(op.responses ?? {}).map(([status, r]) => (
                  <li key={status}>
                    <strong>{status}</strong> {r.description}
                    {status.startsWith('2') && r.content && <Schema content={r.content} />}
                  </li>
                ))}
              </ul>
            </details>
          ))}
        </section>
      ))}
    </section>
  );
}

function Schema(props: { content: Record<string, { schema?: unknown }> }) {
  const [type, media] = Object.entries(props.content)[0] ?? [];
  if (!media?.schema) return null;
  return (
    <pre class="schema" aria-label={`${type} schema`}>
      {JSON.stringify(media.schema, null, 2)}
    </pre>
  );
}

const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-');

/** In-page jumps without touching the hash, which selects the console page. */
function jump(e: MouseEvent, id: string) {
  e.preventDefault();
  const target = document.getElementById(id);
  target?.scrollIntoView();
  target?.focus();
}
