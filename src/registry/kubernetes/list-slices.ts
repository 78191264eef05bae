import { KubernetesApiError, type ApiClient } from './api';
import type { SliceNodes } from './slices';

/** The EndpointSlices of a collection that `parse` accepts, 100 a page, and the list's resourceVersion. */
export async function listSlices(
  api: ApiClient,
  collection: string,
  /** A label selector, e.g. `kubernetes.io/service-name=basis`. */
  selector: string,
  parse: (slice: unknown) => SliceNodes | undefined,
  /** More slices than this is an error, not a longer list. */
  maxSlices: number,
  options: { signal?: AbortSignal; background?: boolean } = {},
): Promise<{ version: string; slices: SliceNodes[] }> {
  const slices: SliceNodes[] = [];
  let next = '';
  for (;;) {
    const query = `labelSelector=${encodeURIComponent(selector)}&limit=100${next ? `&continue=${encodeURIComponent(next)}` : ''}`;
    const page = (await api.get(`${collection}?${query}`, options.signal, options.background)) as
      { kind?: unknown; metadata?: { resourceVersion?: unknown; continue?: unknown }; items?: unknown } | null;
    if (page?.kind !== 'EndpointSliceList' || !Array.isArray(page.items)) throw new KubernetesApiError('the answer is not an EndpointSliceList', 0);
    for (const item of page.items) {
      const parsed = parse(item);
      if (parsed === undefined) continue;
      if (slices.length >= maxSlices) throw new KubernetesApiError(`more than ${maxSlices} EndpointSlices (maxSlices)`, 0);
      slices.push(parsed);
    }
    const cont = page.metadata?.continue;
    if (typeof cont === 'string' && cont !== '' && cont.length < 4096) {
      next = cont;
      continue;
    }
    const version = page.metadata?.resourceVersion;
    if (typeof version !== 'string' || !/^[0-9]{1,20}$/.test(version)) throw new KubernetesApiError('the list has no resourceVersion', 0);
    return { version, slices };
  }
}
