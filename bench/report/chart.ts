import type { Row } from '../orchestration/measure';
import type { Percentiles } from '../shared/protocol';
import type { Results } from './results';

const COLORS = ['#9ecae1', '#4292c6', '#08519c', '#08306b'];
const PCT_COLORS = { p50: '#31a354', p90: '#fdae6b', p99: '#e6550d', p999: '#a50f15' } as const;
const KEYS = ['p50', 'p90', 'p99', 'p999'] as const;
const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const text = (x: number, y: number, s: string, attrs = ''): string => `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attrs}>${esc(s)}</text>`;

function niceMax(x: number): number {
  if (!(x > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= x) return m * p;
  return 10 * p;
}

const usLabel = (us: number): string => (us >= 1e6 ? `${us / 1e6} s` : us >= 1000 ? `${us / 1000} ms` : `${us} µs`);

interface Layout {
  top: number;
  rowH: number;
  rows: number;
}

/** A latency panel: each configuration's percentiles as markers on a log axis, raw's p50 and p99 dashed. */
function latencyPanel(out: string[], x0: number, width: number, title: string, rows: Row[], configs: string[], l: Layout): void {
  out.push(text(x0, l.top - 25, title, 'font-weight="bold"'));
  const bottom = l.top + l.rows * l.rowH;
  const values = rows.flatMap((r) => (r.median ? [r.median.latencyUs.p50, r.median.latencyUs.p999] : [])).filter((v) => v > 0);
  if (values.length === 0) {
    out.push(text(x0, l.top + 20, 'not measured in this run', 'fill="#888"'));
    return;
  }
  const lo = 10 ** Math.floor(Math.log10(Math.min(...values)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...values, lo * 10)));
  const lx = (v: number): number => x0 + (width * (Math.log10(Math.max(v, lo)) - Math.log10(lo))) / (Math.log10(hi) - Math.log10(lo));
  for (let d = lo; d <= hi; d *= 10) {
    out.push(`<line x1="${lx(d).toFixed(1)}" y1="${l.top - 5}" x2="${lx(d).toFixed(1)}" y2="${bottom}" stroke="#ddd"/>`);
    out.push(text(lx(d), bottom + 15, usLabel(d), 'text-anchor="middle" fill="#555"'));
  }
  const raw = rows.find((r) => r.config === 'raw')?.median;
  if (raw) {
    for (const key of ['p50', 'p99'] as const) {
      const x = lx(raw.latencyUs[key]).toFixed(1);
      out.push(`<line x1="${x}" y1="${l.top - 5}" x2="${x}" y2="${bottom}" stroke="${PCT_COLORS[key]}" stroke-dasharray="3,3" opacity="0.7"/>`);
    }
  }
  configs.forEach((config, i) => {
    const m = rows.find((r) => r.config === config)?.median;
    if (!m) return;
    const y = l.top + i * l.rowH + l.rowH / 2;
    const p: Percentiles = m.latencyUs;
    out.push(`<line x1="${lx(p.p50).toFixed(1)}" y1="${y}" x2="${lx(p.p999).toFixed(1)}" y2="${y}" stroke="#888"/>`);
    for (const key of KEYS) {
      out.push(`<circle cx="${lx(p[key]).toFixed(1)}" cy="${y}" r="4" fill="${PCT_COLORS[key]}"><title>${esc(`${config} ${key}: ${p[key]} µs`)}</title></circle>`);
    }
  });
}

/**
 * The results as an SVG, drawn by hand: per configuration, closed-loop throughput at each concurrency
 * (bars), and latency percentiles at concurrency 1 and in the open loop at the highest rate (markers on
 * log axes, with the raw client's p50 and p99 dashed).
 */
