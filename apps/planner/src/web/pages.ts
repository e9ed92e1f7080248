/**
 * The pages a person uses: a search page (`/`) that asks /v1/planning and shows the plans, and a
 * jobs dashboard (`/dashboard`) that shows the queue per priority and follows a job's events.
 * Plain HTML with a little script, no build step; every figure comes from the public JSON API.
 */
import type { FastifyInstance } from 'fastify';

const STYLE = `
  body { font: 15px/1.45 system-ui, sans-serif; margin: 0; color: #1d2433; background: #f6f7f9; }
  header { background: #1d3557; color: #fff; padding: 14px 24px; }
  header a { color: #cfe0ff; margin-left: 16px; }
  main { max-width: 980px; margin: 0 auto; padding: 20px 24px; }
  form { display: flex; flex-wrap: wrap; gap: 10px; align-items: end; background: #fff; padding: 14px;
         border-radius: 8px; box-shadow: 0 1px 3px #0002; }
  label { display: flex; flex-direction: column; font-size: 13px; color: #555; }
  input, select, button { font: inherit; padding: 6px 8px; }
  button { background: #1d3557; color: #fff; border: 0; border-radius: 6px; cursor: pointer; }
  .note { background: #fff4d6; border: 1px solid #f0d48a; padding: 8px 12px; border-radius: 6px; }
  .error { background: #ffe3e3; border: 1px solid #f5a3a3; padding: 8px 12px; border-radius: 6px; }
  .plan { background: #fff; border-radius: 8px; padding: 12px 16px; margin: 12px 0; box-shadow: 0 1px 3px #0002; }
  .plan ol { margin: 6px 0 0 0; padding-left: 20px; }
  .muted { color: #667; font-size: 13px; }
  table { border-collapse: collapse; background: #fff; width: 100%; }
  th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid #e3e6ea; }
  pre:empty { display: none; }
  pre { background: #10151f; color: #d6e2ff; padding: 10px; border-radius: 6px; overflow: auto; max-height: 320px; }
`;

