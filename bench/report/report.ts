import { sideReport } from './side';
import { bytes, delta, fixed, int, ratio, table } from './format';
import type { Row } from '../orchestration/measure';
import { DIAGNOSTIC_CONFIGS } from '../stacks/configs';
import { growth } from './growth';
import type { ClosedComparison, Results } from './results';
import { streamsReport } from './streams';
import { gatewayReport } from '../loads/gateway/section';
import { resilienceReport } from '../scenarios/section';
import { renderSummary } from './summary';

const rawOf = (rows: Row[]) => rows.find((r) => r.config === 'raw')?.median;

function closedTable(c: ClosedComparison): string {
  const raw = rawOf(c.rows);
  return table(
    ['configuration', 'calls/s', '× raw', 'p50 µs', 'p90 µs', 'p99 µs', 'p99.9 µs', 'p50 Δ raw', 'p99 × raw', 'errors', 'CPU µs/call', '× raw'],
    c.rows.map((r) => {
      const m = r.median;
      if (m === undefined) return [r.config, `failed: ${r.error ?? 'no result'}`, '', '', '', '', '', '', '', '', '', ''];
      return [r.config, int(m.rps), ratio(m.rps, raw?.rps), int(m.latencyUs.p50), int(m.latencyUs.p90), int(m.latencyUs.p99),
        int(m.latencyUs.p999), delta(m.latencyUs.p50, raw?.latencyUs.p50), ratio(m.latencyUs.p99, raw?.latencyUs.p99),
        int(m.errors), fixed(m.cpuUsPerCall, 1), ratio(m.cpuUsPerCall, raw?.cpuUsPerCall)];
    }),
  );
}

function openTable(rows: Row[]): string {
  const raw = rawOf(rows);
  return table(
    ['configuration', 'done/s', 'p50 µs', 'p90 µs', 'p99 µs', 'p99.9 µs', 'p50 × raw', 'p99 × raw', 'p99.9 × raw', 'errors', 'dropped', 'CPU µs/call', '× raw'],
    rows.map((r) => {
      const m = r.median;
      if (m === undefined) return [r.config, `failed: ${r.error ?? 'no result'}`, '', '', '', '', '', '', '', '', '', '', ''];
      return [r.config, int(m.rps), int(m.latencyUs.p50), int(m.latencyUs.p90), int(m.latencyUs.p99), int(m.latencyUs.p999),
        ratio(m.latencyUs.p50, raw?.latencyUs.p50), ratio(m.latencyUs.p99, raw?.latencyUs.p99), ratio(m.latencyUs.p999, raw?.latencyUs.p999),
        int(m.errors), int(m.dropped), fixed(m.cpuUsPerCall, 1), ratio(m.cpuUsPerCall, raw?.cpuUsPerCall)];
    }),
  );
}

function spread(rows: Row[]): string {
  const notes = rows.filter((r) => r.rounds.length > 1).map((r) => {
    const rps = r.rounds.map((s) => s.rps);
    return `${r.config} ${int(Math.min(...rps))}–${int(Math.max(...rps))}`;
  });
  const errors = rows.flatMap((r) => r.rounds.map((s) => s.firstError).filter(Boolean).slice(0, 1).map((e) => `${r.config}: ${e}`));
  return [notes.length ? `Rounds (calls/s, min–max): ${notes.join('; ')}.` : '', errors.length ? `First errors: ${errors.join('; ')}.` : '']
    .filter(Boolean).join(' ');
}

/** The rounds' spread and first errors under a table, when there is anything to say. */
function notes(rows: Row[]): string[] {
  const text = spread(rows);
  return text ? [text, ''] : [];
}

