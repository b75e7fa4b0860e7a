/**
 * A small client for toxiproxy's HTTP API. A partition is a `timeout` toxic with timeout=0
 * on both directions: bytes are dropped silently and the connection stays open, so the
 * peer sees neither a refusal nor a reset, just silence (as when packets are dropped).
 * Removing the toxic closes the connections that crossed the partition, as a real
 * connection would have died meanwhile; new connections work again.
 */
export class Toxiproxy {
  constructor(private readonly api: string) {}

  private async call(method: string, path: string, body?: unknown): Promise<unknown> {
    const res = await fetch(`${this.api}${path}`, {
      method,
      headers: body ? { 'content-type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`toxiproxy ${method} ${path}: ${res.status} ${text}`);
    return text ? (JSON.parse(text) as unknown) : undefined;
  }

  async ping(): Promise<boolean> {
    return (await fetch(`${this.api}/version`)).ok;
  }

  /** Creates a proxy on a kernel-chosen port; returns the address it listens on. */
  async proxy(name: string, upstream: string): Promise<string> {
    const created = (await this.call('POST', '/proxies', {
      name,
      listen: '127.0.0.1:0',
      upstream,
      enabled: true,
    })) as { listen: string };
    return created.listen;
  }

  async partition(name: string): Promise<void> {
    for (const stream of ['upstream', 'downstream'] as const) {
      await this.call('POST', `/proxies/${name}/toxics`, {
        name: `drop-${stream}`,
        type: 'timeout',
        stream,
        toxicity: 1,
        attributes: { timeout: 0 },
      });
    }
  }

  async heal(name: string): Promise<void> {
    for (const stream of ['upstream', 'downstream'] as const) {
      await this.call('DELETE', `/proxies/${name}/toxics/drop-${stream}`).catch(() => undefined);
    }
  }
}
