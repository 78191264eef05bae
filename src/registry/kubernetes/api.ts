import { Agent, request, type RequestOptions } from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { ApiConfig } from './config';

/** A failed request: the HTTP status and the API server's `Status` reason and message when it sent one. */
export class KubernetesApiError extends Error {
  override readonly name = 'KubernetesApiError';
  constructor(
    message: string,
    /** HTTP status (410 for an expired resourceVersion, also when it arrives as a watch ERROR event); 0: no answer. */
    readonly status: number,
    /** The `Status` object's `reason` (`Forbidden`, `Expired`, `Gone`, …), if any. */
    readonly reason?: string,
    /** Seconds the server asked to wait (`Retry-After`), if any. */
    readonly retryAfterS?: number,
  ) {
    super(message);
  }
}

export interface ApiClientOptions {
  requestTimeoutMs: number;
  /** A list answer larger than this is refused (and so is one watch event line). */
  maxBodyBytes: number;
  maxEventBytes: number;
}

/**
 * The few API calls the registry makes, over Node's own https: a GET of JSON, and a watch read as
 * newline-delimited JSON events. Every answer is size-bounded and parsed only when complete; the TLS
 * connection verifies the server against the configured CA (Node's public roots when there is none).
 * A watch's sockets (and its lists') are unref'd: they never keep a finished process alive.
 */
export class ApiClient {
  private readonly agent: Agent;

  constructor(private readonly config: ApiConfig, private readonly options: ApiClientOptions) {
    this.agent = new Agent({
      keepAlive: false,
      ...(config.ca ? { ca: config.ca } : {}),
      ...(config.cert && config.key ? { cert: config.cert, key: config.key } : {}),
    });
  }

  get base(): string {
    return this.config.server.origin + this.config.server.pathname.replace(/\/+$/, '');
  }

  /** GET `path` (with its query) and parse the JSON answer; `background`: for a watch (the socket is unref'd). */
  async get(path: string, signal?: AbortSignal, background = false): Promise<unknown> {
    const res = await this.open(path, signal, this.options.requestTimeoutMs, background);
    const body = await readBounded(res, this.options.maxBodyBytes, path);
    if ((res.statusCode ?? 0) >= 300) throw statusError(res, body, path);
    try {
      return JSON.parse(body) as unknown;
    } catch {
      throw new KubernetesApiError(`GET ${path}: the answer is not JSON`, res.statusCode ?? 0);
    }
  }

  /**
   * Opens a watch and calls `onEvent` with each parsed event object. Resolves when the server ends the
   * watch (its `timeoutSeconds`), rejects on an error; `idleMs` without a byte (bookmarks come about
   * once a minute) counts as a dead connection.
   */
  async watch(path: string, onEvent: (event: unknown) => void, signal: AbortSignal, idleMs: number): Promise<void> {
    const res = await this.open(path, signal, idleMs, true);
    if ((res.statusCode ?? 0) >= 300) throw statusError(res, await readBounded(res, this.options.maxBodyBytes, path), path);
    await new Promise<void>((resolve, reject) => {
      let pending = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        pending += chunk;
        let nl: number;
        while ((nl = pending.indexOf('\n')) >= 0) {
          const line = pending.slice(0, nl);
          pending = pending.slice(nl + 1);
          if (line.trim() === '') continue;
          let event: unknown;
          try {
            event = JSON.parse(line);
          } catch {
            res.destroy(new KubernetesApiError(`watch ${path}: an event is not JSON`, 0));
            return;
          }
          try {
            onEvent(event);
          } catch (err) {
            res.destroy(err as Error);
            return;
          }
        }
        if (pending.length > this.options.maxEventBytes) res.destroy(new KubernetesApiError(`watch ${path}: an event is larger than ${this.options.maxEventBytes} bytes`, 0));
      });
      res.on('end', resolve);
      res.on('error', reject);
      res.on('close', () => (res.complete ? resolve() : reject(new KubernetesApiError(`watch ${path}: the connection closed`, 0))));
    });
  }

  private open(path: string, signal: AbortSignal | undefined, timeoutMs: number, background: boolean): Promise<IncomingMessage> {
    const url = new URL(this.base + path);
    const token = this.config.token();
    const options: RequestOptions = {
      method: 'GET',
      agent: this.agent,
      headers: { accept: 'application/json', 'user-agent': 'keel-kubernetes-registry', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      ...(signal ? { signal } : {}),
      timeout: timeoutMs,
    };
    return new Promise((resolve, reject) => {
      const req = request(url, options, resolve);
      if (background) req.on('socket', (socket) => socket.unref());
      req.on('timeout', () => req.destroy(new KubernetesApiError(`GET ${path}: no answer from ${this.config.server.origin} within ${timeoutMs} ms`, 0)));
      req.on('error', (err) => reject(err instanceof KubernetesApiError ? err : new KubernetesApiError(`GET ${this.config.server.origin}${path}: ${err.message}`, 0)));
      req.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

function readBounded(res: IncomingMessage, max: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) res.destroy(new KubernetesApiError(`GET ${path}: the answer is larger than ${max} bytes`, res.statusCode ?? 0));
      else chunks.push(chunk);
    });
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
    res.on('close', () => (res.complete ? undefined : reject(new KubernetesApiError(`GET ${path}: the connection closed mid-answer`, 0))));
  });
}

/** The error for a non-2xx answer, with the API server's `Status` message when the body is one. */
export function statusError(res: IncomingMessage, body: string, path: string): KubernetesApiError {
  const code = res.statusCode ?? 0;
  const retry = Number(res.headers['retry-after']);
  const status = parseStatus(body);
  const text = status?.message ?? body.slice(0, 200).replace(/\s+/g, ' ');
  return new KubernetesApiError(`GET ${path}: HTTP ${code}${status?.reason ? ` ${status.reason}` : ''}: ${text}`, code, status?.reason,
    Number.isFinite(retry) && retry >= 0 ? retry : undefined);
}

/** A `Status` object's code, reason and message (each checked), or undefined. */
export function parseStatus(value: unknown): { code?: number; reason?: string; message?: string } | undefined {
  let v = value;
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v);
    } catch {
      return undefined;
    }
  }
  if (typeof v !== 'object' || v === null || (v as { kind?: unknown }).kind !== 'Status') return undefined;
  const s = v as { code?: unknown; reason?: unknown; message?: unknown };
  return {
    ...(typeof s.code === 'number' ? { code: s.code } : {}),
    ...(typeof s.reason === 'string' ? { reason: s.reason.slice(0, 100) } : {}),
    ...(typeof s.message === 'string' ? { message: s.message.slice(0, 500) } : {}),
  };
}
