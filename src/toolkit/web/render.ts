import { type BreakerWrapper, type LimitStats } from '../library';
import type { FieldShape, MessageShape } from '../dynamic/types';
import type { ServiceView } from './board';
import type { GatewayStats } from '../gateway/stats';
import { circuitCircle, healthStrip, loadBar, sparkline } from './charts';
import { esc } from './html';
import type { NodeLoad } from './node-history';

type Circuit = ReturnType<BreakerWrapper['circuits']>[number];

/** What one render of the page's live sections reads. */
export interface Snapshot {
  readonly services: readonly ServiceView[];
  readonly circuits: readonly Circuit[];
  readonly limiter: LimitStats | undefined;
  readonly stats: GatewayStats;
  /** Each node's last health answers, by node id (the strip beside each node). */
  readonly history?: ReadonlyMap<string, ReadonlyArray<string | undefined>>;
  /** What a load-aware balancer knows of each node (latency, in flight, cost), when the gateway has one. */
  readonly loads?: readonly NodeLoad[];
}

/** The live sections by element id: sent whole over SSE when their HTML changes. */
export function renderSections(s: Snapshot): Record<string, string> {
  return { services: renderServices(s), targets: renderTargets(s.services), resilience: renderResilience(s) };
}

function renderServices(s: Snapshot): string {
  if (s.services.length === 0) return '<p class="empty">No services registered.</p>';
  const circuitOf = new Map(s.circuits.filter((c) => c.node !== undefined).map((c) => [`${c.service}\n${c.node}`, c.state]));
  const loadOf = new Map((s.loads ?? []).map((l) => [`${l.service}\n${l.node}`, l]));
  const maxCost = Math.max(0, ...(s.loads ?? []).map((l) => l.cost).filter(Number.isFinite));
  return s.services.map((svc) => `<article class="service" data-service="${esc(svc.name)}">
<h3>${esc(svc.name)} <small>${svc.nodes.length} node${svc.nodes.length === 1 ? '' : 's'}</small></h3>
<table class="nodes"><thead><tr><th>node</th><th>address</th><th>version</th><th>health</th><th>circuit</th><th>metadata</th><th>${s.loads ? 'recent / load' : 'recent'}</th></tr></thead><tbody>
${svc.nodes.map(({ node, health }) => {
    const circuit = circuitOf.get(`${svc.name}\n${node.id}`) ?? 'closed';
    const load = loadOf.get(`${svc.name}\n${node.id}`);
    return `<tr data-node="${esc(node.id)}"><td>${esc(node.id)}</td><td>${esc(node.address)}</td><td>${esc(node.version)}</td>`
      + `<td><span class="badge health-${esc(health ?? 'CHECKING')}">${esc(health ?? 'checking')}</span></td>`
      + `<td><span class="badge state-${esc(circuit)}">${esc(circuit)}</span></td>`
      + `<td class="meta">${Object.entries(node.metadata).map(([k, v]) => `${esc(k)}=${esc(v)}`).join('<br>')}</td>`
      + `<td class="recent">${healthStrip(s.history?.get(node.id) ?? [health])}${load === undefined ? '' : `<br>${loadBar(load, maxCost)}`}</td></tr>`;
  }).join('\n')}
</tbody></table>
${renderEndpoints(svc)}
</article>`).join('\n');
}

function renderEndpoints(svc: ServiceView): string {
  if (svc.methods === undefined) {
    const names = [...new Set(svc.nodes.flatMap(({ node }) => (node.endpoints ?? []).map((e) => e.name)))].sort();
    const why = svc.methodsError === undefined ? 'resolving endpoints…' : `endpoints not resolved: ${svc.methodsError}`;
    return `<p class="note">${esc(why)}</p>${names.length ? `<ul class="endpoints">${names.map((n) =>
      `<li><button type="button" data-call data-service="${esc(svc.name)}" data-endpoint="${esc(n)}" data-example="{}">${esc(n)}</button></li>`).join('')}</ul>` : ''}`;
  }
  return `<table class="endpoints"><thead><tr><th>endpoint</th><th>kind</th><th>request</th><th>response</th></tr></thead><tbody>
${svc.methods.map((m) => `<tr data-endpoint="${esc(m.endpoint)}"><td><button type="button" data-call data-service="${esc(svc.name)}" data-endpoint="${esc(m.endpoint)}" data-example="${esc(JSON.stringify(example(m.request, 0)))}">${esc(m.endpoint)}</button></td>`
    + `<td>${esc(m.kind)}</td><td>${shape(m.request)}</td><td>${shape(m.response)}</td></tr>`).join('\n')}
</tbody></table>`;
}

/** `Name { field: type, … }`, escaped. */
function shape(m: MessageShape): string {
  return `<code>${esc(m.name)} { ${m.fields.map((f) => `${esc(f.name)}: ${esc(typeOf(f))}`).join(', ')} }</code>`;
}

