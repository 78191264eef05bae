import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadPackageDefinition, type GrpcObject, type MethodDefinition, type ServiceClientConstructor } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { endpointsOf, goCamelCase } from '../../src/server/endpoints';
import { goEndpoint } from '../../src/registry/go-micro-endpoints';
import type { EndpointValue } from '../../src/registry/registry';
import { decodeNodes, encodeNode } from '../../src/registry/etcd/codec';
import { repoRoot } from '../support/external';

const load = (keepCase: boolean) => {
  const pkg = loadPackageDefinition(loadSync(join(repoRoot, 'test', 'fixtures', 'shapes.proto'), { keepCase }));
  const shapes = ((pkg.shapes as GrpcObject).v1 as GrpcObject).Shapes as ServiceClientConstructor;
  return Object.values(shapes.service) as MethodDefinition<unknown, unknown>[];
};
const v = (name: string, type: string, values: EndpointValue[] | null = null): EndpointValue => ({ name, type, values });
const stream = (name: string) => v(name, name);

/** What go-micro's extractor (server/grpc/extractor.go) makes of the Go code protoc-gen-go generates for shapes.proto. */
const expected = [
  {
    name: 'Shapes.List', request: undefined as unknown, response: stream('Shapes_ListStream'), metadata: { stream: 'true' },
  },
  {
    name: 'Shapes.Put',
    request: v('PutRequest', 'PutRequest', [
      v('user_id', 'string'),
      v('blob', '[]uint8'),
      v('tags', '[]string'),
      v('items', '[]Item'),
      v('counts', ''),
      v('color', 'Color'),
      // Inner's fields are depth 2; Deep's (depth 3) are beyond go-micro's limit.
      v('inner', 'PutRequest_Inner', [v('label', 'string'), v('deep', 'Deep')]),
      v('isPutRequest_Choice', 'isPutRequest_Choice'),
      v('flag', 'bool'),
      v('chunks', '[]'),
      v('ratio', 'float64'),
    ]),
    response: v('PutReply', 'PutReply'),
    metadata: {},
  },
  { name: 'Shapes.Send', request: v('Context', 'Context'), response: stream('Shapes_SendStream'), metadata: { stream: 'true' } },
  { name: 'Shapes.Watch', request: v('Context', 'Context'), response: stream('Shapes_WatchStream'), metadata: { stream: 'true' } },
];
expected[0]!.request = expected[1]!.request;

describe('go-micro endpoints from service definitions', () => {
  for (const keepCase of [true, false]) {
    it(`every field kind, nesting depth and call kind, sorted by name (proto-loader keepCase ${keepCase})`, () => {
      assert.deepEqual(JSON.parse(JSON.stringify(endpointsOf(load(keepCase)))), expected);
    });
  }

  it('definitions without descriptors (grpc-tools code) still name their endpoints, with null shapes', () => {
    const bare = load(true).map((m) => ({ ...m, requestType: undefined, responseType: undefined }) as MethodDefinition<unknown, unknown>);
    const eps = endpointsOf(bare);
    assert.deepEqual(eps.map((e) => e.name), ['Shapes.List', 'Shapes.Put', 'Shapes.Send', 'Shapes.Watch']);
    assert.equal(eps[1]?.request, null);
  });

  it('Go JSON field order and nil slices, as go-micro writes an endpoint', () => {
    assert.equal(goEndpoint({ name: 'Basis.Hello', request: v('Request', 'Request', [v('name', 'string')]), response: null, metadata: { stream: 'true' } }),
      '{"request":{"name":"Request","type":"Request","values":[{"name":"name","type":"string","values":null}]},"response":null,' +
      '"metadata":{"stream":"true"},"name":"Basis.Hello"}');
  });

  it('etcd values carry the endpoints, and read back as the same node', () => {
    const node = { id: 'n-1', name: 'shapes', version: '1', address: '127.0.0.1:5', metadata: { protocol: 'grpc' }, endpoints: endpointsOf(load(true)) };
    const value = encodeNode(node);
    const parsed = JSON.parse(value) as { endpoints: unknown };
    assert.deepEqual(parsed.endpoints, expected);
    assert.deepEqual(decodeNodes(value), [node], 'endpoints included (keel describe reads them)');
    assert.match(encodeNode({ ...node, endpoints: [] }), /"endpoints":null/);
  });

  it('goCamelCase as protoc-gen-go', () => {
    for (const [input, out] of [['interval_ms', 'IntervalMs'], ['Outer.Inner', 'Outer_Inner'], ['_x', 'XX'], ['a1b', 'A1B'], ['HTTPThing', 'HTTPThing'], ['foo.bar', 'FooBar']]) {
      assert.equal(goCamelCase(input as string), out, input);
    }
  });
});
