// Every relative link of README.md and docs/ names a file that exists, and its anchor a heading there.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { root } from '../types/tsc';
import { anchors, brokenLinks, links } from './links';
import { userDocs } from './markdown-files';

describe('links in README.md and docs/', () => {
  it('every relative link resolves to a file, and every anchor to a heading of it', () => {
    const files = userDocs(root);
    assert.ok(files.length >= 10, `expected README.md and the docs/ guides, found ${files.join(', ')}`);
    const checked = files.reduce((n, f) => n + links(readFileSync(join(root, f), 'utf8')).length, 0);
    assert.ok(checked >= 50, `expected the guides to link to each other, found ${checked} links`);
    const broken = files.flatMap((f) => brokenLinks(root, f));
    assert.deepEqual(broken, [], `broken links:\n${broken.join('\n')}`);
  });

  it('names GitHub anchors as GitHub does', () => {
    const a = anchors([
      '# keel',
      '## Your own proto, with types',
      '### `rateLimit(ratePerSecond, { burst = 1, wait = true, minRemainingMs = 50 })`',
      '### `hedge(options)`',
      '## Failure behaviour',
      '## Failure behaviour',
      '```sh',
      '# not a heading',
      '```',
      '<a id="first-run-cost"></a>',
    ].join('\n'));
    assert.deepEqual([...a].sort(), [
      'failure-behaviour', 'failure-behaviour-1', 'first-run-cost', 'hedgeoptions', 'keel',
      'ratelimitratepersecond--burst--1-wait--true-minremainingms--50-', 'your-own-proto-with-types',
    ]);
  });

  it('reports a missing file and a missing anchor with the line, and skips web links and code', () => {
    const dir = join(root, 'dist', 'links-fixture');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(join(dir, 'docs'), { recursive: true });
    writeFileSync(join(dir, 'docs', 'a.md'), '# A\n## Here\n');
    writeFileSync(join(dir, 'README.md'), [
      '[ok](docs/a.md#here) [web](https://example.com/x.md) `[code](nope.md)`',
      '[gone](docs/b.md)',
      '```md',
      '[in a fence](nope.md)',
      '```',
      '[no anchor](docs/a.md#there) [self](#a-readme)',
    ].join('\n'));
    assert.deepEqual(brokenLinks(dir, 'README.md'), [
      'README.md:2: docs/b.md (no such file: docs/b.md)',
      'README.md:6: docs/a.md#there (no heading #there in docs/a.md)',
      'README.md:6: #a-readme (no heading #a-readme in README.md)',
    ]);
    rmSync(dir, { recursive: true, force: true });
  });
});
