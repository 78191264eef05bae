// Compiles the TypeScript examples of markdown files (README.md and docs/): every ```ts block becomes its own strict module, with the
// committed prelude (test/types/fixtures/readme/prelude.d.ts) for the free identifiers the examples use, and
// `keel` mapped to the built declarations. Diagnostics are reported at the markdown line they belong to.
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { root, tsc } from './tsc';

export interface CodeBlock {
  /** The markdown line of the block's first code line (1-based). */
  line: number;
  code: string;
}

/** The ```ts / ```typescript blocks of `markdown`. An unclosed block is an error: its examples would go unchecked. */
export function tsBlocks(markdown: string, name: string): CodeBlock[] {
  const lines = markdown.split('\n');
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const fence = /^(\s*)(`{3,}|~{3,})\s*(\S*)/.exec(lines[i]!);
    if (!fence) continue;
    const [, indent, marks, lang] = fence;
    const end = lines.findIndex((l, j) => j > i && l.trimStart().startsWith(marks!) && l.trim() === l.trim().charAt(0).repeat(l.trim().length));
    if (end < 0) throw new Error(`${name}:${i + 1}: a code block opened here is never closed`);
    if (lang === 'ts' || lang === 'typescript') {
      blocks.push({ line: i + 2, code: lines.slice(i + 1, end).map((l) => (l.startsWith(indent!) ? l.slice(indent!.length) : l)).join('\n') });
    }
    i = end;
  }
  return blocks;
}

/** One markdown document to check: its name as errors cite it (a path from the repository root) and its text. */
export interface MarkdownDoc {
  name: string;
  markdown: string;
}

/**
 * Type-checks the ```ts blocks of `markdown` in `workDir` (replaced; inside the repository so that packages
 * resolve). Returns one line per error, `<name>:<line>:<column> (ts block at line N) TSxxxx: message`, empty when
 * every block compiles. Examples may import `./proto/items` (proto-loader-gen-types output) and `./gen/items`
 * (ts-proto output): the type fixtures' generated code is copied there.
 */
export function checkMarkdown(markdown: string, name: string, workDir: string): { blocks: number; errors: string[] } {
  return checkMarkdownDocs([{ name, markdown }], workDir);
}

/**
 * `checkMarkdown` for several documents at once (README.md and every docs/ guide): one tsc run, each block its
 * own module; each error names the document and the block's line.
 */
export function checkMarkdownDocs(docs: MarkdownDoc[], workDir: string): { blocks: number; errors: string[] } {
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  const fixtures = join(root, 'test', 'types', 'fixtures');
  cpSync(join(fixtures, 'readme', 'prelude.d.ts'), join(workDir, 'prelude.d.ts'));
  cpSync(join(fixtures, 'proto-loader', 'generated'), join(workDir, 'proto'), { recursive: true });
  cpSync(join(fixtures, 'ts-proto', 'generated'), join(workDir, 'gen'), { recursive: true });
  const files = new Map<string, { doc: string; block: CodeBlock }>();
  for (const doc of docs) {
    // `docs/servers.md` → `docs-servers-md-line-12.ts`: one flat directory, so `./proto/items` resolves from every block.
    const stem = doc.name.replace(/[^A-Za-z0-9]+/g, '-');
    for (const block of tsBlocks(doc.markdown, doc.name)) {
      const file = `${stem}-line-${block.line}.ts`;
      files.set(file, { doc: doc.name, block });
      writeFileSync(join(workDir, file), block.code);
    }
  }
  writeFileSync(join(workDir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      strict: true,
      noEmit: true,
      target: 'ES2022',
      lib: ['ES2022'],
      // ESM with top-level await, each block a module even without imports (so blocks do not share names).
      module: 'ESNext',
      moduleResolution: 'Bundler',
      moduleDetection: 'force',
      types: ['node'],
      skipLibCheck: true,
      paths: { keel: [join(root, 'dist', 'src', 'index.d.ts')], 'keel/toolkit': [join(root, 'dist', 'src', 'toolkit', 'index.d.ts')] },
    },
    files: ['prelude.d.ts', ...files.keys()],
  }, null, 2));
  const result = tsc(workDir);
  const errors = result.diagnostics.map((d) => {
    const found = files.get(d.file);
    if (found === undefined) return `${d.file}:${d.line}:${d.column} ${d.code}: ${d.message}`;
    const { doc, block } = found;
    return `${doc}:${block.line + d.line - 1}:${d.column} (ts block at line ${block.line}) ${d.code}: ${d.message}`;
  });
  if (result.status !== 0 && errors.length === 0) errors.push(`tsc failed without a diagnostic:\n${result.output}`);
  return { blocks: files.size, errors };
}