function page(title: string, body: string, script: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title><style>${STYLE}</style></head>
<body><header><strong>Vacation planner</strong><a href="/">Plan a day</a><a href="/dashboard">Jobs dashboard</a><a href="/docs">API</a></header>
<main>${body}</main><script>${script}</script></body></html>`;
}

const SEARCH_BODY = `
<h1>Plan a day</h1>
<form id="search">
  <label>Where <input name="location" value="San Jose, CA, USA" size="28" required></label>
  <label>Date <input name="date" type="date" required></label>
  <label>Price level <select name="price">
    <option value="0">0 free</option><option value="1">1 inexpensive</option>
    <option value="2" selected>2 moderate</option><option value="3">3 expensive</option>
    <option value="4">4 very expensive</option></select></label>
  <label>Plans <input name="numberResults" type="number" min="1" max="20" value="5"></label>
  <label><span>Nearby cities</span><input name="nearby" type="checkbox"></label>
  <button>Plan</button>
</form>
<div id="result"></div>`;

const SEARCH_SCRIPT = `
const form = document.getElementById('search');
const result = document.getElementById('result');
form.date.value = new Date(Date.now() + 86400000).toISOString().slice(0, 10);
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'}[c]));
form.addEventListener('submit', (event) => {
  event.preventDefault();
  history.replaceState(null, '', '/?' + query());
  void plan();
});
const query = () => new URLSearchParams({ location: form.location.value, date: form.date.value, price: form.price.value,
  numberResults: form.numberResults.value, nearby: String(form.nearby.checked) });
async function plan() {
  const q = query();
  result.innerHTML = '<p class="muted">Planning...</p>';
  const started = performance.now();
  const response = await fetch('/v1/planning?' + q);
  const body = await response.json();
  const ms = Math.round(performance.now() - started);
  if (!response.ok) {
    const hint = body.error.suggestions ? ' Did you mean: ' + body.error.suggestions.map(esc).join('; ') + '?' : '';
    result.innerHTML = '<p class="error">' + esc(body.error.message) + hint + '</p>';
    return;
  }
  if (response.status === 202) {
    result.innerHTML = '<p class="note">' + esc(body.message) + ' <a href="/dashboard#' + esc(body.jobId) + '">follow it</a></p>';
    return;
  }
  const background = body.backgroundJobs.map((j) => 'level ' + j.priceLevel + ': ' + esc(j.status)).join(', ');
  result.innerHTML = (body.notice ? '<p class="note">' + esc(body.notice) + '</p>' : '') +
    '<p class="muted">' + esc(body.travelDestination) + ', ' + esc(body.date) + ', price level ' + body.priceLevel +
    ' &middot; ' + (body.fromCache ? 'from cache' : 'computed by job ' + esc(body.jobId)) + ' in ' + ms + ' ms' +
    ' &middot; other levels: ' + background + '</p>' +
    body.travelPlans.map((plan, i) => '<div class="plan"><strong>Plan ' + (i + 1) + '</strong> <span class="muted">score ' +
      plan.score.toFixed(3) + '</span><ol>' + plan.places.map((p) => '<li>' + esc(p.startTime) + '-' + esc(p.endTime) + ' <strong>' +
      esc(p.name) + '</strong> <span class="muted">' + esc(p.category) + ', rating ' + p.rating + ', price ' + p.priceLevel +
      ', ' + esc(p.address) + '</span></li>').join('') + '</ol></div>').join('');
}
// A link with the search in its query (/?location=...&date=...&price=...) plans at once.
const shared = new URLSearchParams(location.search);
if (shared.has('location')) {
  for (const name of ['location', 'date', 'price', 'numberResults']) if (shared.has(name)) form[name].value = shared.get(name);
  form.nearby.checked = shared.get('nearby') === 'true';
  void plan();
}`;

const DASHBOARD_BODY = `
<h1>Jobs dashboard</h1>
<table id="levels"><thead><tr><th>Priority</th><th>Queued</th><th>Started (window)</th><th>Wait p50</th><th>Wait p99</th><th>Wait max</th></tr></thead><tbody></tbody></table>
<h2>Job types</h2>
<table id="types"><thead><tr><th>Type</th><th>Running</th><th>Completed</th><th>Failed</th><th>Cancelled</th></tr></thead><tbody></tbody></table>
<h2>Follow a job</h2>
<form id="follow"><label>Job id <input name="id" size="40" required></label><button>Follow</button></form>
<pre id="events"></pre>`;

const DASHBOARD_SCRIPT = `
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'}[c]));
async function refresh() {
  const stats = await (await fetch('/v1/queue/stats')).json();
  document.querySelector('#levels tbody').innerHTML = Object.entries(stats.levels).map(([name, l]) =>
    '<tr><td>' + name.toUpperCase() + '</td><td>' + l.queued + '</td><td>' + l.wait.count + '</td><td>' + l.wait.p50 +
    ' ms</td><td>' + l.wait.p99 + ' ms</td><td>' + l.wait.max + ' ms</td></tr>').join('');
  document.querySelector('#types tbody').innerHTML = Object.entries(stats.types).map(([name, t]) =>
    '<tr><td>' + esc(name) + '</td><td>' + t.running + '</td><td>' + t.completed + '</td><td>' + t.failed + '</td><td>' + t.cancelled + '</td></tr>').join('');
}
refresh(); setInterval(refresh, 2000);
let source;
function follow(id) {
  source?.close();
  const out = document.getElementById('events');
  out.textContent = '';
  source = new EventSource('/v1/jobs/' + encodeURIComponent(id) + '/events');
  const show = (e) => { out.textContent += e.type + ' ' + e.data + '\\n'; };
  for (const type of ['status', 'started', 'progress', 'completed', 'failed', 'cancelled', 'cancelling', 'promoted', 'retrying', 'stuck']) {
    source.addEventListener(type, (e) => { show(e); if (['completed', 'failed', 'cancelled'].includes(type)) source.close(); });
  }
  source.onerror = () => { out.textContent += '(stream closed)\\n'; source.close(); };
}
const form = document.getElementById('follow');
form.addEventListener('submit', (e) => { e.preventDefault(); follow(form.id.value.trim()); });
if (location.hash.length > 1) { form.id.value = location.hash.slice(1); follow(form.id.value); }`;

export function webRoutes(app: FastifyInstance): void {
  const search = page('Plan a day', SEARCH_BODY, SEARCH_SCRIPT);
  const dashboard = page('Jobs dashboard', DASHBOARD_BODY, DASHBOARD_SCRIPT);
  app.get('/', { schema: { hide: true } }, (_request, reply) =>
    reply.type('text/html').send(search),
  );
  app.get('/dashboard', { schema: { hide: true } }, (_request, reply) =>
    reply.type('text/html').send(dashboard),
  );
}
