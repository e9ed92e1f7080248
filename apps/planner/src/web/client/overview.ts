/**
 * The overview (`/dashboard`): follows the overview stream (server-sent events) and renders the
 * queue state, the priority levels and the job types; pauses and resumes the queue or a type and
 * retries every failed job of a type (admin).
 */
import {
  type Counts,
  type Overview,
  type Paused,
  api,
  byId,
  esc,
  failure,
  say,
  setUpTokenForm,
} from './common.js';

const STATUSES = [
  'scheduled',
  'queued',
  'running',
  'completed',
  'failed',
  'cancelled',
] as const satisfies readonly (keyof Counts)[];

setUpTokenForm();
const live = byId('live');
const queueToggle = byId<HTMLButtonElement>('queue-toggle');
let current: Overview | undefined;

function typeRow(name: string, counts: Counts, paused: boolean): string {
  const link = encodeURIComponent(name);
  const cells = STATUSES.map(
    (s) =>
      `<td data-label="${s}"><a href="/dashboard/jobs?status=${s}&name=${link}" aria-label="${counts[s]} ${s} ${esc(name)} jobs">${counts[s]}</a></td>`,
  ).join('');
  const state = paused
    ? '<span class="badge failed">paused</span>'
    : '<span class="badge completed">running</span>';
  const toggle = `<button type="button" class="secondary" data-action="${paused ? 'resume' : 'pause'}" data-name="${esc(name)}">${paused ? 'Resume ' : 'Pause '}${esc(name)}</button>`;
  const retry = `<button type="button" class="secondary" data-action="retry-failed" data-name="${esc(name)}"${counts.failed === 0 ? ' disabled' : ''}>Retry ${counts.failed} failed</button>`;
  return `<tr data-type="${esc(name)}"><th scope="row"><a href="/dashboard/jobs?name=${link}">${esc(name)}</a></th>${cells}<td data-label="State">${state}</td><td data-label="Actions"><div class="actions">${toggle}${retry}</div></td></tr>`;
}

function render(o: Overview): void {
  current = o;
  byId('queue-state').innerHTML = o.paused.queue
    ? '<span class="badge failed">Paused</span> no job of any type starts; submits are still taken'
    : `<span class="badge completed">Running</span> ${o.counts.queued} queued, ${o.counts.running} running, ${o.counts.scheduled} scheduled`;
  queueToggle.textContent = o.paused.queue ? 'Resume the queue' : 'Pause the queue';
  byId('levels').querySelector('tbody')!.innerHTML = (['high', 'normal', 'low'] as const)
    .map((name) => {
      const l = o.levels[name];
      return `<tr><th scope="row">${name.toUpperCase()}</th><td data-label="Queued">${l.queued}</td><td data-label="Started (window)">${l.wait.count}</td><td data-label="Wait p50">${l.wait.p50} ms</td><td data-label="Wait p99">${l.wait.p99} ms</td></tr>`;
    })
    .join('');
  const rows = Object.entries(o.types).map(([name, counts]) =>
    typeRow(name, counts, o.paused.types.includes(name)),
  );
  byId('types').querySelector('tbody')!.innerHTML =
    rows.join('') || '<tr><td colspan="9">No job types yet</td></tr>';
  live.textContent = `Live, updated ${new Date(o.at).toLocaleTimeString()}`;
}

const source = new EventSource('/v1/dashboard/overview/stream');
source.addEventListener('overview', (event) =>
  render(JSON.parse(event.data as string) as Overview),
);
source.addEventListener('unavailable', () => {
  live.textContent = 'The job backend does not answer; retrying';
});
source.addEventListener('error', () => {
  live.textContent = 'Connection lost; reconnecting...';
});
window.addEventListener('pagehide', () => source.close());

async function act(action: string, name: string | undefined): Promise<void> {
  if (action === 'retry-failed' && name !== undefined) {
    if (!confirm(`Queue again every failed ${name} job?`)) return;
    const answer = await api<{ retried: number; skipped: number; more: boolean }>(
      '/v1/jobs/retry-failed',
      { admin: true, method: 'POST', body: { name } },
    );
    if (!answer.ok) return say(`Retry failed: ${failure(answer)}`, 'error');
    const { retried, skipped, more } = answer.body;
    return say(
      `Queued again ${retried} failed ${name} job(s)${skipped ? `, ${skipped} had changed meanwhile` : ''}${more ? '; more remain, run it again' : ''}.`,
    );
  }
  const answer = await api<{ paused: Paused }>(`/v1/queue/${action}`, {
    admin: true,
    method: 'POST',
    body: name === undefined ? {} : { name },
  });
  if (!answer.ok) return say(`${action} failed: ${failure(answer)}`, 'error');
  if (current !== undefined) render({ ...current, paused: answer.body.paused });
  say(`${action === 'pause' ? 'Paused ' : 'Resumed '}${name ?? 'the queue'}.`);
}

byId('types').addEventListener('click', (event) => {
  const button = (event.target as Element).closest<HTMLButtonElement>('button[data-action]');
  if (button) void act(button.dataset['action']!, button.dataset['name']);
});
queueToggle.addEventListener('click', () => {
  if (current) void act(current.paused.queue ? 'resume' : 'pause', undefined);
});
