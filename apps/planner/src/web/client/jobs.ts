/**
 * The job lists (`/dashboard/jobs?status=&name=&cursor=`): one page of `GET /v1/jobs` for the
 * status and type in the address (deep-linkable), each row a link to the job, with links to the
 * next page (the cursor) and back to the first.
 */
import {
  type JobRow,
  type Overview,
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

setUpTokenForm();
const params = new URLSearchParams(location.search);
const form = byId<HTMLFormElement>('filter');
const statusField = form.elements.namedItem('status') as HTMLSelectElement;
const nameField = form.elements.namedItem('name') as HTMLSelectElement;
const status = params.get('status') ?? '';
const name = params.get('name') ?? '';
statusField.value = status;

// Empty fields mean "any": leave them out of the deep link.
form.addEventListener('submit', (event) => {
  event.preventDefault();
  const q = new URLSearchParams();
  if (statusField.value) q.set('status', statusField.value);
  if (nameField.value) q.set('name', nameField.value);
  location.href = `/dashboard/jobs${q.size ? `?${q.toString()}` : ''}`;
});

byId('list-title').textContent =
  (status ? `${status[0]!.toUpperCase()}${status.slice(1)} jobs` : 'Jobs') +
  (name ? ` of type ${name}` : '');

function row(j: JobRow): string {
  return (
    `<tr><td data-label="Id">${jobLink(j.id)}</td><td data-label="Type">${esc(j.name)}</td>` +
    `<td data-label="Status"><span class="badge ${esc(j.status)}">${esc(j.status)}</span></td>` +
    `<td data-label="Priority">${level(j.priority)}</td><td data-label="Attempts">${j.attempts}</td>` +
    `<td data-label="Created">${when(j.createdAt)}</td><td data-label="Updated">${when(j.updatedAt)}</td></tr>`
  );
}

async function load(): Promise<void> {
  const overview = await api<Overview>('/v1/dashboard/overview');
  const names = overview.ok ? Object.keys(overview.body.types) : [];
  if (name && !names.includes(name)) names.push(name);
  nameField.innerHTML =
    '<option value="">any</option>' + names.map((n) => `<option>${esc(n)}</option>`).join('');
  nameField.value = name;
  const q = new URLSearchParams({ limit: '25' });
  for (const key of ['status', 'name', 'cursor']) {
    const value = params.get(key);
    if (value) q.set(key, value);
  }
  const answer = await api<{ jobs: JobRow[]; cursor: string | null }>(`/v1/jobs?${q.toString()}`);
  const state = byId('list-state');
  if (!answer.ok) {
    state.textContent = '';
    return say(failure(answer), 'error');
  }
  const { jobs, cursor } = answer.body;
  byId('jobs').querySelector('tbody')!.innerHTML =
    jobs.map(row).join('') || '<tr><td colspan="7">No jobs</td></tr>';
  state.textContent = `${jobs.length} job(s) on this page${cursor ? '; more on the next page' : ''}`;
  if (cursor) {
    const next = new URLSearchParams(params);
    next.set('cursor', cursor);
    const link = byId<HTMLAnchorElement>('next-page');
    link.href = `/dashboard/jobs?${next.toString()}`;
    link.hidden = false;
  }
  if (params.get('cursor')) {
    const first = new URLSearchParams(params);
    first.delete('cursor');
    const link = byId<HTMLAnchorElement>('first-page');
    link.href = `/dashboard/jobs${first.size ? `?${first.toString()}` : ''}`;
    link.hidden = false;
  }
}

void load();
