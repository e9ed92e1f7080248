/**
 * The dashboard pages' HTML: the overview (`/dashboard`, script client/overview.ts, live from the
 * overview event stream), the job lists by status and type (`/dashboard/jobs?status=&name=&cursor=`,
 * client/jobs.ts), and one job (`/dashboard/jobs/ID`, client/job.ts, live from the job's event
 * stream). The admin actions ask for the token once (kept in session storage) and confirm before
 * they destroy anything.
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
<div class="scroll"><table id="levels" class="cards" aria-labelledby="levels-heading"><thead><tr><th scope="col">Priority</th><th scope="col">Queued</th><th scope="col">Started (window)</th><th scope="col">Wait p50</th><th scope="col">Wait p99</th></tr></thead><tbody></tbody></table></div>
<h2 id="types-heading">Job types</h2>
<div class="scroll"><table id="types" class="cards" aria-labelledby="types-heading"><thead><tr><th scope="col">Type</th>${COUNTED.map((s) => `<th scope="col">${s}</th>`).join('')}<th scope="col">State</th><th scope="col">Actions</th></tr></thead><tbody></tbody></table></div>`;

const LIST_BODY = `
<h1 id="list-title">Jobs</h1>
<form id="filter" class="panel" method="get" action="/dashboard/jobs" aria-label="Filter jobs">
  <label>Status <select name="status"><option value="">any</option>${LIST_STATUS_ORDER.map((s) => `<option>${s}</option>`).join('')}</select></label>
  <label>Type <select name="name"><option value="">any</option></select></label>
  <button>Show</button>
</form>
<p id="list-state" class="muted" aria-live="polite"></p>
<div class="scroll"><table id="jobs" class="cards" aria-labelledby="list-title"><thead><tr><th scope="col">Id</th><th scope="col">Type</th><th scope="col">Status</th><th scope="col">Priority</th><th scope="col">Attempts</th><th scope="col">Created</th><th scope="col">Updated</th></tr></thead><tbody></tbody></table></div>
<nav aria-label="Pages" class="actions-bar"><a id="first-page" hidden>First page</a><a id="next-page" hidden>Next page</a></nav>`;

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

export function overviewPage(): string {
  return page({
    title: 'Jobs dashboard',
    body: OVERVIEW_BODY,
    script: 'overview',
    current: 'dashboard',
  });
}

export function listPage(): string {
  return page({ title: 'Job lists', body: LIST_BODY, script: 'jobs', current: 'jobs' });
}

export function jobPage(id: string): string {
  return page({ title: `Job ${id}`, body: jobBody(id), script: 'job', current: 'jobs' });
}

export function unknownJobPage(id: string): string {
  return page({
    title: 'Unknown job',
    body: `<h1>Unknown job</h1><p class="error" id="unknown">No job with id <code>${escapeHtml(id)}</code>: it never existed, was removed, or was dropped by retention.</p><p><a href="/dashboard/jobs">All jobs</a></p>`,
    current: 'jobs',
  });
}
