import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Root, Type } from 'protobufjs';
import { loadProtoFiles } from '../../../src/toolkit/dynamic/proto-files';
import { decodeJson, encodeJson } from '../../../src/toolkit/dynamic/json-codec';
import { messageSchema } from '../../../src/toolkit/mcp/schema';
import { validator } from './support';

// protobufjs parses this with its bundled well-known types, as `--proto` files are parsed.
const root = parse(`
syntax = "proto3";
package t;
import "google/protobuf/timestamp.proto";
import "google/protobuf/duration.proto";
import "google/protobuf/wrappers.proto";
import "google/protobuf/struct.proto";
import "google/protobuf/field_mask.proto";
import "google/protobuf/empty.proto";
enum Kind { KIND_UNSPECIFIED = 0; A = 1; }
message Tree { string label = 1; repeated Tree children = 2; }
message All {
  int32 i32 = 1; uint32 u32 = 2; int64 i64 = 3; uint64 u64 = 4; double d = 5; bool b = 6; bytes raw = 7; string s = 8;
  Kind kind = 9; repeated string tags = 10; map<string, int64> counts = 11; map<bool, string> flags = 12;
  oneof pick { string x = 13; int32 y = 14; int32 z = 15; }
  optional string maybe = 16;
  Tree tree = 17;
  google.protobuf.Timestamp at = 18; google.protobuf.Duration took = 19; google.protobuf.Int64Value big = 20;
  google.protobuf.BoolValue yes = 21; google.protobuf.Struct bag = 22; google.protobuf.Value any = 23;
  google.protobuf.ListValue list = 24; google.protobuf.FieldMask mask = 25; google.protobuf.Empty nothing = 26;
}
`);

/** Through the `--proto` loader (imports of the well-known types come from protobufjs's bundled copies). */
function parse(source: string): Root {
  const dir = mkdtempSync(join(tmpdir(), 'keel-schema-'));
  try {
    writeFileSync(join(dir, 't.proto'), source);
    return loadProtoFiles([join(dir, 't.proto')]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const All = root.lookupType('t.All') as Type;

describe('JSON Schema of a request message (a real validator decides)', () => {
  const ajv = validator();
  const input = ajv.compile(messageSchema(All, 'input'));
  const cases: Array<[string, unknown, boolean]> = [
    ['nothing (proto3: every field optional)', {}, true],
    ['int32 in range', { i32: -2147483648 }, true],
    ['int32 out of range', { i32: 2147483648 }, false],
    ['uint32 negative', { u32: -1 }, false],
    ['int64 as a decimal string', { i64: '-9223372036854775808' }, true],
    ['int64 as a number', { i64: 12 }, true],
    ['int64 with a fraction', { i64: '1.5' }, false],
    ['uint64 negative', { u64: '-1' }, false],
    ['double as NaN (proto3 JSON string)', { d: 'NaN' }, true],
    ['double as text', { d: 'one' }, false],
    ['bytes as base64', { raw: 'aGk=' }, true],
    ['enum by name', { kind: 'A' }, true],
    ['enum by number', { kind: 1 }, true],
    ['enum by an unknown name', { kind: 'B' }, false],
    ['repeated as an array', { tags: ['a'] }, true],
    ['repeated as a string', { tags: 'a' }, false],
    ['map<string, int64>', { counts: { a: '1', b: 2 } }, true],
    ['map<bool, string> with a bool key', { flags: { true: 'y' } }, true],
    ['map<bool, string> with another key', { flags: { yes: 'y' } }, false],
    ['one member of a oneof', { x: 'a' }, true],
    ['two members of a oneof', { x: 'a', z: 1 }, false],
    ['proto3 optional (a oneof of one) beside a oneof member', { maybe: 'm', y: 1 }, true],
    ['a recursive message, three deep', { tree: { label: 'a', children: [{ label: 'b', children: [{ label: 'c' }] }] } }, true],
    ['a recursive message with a field it lacks', { tree: { children: [{ leaf: true }] } }, false],
    ['Timestamp as RFC 3339', { at: '2026-01-02T03:04:05.123456789+01:00' }, true],
    ['Timestamp as seconds', { at: { seconds: 1 } }, false],
    ['Duration', { took: '-1.5s' }, true],
    ['Duration without its unit', { took: '1.5' }, false],
    ['Int64Value as a bare value', { big: '12' }, true],
    ['BoolValue as a bare value', { yes: false }, true],
    ['Struct as any object', { bag: { a: [1, { b: null }] } }, true],
    ['Value as anything', { any: [1, 'x', null] }, true],
    ['ListValue as an array', { list: [1, 'two'] }, true],
    ['FieldMask as a string', { mask: 'a.b,c' }, true],
    ['Empty as {}', { nothing: {} }, true],
    ['an unknown field', { nope: 1 }, false],
  ];
  for (const [what, request, valid] of cases) {
    it(`${valid ? 'accepts' : 'refuses'} ${what}`, () => {
      assert.equal(input(request), valid, JSON.stringify(input.errors));
      // What the schema accepts, the codec encodes (and what it decodes, the output schema accepts).
      if (valid) {
        const json = JSON.parse(JSON.stringify(decodeJson(All, encodeJson(All, request))));
        const output = ajv.compile(messageSchema(All, 'output'));
        assert.equal(output(json), true, `${JSON.stringify(json)}: ${JSON.stringify(output.errors)}`);
      }
    });
  }
});

describe('the well-known types in their proto3 JSON forms, both ways', () => {
  const roundTrip = (request: Record<string, unknown>): Record<string, unknown> => decodeJson(All, encodeJson(All, request)) as Record<string, unknown>;
  const table: Array<[string, unknown, unknown]> = [
    ['at', '2026-01-02T03:04:05Z', '2026-01-02T03:04:05Z'],
    ['at', '2026-01-02T03:04:05.5+01:00', '2026-01-02T02:04:05.500Z'],
    ['at', '1970-01-01T00:00:00.000000001Z', '1970-01-01T00:00:00.000000001Z'],
    ['took', '1.5s', '1.500s'],
    ['took', '-0.25s', '-0.250s'],
    ['took', '3s', '3s'],
    ['d', 'NaN', 'NaN'],
    ['d', '-Infinity', '-Infinity'],
    ['big', '9007199254740993', '9007199254740993'],
    ['yes', true, true],
    ['bag', { a: 1, b: [true, null, 'x'], c: { d: {} } }, { a: 1, b: [true, null, 'x'], c: { d: {} } }],
    ['any', 'text', 'text'],
    ['any', 0, 0],
    ['list', [1, [2, 3]], [1, [2, 3]]],
    ['mask', 'userId,shipTo.city', 'userId,shipTo.city'],
    ['nothing', {}, {}],
  ];
  for (const [field, given, expected] of table) {
    it(`${field}: ${JSON.stringify(given)} → ${JSON.stringify(expected)}`, () => {
      assert.deepEqual(roundTrip({ [field]: given })[field], expected);
    });
  }

  it('refuses what is not the JSON form, naming the field', () => {
    assert.throws(() => encodeJson(All, { at: '2026-13-45' }), /request\.at: expected an RFC 3339 timestamp/);
    assert.throws(() => encodeJson(All, { took: '5m' }), /request\.took: expected a duration/);
    assert.throws(() => encodeJson(All, { nothing: { a: 1 } }), /request\.nothing: expected \{\}/);
    let deep: unknown = 1;
    for (let i = 0; i < 100; i++) deep = [deep];
    assert.throws(() => encodeJson(All, { any: deep }), /nested deeper than 64 levels/);
  });
});