function typeOf(f: FieldShape): string {
  if (f.map) return `map<${f.map.key}, ${f.map.value}>`;
  return f.repeated ? `${f.type}[]` : f.type;
}

/** A request with every field at its default, to start the call form from. */
function example(m: MessageShape, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of m.fields) {
    if (f.repeated) out[f.name] = [];
    else if (f.map) out[f.name] = {};
    else if (f.shape && depth < 3) out[f.name] = example(f.shape, depth + 1);
    else if (f.values) out[f.name] = f.values[0] ?? '';
    else out[f.name] = DEFAULTS[f.type] ?? null;
  }
  return out;
}

const DEFAULTS: Readonly<Record<string, unknown>> = {
  string: '', bytes: '', bool: false, double: 0, float: 0, int32: 0, uint32: 0, sint32: 0, fixed32: 0, sfixed32: 0,
  int64: '0', uint64: '0', sint64: '0', fixed64: '0', sfixed64: '0',
};

/** Suggestions for the call form's inputs (datalists). */
function renderTargets(services: readonly ServiceView[]): string {
  const endpoints = [...new Set(services.flatMap((s) => (s.methods ?? []).map((m) => m.endpoint)))].sort();
  return `<datalist id="service-names">${services.map((s) => `<option value="${esc(s.name)}"></option>`).join('')}</datalist>`
    + `<datalist id="endpoint-names">${endpoints.map((e) => `<option value="${esc(e)}"></option>`).join('')}</datalist>`;
}

function renderResilience(s: Snapshot): string {
  const circuits = s.circuits.length === 0 ? '<p class="empty">No circuits yet: they appear with the first call.</p>'
    : `<div class="circles">${s.circuits.map((c) => circuitCircle(`${c.service} ${c.node ?? c.method ?? ''}`.trim(), c.state, c.requests, c.failures)).join('')}</div>`
    + `<table class="circuits"><thead><tr><th>service</th><th>node / method</th><th>state</th><th>requests</th><th>failures</th><th>opened</th></tr></thead><tbody>
${s.circuits.map((c) => `<tr data-circuit-node="${esc(c.node ?? '')}" data-circuit-method="${esc(c.method ?? '')}"><td>${esc(c.service)}</td><td>${esc(c.node ?? c.method ?? '')}</td>`
    + `<td><span class="badge state-${esc(c.state)}">${esc(c.state)}</span></td><td>${c.requests}</td><td>${c.failures}</td><td>${c.entered.open}</td></tr>`).join('\n')}
</tbody></table>`;
  const l = s.limiter;
  const limiter = l === undefined ? '<p class="empty">No rate limiter.</p>'
    : `<dl class="limiter"><dt>admitted</dt><dd>${l.admitted}</dd><dt>refused</dt><dd>${l.refused}</dd><dt>waiting</dt><dd>${l.waiting}</dd>`
      + `<dt>waited</dt><dd>${Math.round(l.waitedMs)} ms</dd></dl>`;
  const stats = s.stats.endpoints.length === 0 ? '<p class="empty">No calls in the window.</p>'
    : `<table class="latency"><thead><tr><th>service</th><th>endpoint</th><th>calls</th><th>error rate</th><th>p50</th><th>p90</th><th>p99</th><th>last ${minutes(s.stats)}</th></tr></thead><tbody>
${s.stats.endpoints.map((e) => `<tr data-stats="${esc(`${e.service} ${e.endpoint}`)}"><td>${esc(e.service)}</td><td>${esc(e.endpoint)}</td><td>${e.requests}</td>`
    + `<td class="${e.errors > 0 ? 'bad' : ''}">${(e.errorRate * 100).toFixed(1)} %</td><td>${ms(e.p50Ms)}</td><td>${ms(e.p90Ms)}</td><td>${ms(e.p99Ms)}</td>`
    + `<td class="sparks"><span>calls/s</span>${sparkline(e.series.calls.map((c) => c / (e.series.bucketMs / 1000)), 'calls', 'calls/s')}`
    + `<br><span>p99</span>${sparkline(e.series.p99Ms, 'p99', 'ms')}</td></tr>`).join('\n')}
</tbody></table>`;
  return `<h3>Circuits</h3>${circuits}<h3>Rate limiter</h3>${limiter}<h3>Last ${Math.round(s.stats.windowMs / 1000)} s</h3>${stats}`;
}

/** How far back the sparklines reach. */
const minutes = (stats: GatewayStats): string => {
  const series = stats.endpoints[0]?.series;
  return series === undefined ? '' : `${Math.round((series.bucketMs * series.calls.length) / 60_000)} min`;
};

const ms = (v: number): string => `${v < 10 ? v.toFixed(1) : Math.round(v)} ms`;
