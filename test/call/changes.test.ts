import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CallContext, NodeFilter, ServiceNode } from '../../src/index';
import { addFilter, recordNode, withSignal } from '../../src/call';
import { ctx, INFO, wrapped } from '../support/call-context';

const node = (id: string): ServiceNode => ({ id, name: 's', version: '1', address: `127.0.0.1:${id}`, metadata: {} });
const refuse: NodeFilter = { reason: 'circuit_open', accept: () => false };

// The named ways a wrapper changes an attempt (src/call/changes.ts): each reaches the layers below only, and
// each refuses a context that no keel client made rather than writing into it.
describe('the named changes to an attempt', () => {
  it('withSignal: the attempt started in fn sees the signal; this layer has its own back afterwards, even after a throw', async () => {
    const own = new AbortController();
    const mine = new AbortController();
    const seen: Array<AbortSignal | undefined> = [];
    let after: AbortSignal | undefined;
    let afterThrow: AbortSignal | undefined;
    const call = wrapped([(next) => (req, c) => {
      const first = withSignal(c, mine.signal, () => next(req, c));
      after = c.signal;
      assert.throws(() => withSignal(c, mine.signal, () => { throw new Error('boom'); }), /boom/);
      afterThrow = c.signal;
      return first;
    }], (_req, c) => {
      seen.push(c.signal);
      return Promise.resolve('ok');
    });
    assert.equal(await call({}, ctx(undefined, own.signal)), 'ok');
    assert.deepEqual(seen, [mine.signal]);
    assert.equal(after, own.signal);
    assert.equal(afterThrow, own.signal);
  });

  it('addFilter: the layers below see the filter, the layer that added it and a later attempt do not', async () => {
    const counts: Array<[string, number]> = [];
    const call = wrapped([(next) => async (req, c) => {
      await next(req, c);
      counts.push(['outer, after', c.filters?.length ?? 0]);
      return next(req, c);
    }, (next) => (req, c) => {
      addFilter(c, refuse);
      counts.push([`adder, attempt ${c.attempt}`, c.filters?.length ?? 0]);
      return next(req, c);
    }], (_req, c) => {
      counts.push([`below, attempt ${c.attempt}`, c.filters?.length ?? 0]);
      return Promise.resolve('ok');
    });
    await call({}, ctx());
    assert.deepEqual(counts, [['adder, attempt 1', 1], ['below, attempt 1', 1], ['outer, after', 0], ['adder, attempt 2', 1], ['below, attempt 2', 1]]);
  });

  it('recordNode: the attempt has its node, and a later attempt sees it as tried', async () => {
    const tried: string[][] = [];
    const nodes: Array<string | undefined> = [];
    const call = wrapped([(next) => async (req, c) => {
      await next(req, c);
      nodes.push(c.node?.id);
      return next(req, c);
    }], (_req, c) => {
      tried.push(c.tried.map((n) => n.id));
      recordNode(c, node(String(c.attempt)));
      return Promise.resolve('ok');
    });
    await call({}, ctx());
    assert.deepEqual(tried, [[], ['1']]);
    assert.deepEqual(nodes, ['1']);
  });

  it('refuse a context no keel client made', () => {
    const foreign = { ...INFO, filters: undefined } as unknown as CallContext;
    assert.throws(() => addFilter(foreign, refuse), { name: 'TypeError', message: /addFilter/ });
    assert.throws(() => recordNode(foreign, node('1')), { name: 'TypeError', message: /recordNode/ });
    assert.throws(() => withSignal(foreign, undefined, () => 1), { name: 'TypeError', message: /withSignal/ });
  });
});
