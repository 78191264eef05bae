import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Metadata } from '@grpc/grpc-js';
import { addFilter, RoundRobinSelector, randomSelector, type CallContext, type NodeFilter, type ServiceNode } from '../../src/index';
import { ctx, wrapped } from '../support/call-context';

const nodes = (k: number, prefix = 'n'): ServiceNode[] =>
  Array.from({ length: k }, (_, i) => ({ id: `${prefix}${i}`, name: 's', version: '', address: `127.0.0.1:${1000 + i}`, metadata: {} }));

describe('RoundRobinSelector', () => {
  for (const [k, n] of [[3, 30], [3, 31], [7, 100], [1, 5]] as const) {
    it(`gives each of ${k} nodes ⌊n/k⌋ or ⌈n/k⌉ of ${n} calls, in rotation`, () => {
      const rr = new RoundRobinSelector();
      const list = nodes(k);
      const counts = new Map<string, number>();
      let previous: string | undefined;
      for (let i = 0; i < n; i++) {
        const id = (rr.pick(list, ctx()) as ServiceNode).id;
        if (k > 1) assert.notEqual(id, previous);
        previous = id;
        counts.set(id, (counts.get(id) ?? 0) + 1);
      }
      for (const c of counts.values()) assert.ok(c === Math.floor(n / k) || c === Math.ceil(n / k), `count ${c}`);
    });
  }

  it('starts at a random offset', () => {
    const list = nodes(4);
    assert.equal(new RoundRobinSelector(() => 0.0).pick(list, ctx())?.id, 'n0');
    assert.equal(new RoundRobinSelector(() => 0.6).pick(list, ctx())?.id, 'n2');
    const firsts = new Set(Array.from({ length: 200 }, () => new RoundRobinSelector().pick(list, ctx())?.id));
    assert.equal(firsts.size, 4, 'fresh selectors did not spread their first pick');
  });

  it('keeps one rotation per service', () => {
    const rr = new RoundRobinSelector(() => 0);
    const list = nodes(3);
    assert.equal(rr.pick(list, ctx(undefined, undefined, 'a'))?.id, 'n0');
    assert.equal(rr.pick(list, ctx(undefined, undefined, 'b'))?.id, 'n0');
    assert.equal(rr.pick(list, ctx(undefined, undefined, 'a'))?.id, 'n1');
  });

  it('continues after the last node picked when the list changes, without restarting at 0', () => {
    const rr = new RoundRobinSelector(() => 0);
    const [a, b, c, d] = nodes(4);
    assert.equal(rr.pick([a!, b!, c!], ctx())?.id, 'n0');
    assert.equal(rr.pick([a!, b!, c!], ctx())?.id, 'n1');
    // n3 joins at the front of the list, n0 leaves: next after n1 is n2, then n3
    assert.equal(rr.pick([d!, b!, c!], ctx())?.id, 'n2');
    assert.equal(rr.pick([d!, b!, c!], ctx())?.id, 'n3');
    assert.equal(rr.pick([d!, b!, c!], ctx())?.id, 'n1');
  });

  it('stays even when nodes join mid-way', () => {
    const rr = new RoundRobinSelector();
    let list = nodes(2);
    const counts = new Map<string, number>();
    for (let i = 0; i < 3000; i++) {
      if (i === 1000) list = [...list, ...nodes(1, 'late')];
      const id = (rr.pick(list, ctx()) as ServiceNode).id;
      if (i >= 1000) counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    for (const c of counts.values()) assert.ok(Math.abs(c - 2000 / 3) <= 1, `uneven after a join: ${[...counts.values()]}`);
  });

  it('skips vetoed nodes and asks filters only about the node it uses', () => {
    const rr = new RoundRobinSelector(() => 0);
    const list = nodes(3);
    const asked: string[] = [];
    const veto: NodeFilter = { reason: 'circuit_open', accept: (node) => (asked.push(node.id), node.id !== 'n1') };
    const picks: string[] = [];
    for (let i = 0; i < 4; i++) {
      const c = ctx();
      addFilter(c, veto);
      picks.push((rr.pick(list, c) as ServiceNode).id);
    }
    assert.deepEqual(picks, ['n0', 'n2', 'n0', 'n2']);
    assert.deepEqual(asked, ['n0', 'n1', 'n2', 'n0', 'n1', 'n2']);
    const none = ctx();
    addFilter(none, { reason: 'circuit_open', accept: () => false });
    assert.equal(rr.pick(list, none), undefined);
  });
});
