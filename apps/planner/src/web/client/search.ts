/**
 * The search page (`/`): asks `GET /v1/planning` and shows the plans. The job ids (the user's and
 * the four background levels) link to their job view; the suggestions for an unknown place are
 * buttons that search them; the form is busy while a request runs. A link with the search in its
 * query (`/?location=...&date=...`) plans at once.
 */
import { byId, esc, jobLink, setUpTokenForm } from './common.js';

interface Place {
  readonly name: string;
  readonly category: string;
  readonly rating: number;
  readonly priceLevel: number;
  readonly address: string;
  readonly startTime: string;
  readonly endTime: string;
}

interface BackgroundJob {
  readonly priceLevel: number;
  readonly jobId: string | null;
  readonly status: string;
}

interface PlanningAnswer {
  readonly error?: { readonly message: string; readonly suggestions?: readonly string[] };
  readonly message?: string;
  readonly jobId?: string;
  readonly notice?: string;
  readonly travelDestination?: string;
  readonly date?: string;
  readonly priceLevel?: number;
  readonly fromCache?: boolean;
  readonly backgroundJobs?: readonly BackgroundJob[];
  readonly travelPlans?: readonly { readonly score: number; readonly places: readonly Place[] }[];
}

setUpTokenForm();
const form = byId<HTMLFormElement>('search');
const field = <T extends HTMLInputElement | HTMLSelectElement = HTMLInputElement>(
  name: string,
): T => form.elements.namedItem(name) as T;
const locationField = field('location');
const dateField = field('date');
const priceField = field<HTMLSelectElement>('price');
const resultsField = field('numberResults');
const nearbyField = field('nearby');
const result = byId('result');
const button = byId<HTMLButtonElement>('plan-button');
dateField.value = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);

const query = (): URLSearchParams =>
  new URLSearchParams({
    location: locationField.value,
    date: dateField.value,
    price: priceField.value,
    numberResults: resultsField.value,
    nearby: String(nearbyField.checked),
  });

function busy(on: boolean): void {
  button.disabled = on;
  button.textContent = on ? 'Planning...' : 'Plan';
  result.setAttribute('aria-busy', String(on));
  form.setAttribute('aria-busy', String(on));
}

function backgroundList(jobs: readonly BackgroundJob[] = []): string {
  const items = jobs.map(
    (j) =>
      `level ${j.priceLevel} ` +
      (j.jobId
        ? `<span data-level="${j.priceLevel}">${jobLink(j.jobId)}</span> (${esc(j.status)})`
        : esc(j.status)),
  );
  return `<p class="muted">Other price levels: ${items.join(', ')}</p>`;
}

function planHtml(plan: { score: number; places: readonly Place[] }, index: number): string {
  const places = plan.places
    .map(
      (p) =>
        `<li>${esc(p.startTime)}-${esc(p.endTime)} <strong>${esc(p.name)}</strong> <span class="muted">${esc(p.category)}, rating ${p.rating}, price ${p.priceLevel}, ${esc(p.address)}</span></li>`,
    )
    .join('');
  return `<div class="plan"><strong>Plan ${index + 1}</strong> <span class="muted">score ${plan.score.toFixed(3)}</span><ol>${places}</ol></div>`;
}

function show(response: Response, body: PlanningAnswer, ms: number): void {
  if (!response.ok) {
    const suggestions = body.error?.suggestions ?? [];
    const buttons = suggestions
      .map(
        (s) => `<button type="button" class="link" data-suggestion="${esc(s)}">${esc(s)}</button>`,
      )
      .join('; ');
    result.innerHTML =
      `<p class="error">${esc(body.error?.message ?? `HTTP ${response.status}`)}</p>` +
      (suggestions.length === 0
        ? ''
        : `<p>Did you mean: <span id="suggestions">${buttons}</span>?</p>`);
    return;
  }
  if (response.status === 202) {
    result.innerHTML =
      `<p class="note">${esc(body.message)} Follow job <span id="user-job">${jobLink(body.jobId ?? '')}</span>.</p>` +
      backgroundList(body.backgroundJobs);
    return;
  }
  const source = body.fromCache
    ? 'from cache'
    : `computed by job <span id="user-job">${jobLink(body.jobId ?? '')}</span>`;
  result.innerHTML =
    (body.notice ? `<p class="note">${esc(body.notice)}</p>` : '') +
    `<p class="muted">${esc(body.travelDestination)}, ${esc(body.date)}, price level ${body.priceLevel} &middot; ${source} in ${ms} ms</p>` +
    backgroundList(body.backgroundJobs) +
    (body.travelPlans ?? []).map(planHtml).join('');
}

async function plan(): Promise<void> {
  const q = query();
  busy(true);
  result.innerHTML = '<p class="muted" id="busy">Planning, this can take a few seconds...</p>';
  const started = performance.now();
  try {
    const response = await fetch(`/v1/planning?${q.toString()}`);
    const body = (await response.json()) as PlanningAnswer;
    show(response, body, Math.round(performance.now() - started));
  } catch (error) {
    result.innerHTML = `<p class="error">The request failed: ${esc((error as Error).message)}</p>`;
  } finally {
    busy(false);
  }
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  history.replaceState(null, '', `/?${query().toString()}`);
  void plan();
});

result.addEventListener('click', (event) => {
  const suggestion = (event.target as Element).closest<HTMLElement>('[data-suggestion]');
  if (!suggestion) return;
  locationField.value = suggestion.dataset['suggestion'] ?? '';
  history.replaceState(null, '', `/?${query().toString()}`);
  void plan();
});

const shared = new URLSearchParams(location.search);
if (shared.has('location')) {
  const fields = {
    location: locationField,
    date: dateField,
    price: priceField,
    numberResults: resultsField,
  };
  for (const [name, input] of Object.entries(fields)) {
    const value = shared.get(name);
    if (value !== null) input.value = value;
  }
  nearbyField.checked = shared.get('nearby') === 'true';
  void plan();
}
