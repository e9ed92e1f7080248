/**
 * The dashboard pages: the overview (`/dashboard`, live from the overview event stream), the job
 * lists by status and type (`/dashboard/jobs?status=&name=&cursor=`), and one job
 * (`/dashboard/jobs/ID`, live from the job's event stream). The admin actions ask for the token
 * once (kept in session storage) and confirm before they destroy anything.
 */
import { LIST_STATUS_ORDER } from 'jobdispatch';
import { escapeHtml, page } from './layout.js';

/** The statuses counts() reports, in the order a job goes through them. */
const COUNTED = ['scheduled', 'queued', 'running', 'completed', 'failed', 'cancelled'] as const;

const OVERVIEW_BODY = `
<h1>Jobs dashboard</h1>
<p id="live" class="muted" aria-live="polite">Connecting...</p>
<section class="panel" aria-labelledby="queue-heading">
  <h2 id="queue-heading">Queue</h2>
  <p id="queue-state">-</p>
  <div class="actions-bar"><button type="button" id="queue-toggle" class="secondary">Pause the queue</button></div>
</section>
<h2 id="levels-heading">Priority levels</h2>
<div class="scroll"><table id="levels" aria-labelledby="levels-heading"><thead><tr><th scope="col">Priority</th><th scope="col">Queued</th><th scope="col">Started (window)</th><th scope="col">Wait p50</th><th scope="col">Wait p99</th></tr></thead><tbody></tbody></table></div>
<h2 id="types-heading">Job types</h2>
<div class="scroll"><table id="types" aria-labelledby="types-heading"><thead><tr><th scope="col">Type</th>${COUNTED.map((s) => `<th scope="col">${s}</th>`).join('')}<th scope="col">State</th><th scope="col">Actions</th></tr></thead><tbody></tbody></table></div>`;

const OVERVIEW_SCRIPT = String.raw`
const STATUSES = ${JSON.stringify(COUNTED)};
const live = document.getElementById('live');
let current;
function render(o) {
  current = o;
  document.getElementById('queue-state').innerHTML = o.paused.queue
    ? '<span class="badge failed">Paused</span> no job of any type starts; submits are still taken'
    : '<span class="badge completed">Running</span> ' + o.counts.queued + ' queued, ' + o.counts.running + ' running, ' + o.counts.scheduled + ' scheduled';
  document.getElementById('queue-toggle').textContent = o.paused.queue ? 'Resume the queue' : 'Pause the queue';
  document.querySelector('#levels tbody').innerHTML = ['high', 'normal', 'low'].map((name) => {
    const l = o.levels[name];
    return '<tr><th scope="row">' + name.toUpperCase() + '</th><td>' + l.queued + '</td><td>' + l.wait.count + '</td><td>' +
      l.wait.p50 + ' ms</td><td>' + l.wait.p99 + ' ms</td></tr>';
  }).join('');
  const rows = Object.entries(o.types).map(([name, c]) => {
    const paused = o.paused.types.includes(name);
    return '<tr data-type="' + esc(name) + '"><th scope="row"><a href="/dashboard/jobs?name=' + encodeURIComponent(name) + '">' + esc(name) + '</a></th>' +
      STATUSES.map((s) => '<td><a href="/dashboard/jobs?status=' + s + '&name=' + encodeURIComponent(name) + '" aria-label="' +
        c[s] + ' ' + s + ' ' + esc(name) + ' jobs">' + c[s] + '</a></td>').join('') +
      '<td>' + (paused ? '<span class="badge failed">paused</span>' : '<span class="badge completed">running</span>') + '</td>' +
      '<td><div class="actions"><button type="button" class="secondary" data-action="' + (paused ? 'resume' : 'pause') + '" data-name="' + esc(name) + '">' +
      (paused ? 'Resume ' : 'Pause ') + esc(name) + '</button>' +
      '<button type="button" class="secondary" data-action="retry-failed" data-name="' + esc(name) + '"' + (c.failed === 0 ? ' disabled' : '') +
      '>Retry ' + c.failed + ' failed</button></div></td></tr>';
  });
  document.querySelector('#types tbody').innerHTML = rows.join('') || '<tr><td colspan="9">No job types yet</td></tr>';
  live.textContent = 'Live, updated ' + new Date(o.at).toLocaleTimeString();
}
function connect() {
  const source = new EventSource('/v1/dashboard/overview/stream');
  source.addEventListener('overview', (e) => render(JSON.parse(e.data)));
  source.addEventListener('unavailable', () => { live.textContent = 'The job backend does not answer; retrying'; });
  source.onerror = () => { live.textContent = 'Connection lost; reconnecting...'; };
  window.addEventListener('pagehide', () => source.close());
}
connect();
async function act(action, name) {
  if (action === 'retry-failed') {
    if (!confirm('Queue again every failed ' + name + ' job?')) return;
    const answer = await api('/v1/jobs/retry-failed', { admin: true, method: 'POST', body: { name } });
    if (!answer.ok) return say('Retry failed: ' + failure(answer), 'error');
    return say('Queued again ' + answer.body.retried + ' failed ' + name + ' job(s)' +
      (answer.body.skipped ? ', ' + answer.body.skipped + ' had changed meanwhile' : '') + (answer.body.more ? '; more remain, run it again' : '') + '.');
  }
  const answer = await api('/v1/queue/' + action, { admin: true, method: 'POST', body: name === undefined ? {} : { name } });
  if (!answer.ok) return say(action + ' failed: ' + failure(answer), 'error');
  render({ ...current, paused: answer.body.paused });
  say((action === 'pause' ? 'Paused ' : 'Resumed ') + (name === undefined ? 'the queue' : name) + '.');
}
document.getElementById('types').addEventListener('click', (event) => {
  const button = event.target.closest('button[data-action]');
  if (button) void act(button.dataset.action, button.dataset.name);
});
document.getElementById('queue-toggle').addEventListener('click', () => {
  if (current) void act(current.paused.queue ? 'resume' : 'pause', undefined);
});`;

