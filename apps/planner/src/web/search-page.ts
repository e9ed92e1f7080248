/**
 * The search page (`/`): asks /v1/planning and shows the plans. The job ids (the user's and the
 * four background levels) link to their job view; the suggestions for an unknown place are
 * buttons that search them; the form is busy while a request runs.
 */
import { page } from './layout.js';

const BODY = `
<h1>Plan a day</h1>
<form id="search" class="panel" aria-label="Plan a day">
  <label>Where <input name="location" value="San Jose, CA, USA" size="28" required></label>
  <label>Date <input name="date" type="date" required></label>
  <label>Price level <select name="price">
    <option value="0">0 free</option><option value="1">1 inexpensive</option>
    <option value="2" selected>2 moderate</option><option value="3">3 expensive</option>
    <option value="4">4 very expensive</option></select></label>
  <label>Plans <input name="numberResults" type="number" min="1" max="20" value="5"></label>
  <label class="inline"><input name="nearby" type="checkbox"> Nearby cities</label>
  <button id="plan-button">Plan</button>
</form>
<section id="result" aria-live="polite" aria-label="Plans"></section>`;

const SCRIPT = String.raw`
const form = document.getElementById('search');
const result = document.getElementById('result');
const button = document.getElementById('plan-button');
form.date.value = new Date(Date.now() + 86400000).toISOString().slice(0, 10);
form.addEventListener('submit', (event) => {
  event.preventDefault();
  history.replaceState(null, '', '/?' + query());
  void plan();
});
const query = () => new URLSearchParams({ location: form.location.value, date: form.date.value, price: form.price.value,
  numberResults: form.numberResults.value, nearby: String(form.nearby.checked) });
const backgroundList = (jobs) => '<p class="muted">Other price levels: ' + jobs.map((j) => 'level ' + j.priceLevel + ' ' +
  (j.jobId ? '<span data-level="' + j.priceLevel + '">' + jobLink(j.jobId) + '</span>' + ' (' + esc(j.status) + ')' : esc(j.status))).join(', ') + '</p>';
function busy(on) {
  button.disabled = on;
  button.textContent = on ? 'Planning...' : 'Plan';
  result.setAttribute('aria-busy', String(on));
  form.setAttribute('aria-busy', String(on));
}
async function plan() {
  const q = query();
  busy(true);
  result.innerHTML = '<p class="muted" id="busy">Planning, this can take a few seconds...</p>';
  const started = performance.now();
  try {
    const response = await fetch('/v1/planning?' + q);
    const body = await response.json();
    show(response, body, Math.round(performance.now() - started));
  } catch (error) {
    result.innerHTML = '<p class="error">The request failed: ' + esc(error.message) + '</p>';
  } finally {
    busy(false);
  }
}
function show(response, body, ms) {
  if (!response.ok) {
    const suggestions = body.error.suggestions ?? [];
    result.innerHTML = '<p class="error">' + esc(body.error.message) + '</p>' + (suggestions.length === 0 ? '' :
      '<p>Did you mean: <span id="suggestions">' + suggestions.map((s) =>
        '<button type="button" class="link" data-suggestion="' + esc(s) + '">' + esc(s) + '</button>').join('; ') + '</span>?</p>');
    return;
  }
  if (response.status === 202) {
    result.innerHTML = '<p class="note">' + esc(body.message) + ' Follow job <span id="user-job">' + jobLink(body.jobId) + '</span>.</p>' +
      backgroundList(body.backgroundJobs);
    return;
  }
  result.innerHTML = (body.notice ? '<p class="note">' + esc(body.notice) + '</p>' : '') +
    '<p class="muted">' + esc(body.travelDestination) + ', ' + esc(body.date) + ', price level ' + body.priceLevel +
    ' &middot; ' + (body.fromCache ? 'from cache' : 'computed by job <span id="user-job">' + jobLink(body.jobId) + '</span>') + ' in ' + ms + ' ms</p>' +
    backgroundList(body.backgroundJobs) +
    body.travelPlans.map((plan, i) => '<div class="plan"><strong>Plan ' + (i + 1) + '</strong> <span class="muted">score ' +
      plan.score.toFixed(3) + '</span><ol>' + plan.places.map((p) => '<li>' + esc(p.startTime) + '-' + esc(p.endTime) + ' <strong>' +
      esc(p.name) + '</strong> <span class="muted">' + esc(p.category) + ', rating ' + p.rating + ', price ' + p.priceLevel +
      ', ' + esc(p.address) + '</span></li>').join('') + '</ol></div>').join('');
}
result.addEventListener('click', (event) => {
  const suggestion = event.target.closest('[data-suggestion]');
  if (!suggestion) return;
  form.location.value = suggestion.dataset.suggestion;
  history.replaceState(null, '', '/?' + query());
  void plan();
});
// A link with the search in its query (/?location=...&date=...&price=...) plans at once.
const shared = new URLSearchParams(location.search);
if (shared.has('location')) {
  for (const name of ['location', 'date', 'price', 'numberResults']) if (shared.has(name)) form[name].value = shared.get(name);
  form.nearby.checked = shared.get('nearby') === 'true';
  void plan();
}`;

export function searchPage(): string {
  return page({ title: 'Plan a day', body: BODY, script: SCRIPT, current: 'search' });
}
