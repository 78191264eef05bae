import { esc } from './html';

/**
 * The whole page, server-rendered with the live sections filled in (it reads without the script); the
 * script then replaces a section's HTML whenever the server sends a new one.
 */
export function renderPage(sections: Readonly<Record<string, string>>, options: { registry: string; jaeger: string | undefined }): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>keel</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>${CSS}</style></head>
<body data-jaeger="${esc(options.jaeger ?? '')}">
<header><h1>keel</h1><span class="registry">registry: ${esc(options.registry)}</span><span id="live" class="badge">connecting</span></header>
<main>
<section class="panel"><h2>Services</h2><div id="services">${sections.services ?? ''}</div></section>
<section class="panel side">
<h2>Call</h2>
<form id="call" autocomplete="off">
<label>service <input name="service" list="service-names" required></label>
<label>endpoint <input name="endpoint" list="endpoint-names" placeholder="Service.Method" required></label>
<label>request (JSON) <textarea name="request" rows="5" spellcheck="false">{}</textarea></label>
<button type="submit">Call</button>
</form>
<div id="targets">${sections.targets ?? ''}</div>
<div id="result" hidden><p><span id="result-status" class="badge"></span> <span id="result-time"></span>
trace <a id="trace-link" target="_blank" rel="noopener"><code id="trace-id"></code></a></p><pre id="reply"></pre></div>
<h2>Resilience</h2><div id="resilience">${sections.resilience ?? ''}</div>
</section>
</main>
<script src="app.js"></script>
</body></html>
`;
}

const CSS = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #1d232a; background: #f4f6f8; }
header { display: flex; gap: 1em; align-items: baseline; padding: .6em 1.2em; background: #1d232a; color: #fff; }
header h1 { font-size: 1.3em; margin: 0; }
main { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 1em; padding: 1em; }
.panel { background: #fff; border: 1px solid #d8dee4; border-radius: 6px; padding: .4em 1em 1em; }
h2 { font-size: 1.1em; } h3 { font-size: 1em; margin: 1em 0 .4em; } h3 small { color: #57606a; font-weight: normal; }
table { border-collapse: collapse; width: 100%; margin-bottom: .6em; }
th, td { text-align: left; padding: .2em .5em; border-bottom: 1px solid #eaeef2; vertical-align: top; }
th { font-weight: 600; color: #57606a; font-size: .9em; }
td.meta { font-size: .85em; color: #57606a; }
.badge { display: inline-block; padding: 0 .5em; border-radius: 1em; background: #eaeef2; font-size: .85em; }
.health-SERVING, .state-closed, #live.on { background: #dafbe1; color: #116329; }
.health-NOT_SERVING, .health-UNREACHABLE, .state-open, #live.off, .failed { background: #ffebe9; color: #a40e26; }
.state-half-open, .health-CHECKING { background: #fff8c5; color: #7d4e00; }
.bad { color: #a40e26; font-weight: 600; }
button[data-call] { font: inherit; background: none; border: 0; color: #0969da; cursor: pointer; padding: 0; }
form label { display: block; margin-bottom: .5em; }
form input, form textarea { display: block; width: 100%; box-sizing: border-box; font: 13px ui-monospace, monospace; }
pre { background: #f6f8fa; padding: .6em; overflow: auto; max-height: 20em; white-space: pre-wrap; overflow-wrap: anywhere; }
.empty, .note { color: #57606a; }
.circles { display: flex; flex-wrap: wrap; gap: .4em 1em; margin-bottom: .6em; }
figure.circuit { margin: 0; display: flex; flex-direction: column; align-items: center; max-width: 9em; }
figure.circuit figcaption { display: flex; flex-direction: column; align-items: center; font-size: .8em; text-align: center; overflow-wrap: anywhere; }
table.latency { font-size: .9em; } td.sparks { white-space: nowrap; font-size: .75em; color: #57606a; } td.sparks span { display: inline-block; width: 3.9em; }
td.recent { white-space: nowrap; font-size: .8em; color: #57606a; } svg.spark, svg.strip { vertical-align: middle; }
dl.limiter { display: grid; grid-template-columns: auto 1fr; gap: .1em 1em; } dl.limiter dd { margin: 0; }
`;