const LIST_BODY = `
<h1 id="list-title">Jobs</h1>
<form id="filter" class="panel" method="get" action="/dashboard/jobs" aria-label="Filter jobs">
  <label>Status <select name="status"><option value="">any</option>${LIST_STATUS_ORDER.map((s) => `<option>${s}</option>`).join('')}</select></label>
  <label>Type <select name="name"><option value="">any</option></select></label>
  <button>Show</button>
</form>
<p id="list-state" class="muted" aria-live="polite"></p>
<div class="scroll"><table id="jobs" aria-labelledby="list-title"><thead><tr><th scope="col">Id</th><th scope="col">Type</th><th scope="col">Status</th><th scope="col">Priority</th><th scope="col">Attempts</th><th scope="col">Created</th><th scope="col">Updated</th></tr></thead><tbody></tbody></table></div>
<nav aria-label="Pages" class="actions-bar"><a id="first-page" hidden>First page</a><a id="next-page" hidden>Next page</a></nav>`;

const LIST_SCRIPT = String.raw`
const params = new URLSearchParams(location.search);
const form = document.getElementById('filter');
const status = params.get('status') ?? '';
const name = params.get('name') ?? '';
form.status.value = status;
// Empty fields mean "any": leave them out of the deep link.
form.addEventListener('submit', (event) => {
  event.preventDefault();
  const q = new URLSearchParams();
  if (form.status.value) q.set('status', form.status.value);
  if (form.name.value) q.set('name', form.name.value);
  location.href = '/dashboard/jobs' + (q.size ? '?' + q : '');
});
document.getElementById('list-title').textContent = (status ? status[0].toUpperCase() + status.slice(1) + ' jobs' : 'Jobs') + (name ? ' of type ' + name : '');
async function load() {
  const overview = await api('/v1/dashboard/overview');
  const names = overview.ok ? Object.keys(overview.body.types) : [];
  if (name && !names.includes(name)) names.push(name);
  form.name.innerHTML = '<option value="">any</option>' + names.map((n) => '<option>' + esc(n) + '</option>').join('');
  form.name.value = name;
  const q = new URLSearchParams({ limit: '25' });
  for (const key of ['status', 'name', 'cursor']) if (params.get(key)) q.set(key, params.get(key));
  const answer = await api('/v1/jobs?' + q);
  const state = document.getElementById('list-state');
  if (!answer.ok) { state.textContent = ''; return say(failure(answer), 'error'); }
  const jobs = answer.body.jobs;
  document.querySelector('#jobs tbody').innerHTML = jobs.map((j) => '<tr><td>' + jobLink(j.id) + '</td><td>' + esc(j.name) +
    '</td><td><span class="badge ' + esc(j.status) + '">' + esc(j.status) + '</span></td><td>' + LEVELS[j.priority] + '</td><td>' + j.attempts +
    '</td><td>' + when(j.createdAt) + '</td><td>' + when(j.updatedAt) + '</td></tr>').join('') ||
    '<tr><td colspan="7">No jobs</td></tr>';
  state.textContent = jobs.length + ' job(s) on this page' + (answer.body.cursor ? '; more on the next page' : '');
  const next = document.getElementById('next-page');
  if (answer.body.cursor) {
    const n = new URLSearchParams(params); n.set('cursor', answer.body.cursor);
    next.href = '/dashboard/jobs?' + n; next.hidden = false;
  }
  if (params.get('cursor')) {
    const f = new URLSearchParams(params); f.delete('cursor');
    const first = document.getElementById('first-page');
    first.href = '/dashboard/jobs' + (f.size ? '?' + f : ''); first.hidden = false;
  }
}
void load();`;

