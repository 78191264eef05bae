import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hostServed, SECURITY_HEADERS } from '../../../src/toolkit/web/guard';
import { TEMP_FILE } from '../../../src/registry/local/service-dir';

describe('keel web: which Host names it serves', () => {
  it('IP literals, localhost and the allowed names, with or without a port; nothing else', () => {
    const allowed = new Set(['dash.internal']);
    const table: Array<[string | undefined, boolean]> = [
      ['127.0.0.1:8082', true], ['127.0.0.1', true], ['[::1]:8082', true], ['10.1.2.3:80', true], ['localhost:8082', true], ['LOCALHOST', true],
      ['dash.internal:8082', true], ['evil.example:8082', false], ['localhost.evil.example', false], ['127.0.0.1.nip.io:8082', false],
      ['', false], [undefined, false], ['dash.internal.evil', false],
    ];
    for (const [host, want] of table) assert.equal(hostServed(host === undefined ? {} : { host }, allowed), want, String(host));
  });

  it('the page may not be framed, and loads only its own script', () => {
    assert.match(SECURITY_HEADERS['content-security-policy']!, /frame-ancestors 'none'/);
    assert.match(SECURITY_HEADERS['content-security-policy']!, /script-src 'self'/);
    assert.equal(SECURITY_HEADERS['x-frame-options'], 'DENY');
  });
});

describe('localRegistry: the temp files a sweep may remove', () => {
  it("are keel's own names only", () => {
    for (const name of ['.node-1.123.0.tmp', '.%2Ehidden.1.99.tmp', ".a!~*'()_.4194304.18446744073.tmp"]) assert.ok(TEMP_FILE.test(name), name);
    for (const name of ['.bashrc', '.env', '.node.tmp', '.node.1.tmp', 'node.1.2.tmp', '.node.1.2.tmp.bak', '.a b.1.2.tmp', '.x/y.1.2.tmp', '..1.2.tmp']) {
      assert.ok(!TEMP_FILE.test(name), name);
    }
  });
});