export function renderMarkdown(results: Results): string {
  const { machine: m, plan } = results;
  const out: string[] = [];
  out.push(`# keel load benchmarks (${plan.mode} run)`, '');
  out.push(`Machine: ${m.cores} cores, ${m.cpuModel}, ${m.memoryGb.toFixed(0)} GiB, Linux ${m.kernel}; Node ${m.node}; ${m.date}; commit ${m.commit}.`);
  out.push(`Load average (1/5/15 min) at start ${m.loadStart.map((x) => x.toFixed(2)).join(' / ')}, at end ${m.loadEnd.map((x) => x.toFixed(2)).join(' / ')} (other work shared the machine).`);
  out.push(`Each segment: a fresh client, ${plan.warmupMs} ms warm-up, then ${plan.durationMs} ms measured (open loop ${plan.openDurationMs} ms; closed loop also capped at ${int(plan.maxCallsPerSecond)} calls/s × window). Configurations interleaved round by round (each round in a rotated order): ${plan.rounds} rounds for the 1-node closed loop, ${plan.fewerRounds} for open loop, 3 nodes and diagnosis; the median round is shown (by throughput; open loop by p99). Each client process first ran ${plan.primeMs} ms of unmeasured load. Wall time ${fixed(results.wallMs / 1000, 1)} s.`, '');
  out.push(renderSummary(results), '');

  out.push('## Targets', '', table(['target', 'measured', 'verdict'], results.targets.map((t) => [t.target, t.measured, t.verdict === 'met' ? 'met' : t.verdict === 'missed' ? '**missed**' : 'n/a'])), '');

  if (results.closed.length) {
    out.push('## Closed loop, 1 server process', '', 'Each worker sends its next call when the previous one settles. Latency per call; CPU is the client process\'s (user + system) per successful call.', '');
    for (const c of results.closed) out.push(`### Concurrency ${c.concurrency}`, '', closedTable(c), '', ...notes(c.rows));
  }
  if (results.open.length) {
    out.push('## Open loop, 1 server process', '', `Calls sent at a fixed rate whatever the earlier calls do; latency from each call's intended send time (no coordinated omission). Rates are fractions of the raw client's best closed-loop throughput in this run (${int(results.rawCapacity)} calls/s). A send due while ${plan.openMaxInFlight} calls are outstanding is dropped and counted; calls unanswered ${plan.openDrainMs} ms after the last send count as errors.`, '');
    for (const o of results.open) out.push(`### ${int(o.ratePerSecond)} calls/s (${Math.round(o.fraction * 100)}% of raw capacity)`, '', openTable(o.rows), '', ...notes(o.rows));
  }
  if (results.nodes3.length) {
    out.push('## Closed loop, 3 server processes', '', 'Configurations that spread calls over nodes (raw: three grpc-js clients rotated by hand; keel without roundRobin picks at random). Four processes share the cores here, so this measures the spread, not more capacity.', '');
    for (const c of results.nodes3) out.push(`### Concurrency ${c.concurrency}`, '', closedTable(c), '', ...notes(c.rows));
  }
  if (results.diagnose.length) {
    out.push('## Diagnosis: where keel\'s cost goes', '',
      'Fresh client processes, primed alike, against the same server, interleaved. `raw+deadline` is the bare grpc-js client plus what keel puts on every call by default (a fresh Metadata and a 5 s deadline, for which grpc-js arms a timer per call on both sides): `keel` minus `raw+deadline` is keel\'s own pipeline. `full-notrace` is the full stack without `tracing()`, so `full` minus `full-notrace` is the tracing wrapper with the OpenTelemetry SDK.', '');
    for (const c of results.diagnose) out.push(`### Concurrency ${c.concurrency}`, '', closedTable(c), '', ...notes(c.rows));
    const o = results.diagnoseOpen;
    if (o) out.push(`### Open loop, ${int(o.ratePerSecond)} calls/s (${Math.round(o.fraction * 100)}% of raw capacity)`, '', openTable(o.rows), '', ...notes(o.rows));
  }
  if (results.pipeline) {
    const base = results.pipeline.find((r) => r.name === 'none');
    const base64 = results.pipeline.find((r) => r.name === 'none c=64');
    out.push('## Wrapper cost without the network', '',
      'Each wrapper stack over a terminal that picks a node and answers at once (no grpc-js, no socket), one call at a time (rows ending `c=64`: 64 in flight, compared with `none c=64`), in one process: what the wrappers themselves cost per call. `metrics` records into the OpenTelemetry metrics SDK (a Prometheus reader, not scraped). The OpenTelemetry SDK (BatchSpanProcessor, no-op exporter, 100% sampled) is started before the rows from `none (OTel SDK started)` on. `rateLimit` runs at 1e9/s here: it decides on every call but never holds one back.', '',
      table(['stack', 'ns/call', 'CPU ns/call', 'added ns/call (vs none)', 'calls'], results.pipeline.map((r) => [
        r.name, fixed(r.nsPerCall, 0), fixed(r.cpuNsPerCall, 0), delta(r.nsPerCall, (r.name.endsWith(' c=64') ? base64 : base)?.nsPerCall), int(r.calls)])), '');
  }
  if (results.side) out.push(...sideReport(results));
  if (results.streams) out.push(...streamsReport(results.streams, plan), '');
  if (results.gateway) out.push(...gatewayReport(results.gateway), '');
  if (results.resilience) out.push(...resilienceReport(results.resilience), '');
  if (results.ghz) out.push(...ghzSection(results), '');
  if (results.scale) out.push(...scaleSection(results), '');
  if (results.accuracy) {
    out.push('## Rate-limiter accuracy', '', 'Real time through `rateLimit(rate)` (burst 1, `wait: true`, default clock), greedy callers, a no-op call behind it. The accuracy figure is the rate between the first and last admission in the window; the count in the window is shown too (±1 call is the granularity).', '');
    out.push(table(['rate/s', 'window ms', 'callers', 'admitted', 'expected (rate × window)', 'count error', 'measured rate/s', 'rate error'],
      results.accuracy.map((a) => [int(a.ratePerSecond), int(a.windowMs), int(a.callers), int(a.admitted), fixed(a.expected, 0),
        `${fixed(a.countErrorPct, 2)}%`, fixed(a.measuredRate, 2), `${fixed(a.rateErrorPct, 3)}%`])), '');
  }
  const named = new Set(results.configs.map((c) => c.name));
  const legend = [...results.configs, ...(results.diagnose.length || results.side ? DIAGNOSTIC_CONFIGS.filter((c) => !named.has(c.name)).map(({ name, label }) => ({ name, label })) : [])];
  out.push('## Configurations', '', table(['name', 'what'], legend.map((c) => [c.name, c.label])), '');
  return `${out.join('\n')}\n`;
}

