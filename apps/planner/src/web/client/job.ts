/**
 * One job (`/dashboard/jobs/ID`): its full record (params, result, error with stack, attempts,
 * progress, timestamps) and a timeline that grows from the job's event stream while it runs;
 * cancel, retry, remove, change priority and pause/resume its type (admin), confirming what
 * destroys something.
 */
import {
  type Paused,
  api,
  byId,
  esc,
  failure,
  jobLink,
  level,
  say,
  setUpTokenForm,
  when,
} from './common.js';

/** The record as `GET /v1/dashboard/jobs/:id` answers it. */
interface JobDetail {
  readonly id: string;
  readonly name: string;
  readonly status: string;
  readonly priority: number;
  readonly attempts: number;
  readonly progress: { readonly percent: number; readonly message?: string } | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly runAt: string | null;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  readonly dedupKey: string | null;
  readonly duplicateOf: string | null;
  readonly params: unknown;
  readonly result: unknown;
  readonly error: {
    readonly code: string;
    readonly message: string;
    readonly name?: string | null;
    readonly stack?: string | null;
  } | null;
  readonly timeoutMs: number | null;
  readonly retries: number | null;
  readonly cancelRequested: boolean;
}

/** An event of `GET /v1/jobs/:id/events`. */
interface StreamedEvent {
  readonly at: string;
  readonly status?: string;
  readonly attempt?: number;
  readonly waitMs?: number;
  readonly priority?: number;
  readonly progress?: { readonly percent: number; readonly message?: string };
  readonly error?: { readonly code: string; readonly message: string };
}

const FINAL = ['completed', 'failed', 'cancelled', 'duplicated'];
const EVENT_TYPES = [
  'status',
  'scheduled',
  'queued',
  'started',
  'progress',
  'completed',
  'failed',
  'cancelled',
  'cancelling',
  'duplicated',
  'promoted',
  'retrying',
  'retried',
  'removed',
  'stuck',
];

setUpTokenForm();
const id = byId('job-id').textContent ?? '';
const live = byId('live');
const timeline = byId('timeline');
const prioritySelect = byId<HTMLSelectElement>('priority');
const buttons = {
  cancel: byId<HTMLButtonElement>('cancel'),
  retry: byId<HTMLButtonElement>('retry'),
  remove: byId<HTMLButtonElement>('remove'),
  setPriority: byId<HTMLButtonElement>('set-priority'),
  typeToggle: byId<HTMLButtonElement>('type-toggle'),
};
let job: JobDetail | undefined;
let source: EventSource | undefined;
/** The priority the select last showed from the record: a live update must not undo a choice. */
let shownPriority: number | undefined;
let paused: Paused = { queue: false, types: [] };

function stamp(iso: string): string {
  const date = new Date(iso);
  const time = date.toLocaleTimeString(undefined, {
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hour12: false,
  });
  return `${time}.${String(date.getMilliseconds()).padStart(3, '0')}`;
}

function addTimeline(iso: string, html: string): void {
  const item = document.createElement('li');
  item.innerHTML = `<time datetime="${esc(iso)}">${esc(stamp(iso))}</time> ${html}`;
  timeline.append(item);
}

const show = (value: unknown): string => JSON.stringify(value, null, 2).slice(0, 20_000);

