// Checks the relative links of markdown files: each must name a file that exists, and an anchor a heading of it.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';

/**
 * The anchors GitHub gives a document's headings: lowercased, every character that is not a letter, a digit,
 * a space, `-` or `_` dropped, spaces as `-`; a repeated heading gets `-1`, `-2`…. Explicit `<a id>`/`name`
 * anchors count too.
 */
export function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  let fence: string | undefined;
  for (const line of markdown.split('\n')) {
    const f = /^\s*(`{3,}|~{3,})/.exec(line);
    if (f) {
      if (fence === undefined) fence = f[1]!.charAt(0);
      else if (line.trim().startsWith(fence)) fence = undefined;
      continue;
    }
    if (fence !== undefined) continue;
    for (const m of line.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) out.add(m[1]!);
    const h = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!h) continue;
    const base = h[1]!.toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** Every `[text](target)` and `![alt](target)` outside code, with its line (1-based). */
export function links(markdown: string): { line: number; target: string }[] {
  const found: { line: number; target: string }[] = [];
  let fence: string | undefined;
  markdown.split('\n').forEach((line, i) => {
    const f = /^\s*(`{3,}|~{3,})/.exec(line);
    if (f) {
      if (fence === undefined) fence = f[1]!.charAt(0);
      else if (line.trim().startsWith(fence)) fence = undefined;
      return;
    }
    if (fence !== undefined) return;
    const text = line.replace(/`[^`]*`/g, '``'); // inline code is not a link
    for (const m of text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) found.push({ line: i + 1, target: m[1]! });
  });
  return found;
}

/**
 * The broken relative links of `file` (a path from `root`): `file:line: target (why)`. Web links (`http:`,
 * `https:`, `mailto:`) are not followed.
 */
export function brokenLinks(root: string, file: string): string[] {
  const markdown = readFileSync(join(root, file), 'utf8');
  const problems: string[] = [];
  for (const { line, target } of links(markdown)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
    const [path = '', anchor] = target.split('#', 2);
    const resolved = path === '' ? file : normalize(join(dirname(file), decodeURIComponent(path)));
    if (resolved.startsWith('..')) {
      problems.push(`${file}:${line}: ${target} (outside the repository)`);
      continue;
    }
    const abs = join(root, resolved);
    if (!existsSync(abs)) {
      problems.push(`${file}:${line}: ${target} (no such file: ${resolved})`);
      continue;
    }
    if (anchor === undefined || anchor === '') continue;
    if (!resolved.endsWith('.md') || statSync(abs).isDirectory()) continue;
    if (!anchors(readFileSync(abs, 'utf8')).has(anchor)) problems.push(`${file}:${line}: ${target} (no heading #${anchor} in ${resolved})`);
  }
  return problems;
}
