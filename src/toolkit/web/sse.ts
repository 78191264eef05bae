import type { ServerResponse } from 'node:http';

/**
 * The open Server-Sent Events streams and what each section last looked like: a section is sent only when
 * its HTML changed, and a new stream gets every section at once.
 */
export class SectionStream {
  private readonly clients = new Set<ServerResponse>();
  private last: Record<string, string> = {};

  open(res: ServerResponse): void {
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
      for (const res of this.clients) res.write(data);
    }
  }

  /** A comment line: keeps idle streams open through proxies, and finds clients that went away. */
  ping(): void {
    for (const res of this.clients) res.write(': ping\n\n');
  }

  close(): void {
    for (const res of this.clients) res.end();
    this.clients.clear();
  }
}

// JSON keeps the HTML on one `data:` line (an event's data ends at a blank line).
const event = (id: string, html: string): string => `event: section\ndata: ${JSON.stringify({ id, html })}\n\n`;
