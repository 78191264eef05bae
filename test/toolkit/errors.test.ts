import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { isKeelError, keelError, REASONS } from '../../src/index';
import { isToolkitError, TOOLKIT_REASONS, toolkitError, ToolkitError } from '../../src/toolkit/index';

describe('toolkit reasons live in the toolkit', () => {
  it('each is a grpc-js shaped, local error with its own code; the library\'s table does not name them', () => {
    const expected = { unknown_method: status.UNIMPLEMENTED, bad_request: status.INVALID_ARGUMENT, no_descriptor: status.FAILED_PRECONDITION };
    assert.deepEqual(Object.keys(TOOLKIT_REASONS).sort(), Object.keys(expected).sort());
    for (const [reason, code] of Object.entries(expected) as Array<[keyof typeof expected, status]>) {
      const err = toolkitError(reason, `why ${reason}`);
      assert.ok(err instanceof ToolkitError);
      assert.equal(err.code, code);
      assert.equal(err.reason, reason);
      assert.equal(err.details, `why ${reason}`);
      assert.equal(err.origin, 'local');
      assert.equal(err.message, `${code} ${status[code]}: why ${reason}`);
      assert.equal(typeof err.metadata.getMap, 'function');
      assert.ok(isToolkitError(err, reason));
      assert.ok(!isKeelError(err), 'not a library error');
      assert.ok(!(reason in REASONS), `${reason} is not a library reason`);
    }
    assert.ok(!isToolkitError(keelError('no_nodes', 'x')));
    assert.ok(!isToolkitError(toolkitError('bad_request', 'x'), 'unknown_method'));
  });
});
