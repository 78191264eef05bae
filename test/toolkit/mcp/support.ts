import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';

/** A real JSON Schema validator (draft 2020-12, formats checked), strict about the schemas themselves. */
export function validator(): Ajv2020 {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  addFormats(ajv);
  return ajv;
}

/** The SDK's own client, counting `notifications/tools/list_changed`. */
export function mcpClient(): { client: Client; changes: () => number; nextChange: (timeoutMs?: number) => Promise<void> } {
  const client = new Client({ name: 'keel-test', version: '1.0.0' });
  let count = 0;
  const waiting: Array<() => void> = [];
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
    count++;
    for (const resolve of waiting.splice(0)) resolve();
  });
  return {
    client,
    changes: () => count,
    nextChange: (timeoutMs = 10_000) => new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no notifications/tools/list_changed within ${timeoutMs} ms`)), timeoutMs);
      waiting.push(() => {
        clearTimeout(timer);
        resolve();
      });
    }),
  };
}

/** Tool names until `check` holds (list_changed may come before the list is read). */
export async function toolsUntil(client: Client, check: (names: string[]) => boolean, what: string, timeoutMs = 10_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const names = (await client.listTools()).tools.map((t) => t.name);
    if (check(names)) return names;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms; tools: ${names.join(', ')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A tool error's JSON body. */
export function toolError(result: object): { code: number; status: string; message: string; reason?: string; traceId?: string } {
  const r = result as { isError?: boolean; content?: unknown };
  if (r.isError !== true) throw new Error(`expected a tool error, got ${JSON.stringify(result).slice(0, 300)}`);
  const text = (r.content as Array<{ type: string; text: string }>)[0]!.text;
  return (JSON.parse(text) as { error: ReturnType<typeof toolError> }).error;
}
