// Every TypeScript example in README.md and in the docs/ guides compiles under `strict` (see readme.ts for how),
// against the one example service of them all (test/types/proto/items.proto; the prelude declares it).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { userDocs } from '../docs/markdown-files';
import { checkMarkdown, checkMarkdownDocs, tsBlocks } from './readme';
import { root } from './tsc';

describe('README and docs examples', () => {
  it('every ```ts block of README.md and docs/**/*.md compiles under strict', () => {
    const docs = userDocs(root).map((name) => ({ name, markdown: readFileSync(join(root, name), 'utf8') }));
    const readme = tsBlocks(docs[0]!.markdown, 'README.md').length;
    assert.ok(readme >= 1, `expected the README's complete example, found ${readme} ts blocks`);
    const { blocks, errors } = checkMarkdownDocs(docs, join(root, 'dist', 'readme-blocks'));
    assert.ok(blocks >= 20, `expected the guides' examples, found ${blocks} ts blocks in ${docs.map((d) => d.name).join(', ')}`);
    assert.deepEqual(errors, [], `examples that do not compile (the blocks as compiled: dist/readme-blocks):\n${errors.join('\n')}`);
  });

  it('reports an example that does not compile at its file and line', () => {
    const markdown = [
      '# A readme',
      '',
      '```ts',
      "const ok: string = 'fine';",
      '```',
      '',
      '```sh',
      'not typescript',
      '```',
      '',
      '```ts',
      'const logging = (next) => async (req, ctx) => next(req, ctx);',
      '```',
    ].join('\n');
    const { blocks, errors } = checkMarkdown(markdown, 'BAD.md', join(root, 'dist', 'readme-blocks-bad'));
    assert.equal(blocks, 2);
    assert.ok(errors.length > 0, 'the broken example compiled');
    assert.ok(errors.every((e) => e.startsWith('BAD.md:12:') && e.includes('(ts block at line 12) TS7006')), errors.join('\n'));
  });

  it('names the guide a broken block is in when several are checked at once', () => {
    const good = { name: 'docs/good.md', markdown: '```ts\nconst item = await items.getItem({ id: "a" });\nconsole.log(item.name);\n```' };
    const bad = { name: 'docs/guide/bad.md', markdown: '# Bad\n\n```ts\nawait items.getItem({ id: 1 });\n```' };
    const { blocks, errors } = checkMarkdownDocs([good, bad], join(root, 'dist', 'readme-blocks-bad'));
    assert.equal(blocks, 2);
    assert.ok(errors.length > 0, 'a number where the proto has a string id compiled');
    assert.ok(errors.every((e) => e.startsWith('docs/guide/bad.md:4:') && e.includes('(ts block at line 4)')), errors.join('\n'));
  });

  it('finds blocks with their first code line, and refuses an unclosed block', () => {
    assert.deepEqual(tsBlocks('x\n```ts\na\nb\n```\n````typescript\nc\n````', 'M.md'), [
      { line: 3, code: 'a\nb' },
      { line: 7, code: 'c' },
    ]);
    assert.throws(() => tsBlocks('```ts\na\n', 'M.md'), /M\.md:1: a code block opened here is never closed/);
  });
});
