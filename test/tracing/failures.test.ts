import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { createClient, initTracing, memoryRegistry, tracing, wrapClient } from '../../src/index';
import { cleanTransportMessage, stackWithMessage } from '../../src/grpc-message';
import { Basis } from '../support/basis';
import { registerDeadNode } from '../support/dead-node';

describe('clean transport messages', () => {
  const table: Array<[string, string]> = [
    ['14 UNAVAILABLE: No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:44689. Resolution note: ',
      '14 UNAVAILABLE: No connection established. Last error: connect ECONNREFUSED 127.0.0.1:44689'],
    ['14 UNAVAILABLE: No connection established. Last error: Failed to connect. Resolution note: dns said no',
      '14 UNAVAILABLE: No connection established. Last error: Failed to connect. Resolution note: dns said no'],
    ['14 UNAVAILABLE: Connection dropped', '14 UNAVAILABLE: Connection dropped'],
    ['5 NOT_FOUND: no such user', '5 NOT_FOUND: no such user'],
  ];
  for (const [raw, clean] of table) it(JSON.stringify(raw), () => assert.equal(cleanTransportMessage(raw), clean));
  it('a stack keeps its frames under the clean header, whatever the raw message\'s lines', () => {
    const raw = new Error('14 UNAVAILABLE: No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:1. Resolution note: \nsecond line');
    const frames = String(raw.stack).slice(String(raw.stack).search(/\n\s+at /));
    assert.ok(frames.length > 0);
    assert.equal(stackWithMessage(String(raw.stack), 'Error', 'clean'), `Error: clean${frames}`);
    assert.equal(stackWithMessage('Error: no frames', 'Error', 'clean'), 'Error: clean');
  });
});

describe('a call that never reached a server, traced', () => {
  it('fails with a clean message (details as grpc-js said), and its span has error.type, the node and an exception event', async () => {
    const exporter = new InMemorySpanExporter();
    const traced = initTracing({ serviceName: 'failures', exporter });
    try {
      const registry = memoryRegistry();
      const dead = await registerDeadNode(registry);
      const client = createClient(Basis, 'basis', { registry, wrap: wrapClient(tracing()) });
      const err = await client.hello({ name: 'Ann' }).then(() => assert.fail('the call succeeded'), (e: unknown) => e as Error & { code: number; details: string });
      client.close();
      assert.equal(err.code, status.UNAVAILABLE);
      assert.match(err.message, /ECONNREFUSED/);
      assert.doesNotMatch(err.message, /Resolution note|Error: connect/, err.message);
      assert.match(err.details, /Last error: Error: connect ECONNREFUSED/, 'details stay as grpc-js reported them');

      await traced.forceFlush();
      const [span] = exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.CLIENT);
      assert.ok(span);
      assert.equal(span.attributes['error.type'], 'UNAVAILABLE');
      assert.equal(span.attributes['keel.node.id'], dead.id);
      assert.equal(span.status.code, SpanStatusCode.ERROR);
      assert.equal(span.status.message, err.message);
      const [event] = span.events;
      assert.equal(event?.name, 'exception');
      assert.equal(event?.attributes?.['exception.message'], err.message);
      // The stack trace starts with the clean message too (grpc-js wrote its header with the raw text), frames kept.
      const stack = String(event?.attributes?.['exception.stacktrace']);
      assert.equal(stack.split('\n')[0], `Error: ${err.message}`, stack);
      assert.match(stack, /\n\s+at /, 'the frames are kept');
      assert.doesNotMatch(stack, /Resolution note|Last error: Error: /);
      assert.equal(err.stack?.split('\n')[0], `Error: ${err.message}`, 'the caller\'s error says it the same way');
    } finally {
      await traced.shutdown();
    }
  });
});