function render(j: JobDetail): void {
  job = j;
  const rows: [string, string][] = [
    ['Type', esc(j.name)],
    [
      'Status',
      `<span class="badge ${esc(j.status)}" id="status">${esc(j.status)}</span>${j.cancelRequested ? ' (cancel asked)' : ''}`,
    ],
    ['Priority', level(j.priority)],
    ['Attempts', String(j.attempts)],
    ['Created', when(j.createdAt)],
    ['Run at', when(j.runAt)],
    ['Started', when(j.startedAt)],
    ['Finished', when(j.finishedAt)],
    ['Updated', when(j.updatedAt)],
  ];
  if (j.dedupKey) rows.push(['Dedup key', esc(j.dedupKey)]);
  if (j.duplicateOf) rows.push(['Duplicate of', jobLink(j.duplicateOf)]);
  if (j.timeoutMs !== null) rows.push(['Timeout', `${j.timeoutMs} ms`]);
  if (j.retries !== null) rows.push(['Retries', String(j.retries)]);
  byId('fields').innerHTML = rows.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('');
  const percent = j.progress ? j.progress.percent : j.status === 'completed' ? 100 : 0;
  byId<HTMLProgressElement>('progress').value = percent;
  byId('progress-text').textContent =
    `${percent}%` + (j.progress?.message ? `, ${j.progress.message}` : '');
  byId('params').textContent = show(j.params);
  byId('result-section').hidden = j.result === null;
  byId('result').textContent = j.result === null ? '' : show(j.result);
  byId('error-section').hidden = j.error === null;
  if (j.error) {
    byId('error-fields').innerHTML =
      `<dt>Code</dt><dd id="error-code">${esc(j.error.code)}</dd><dt>Class</dt><dd>${esc(j.error.name ?? '-')}</dd>` +
      `<dt>Message</dt><dd id="error-message">${esc(j.error.message)}</dd>`;
    byId('error-stack').textContent = j.error.stack ?? '';
  }
  if (j.priority !== shownPriority) {
    prioritySelect.value = String(j.priority);
    shownPriority = j.priority;
  }
  buttons.cancel.disabled = FINAL.includes(j.status) || j.cancelRequested;
  buttons.retry.disabled = !['failed', 'cancelled'].includes(j.status);
  buttons.remove.disabled = j.status === 'running';
  buttons.setPriority.disabled = !['queued', 'scheduled'].includes(j.status);
  renderTypeToggle();
}

function renderTypeToggle(): void {
  if (!job) return;
  const typePaused = paused.types.includes(job.name);
  buttons.typeToggle.textContent = `${typePaused ? 'Resume ' : 'Pause '}${job.name}`;
}

// Events can come fast (progress): at most one read of the record in flight, plus one after it.
let reading: Promise<boolean> | undefined;
let readAgain = false;
async function refresh(): Promise<boolean> {
  if (reading) {
    readAgain = true;
    return reading;
  }
  reading = read();
  try {
    return await reading;
  } finally {
    reading = undefined;
    if (readAgain) {
      readAgain = false;
      void refresh();
    }
  }
}

async function read(): Promise<boolean> {
  const answer = await api<{ job: JobDetail }>(`/v1/dashboard/jobs/${encodeURIComponent(id)}`);
  if (answer.status === 404) {
    gone();
    return false;
  }
  if (!answer.ok) {
    say(failure(answer), 'error');
    return false;
  }
  render(answer.body.job);
  return true;
}

function gone(): void {
  source?.close();
  live.textContent = 'This job no longer exists (removed, or dropped by retention).';
  for (const button of Object.values(buttons)) button.disabled = true;
}

function describe(type: string, e: StreamedEvent): string {
  const parts: string[] = [];
  if (e.attempt !== undefined) parts.push(`attempt ${e.attempt}`);
  if (e.waitMs !== undefined) parts.push(`waited ${e.waitMs} ms`);
  if (e.progress) {
    parts.push(`${e.progress.percent}%${e.progress.message ? ` ${esc(e.progress.message)}` : ''}`);
  }
  if (e.error) parts.push(`${esc(e.error.code)}: ${esc(e.error.message)}`);
  if (e.priority !== undefined && ['queued', 'promoted', 'retried'].includes(type)) {
    parts.push(level(e.priority));
  }
  return `<strong>${esc(type)}</strong>${parts.length ? ` (${parts.join(', ')})` : ''}`;
}

