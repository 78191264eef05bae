import { fixed, int } from './format';
import type { Results } from './results';

/**
 * What the diagnosis and no-network rows of this run say about where the cost goes, as sentences for
 * docs/benchmarks.md (computed, so they stay true to the run they come from).
 */
export function findings(results: Results): string[] {
  const out: string[] = [];
  const p = results.pipeline;
  const ns = (name: string): number | undefined => p?.find((r) => r.name === name)?.nsPerCall;
  const none = ns('none');
  if (p && none !== undefined) {
    const added = (name: string): string => fixed((ns(name) ?? NaN) - none, 0);
    out.push(`Wrapper cost per call without the network: roundRobin ${added('roundRobin')} ns, rateLimit ${added('rateLimit')} ns, ` +
      `breaker ${added('breaker')} ns, all three ${added('full-notrace')} ns; tracing ${fixed(((ns('tracing') ?? NaN) - none) / 1000, 1)} µs ` +
      `(the OpenTelemetry SDK's span, 100% sampled); the hand-written opossum + bottleneck + OTel stack ${fixed(((ns('naive') ?? NaN) - none) / 1e6, 2)} ms.`);
  }
  for (const level of results.diagnose) {
    const m = (name: string) => level.rows.find((r) => r.config === name)?.median;
    const names = ['raw', 'raw+deadline', 'keel', 'full-notrace', 'tracing', 'full'];
    const parts = names.flatMap((name) => {
      const s = m(name);
      return s ? [`${name} ${int(s.rps)} calls/s (p50 ${int(s.latencyUs.p50)} µs, ${fixed(s.cpuUsPerCall, 0)} µs CPU/call)`] : [];
    });
    if (parts.length > 0) out.push(`Diagnosis at concurrency ${level.concurrency}: ${parts.join('; ')}.`);
  }
  const o = results.diagnoseOpen;
  if (o) {
    const p99 = (name: string): string => int(o.rows.find((r) => r.config === name)?.median?.latencyUs.p99);
    out.push(`Diagnosis, open loop at ${int(o.ratePerSecond)}/s: p99 raw ${p99('raw')} µs, keel ${p99('keel')} µs, full without tracing ${p99('full-notrace')} µs, full ${p99('full')} µs.`);
  }
  for (const c of results.streams ?? []) {
    const m = (name: string) => c.rows.find((r) => r.config === name)?.median;
    const raw = m('stream-raw');
    const full = m('stream-full');
    const bare = m('stream-keel');
    if (raw && full) {
      out.push(`Server stream, ${c.variant.name}: full stack ${int(full.rate)} messages/s, raw grpc-js ${int(raw.rate)} (${((full.rate / raw.rate) * 100).toFixed(0)}%)` +
        `${bare ? `, bare keel ${int(bare.rate)}` : ''}; client CPU per message full ${int(full.cpuNsPerMessage)}${bare ? `, bare keel ${int(bare.cpuNsPerMessage)}` : ''}, raw ${int(raw.cpuNsPerMessage)} ns; ` +
        `server CPU per message full ${int(full.serverCpuNsPerMessage)}${bare ? `, bare keel ${int(bare.serverCpuNsPerMessage)}` : ''}, raw ${int(raw.serverCpuNsPerMessage)} ns.`);
    }
  }
  return out;
}
