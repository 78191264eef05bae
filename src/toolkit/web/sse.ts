import type { ServerResponse } from 'node:http';

/**
 * The open Server-Sent Events streams and what each section last looked like: a section is sent only when
 * its HTML changed, and a new stream gets every section at once. At most `maxClients` streams are open (more
 * are answered 503); a client whose unsent backlog passes `maxBacklogBytes` (it stopped reading) is dropped,
 * so a thousand slow readers cannot hold the page's history in memory.
 */
export class SectionStream {
  private readonly clients = new Set<ServerResponse>();
  private last: Record<string, string> = {};

  constructor(private readonly maxClients = 64, private readonly maxBacklogBytes = 1024 * 1024) {}

  open(res: ServerResponse): void {
    if (this.clients.size >= this.maxClients) {
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'retry-after': '10' }).end(`too many live pages (${this.maxClients})\n`);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive' });
    res.write('retry: 1000\n\n');
    for (const [id, html] of Object.entries(this.last)) res.write(event(id, html));
    this.clients.add(res);
    res.on('close', () => this.clients.delete(res));
  }

  /** Sends the sections that changed since the last publish. */
  publish(sections: Readonly<Record<string, string>>): void {
    for (const [id, html] of Object.entries(sections)) {
      if (this.last[id] === html) continue;
      this.last = { ...this.last, [id]: html };
      const data = event(id, html);
      for (const res of this.clients) this.write(res, data);
    }
  }

  /** Open streams now. */
  get size(): number {
    return this.clients.size;
  }

  private write(res: ServerResponse, data: string): void {
    if (res.writableLength > this.maxBacklogBytes) {
      this.clients.delete(res);
      res.destroy();
      return;
    }
    res.write(data);
  }

  /** A comment line: keeps idle streams open through proxies, and finds clients that went away. */
  ping(): void {
    for (const res of this.clients) this.write(res, ': ping\n\n');
  }

  close(): void {
    for (const res of this.clients) res.end();
    this.clients.clear();
  }
}

// JSON keeps the HTML on one `data:` line (an event's data ends at a blank line).
const event = (id: string, html: string): string => `event: section\ndata: ${JSON.stringify({ id, html })}\n\n`;