export function renderChart(results: Results): string {
  const configs = results.configs.map((c) => c.name);
  const levels = results.closed.map((c) => c.concurrency);
  const rps = (level: number, config: string): number =>
    results.closed.find((c) => c.concurrency === level)?.rows.find((r) => r.config === config)?.median?.rps ?? 0;
  const l: Layout = { top: 75, rowH: Math.max(26, levels.length * 8 + 10), rows: configs.length };
  const labelW = 110;
  const panelW = 300;
  const gap = 50;
  const aX = labelW + 10;
  const bX = aX + panelW + gap;
  const cX = bX + panelW + gap;
  const width = cX + panelW + 30;
  const bottom = l.top + l.rows * l.rowH;
  const height = bottom + 75;
  const m = results.machine;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    text(10, 20, `keel load benchmarks (${results.plan.mode} run): ${m.cores} cores ${m.cpuModel}, Node ${m.node}, ${m.date.slice(0, 10)}, load average ${m.loadStart[0]?.toFixed(2) ?? '?'} at start; medians of interleaved rounds`, 'font-size="14" font-weight="bold"'),
  ];
  configs.forEach((config, i) => {
    const y0 = l.top + i * l.rowH;
    if (i % 2 === 1) out.push(`<rect x="0" y="${y0}" width="${width}" height="${l.rowH}" fill="#f6f6f6"/>`);
    out.push(text(labelW, y0 + l.rowH / 2 + 4, config, 'text-anchor="end"'));
  });

  // Throughput bars.
  out.push(text(aX, l.top - 25, 'closed-loop throughput, calls/s', 'font-weight="bold"'));
  const maxRps = niceMax(Math.max(1, ...levels.flatMap((lv) => configs.map((c) => rps(lv, c)))));
  for (let i = 0; i <= 4; i++) {
    const x = aX + (panelW * i) / 4;
    out.push(`<line x1="${x}" y1="${l.top - 5}" x2="${x}" y2="${bottom}" stroke="#ddd"/>`);
    out.push(text(x, bottom + 15, Math.round((maxRps * i) / 4).toLocaleString('en-US'), 'text-anchor="middle" fill="#555"'));
  }
  configs.forEach((config, i) => {
    levels.forEach((level, j) => {
      const v = rps(level, config);
      out.push(`<rect x="${aX}" y="${l.top + i * l.rowH + 5 + j * 8}" width="${((panelW * v) / maxRps).toFixed(1)}" height="6" fill="${COLORS[j % COLORS.length]}"><title>${esc(`${config} c=${level}: ${Math.round(v)} calls/s`)}</title></rect>`);
    });
  });

  const c1 = results.closed.find((c) => c.concurrency === 1)?.rows ?? [];
  latencyPanel(out, bX, panelW, 'latency at concurrency 1 (log)', c1, configs, l);
  const open = [...results.open].sort((a, b) => b.fraction - a.fraction)[0];
  latencyPanel(out, cX, panelW, open ? `open-loop latency at ${open.ratePerSecond.toLocaleString('en-US')}/s (log)` : 'open-loop latency (log)',
    open?.rows ?? [], configs, l);

  const ly = bottom + 42;
  levels.forEach((level, j) => {
    out.push(`<rect x="${aX + j * 70}" y="${ly - 9}" width="12" height="10" fill="${COLORS[j % COLORS.length]}"/>`);
    out.push(text(aX + j * 70 + 16, ly, `c=${level}`));
  });
  KEYS.forEach((key, j) => {
    out.push(`<circle cx="${bX + j * 70 + 6}" cy="${ly - 4}" r="4" fill="${PCT_COLORS[key]}"/>`);
    out.push(text(bX + j * 70 + 14, ly, key === 'p999' ? 'p99.9' : key));
  });
  out.push(text(cX, ly, 'dashed lines: the raw grpc-js client\'s p50 and p99', 'fill="#555"'));
  out.push(text(aX, ly + 20, 'Open loop: latency from each call\'s intended send time. raw = bare @grpc/grpc-js client, the physical limit.', 'fill="#555"'));
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