function jobBody(id: string): string {
  const safe = escapeHtml(id);
  return `
<h1>Job <span id="job-id">${safe}</span></h1>
<p id="live" class="muted" aria-live="polite"></p>
<div class="actions-bar" role="group" aria-label="Job actions">
  <button type="button" id="cancel" class="danger">Cancel</button>
  <button type="button" id="retry">Retry</button>
  <button type="button" id="remove" class="danger">Remove</button>
  <label>Priority <select id="priority"><option value="2">HIGH</option><option value="1">NORMAL</option><option value="0">LOW</option></select></label>
  <button type="button" id="set-priority" class="secondary">Change priority</button>
  <button type="button" id="type-toggle" class="secondary">Pause this type</button>
</div>
<section aria-labelledby="state-heading"><h2 id="state-heading">State</h2>
<div aria-live="polite" id="state-region">
<dl class="fields" id="fields"></dl>
<p><label for="progress">Progress <span id="progress-text">-</span></label><progress id="progress" max="100" value="0"></progress></p>
</div></section>
<section aria-labelledby="error-heading" id="error-section" hidden><h2 id="error-heading">Error</h2>
<dl class="fields" id="error-fields"></dl><h3>Stack</h3><pre id="error-stack"></pre></section>
<section aria-labelledby="result-heading" id="result-section" hidden><h2 id="result-heading">Result</h2><pre id="result"></pre></section>
<section aria-labelledby="params-heading"><h2 id="params-heading">Params</h2><pre id="params"></pre></section>
<section aria-labelledby="timeline-heading"><h2 id="timeline-heading">Timeline</h2>
<p class="muted">Times from the record, then every event received while this page is open.</p>
<ol class="timeline" id="timeline" aria-live="polite"></ol></section>`;
}

