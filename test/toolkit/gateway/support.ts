import { createGateway, type Gateway } from '../../../src/toolkit/gateway/gateway';
import type { GatewayOptions } from '../../../src/toolkit/gateway/options';
import type { Registry } from '../../../src/index';

/** A gateway on 127.0.0.1:0 in front of `registry`, and its base URL. */
export async function startGateway(registry: Registry, options: Partial<GatewayOptions> = {}): Promise<{ gateway: Gateway; url: string }> {
  const gateway = createGateway({ registry, ...options });
  const address = await gateway.listen('127.0.0.1:0');
  return { gateway, url: `http://${address}` };
}

/** POSTs `body` (JSON unless a string) and returns status, headers and the parsed JSON (or the text). */
export async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; json: any; text: string }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json, text };
}
