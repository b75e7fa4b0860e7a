/**
 * Cassandra contact points are `host` or `host:port`. The driver connects to the contact
 * points on their own ports, but every other node it learns from system.peers gets ONE
 * port, `protocolOptions.port` (9042 unless set). So the contact points must agree on a
 * port, and that port must be handed to the driver, or a cluster on another port is
 * reachable only through the contact points themselves: lose those and every query fails.
 */
export const DEFAULT_NATIVE_PORT = 9042;

export function portOf(contactPoint: string): number {
  const match = /:(\d{1,5})$/.exec(contactPoint);
  return match ? Number(match[1]) : DEFAULT_NATIVE_PORT;
}

/** The one native port every contact point uses, or undefined when they disagree. */
export function sharedNativePort(contactPoints: readonly string[]): number | undefined {
  const ports = new Set(contactPoints.map(portOf));
  return ports.size === 1 ? [...ports][0] : undefined;
}

/**
 * Parses CASSANDRA_ADDRESS_MAP, `from=to` pairs separated by commas, where `from` is the
 * address a node advertises (`host` or `host:port`) and `to` is where this process must
 * dial it (`host:port`): NAT, a port-forward, or a fault proxy in front of each node.
 */
export function parseAddressMap(
  text: string,
): { map: Record<string, string> } | { problem: string } {
  const map: Record<string, string> = {};
  for (const pair of text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [from, to, extra] = pair.split('=').map((s) => s.trim());
    if (
      !from ||
      !to ||
      extra !== undefined ||
      !/^[A-Za-z0-9.-]+(:\d{1,5})?$/.test(from) ||
      !/^[A-Za-z0-9.-]+:\d{1,5}$/.test(to)
    ) {
      return { problem: `"${pair}" is not from=to (from: host or host:port, to: host:port)` };
    }
    map[from] = to;
  }
  return { map };
}