const JOB_SCRIPT = String.raw`
const id = document.getElementById('job-id').textContent;
const FINAL = ['completed', 'failed', 'cancelled', 'duplicated'];
const EVENT_TYPES = ['status', 'scheduled', 'queued', 'started', 'progress', 'completed', 'failed', 'cancelled', 'cancelling',
  'duplicated', 'promoted', 'retrying', 'retried', 'removed', 'stuck'];
const live = document.getElementById('live');
const timeline = document.getElementById('timeline');
let job;
let source;
/** The priority the select last showed from the record: a live update must not undo a choice. */
let shownPriority;
let paused = { queue: false, types: [] };
const stamp = (iso) => new Date(iso).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false }) +
  '.' + String(new Date(iso).getMilliseconds()).padStart(3, '0');
function addTimeline(iso, text) {
  const li = document.createElement('li');
  li.innerHTML = '<time datetime="' + esc(iso) + '">' + esc(stamp(iso)) + '</time> ' + text;
  timeline.append(li);
}
const show = (value) => JSON.stringify(value, null, 2).slice(0, 20000);
function render(j) {
  job = j;
  const rows = [['Type', esc(j.name)], ['Status', '<span class="badge ' + esc(j.status) + '" id="status">' + esc(j.status) + '</span>' +
      (j.cancelRequested ? ' (cancel asked)' : '')], ['Priority', LEVELS[j.priority]], ['Attempts', String(j.attempts)],
    ['Created', when(j.createdAt)], ['Run at', when(j.runAt)], ['Started', when(j.startedAt)], ['Finished', when(j.finishedAt)],
    ['Updated', when(j.updatedAt)]];
  if (j.dedupKey) rows.push(['Dedup key', esc(j.dedupKey)]);
  if (j.duplicateOf) rows.push(['Duplicate of', jobLink(j.duplicateOf)]);
  if (j.timeoutMs !== null) rows.push(['Timeout', j.timeoutMs + ' ms']);
  if (j.retries !== null) rows.push(['Retries', String(j.retries)]);
  document.getElementById('fields').innerHTML = rows.map(([k, v]) => '<dt>' + k + '</dt><dd>' + v + '</dd>').join('');
  const percent = j.progress ? j.progress.percent : (j.status === 'completed' ? 100 : 0);
  document.getElementById('progress').value = percent;
  document.getElementById('progress-text').textContent = percent + '%' + (j.progress?.message ? ', ' + j.progress.message : '');
  document.getElementById('params').textContent = show(j.params);
  document.getElementById('result-section').hidden = j.result === null;
  document.getElementById('result').textContent = j.result === null ? '' : show(j.result);
  document.getElementById('error-section').hidden = j.error === null;
  if (j.error) {
    document.getElementById('error-fields').innerHTML = '<dt>Code</dt><dd id="error-code">' + esc(j.error.code) + '</dd><dt>Class</dt><dd>' +
      esc(j.error.name ?? '-') + '</dd><dt>Message</dt><dd id="error-message">' + esc(j.error.message) + '</dd>';
    document.getElementById('error-stack').textContent = j.error.stack ?? '';
  }
  if (j.priority !== shownPriority) {
    document.getElementById('priority').value = String(j.priority);
    shownPriority = j.priority;
  }
  document.getElementById('cancel').disabled = FINAL.includes(j.status) || j.cancelRequested;
  document.getElementById('retry').disabled = !['failed', 'cancelled'].includes(j.status);
  document.getElementById('remove').disabled = j.status === 'running';
  document.getElementById('set-priority').disabled = !['queued', 'scheduled'].includes(j.status);
  renderTypeToggle();
}
function renderTypeToggle() {
  if (!job) return;
  const typePaused = paused.types.includes(job.name);
  document.getElementById('type-toggle').textContent = (typePaused ? 'Resume ' : 'Pause ') + job.name;
}
// Events can come fast (progress): at most one read of the record in flight, plus one after it.
let reading;
let readAgain = false;
async function refresh() {
  if (reading) { readAgain = true; return reading; }
  reading = read();
  try { return await reading; } finally {
    reading = undefined;
    if (readAgain) { readAgain = false; void refresh(); }
  }
}
async function read() {
  const answer = await api('/v1/dashboard/jobs/' + encodeURIComponent(id));
  if (answer.status === 404) { gone(); return false; }
  if (!answer.ok) { say(failure(answer), 'error'); return false; }
  render(answer.body.job);
  return true;
}
function gone() {
  source?.close();
  live.textContent = 'This job no longer exists (removed, or dropped by retention).';
  for (const b of document.querySelectorAll('.actions-bar button')) b.disabled = true;
}
function describe(type, e) {
  const parts = [];
  if (e.attempt !== undefined) parts.push('attempt ' + e.attempt);
  if (e.waitMs !== undefined) parts.push('waited ' + e.waitMs + ' ms');
  if (e.progress) parts.push(e.progress.percent + '%' + (e.progress.message ? ' ' + esc(e.progress.message) : ''));
  if (e.error) parts.push(esc(e.error.code) + ': ' + esc(e.error.message));
  if (e.priority !== undefined && ['queued', 'promoted', 'retried'].includes(type)) parts.push(LEVELS[e.priority]);
  return '<strong>' + esc(type) + '</strong>' + (parts.length ? ' (' + parts.join(', ') + ')' : '');
}
function follow() {
  source?.close();
  source = new EventSource('/v1/jobs/' + encodeURIComponent(id) + '/events');
  live.textContent = 'Following live...';
  for (const type of EVENT_TYPES) {
    source.addEventListener(type, (message) => {
      const e = JSON.parse(message.data);
      if (type === 'status') render({ ...job, ...e, params: job.params, result: job.result, error: job.error ?? e.error });
      else addTimeline(e.at, describe(type, e));
      const status = type === 'status' ? e.status : type;
      if (type === 'removed') { gone(); return; }
      if (FINAL.includes(status)) { source.close(); live.textContent = 'Finished: ' + status + '.'; }
      // The stream's records lack params, result and stack: read the full record.
      void refresh();
    });
  }
  source.onerror = () => { if (source.readyState === EventSource.CLOSED) live.textContent = 'Live updates stopped.'; };
}
async function loadPaused() {
  const answer = await api('/v1/dashboard/overview');
  if (answer.ok) { paused = answer.body.paused; renderTypeToggle(); }
}
async function start() {
  if (!(await refresh())) return;
  const j = job;
  addTimeline(j.createdAt, '<strong>created</strong>');
  if (j.startedAt) addTimeline(j.startedAt, '<strong>started</strong> (attempt ' + j.attempts + ', from the record)');
  if (j.finishedAt) addTimeline(j.finishedAt, '<strong>' + esc(j.status) + '</strong> (from the record)');
  await loadPaused();
  if (!FINAL.includes(j.status)) follow(); else live.textContent = 'Finished: ' + j.status + '.';
}
void start();
async function post(path, body, done) {
  const answer = await api(path, { admin: true, method: 'POST', body });
  if (!answer.ok) { say(failure(answer), 'error'); return; }
  say(done(answer.body));
  await refresh();
}
document.getElementById('cancel').addEventListener('click', async () => {
  if (!confirm('Cancel job ' + id + '?' + (job.status === 'running' ? ' Its handler is asked to stop.' : ''))) return;
  await post('/v1/jobs/' + encodeURIComponent(id) + '/cancel', undefined, (b) => 'Cancel: ' + b.outcome + ', the job is ' + b.job.status + '.');
});
document.getElementById('retry').addEventListener('click', async () => {
  const answer = await api('/v1/jobs/' + encodeURIComponent(id) + '/retry', { admin: true, method: 'POST', body: {} });
  if (!answer.ok) return say(failure(answer), 'error');
  say('Queued again (attempts so far: ' + answer.body.job.attempts + ').');
  addTimeline(answer.body.job.updatedAt, '<strong>retried</strong> (from this page)');
  follow();
});
document.getElementById('remove').addEventListener('click', async () => {
  if (!confirm('Remove job ' + id + '? Its record is deleted for good.')) return;
  const answer = await api('/v1/jobs/' + encodeURIComponent(id), { admin: true, method: 'DELETE' });
  if (!answer.ok) return say(failure(answer), 'error');
  gone();
  say('Removed job ' + id + '.');
});
document.getElementById('set-priority').addEventListener('click', async () => {
  const priority = Number(document.getElementById('priority').value);
  await post('/v1/jobs/' + encodeURIComponent(id) + '/priority', { priority }, (b) => 'Priority is now ' + LEVELS[b.job.priority] + '.');
});
document.getElementById('type-toggle').addEventListener('click', async () => {
  const action = paused.types.includes(job.name) ? 'resume' : 'pause';
  const answer = await api('/v1/queue/' + action, { admin: true, method: 'POST', body: { name: job.name } });
  if (!answer.ok) return say(failure(answer), 'error');
  paused = answer.body.paused;
  renderTypeToggle();
  say((action === 'pause' ? 'Paused ' : 'Resumed ') + job.name + ' jobs.');
});`;

const UNKNOWN_SCRIPT = '';

export function overviewPage(): string {
  return page({
    title: 'Jobs dashboard',
    body: OVERVIEW_BODY,
    script: OVERVIEW_SCRIPT,
    current: 'dashboard',
  });
}

export function listPage(): string {
  return page({ title: 'Job lists', body: LIST_BODY, script: LIST_SCRIPT, current: 'jobs' });
}

export function jobPage(id: string): string {
  return page({ title: `Job ${id}`, body: jobBody(id), script: JOB_SCRIPT, current: 'jobs' });
}

export function unknownJobPage(id: string): string {
  return page({
    title: 'Unknown job',
    body: `<h1>Unknown job</h1><p class="error" id="unknown">No job with id <code>${escapeHtml(id)}</code>: it never existed, was removed, or was dropped by retention.</p><p><a href="/dashboard/jobs">All jobs</a></p>`,
    script: UNKNOWN_SCRIPT,
    current: 'jobs',
  });
}