function ghzSection(results: Results): string[] {
  const g = results.ghz!;
  if (!g.available) return ['## Handler side (ghz)', '', `**${g.note}**`];
  const out = ['## Handler side (ghz)', '', `ghz (${g.bin}, one core: \`--cpus 1\`, one connection) drives Hello at each server in its own process for ${results.plan.ghz.durationMs} ms, ${results.plan.ghz.rounds} round(s) interleaved, median shown (by throughput). ghz reports percentiles up to p99. Server CPU is the server process's own (process.cpuUsage() in it, before and after each run) per successful call: the handler-side cost, apart from ghz.`, ''];
  for (const c of [...new Set(g.rows.map((r) => r.concurrency))]) {
    const rows = g.rows.filter((r) => r.concurrency === c);
    const base = rows.find((r) => r.server === 'grpc-js')?.median;
    out.push(`### Concurrency ${c}`, '', table(['server', 'calls/s', '× grpc-js', 'p50 µs', 'p90 µs', 'p99 µs', 'p50 Δ grpc-js', 'server CPU µs/call', '× grpc-js', 'errors'],
      rows.map((r) => {
        const m = r.median;
        if (m === undefined) return [r.server, `failed: ${r.error ?? 'no result'}`, '', '', '', '', '', '', '', ''];
        return [r.server, int(m.rps), ratio(m.rps, base?.rps), int(m.p50), int(m.p90), int(m.p99), delta(m.p50, base?.p50),
          fixed(m.serverCpuUsPerCall, 1), ratio(m.serverCpuUsPerCall, base?.serverCpuUsPerCall), int(m.errors)];
      })), '');
  }
  return out;
}