function follow(): void {
  source?.close();
  const stream = new EventSource(`/v1/jobs/${encodeURIComponent(id)}/events`);
  source = stream;
  live.textContent = 'Following live...';
  for (const type of EVENT_TYPES) {
    stream.addEventListener(type, (message) => {
      const e = JSON.parse(message.data as string) as StreamedEvent & Partial<JobDetail>;
      if (type === 'status' && job !== undefined) {
        render({
          ...job,
          ...e,
          params: job.params,
          result: job.result,
          error: job.error ?? e.error ?? null,
        });
      } else if (type !== 'status') {
        addTimeline(e.at, describe(type, e));
      }
      if (type === 'removed') {
        gone();
        return;
      }
      const status = type === 'status' ? e.status : type;
      if (status !== undefined && FINAL.includes(status)) {
        stream.close();
        live.textContent = `Finished: ${status}.`;
      }
      // The stream's records lack params, result and stack: read the full record.
      void refresh();
    });
  }
  stream.addEventListener('error', () => {
    if (stream.readyState === EventSource.CLOSED) live.textContent = 'Live updates stopped.';
  });
}

async function loadPaused(): Promise<void> {
  const answer = await api<{ paused: Paused }>('/v1/dashboard/overview');
  if (answer.ok) {
    paused = answer.body.paused;
    renderTypeToggle();
  }
}

async function start(): Promise<void> {
  if (!(await refresh()) || job === undefined) return;
  const j = job;
  addTimeline(j.createdAt, '<strong>created</strong>');
  if (j.startedAt) {
    addTimeline(j.startedAt, `<strong>started</strong> (attempt ${j.attempts}, from the record)`);
  }
  if (j.finishedAt) {
    addTimeline(j.finishedAt, `<strong>${esc(j.status)}</strong> (from the record)`);
  }
  await loadPaused();
  if (!FINAL.includes(j.status)) follow();
  else live.textContent = `Finished: ${j.status}.`;
}

void start();

const jobPath = `/v1/jobs/${encodeURIComponent(id)}`;

buttons.cancel.addEventListener('click', () => {
  const running = job?.status === 'running';
  if (!confirm(`Cancel job ${id}?${running ? ' Its handler is asked to stop.' : ''}`)) return;
  void (async () => {
    const answer = await api<{ outcome: string; job: { status: string } }>(`${jobPath}/cancel`, {
      admin: true,
      method: 'POST',
    });
    if (!answer.ok) return say(failure(answer), 'error');
    say(`Cancel: ${answer.body.outcome}, the job is ${answer.body.job.status}.`);
    await refresh();
  })();
});

buttons.retry.addEventListener('click', () => {
  void (async () => {
    const answer = await api<{ job: { attempts: number; updatedAt: string } }>(`${jobPath}/retry`, {
      admin: true,
      method: 'POST',
      body: {},
    });
    if (!answer.ok) return say(failure(answer), 'error');
    say(`Queued again (attempts so far: ${answer.body.job.attempts}).`);
    addTimeline(answer.body.job.updatedAt, '<strong>retried</strong> (from this page)');
    follow();
  })();
});

buttons.remove.addEventListener('click', () => {
  if (!confirm(`Remove job ${id}? Its record is deleted for good.`)) return;
  void (async () => {
    const answer = await api(jobPath, { admin: true, method: 'DELETE' });
    if (!answer.ok) return say(failure(answer), 'error');
    gone();
    say(`Removed job ${id}.`);
  })();
});

buttons.setPriority.addEventListener('click', () => {
  const priority = Number(prioritySelect.value);
  void (async () => {
    const answer = await api<{ job: { priority: number } }>(`${jobPath}/priority`, {
      admin: true,
      method: 'POST',
      body: { priority },
    });
    if (!answer.ok) return say(failure(answer), 'error');
    say(`Priority is now ${level(answer.body.job.priority)}.`);
    await refresh();
  })();
});

buttons.typeToggle.addEventListener('click', () => {
  if (job === undefined) return;
  const name = job.name;
  const action = paused.types.includes(name) ? 'resume' : 'pause';
  void (async () => {
    const answer = await api<{ paused: Paused }>(`/v1/queue/${action}`, {
      admin: true,
      method: 'POST',
      body: { name },
    });
    if (!answer.ok) return say(failure(answer), 'error');
    paused = answer.body.paused;
    renderTypeToggle();
    say(`${action === 'pause' ? 'Paused ' : 'Resumed '}${name} jobs.`);
  })();
});
