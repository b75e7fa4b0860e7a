/**
 * Top functions of a V8 .cpuprofile (from `node --cpu-prof`) by self time, and the share
 * of samples in a few groups that matter for fan-out (native writes, GC, engine.io/ws,
 * socket.io, Parley's own code, Redis and Cassandra clients).
 *
 *   npx tsx load-tests/src/tools/profile-top.ts PROFILE.cpuprofile [--top 20]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '20' } },
});
const file = positionals[0];
if (!file) {
  console.error('usage: profile-top.ts PROFILE.cpuprofile [--top N]');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const hits = new Map<number, number>();
for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
const total = profile.samples.length;

const shortUrl = (url: string) => {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(.*)$/.exec(url);
  if (m) return `${m[1]}/${(m[2] ?? '').split('/').pop()}`;
  const p = /\/(server|contract|client-sdk)\/src\/(.*)$/.exec(url);
  if (p) return `${p[1]}/${p[2]}`;
  return url.replace(/^.*\//, '') || '(native)';
};
const self = new Map<string, number>();
const groups = new Map<string, number>();
const groupOf = (n: Node) => {
  const { functionName: f, url } = n.callFrame;
  if (f === '(garbage collector)') return 'GC';
  if (f === '(idle)' || f === '(program)') return f;
  if (/writev|writeBuffer|writeUtf8String|writeLatin1String/.test(f) && !url)
    return 'native socket writes';
  if (/node_modules\/(ws|engine\.io)\//.test(url)) return 'ws + engine.io';
  if (/node_modules\/(socket\.io|socket\.io-adapter|socket\.io-parser|@socket\.io)\//.test(url))
    return 'socket.io + adapter';
  if (/node_modules\/ioredis\//.test(url)) return 'ioredis';
  if (/node_modules\/cassandra-driver\//.test(url)) return 'cassandra-driver';
  if (/node_modules\/zod\//.test(url)) return 'zod';
  if (/node_modules\/(argon2|jsonwebtoken|jose)\//.test(url) || f === 'verify' || f === 'sign')
    return 'auth (argon2, JWT) — setup';
  if (
    /^node:(net|stream|internal\/stream|internal\/streams)|stream_base_commons|writable/.test(url)
  )
    return 'node net/stream (write path)';
  if (/\/(server|contract)\/src\//.test(url)) return 'Parley code';
  if (url.startsWith('node:') || !url) return 'node core / native';
  return 'other';
};
for (const [id, count] of hits) {
  const n = byId.get(id);
  if (!n) continue;
  const key = `${n.callFrame.functionName || '(anonymous)'}  ${shortUrl(n.callFrame.url)}${n.callFrame.url ? `:${n.callFrame.lineNumber + 1}` : ''}`;
  self.set(key, (self.get(key) ?? 0) + count);
  const g = groupOf(n);
  groups.set(g, (groups.get(g) ?? 0) + count);
}
const idle = groups.get('(idle)') ?? 0;
const busy = Math.max(1, total - idle);
// Share of all samples, then of the samples where the process was not idle.
const pct = (c: number) =>
  `${((c / total) * 100).toFixed(1)}%`.padStart(6) +
  `${((c / busy) * 100).toFixed(1)}%`.padStart(7);
console.log(
  `${file}: ${total} samples, ${((profile.endTime - profile.startTime) / 1e6).toFixed(1)} s`,
);
console.log(
  `\n  all   busy   (busy = not idle: ${((busy / total) * 100).toFixed(1)}% of samples)\nby group:`,
);
for (const [g, c] of [...groups].sort((a, b) => b[1] - a[1]))
  console.log(g === '(idle)' ? `  ${pct(c).slice(0, 6)}         ${g}` : `  ${pct(c)}  ${g}`);
console.log(`\ntop ${values.top} functions by self time:`);
for (const [k, c] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top)))
  console.log(`  ${pct(c)}  ${k}`);