function scaleSection(results: Results): string[] {
  const s = results.scale!;
  const out = ['## Scale', '', '### Node selection, ns per pick', '',
    'A selector picking from N registered nodes (fake nodes, one process, time-bounded loops).', ''];
  out.push(table(['nodes', 'randomSelector', 'RoundRobinSelector', 'RoundRobinSelector + per-node breaker filter', 'making one more node\'s circuit, µs'],
    s.selection.map((r) => [int(r.nodes), fixed(r.random, 1), fixed(r.roundRobin, 1),
      r.circuitsMade === r.nodes ? fixed(r.roundRobinNodeBreaker, 1) : `not measured: only ${int(r.circuitsMade)} circuits made in ${int(results.plan.scale.circuitBudgetMs)} ms`,
      `${fixed(r.newCircuitUs, 1)}${r.circuitsMade === r.nodes ? '' : ` (at ${int(r.circuitsMade)})`}`])), '');
  const made = s.selection.filter((r) => r.nodes > 1 && r.circuitsMade === r.nodes);
  out.push(`The last column is the first pick of a node through \`breaker({ scope: 'node' })\`, which makes its circuit (1 node takes a shortcut, so it is left out here): ${growth(made.map((r) => ({ n: r.nodes, cost: r.newCircuitUs })), 'µs')}.`, '');
  out.push('### A client with N registered nodes', '', `keel client + \`roundRobin()\` whose registry lists N nodes, all at the one bench server (so every pick reaches a real server): closed loop, concurrency 16. Client CPU per call ${growth(s.terminal.map((t) => ({ n: t.nodes, cost: t.segment.cpuUsPerCall })), 'µs', false)}.`, '');
  out.push(table(['nodes', 'calls/s', 'p50 µs', 'p99 µs', 'CPU µs/call', 'errors'],
    s.terminal.map((t) => [int(t.nodes), int(t.segment.rps), int(t.segment.latencyUs.p50), int(t.segment.latencyUs.p99), fixed(t.segment.cpuUsPerCall, 1), int(t.segment.errors)])), '');
  out.push('### Memory per node', '', `Heap after GC, averaged over ${int(s.memory.nodes)} nodes, ${int(s.memory.circuits)} circuits and ${int(s.memory.channels)} channels.`, '');
  out.push(table(['what', 'per node'], [
    ['node entry in a client\'s list (id, address, metadata)', bytes(s.memory.nodeBytes)],
    ['per-node circuit (`breaker({ scope: \'node\' })`)', bytes(s.memory.circuitBytes)],
    ['grpc-js channel (one per node address, made on its first call)', bytes(s.memory.channelBytes)],
  ]), '');
  out.push('### Decisions per second', '', table(['decision', 'per second', 'ns each'], [
    ['TokenBucket.take(now), admitting', int(s.decisions.bucketAdmit), fixed(1e9 / s.decisions.bucketAdmit, 1)],
    ['TokenBucket.take(now), refusing', int(s.decisions.bucketRefuse), fixed(1e9 / s.decisions.bucketRefuse, 1)],
    ['Circuit.allow(now) + record(success), closed', int(s.decisions.circuit), fixed(1e9 / s.decisions.circuit, 1)],
  ]), '');
  out.push('### Filling a memoryRegistry', '', `Not a hot path (registration). One register, from the smallest to the largest size filled: ${growth(s.registryFill.map((f) => ({ n: f.nodes, cost: f.usPerRegister })), 'µs')}.`, '');
  out.push(table(['nodes', 'total ms', 'µs per register'], s.registryFill.map((f) => [int(f.nodes), fixed(f.totalMs, 1), fixed(f.usPerRegister, 1)])));
  return out;
}
