import { type CallKind } from '../library';
import type { ResolvedMethod } from '../dynamic/catalog';
import { messageSchema, type JsonSchema } from './schema';

/** One tool as `tools/list` shows it (the MCP `Tool` shape). */
export interface McpTool {
  /** `<service>.<Service>.<Method>`: the registered service, then go-micro's endpoint name. */
  readonly name: string;
  readonly description: string;
  readonly inputSchema: JsonSchema;
  readonly outputSchema: JsonSchema;
  readonly annotations: { readonly readOnlyHint?: boolean; readonly idempotentHint?: boolean; readonly openWorldHint: boolean };
}

/** A tool and the method it calls. */
export interface ToolEntry {
  readonly tool: McpTool;
  readonly service: string;
  /** The gRPC path form (`keel.basis.Basis/Hello`): unambiguous for the caller. */
  readonly endpoint: string;
  readonly kind: CallKind;
}

/** MCP's tool name rule (2025-11-25): 1–128 of A–Z a–z 0–9 _ - . */
const TOOL_NAME = /^[A-Za-z0-9_.-]{1,128}$/;
/** Tools one service may bring: a peer's descriptors cannot make the list (and every client's copy) unbounded. */
const MAX_TOOLS_PER_SERVICE = 500;

/**
 * The tools of one registered service: one per method. A method whose name would break MCP's rule (a
 * registry may hold any service name) is left out; two proto services of the same short name are told
 * apart by their full names.
 */
export function toolsOf(service: string, methods: readonly ResolvedMethod[], limits: { timeoutMs: number; maxStreamMessages: number }): ToolEntry[] {
  const shortNames = new Map<string, number>();
  for (const m of methods) shortNames.set(m.endpoint, (shortNames.get(m.endpoint) ?? 0) + 1);
  const entries: ToolEntry[] = [];
  for (const m of methods.slice(0, MAX_TOOLS_PER_SERVICE)) {
    const name = `${service}.${(shortNames.get(m.endpoint) ?? 0) > 1 ? `${m.protoService}.${m.name}` : m.endpoint}`;
    if (!TOOL_NAME.test(name)) continue;
    entries.push({ tool: toolOf(name, service, m, limits), service, endpoint: m.path.slice(1), kind: m.kind });
  }
  return entries;
}

function toolOf(name: string, service: string, m: ResolvedMethod, limits: { timeoutMs: number; maxStreamMessages: number }): McpTool {
  const streamsIn = m.kind === 'client_stream' || m.kind === 'bidi';
  const streamsOut = m.kind === 'server_stream' || m.kind === 'bidi';
  const request = messageSchema(m.requestType, 'input');
  const response = messageSchema(m.responseType, 'output');
  const how = [
    `Calls ${m.path} (${m.kind.replace('_', '-')}) on the registered service "${service}" through keel's client stack, with a ${limits.timeoutMs} ms deadline.`,
    streamsIn ? 'Give the request messages, in order, as the array "messages".' : undefined,
    streamsOut ? `Returns the stream's messages as "messages", at most ${limits.maxStreamMessages}; "complete" is false when the stream was cut short (the bound or the deadline).` : undefined,
  ].filter(Boolean).join(' ');
  const annotations: { readOnlyHint?: boolean; idempotentHint?: boolean; openWorldHint: boolean } = { openWorldHint: false };
  if (m.idempotency === 'NO_SIDE_EFFECTS') annotations.readOnlyHint = true;
  if (m.idempotency === 'NO_SIDE_EFFECTS' || m.idempotency === 'IDEMPOTENT') annotations.idempotentHint = true;
  return {
    name,
    description: m.comment === undefined ? how : `${m.comment}\n\n${how}`,
    inputSchema: streamsIn ? arrayOf(request, 'messages') : request,
    outputSchema: streamsOut ? {
      ...hoist(response),
      type: 'object',
      properties: {
        messages: { type: 'array', items: withoutDefs(response) },
        complete: { type: 'boolean', description: 'true when the stream ended by itself' },
        note: { type: 'string' },
      },
      required: ['messages', 'complete'],
    } : response,
    annotations,
  };
}

/** `{ messages: [<message>, …] }`, the definitions of the message kept at the root (where `$ref`s point). */
function arrayOf(schema: JsonSchema, key: string): JsonSchema {
  return {
    ...hoist(schema),
    type: 'object',
    properties: { [key]: { type: 'array', items: withoutDefs(schema) } },
    required: [key],
    additionalProperties: false,
  };
}

function hoist(schema: JsonSchema): JsonSchema {
  return schema.$defs === undefined ? {} : { $defs: schema.$defs };
}

function withoutDefs(schema: JsonSchema): JsonSchema {
  const { $defs: _, ...rest } = schema;
  return rest;
}
