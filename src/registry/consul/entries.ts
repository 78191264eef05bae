import { formatHostPort } from '../../address';
import type { ServiceNode } from '../registry';
import { parseNode } from '../validate-node';
import { decodeEndpoints, decodeMetadata, decodeVersion } from './go-micro-tags';

/** The parts of a `/v1/health/service/<name>` entry that discovery reads. */
export interface HealthEntry {
  Node?: { Address?: string };
  Service?: { ID?: string; Service?: string; Address?: string; Port?: number; Tags?: string[] | null };
  Checks?: Array<{ Status?: string }> | null;
}

/**
 * The usable nodes of `name` in a health answer, read as go-micro reads them: an entry with any
 * critical check is skipped; the address is the service's, else its Consul node's; metadata and
 * version (and endpoints, when there are) come from the go-micro tags. Entries that do not make a valid node are skipped.
 */
export function nodesOf(entries: unknown, name: string): ServiceNode[] {
  if (!Array.isArray(entries)) throw new Error('Consul answered something that is not a list of health entries');
  const nodes: ServiceNode[] = [];
  for (const entry of entries as HealthEntry[]) {
    const service = entry?.Service;
    if (service?.Service !== name || typeof service.ID !== 'string') continue;
    if (entry.Checks?.some((check) => check?.Status === 'critical')) continue;
    const host = service.Address || entry.Node?.Address;
    if (!host || typeof service.Port !== 'number') continue;
    const tags = service.Tags ?? [];
    const node = parseNode({
      id: service.ID,
      name,
      version: decodeVersion(tags) ?? '',
      address: formatHostPort(host, service.Port),
      metadata: decodeMetadata(tags),
    });
    const endpoints = decodeEndpoints(tags);
    if (node !== undefined) nodes.push(endpoints === undefined ? node : { ...node, endpoints });
  }
  return nodes;
}
