/**
 * The search page (`/`): the form; client/search.ts asks /v1/planning and shows the plans, the
 * job ids linked to their job view, the suggestions for an unknown place as buttons, and a busy
 * state while a request runs.
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

export function searchPage(): string {
  return page({ title: 'Plan a day', body: BODY, script: 'search', current: 'search' });
}
