// Every TypeScript example in README.md compiles under `strict` (see readme.ts for how).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { checkMarkdown, tsBlocks } from './readme';
import { root } from './tsc';

describe('README examples', () => {
  it('every ```ts block of README.md compiles under strict', () => {
    const { blocks, errors } = checkMarkdown(readFileSync(join(root, 'README.md'), 'utf8'), 'README.md', join(root, 'dist', 'readme-blocks'));
    assert.ok(blocks >= 8, `expected the README's examples, found ${blocks} ts blocks`);
    assert.deepEqual(errors, [], `README.md examples that do not compile (the blocks as compiled: dist/readme-blocks):\n${errors.join('\n')}`);
  });

  it('reports an example that does not compile at its README line', () => {
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

  it('finds blocks with their first code line, and refuses an unclosed block', () => {
    assert.deepEqual(tsBlocks('x\n```ts\na\nb\n```\n````typescript\nc\n````', 'M.md'), [
      { line: 3, code: 'a\nb' },
      { line: 7, code: 'c' },
    ]);
    assert.throws(() => tsBlocks('```ts\na\n', 'M.md'), /M\.md:1: a code block opened here is never closed/);
  });
});
