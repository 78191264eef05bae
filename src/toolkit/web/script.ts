/**
 * The page's script, served as /app.js: live sections over Server-Sent Events, and the call form. Plain
 * browser JavaScript with no build step; every value from a reply is shown with `textContent`, and the
 * sections' HTML was escaped by the server.
 */
export const APP_JS = `'use strict';
const live = document.getElementById('live');
const events = new EventSource('events');
events.addEventListener('section', (e) => {
  const { id, html } = JSON.parse(e.data);
  const el = document.getElementById(id);
  if (el) el.innerHTML = html;
});
events.onopen = () => { live.textContent = 'live'; live.className = 'badge on'; };
events.onerror = () => { live.textContent = 'reconnecting'; live.className = 'badge off'; };

const form = document.getElementById('call');
document.addEventListener('click', (e) => {
  const b = e.target.closest('[data-call]');
  if (!b) return;
  form.service.value = b.dataset.service;
  form.endpoint.value = b.dataset.endpoint;
  try { form.request.value = JSON.stringify(JSON.parse(b.dataset.example), null, 2); } catch { form.request.value = '{}'; }
  form.request.focus();
});

form.addEventListener('submit', async (e) => {
  e.preventDefault();
  const show = (ok, label, text, traceId, ms) => {
    document.getElementById('result').hidden = false;
    const badge = document.getElementById('result-status');
    badge.textContent = label;
    badge.className = 'badge ' + (ok ? 'state-closed' : 'failed');
    document.getElementById('result-time').textContent = ms === undefined ? '' : ms + ' ms';
    document.getElementById('reply').textContent = text;
    document.getElementById('trace-id').textContent = traceId || '';
    const link = document.getElementById('trace-link');
    const jaeger = document.body.dataset.jaeger;
    if (traceId && jaeger) link.href = jaeger.replace(/\\/+$/, '') + '/trace/' + encodeURIComponent(traceId);
    else link.removeAttribute('href');
  };
  let request;
  try { request = JSON.parse(form.request.value || '{}'); } catch (err) { return show(false, 'bad JSON', String(err.message)); }
  const started = performance.now();
  try {
    const res = await fetch('rpc', { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ service: form.service.value.trim(), endpoint: form.endpoint.value.trim(), request }) });
    const text = await res.text();
    let pretty = text;
    let ok = res.ok;
    let label = res.ok ? 'OK' : 'HTTP ' + res.status;
    if ((res.headers.get('content-type') || '').startsWith('application/x-ndjson')) {
      // A streaming method: one message a line; a failure after the first message is the last line's error.
      const lines = text.split('\\n').filter((l) => l !== '').map((l) => { try { return JSON.parse(l); } catch { return l; } });
      const last = lines[lines.length - 1];
      if (last && typeof last === 'object' && last.error) { ok = false; label = 'stream failed: ' + (last.error.status || 'error'); }
      else label = 'OK, ' + lines.length + ' message' + (lines.length === 1 ? '' : 's');
      pretty = lines.map((l) => JSON.stringify(l)).join('\\n');
    } else {
      try { pretty = JSON.stringify(JSON.parse(text), null, 2); } catch {}
    }
    const traceId = res.headers.get('x-trace-id') || (res.headers.get('traceresponse') || '').split('-')[1];
    show(ok, label, pretty, traceId, Math.round(performance.now() - started));
  } catch (err) {
    show(false, 'failed', String(err && err.message || err));
  }
});
`;
