import { status } from '@grpc/grpc-js';
import { context, type Tracer } from '@opentelemetry/api';
import { hasStatusCode } from '../library';
import type { DynamicCaller } from '../dynamic/caller';
import { errorResponse, HTTP_STATUS, type ErrorBody, type ErrorLog } from '../gateway/status';
import { endRequestSpan, startRequestSpan } from '../gateway/trace';
import type { ToolEntry } from './tools';
import { toolkitError } from '../errors';

/** The MCP `CallToolResult` keel answers. */
export interface ToolResult {
  [key: string]: unknown;
  content: Array<{ type: 'text'; text: string }>;
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
}

/** A failed call as the agent reads it: the gRPC status, keel's reason, and the trace to look up. */
export interface ToolError extends ErrorBody {
  traceId?: string;
}

export interface CallEnv {
  caller: Pick<DynamicCaller, 'call' | 'stream'>;
  tracer: Tracer;
  timeoutMs: number;
  maxStreamMessages: number;
  /** Where details kept from the agent go (default: stderr). */
  onError?: ErrorLog;
}

/**
 * Runs one tool call: the arguments are the request (or `{ messages: [...] }` for a client or bidi stream),
 * the call goes through the caller's wrappers with the gateway's deadline and the MCP request's
 * cancellation, in a span continuing the `traceparent` the client sent in `_meta`. Never throws: a failure
 * is a tool error (`isError`) with the code, the reason and the trace id; nothing but what the API gateway
 * would show (internals — a fault, a node's address — are kept back: an `errorId` points to them in `onError`'s log).
 */
export async function callTool(env: CallEnv, entry: ToolEntry, args: Record<string, unknown> | undefined, signal: AbortSignal, traceparent: unknown): Promise<ToolResult> {
  const headers = typeof traceparent === 'string' ? { traceparent } : {};
  const { span, active, traceparent: carry } = startRequestSpan(env.tracer, headers, `tools/call ${entry.tool.name}`, entry.tool.name);
  const traceId = span.spanContext().traceId;
  const metadata: Record<string, string> = carry === undefined ? {} : { traceparent: carry };
  let code: status = status.UNKNOWN;
  try {
    const streamsIn = entry.kind === 'client_stream' || entry.kind === 'bidi';
    const request = streamsIn ? messagesOf(args) : (args ?? {});
    const options = { timeoutMs: env.timeoutMs, metadata, signal };
    let result: ToolResult;
    if (entry.kind === 'unary' || entry.kind === 'client_stream') {
      const response = await context.with(active, () => env.caller.call(entry.service, entry.endpoint, request, options));
      result = ok(response as Record<string, unknown>);
    } else result = await collect(env, entry, request, options, active);
    code = status.OK;
    return result;
  } catch (err) {
    const body: ToolError = errorResponse(err, env.onError).body;
    code = body.code;
    if (traceId !== undefined && /^[0-9a-f]{32}$/.test(traceId) && !/^0+$/.test(traceId)) body.traceId = traceId;
    return { isError: true, content: [{ type: 'text', text: JSON.stringify({ error: body }) }] };
  } finally {
    endRequestSpan(span, HTTP_STATUS[code], entry.service, entry.endpoint);
  }
}

/** A server stream's messages, up to the bound; the stream is cancelled there, and the result says so. */
async function collect(env: CallEnv, entry: ToolEntry, request: unknown, options: { timeoutMs: number; metadata: Record<string, string>; signal: AbortSignal },
  active: ReturnType<typeof context.active>): Promise<ToolResult> {
  const stop = new AbortController();
  const onAbort = (): void => stop.abort();
  options.signal.addEventListener('abort', onAbort, { once: true });
  const messages: unknown[] = [];
  let note: string | undefined;
  try {
    const stream = context.with(active, () => env.caller.stream(entry.service, entry.endpoint, request, { ...options, signal: stop.signal }));
    for await (const message of stream) {
      if (messages.length === env.maxStreamMessages) {
        note = `stopped after ${env.maxStreamMessages} messages (the gateway's maxStreamMessages); the stream had more`;
        stop.abort();
        break;
      }
      messages.push(message);
    }
  } catch (err) {
    // The deadline cut a long stream: what came is the answer, said to be partial. Anything else fails the call.
    if (!(hasStatusCode(err) && err.code === status.DEADLINE_EXCEEDED && messages.length > 0) || options.signal.aborted) throw err;
    note = `stopped by the ${env.timeoutMs} ms deadline after ${messages.length} messages`;
  } finally {
    options.signal.removeEventListener('abort', onAbort);
  }
  return ok(note === undefined ? { messages, complete: true } : { messages, complete: false, note });
}

function messagesOf(args: Record<string, unknown> | undefined): unknown[] {
  const messages = args?.messages;
  if (!Array.isArray(messages)) throw toolkitError('bad_request', 'this method takes a stream of requests: give them as the array "messages"');
  return messages;
}

function ok(structured: Record<string, unknown>): ToolResult {
  // The text form too: clients that do not read structured content still see the answer.
  return { content: [{ type: 'text', text: JSON.stringify(structured) }], structuredContent: structured };
}
