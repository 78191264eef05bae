// Where a client's CPU went, from a V8 CPU profile (`--profile <configuration>`, or `node --cpu-prof`):
// `node dist/bench/report/profile-owners.js <file.cpuprofile> [top]` prints self time grouped by owner (grpc-js,
// OpenTelemetry, keel, Node internals, GC, …) and the top self-time frames, as shares of the busy samples.
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
}

/** The owner of a frame, by its script's URL (or V8's pseudo-frames). */
export function ownerOf(url: string, fn: string): string {
  if (fn === '(idle)') return 'idle';
  if (fn === '(garbage collector)') return 'garbage collector';
  if (fn === '(program)') return '(program)';
  if (url.includes('@grpc/grpc-js')) return 'grpc-js';
  if (url.includes('@opentelemetry/')) return 'OpenTelemetry API + SDK';
  if (url.includes('nice-grpc')) return 'nice-grpc';
  if (/\/dist\/(src|wrappers)\//.test(url)) return 'keel';
  if (url.includes('/dist/bench/')) return 'bench harness';
  if (url.includes('node_modules')) return 'other packages';
  if (url.startsWith('node:async_hooks') || url.includes('async_hooks') || url.includes('async_context_frame')) return 'Node async_hooks / ALS';
  if (url.startsWith('node:') || url === '' ) return url === '' ? 'V8 builtins / native' : 'Node internals';
  return 'other';
}

function main(): void {
  const [file, topArg] = process.argv.slice(2);
  if (file === undefined) throw new Error('usage: profile-owners <file.cpuprofile> [top]');
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const hits = new Map<number, number>();
  for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
  const owners = new Map<string, number>();
  const frames = new Map<string, { owner: string; n: number }>();
  let busy = 0;
  for (const [id, n] of hits) {
    const node = byId.get(id);
    if (node === undefined) continue;
    const { functionName: fn, url, lineNumber } = node.callFrame;
    const owner = ownerOf(url, fn);
    if (owner === 'idle') continue;
    busy += n;
    owners.set(owner, (owners.get(owner) ?? 0) + n);
    const key = `${fn || '(anonymous)'} ${url.replace(/^.*\/(node_modules|dist)\//, '')}:${lineNumber + 1}`;
    const f = frames.get(key) ?? { owner, n: 0 };
    f.n += n;
    frames.set(key, f);
  }
  const pct = (n: number): string => `${((n / busy) * 100).toFixed(1)} %`;
  const lines = [`${profile.samples.length} samples, ${busy} busy`, '', '| owner | share of busy self time |', '| --- | ---: |',
    ...[...owners].sort((a, b) => b[1] - a[1]).map(([o, n]) => `| ${o} | ${pct(n)} |`), '',
    '| frame (self time) | owner | share |', '| --- | --- | ---: |',
    ...[...frames].sort((a, b) => b[1].n - a[1].n).slice(0, Number(topArg ?? 30)).map(([k, f]) => `| \`${k}\` | ${f.owner} | ${pct(f.n)} |`)];
  process.stdout.write(`${lines.join('\n')}\n`);
}

main();
