// Prints the shape of keel's source as Markdown: files per folder, the largest files, imports that point
// up a layer, and import cycles (file-level strongly connected components, and folder-level ones).
// Run: node scripts/shape-report.mjs [> bench/notes/shape-….md]. No dependencies: imports are read with a
// small scanner that skips comments and strings, so a JSDoc example is not mistaken for an import.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const roots = ['src', 'wrappers'];

// The layers, lowest first. A file may import its own layer or any lower one; an import of a higher layer
// is reported. The order follows what the code needs: a registry speaks only of nodes (shared pieces), the
// call model names nodes, selection/limits/breakers/retries act on calls, the client and server run
// calls, metrics and tracing observe clients and servers, wrappers connect the cores to the call, the
// library index names the public surface, and the toolkit is built on top of that surface.
// Patterns are tried in order; the first that matches a path (relative to the repo, with `/`) wins.
const layers = [
  ['toolkit', [/^src\/toolkit\//]],
  ['library index', [/^src\/index\.ts$/]],
  ['wrappers', [/^wrappers\//]],
  ['metrics/tracing', [/^src\/metrics\//, /^src\/tracing\//]],
  ['client/server', [/^src\/client\//, /^src\/server\//]],
  ['select/limit/breaker/retry', [/^src\/select\//, /^src\/limit\//, /^src\/breaker\//, /^src\/retry\//]],
  ['call model', [/^src\/call\.ts$/, /^src\/compose\.ts$/, /^src\/call\//]],
  ['registry', [/^src\/registry\//]],
  ['shared pieces', [/^src\/[^/]+\.ts$/, /^src\/stream\//, /^src\/time\//]],
];
const order = [...layers].reverse().map(([name]) => name);
const layerOf = (file) => {
  for (const [name, patterns] of layers) if (patterns.some((p) => p.test(file))) return name;
  return 'unlayered';
};
const rank = (file) => order.indexOf(layerOf(file));

const walk = (dir) => {
  const out = [];
  for (const e of readdirSync(join(root, dir), { withFileTypes: true })) {
    const rel = posix.join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(rel));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(rel);
  }
  return out;
};
const files = roots.flatMap((r) => walk(r)).sort();
const fileSet = new Set(files);

/** The source with comments removed and every string literal's text kept (imports need them). */
function stripComments(src) {
  let out = '';
  for (let i = 0; i < src.length; ) {
    const c = src[i];
    const n = src[i + 1];
    if (c === '/' && n === '/') {
      while (i < src.length && src[i] !== '\n') i++;
    } else if (c === '/' && n === '*') {
      const end = src.indexOf('*/', i + 2);
      i = end < 0 ? src.length : end + 2;
    } else if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      while (j < src.length && src[j] !== c) j += src[j] === '\\' ? 2 : 1;
      out += src.slice(i, j + 1);
      i = j + 1;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

const importRe =
  /(?:^|[;\n}])\s*(import|export)\s+(type\s+)?(?:[^'";]*?\sfrom\s*)?['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)|\brequire\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Relative imports of one file: { to, typeOnly }. */
function importsOf(file) {
  const src = stripComments(readFileSync(join(root, file), 'utf8'));
  const edges = new Map();
  for (const m of src.matchAll(importRe)) {
    const spec = m[3] ?? m[4] ?? m[5];
    if (!spec.startsWith('.')) continue;
    const base = posix.normalize(posix.join(posix.dirname(file), spec));
    const to = [`${base}.ts`, `${base}/index.ts`, base].find((c) => fileSet.has(c));
    if (to === undefined) continue;
    const typeOnly = m[2] !== undefined;
    edges.set(to, (edges.get(to) ?? true) && typeOnly);
  }
  return [...edges].map(([to, typeOnly]) => ({ to, typeOnly }));
}

const graph = new Map(files.map((f) => [f, importsOf(f)]));
const linesOf = (f) => readFileSync(join(root, f), 'utf8').split('\n').length - 1;
const folderOf = (f) => posix.dirname(f);

/** Tarjan's strongly connected components; returns the components with more than one node. */
function cycles(nodes, next) {
  let index = 0;
  const idx = new Map();
  const low = new Map();
  const stack = [];
  const on = new Set();
  const out = [];
  const visit = (v) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of next(v)) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const comp = [];
      let w;
      do {
        w = stack.pop();
        on.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1) out.push(comp.sort());
    }
  };
  for (const v of nodes) if (!idx.has(v)) visit(v);
  return out.sort((a, b) => b.length - a.length || a[0].localeCompare(b[0]));
}

const lines = [];
const say = (s = '') => lines.push(s);

say('# Source shape');
say();
say(`${files.length} TypeScript files under ${roots.map((r) => `\`${r}/\``).join(' and ')}, ` +
  `${files.reduce((s, f) => s + linesOf(f), 0)} lines.`);
say();
say('## Files per folder');
say();
say('| folder | files | lines | largest |');
say('|---|---:|---:|---:|');
const folders = new Map();
for (const f of files) {
  const d = folderOf(f);
  const e = folders.get(d) ?? { files: 0, lines: 0, max: 0 };
  const n = linesOf(f);
  folders.set(d, { files: e.files + 1, lines: e.lines + n, max: Math.max(e.max, n) });
}
for (const [d, e] of [...folders].sort(([a], [b]) => a.localeCompare(b)))
  say(`| ${d}/ | ${e.files} | ${e.lines} | ${e.max} |`);
say();
say('## The 15 largest files');
say();
say('| file | lines |');
say('|---|---:|');
for (const f of [...files].sort((a, b) => linesOf(b) - linesOf(a) || a.localeCompare(b)).slice(0, 15))
  say(`| ${f} | ${linesOf(f)} |`);
say();
say('## Imports that point up a layer');
say();
say(`Layers, lowest first: ${order.filter((n) => n !== 'unlayered').join(' < ')}.`);
say();
const up = [];
for (const [from, edges] of graph)
  for (const { to, typeOnly } of edges) if (rank(to) > rank(from)) up.push({ from, to, typeOnly });
if (up.length === 0) say('None.');
else {
  say(`${up.length} imports (${up.filter((e) => e.typeOnly).length} type-only):`);
  say();
  say('| from (layer) | imports (layer) | kind |');
  say('|---|---|---|');
  for (const { from, to, typeOnly } of up)
    say(`| ${from} (${layerOf(from)}) | ${to} (${layerOf(to)}) | ${typeOnly ? 'type' : 'value'} |`);
}
say();
say('## The toolkit\'s reach into the library');
say();
say('Imports from `src/toolkit/` of library files other than the public index (`src/index.ts`):');
say();
const reach = new Map();
for (const [from, edges] of graph)
  if (layerOf(from) === 'toolkit')
    for (const { to } of edges)
      if (layerOf(to) !== 'toolkit' && to !== 'src/index.ts') reach.set(to, [...(reach.get(to) ?? []), from]);
if (reach.size === 0) say('None.');
for (const [to, froms] of [...reach].sort(([a], [b]) => a.localeCompare(b)))
  say(`- ${to} (from ${froms.length} file${froms.length === 1 ? '' : 's'}: ${froms.join(', ')})`);
say();
say('## Import cycles');
say();
const fileCycles = cycles(files, (f) => graph.get(f).map((e) => e.to));
const valueCycles = cycles(files, (f) => graph.get(f).filter((e) => !e.typeOnly).map((e) => e.to));
say(`### File cycles: ${fileCycles.length} (${valueCycles.length} counting only value imports)`);
say();
say('Each line is one strongly connected component (files that reach each other through imports).');
say();
if (fileCycles.length === 0) say('None.');
for (const c of fileCycles) say(`- ${c.join(', ')}`);
say();
const folderEdges = new Map();
for (const [from, edges] of graph)
  for (const { to } of edges) {
    const a = folderOf(from);
    const b = folderOf(to);
    if (a === b) continue;
    if (!folderEdges.has(a)) folderEdges.set(a, new Map());
    const m = folderEdges.get(a);
    if (!m.has(b)) m.set(b, []);
    m.get(b).push(`${from} → ${to}`);
  }
// Folder level: the toolkit's subfolders and the registry backends fold into their parent, which is how the
// architecture reads (`registry/` ⇄ `metrics/`). The files directly in src/ (shared pieces, the call model,
// the index) are left out here: the index imports every folder by design, and the layer table above already
// lists any of them that import upwards.
const top = (d) => {
  const parts = d.split('/');
  if (parts[0] === 'src') return parts.length > 1 ? `src/${parts[1]}/` : undefined;
  return `${parts[0]}/`;
};
const topEdges = new Map();
for (const [a, m] of folderEdges)
  for (const [b, why] of m) {
    const ta = top(a);
    const tb = top(b);
    if (ta === undefined || tb === undefined || ta === tb) continue;
    if (!topEdges.has(ta)) topEdges.set(ta, new Map());
    const tm = topEdges.get(ta);
    tm.set(tb, [...(tm.get(tb) ?? []), ...why]);
  }
const folderCycles = cycles([...new Set(files.map((f) => top(folderOf(f))).filter((d) => d !== undefined))], (d) => [
  ...(topEdges.get(d)?.keys() ?? []),
]);
const pairs = [];
for (const [a, m] of topEdges) for (const b of m.keys()) if (a < b && topEdges.get(b)?.has(a)) pairs.push([a, b]);
say(`### Folder cycles: ${folderCycles.length} strongly connected components, ${pairs.length} two-way pairs`);
say();
say('Folders are `src/<first folder>/` (so `src/toolkit/…` is one) and `wrappers/`; files directly in `src/` are left out.');
say();
for (const c of folderCycles) say(`- component: ${c.join(', ')}`);
say();
for (const [a, b] of pairs.sort((x, y) => x[0].localeCompare(y[0]) || x[1].localeCompare(y[1]))) {
  const ab = topEdges.get(a).get(b);
  const ba = topEdges.get(b).get(a);
  say(`- \`${a}\` ⇄ \`${b}\`: ${ab.length} import${ab.length === 1 ? '' : 's'} one way, ${ba.length} back`);
  for (const e of [...ab.slice(0, 3), ...ba.slice(0, 3)]) say(`  - ${e}`);
}
process.stdout.write(`${lines.join('\n')}\n`);
