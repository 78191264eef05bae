import { esc } from './html';

/**
 * The dashboard's pictures, as inline SVG drawn on the server: they read without JavaScript, travel in the
 * sections the SSE stream already sends, and use presentation attributes only (no `style=""`, nothing a
 * strict Content-Security-Policy would block). Each carries the numbers it draws in `data-*` attributes and
 * a `<title>`, for screen readers, tooltips and the tests that check what is drawn against what was served.
 */

const SPARK_W = 64;
const SPARK_H = 24;

/**
 * A sparkline of `values` (oldest first; null: no value, the line breaks), scaled so the largest fills the
 * height. `unit` names the values in the title (`calls/s`, `ms`).
 */
export function sparkline(values: ReadonlyArray<number | null>, kind: string, unit: string): string {
  const max = Math.max(0, ...values.filter((v): v is number => v !== null));
  const n = values.length;
  const step = n > 1 ? SPARK_W / (n - 1) : 0;
  let path = '';
  let pen = false;
  values.forEach((v, i) => {
    if (v === null) {
      pen = false;
      return;
    }
    path += `${pen ? 'L' : 'M'}${fmt(i * step)} ${fmt(sparkY(v, max))}`;
    pen = true;
  });
  const last = [...values].reverse().find((v) => v !== null) ?? null;
  const title = `${kind}: now ${last === null ? '–' : `${fmt(last)} ${unit}`}, max ${fmt(max)} ${unit}`;
  return `<svg class="spark spark-${esc(kind)}" width="${SPARK_W}" height="${SPARK_H}" viewBox="0 0 ${SPARK_W} ${SPARK_H}" role="img" aria-label="${esc(title)}"`
    + ` data-values="${values.map((v) => (v === null ? '' : fmt(v))).join(',')}" data-max="${fmt(max)}"><title>${esc(title)}</title>`
    + `<line x1="0" y1="${SPARK_H - 0.5}" x2="${SPARK_W}" y2="${SPARK_H - 0.5}" stroke="#d8dee4" stroke-width="1"/>`
    + (path === '' ? '' : `<path d="${path}" fill="none" stroke="${kind === 'p99' ? '#8250df' : '#0969da'}" stroke-width="1.5" stroke-linejoin="round"/>`)
    + '</svg>';
}

/** Where a value is drawn: 1 px margins, the largest value at the top. Exported for the tests. */
export function sparkY(value: number, max: number): number {
  return max === 0 ? SPARK_H - 1 : SPARK_H - 1 - (value / max) * (SPARK_H - 2);
}

/**
 * Hystrix's circle: the area grows with the requests in the breaker's window (the request rate over that
 * window), the colour goes green → yellow → orange → red with the error rate, and the state is written under it.
 */
export function circuitCircle(label: string, state: string, requests: number, failures: number): string {
  const errorRate = requests === 0 ? 0 : failures / requests;
  const r = circleRadius(requests);
  const fill = errorColour(errorRate);
  const title = `${label}: ${state}, ${requests} requests in the window, ${(errorRate * 100).toFixed(1)} % errors`;
  return `<figure class="circuit" data-requests="${requests}" data-failures="${failures}" data-state="${esc(state)}">`
    + `<svg width="56" height="56" viewBox="0 0 56 56" role="img" aria-label="${esc(title)}"><title>${esc(title)}</title>`
    + `<circle cx="28" cy="28" r="${fmt(r)}" fill="${fill}" fill-opacity="0.75" stroke="${state === 'closed' ? fill : '#a40e26'}" stroke-width="${state === 'closed' ? 1 : 3}"/></svg>`
    + `<figcaption><span class="circle-label">${esc(label)}</span><span class="badge state-${esc(state)}">${esc(state)}</span></figcaption></figure>`;
}

/** 3 px for an idle circuit, up to 26 px; the area is proportional to the requests up to 400 of them. */
export function circleRadius(requests: number): number {
  return 3 + 23 * Math.sqrt(Math.min(requests, 400) / 400);
}

/** Hystrix's colours by error rate: under 1 % green, under 10 % yellow, under 25 % orange, else red. */
export function errorColour(errorRate: number): string {
  return errorRate < 0.01 ? '#2da44e' : errorRate < 0.1 ? '#d4a72c' : errorRate < 0.25 ? '#e16f24' : '#cf222e';
}

const HEALTH_COLOUR: Readonly<Record<string, string>> = {
  SERVING: '#2da44e', NOT_SERVING: '#cf222e', UNREACHABLE: '#cf222e', SERVICE_UNKNOWN: '#d4a72c', UNKNOWN: '#d4a72c', UNIMPLEMENTED: '#8c959f',
};

/** A node's last health checks as a strip of cells, oldest first (grey: not checked yet). */
export function healthStrip(samples: ReadonlyArray<string | undefined>): string {
  const w = 4;
  const title = `last ${samples.length} health checks, oldest first: ${samples.map((s) => s ?? 'none').join(' ')}`;
  return `<svg class="strip" width="${Math.max(1, samples.length) * w}" height="12" role="img" aria-label="${esc(title)}" data-health="${esc(samples.map((s) => s ?? '').join(','))}">`
    + `<title>${esc(title)}</title>${samples.map((s, i) => `<rect x="${i * w}" y="0" width="${w - 1}" height="12" fill="${s === undefined ? '#eaeef2' : HEALTH_COLOUR[s] ?? '#8c959f'}"/>`).join('')}</svg>`;
}

/** A node's load as a balancer sees it: latency, calls in flight, the cost it picks by (a bar against the costliest node). */
export function loadBar(load: { latencyMs: number; inFlight: number; cost: number }, maxCost: number): string {
  const width = maxCost > 0 ? Math.max(1, Math.round((load.cost / maxCost) * 60)) : 1;
  const title = `latency ${fmt(load.latencyMs)} ms, ${load.inFlight} in flight, cost ${fmt(load.cost)}`;
  return `<span class="load" data-latency-ms="${fmt(load.latencyMs)}" data-in-flight="${load.inFlight}" data-cost="${fmt(load.cost)}">`
    + `<svg width="60" height="8" role="img" aria-label="${esc(title)}"><title>${esc(title)}</title><rect x="0" y="0" width="60" height="8" fill="#eaeef2"/>`
    + `<rect x="0" y="0" width="${width}" height="8" fill="#8250df"/></svg> ${esc(fmt(load.latencyMs))} ms · ${load.inFlight} in flight · cost ${esc(fmt(load.cost))}</span>`;
}

/** Numbers as drawn: at most 2 decimals, no trailing zeros. */
export function fmt(v: number): string {
  return String(Math.round(v * 100) / 100);
}
