import type * as dns from 'dns-packet';
import type { Table } from './cache';
import { LIST_SERVICE, listName, listRecords, nodeRecords } from './wire';

/**
 * The records this process answers a query with: per instance (each once; go-micro reads one instance a
 * packet), for the names asked — a service's nodes, an instance asked for by name (go-micro does when an
 * answer was incomplete), or the list of services (`_services`) — from this process's own live nodes only.
 */
export function answerRecords(names: readonly string[], local: Table, now: number, domain: string): dns.Answer[][] {
  const groups = new Map<string, dns.Answer[]>(); // by instance: each once
  for (const name of new Set(names)) {
    if (name === LIST_SERVICE) {
      for (const [service, entries] of local) {
        const left = Math.max(0, ...[...entries.values()].map((e) => e.expiresAt - now));
        if (left > 0) groups.set(`${service}.${listName(domain)}`, listRecords(service, left, domain));
      }
      continue;
    }
    const instance = `${name}.${domain}`;
    for (const [service, entries] of local) {
      for (const [key, e] of entries) {
        if ((service === name || key === instance) && e.expiresAt > now) groups.set(key, nodeRecords(e.node, e.expiresAt - now, domain));
      }
    }
  }
  return [...groups.values()];
}
