// Reading a trace back from a real Jaeger's query API, for the tests that check what reached it.

export interface Span {
  id: string;
  parent: string | undefined;
  service: string;
  kind: string;
  name: string;
  tags: Record<string, unknown>;
  /** The process (resource) tags, as Jaeger shows them in the span's Process section. */
  process: Record<string, unknown>;
  /** The span's logs (OpenTelemetry events), each as its fields. */
  logs: Array<Record<string, unknown>>;
}

export type Tag = { key: string; value: unknown };

/** One trace from Jaeger's query API, flattened; none (yet) when Jaeger has not stored it. */
export async function jaegerTrace(query: string, traceId: string): Promise<Span[]> {
  const res = await fetch(`http://${query}/api/traces/${traceId}`);
  if (!res.ok) return [];
  const body = (await res.json().catch(() => ({}))) as {
    data?: Array<{
      spans: Array<{ spanID: string; operationName: string; processID: string; references?: Array<{ refType: string; spanID: string }>; tags: Tag[]; logs?: Array<{ fields: Tag[] }> }>;
      processes: Record<string, { serviceName: string; tags?: Tag[] }>;
    }>;
  };
  const t = body.data?.[0];
  if (!t) return [];
  const byKey = (list: Tag[] | undefined) => Object.fromEntries((list ?? []).map((x) => [x.key, x.value]));
  return t.spans.map((s) => {
    const tags = byKey(s.tags);
    return {
      id: s.spanID,
      parent: s.references?.find((r) => r.refType === 'CHILD_OF')?.spanID,
      service: t.processes[s.processID]?.serviceName ?? '?',
      kind: String(tags['span.kind'] ?? 'internal'),
      name: s.operationName,
      tags,
      process: byKey(t.processes[s.processID]?.tags),
      logs: (s.logs ?? []).map((l) => byKey(l.fields)),
    };
  });
}
