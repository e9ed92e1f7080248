/**
 * The search page and the dashboard in a real browser (Debian's chromium through playwright-core)
 * against the service on a real port. Every page fails the test on a console error or an uncaught
 * exception; each step leaves a screenshot in apps/planner/test-artifacts/browser.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { JobPriority } from 'jobdispatch';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { Service } from '../../src/service.js';
import { ADMIN_TOKEN, startTestService } from '../http-helpers.js';
import { buildPageScripts } from '../page-scripts.js';
import { ARTIFACTS, type WatchedPage, launch, missingBrowser, watchedPage } from './browser.js';

/** Where the committed dashboard screenshot goes when UPDATE_DOCS_SCREENSHOT=1. */
const DOCS_SCREENSHOT = join(import.meta.dirname, '..', '..', '..', '..', 'docs', 'dashboard.png');

/** A date no other test of this file uses, so no search is answered from cache or deduplicated. */
function futureDate(days: number): string {
  return new Date(Date.now() + days * 24 * 60 * 60 * 1000).toISOString().slice(0, 10);
}

class FlakyServiceError extends Error {
  override name = 'FlakyServiceError';
}

/** Waits until the job page shows `status` (it updates itself from the event stream, never reloaded). */
async function statusShown(page: Page, status: string): Promise<void> {
  await page.locator('#status', { hasText: new RegExp(`^${status}$`) }).waitFor();
}

async function giveTokenIfAsked(page: Page): Promise<void> {
  const form = page.locator('#token-form');
  await form.waitFor({ state: 'visible' });
  await form.getByLabel(/Admin token/).fill(ADMIN_TOKEN);
  await form.getByRole('button', { name: 'Use token' }).click();
}

describe('the search page and the dashboard in a browser', () => {
  let service: Service;
  let base: string;
  let browser: Browser;
  let context: BrowserContext;
  const watched: WatchedPage[] = [];
  /** Flaky jobs fail until this is set. */
  let fixed = false;

  before(async () => {
    // Never skipped: without a browser the suite fails, saying what to install.
    const missing = missingBrowser();
    if (missing !== undefined) throw new Error(`the browser tests cannot run: ${missing}`);
    buildPageScripts();
    service = await startTestService({
      http: true,
      port: 0,
      host: '127.0.0.1',
      workers: 2,
      requestTimeoutMs: 4_000,
    });
    service.dispatcher.register(
      {
        jobType: 'Flaky',
        execute: () => {
          if (!fixed) return Promise.reject(new FlakyServiceError('the flaky service said no'));
          return Promise.resolve({ ok: true });
        },
      },
      { retries: 0 },
    );
    service.dispatcher.register({
      jobType: 'Paged',
      execute: () => Promise.resolve('paged'),
    });
    base = service.url!;
    browser = await launch();
    context = await browser.newContext({ baseURL: base, viewport: { width: 1200, height: 900 } });
  });
  after(async () => {
    await context?.close();
    await browser?.close();
    await service?.close();
  });

  const open = async (): Promise<WatchedPage> => {
    const page = await watchedPage(context);
    watched.push(page);
    return page;
  };
  const noErrors = (page: WatchedPage): void => assert.deepEqual(page.errors, []);

  it('searches a city, with a busy state, and follows the HIGH job to its result', async () => {
    const w = await open();
    const { page } = w;
    await page.goto('/');
    // Hold the planning request until the busy state has been seen.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route('**/v1/planning?*', async (route) => {
      await held;
      await route.continue();
    });
    await page.getByLabel('Where').fill('San Jose, CA, USA');
    await page.getByLabel('Date').fill(futureDate(10));
    await page.getByRole('button', { name: 'Plan' }).click();
    const button = page.locator('#plan-button');
    await page.locator('#result[aria-busy="true"]').waitFor();
    assert.equal(await button.isDisabled(), true, 'the button is disabled while planning');
    assert.equal(await button.textContent(), 'Planning...');
    await w.shot('01-search-busy');
    release();
    await page.locator('#user-job a').waitFor();
    assert.equal(await button.isDisabled(), false);
    const levels = await page.locator('[data-level] a').count();
    assert.equal(levels, 4, 'the four background levels link to their jobs');
    await w.shot('02-search-result');
    const userJob = (await page.locator('#user-job a').textContent())!;
    await page.locator('#user-job a').click();
    await page.waitForURL(`**/dashboard/jobs/${userJob}`);
    await statusShown(page, 'completed');
    const job = await service.dispatcher.get(userJob);
    assert.equal(job?.priority, JobPriority.High);
    await page.locator('#result-section').waitFor({ state: 'visible' });
    assert.match((await page.locator('#result').textContent())!, /"plans"|"travelPlans"|\{/);
    assert.match((await page.locator('#fields').textContent())!, /PriorityHIGH/);
    assert.equal(await page.locator('#progress').getAttribute('max'), '100');
    await w.shot('03-high-job-result');
    noErrors(w);
  });

  it('offers clickable suggestions for an unknown place', async () => {
    const w = await open();
    const { page } = w;
    await page.goto('/');
    await page.getByLabel('Where').fill('San Jsoe, CA, USA');
    await page.getByLabel('Date').fill(futureDate(11));
    await page.getByRole('button', { name: 'Plan' }).click();
    const suggestion = page.locator('#suggestions button').first();
    await suggestion.waitFor();
    assert.equal(await suggestion.textContent(), 'San Jose, CA, United States');
    await w.shot('04-suggestions');
    // The refused request is the one error the browser reports: the resource's 4xx status.
    assert.equal(w.errors.length, 1, w.errors.join('\n'));
    assert.match(
      w.errors[0]!,
      /Failed to load resource: the server responded with a status of 4\d\d/,
    );
    w.errors.length = 0;
    await suggestion.click();
    await page.locator('.plan').first().waitFor();
    assert.equal(await page.getByLabel('Where').inputValue(), 'San Jose, CA, United States');
    noErrors(w);
  });

  it('shows the overview live, pauses a type, keeps its jobs queued, and runs them on resume while a job page watches', async () => {
    const w = await open();
    const { page } = w;
    await page.goto('/dashboard');
    const planningRow = page.locator('#types tr[data-type="Planning"]');
    await planningRow.waitFor();
    await page.locator('#live', { hasText: /^Live, updated/ }).waitFor();
    await w.shot('05-dashboard');

    // The four LOW jobs of the first search, in the list of Planning jobs.
    await page.goto('/dashboard/jobs?name=Planning');
    await page.locator('#list-state', { hasText: /job\(s\) on this page/ }).waitFor();
    const lowRows = page.locator('#jobs tbody tr', { hasText: 'LOW' });
    assert.ok((await lowRows.count()) >= 4, 'the background jobs are listed at LOW');
    await w.shot('06-planning-jobs');

    await page.goto('/dashboard');
    await planningRow.getByRole('button', { name: 'Pause Planning' }).click();
    await giveTokenIfAsked(page);
    await page.locator('#action-result', { hasText: 'Paused Planning.' }).waitFor();
    await planningRow.getByText('paused', { exact: true }).waitFor();
    assert.deepEqual((await service.dispatcher.paused()).types, ['Planning']);

    // Submitted while paused: the search answers 202 after its timeout, the jobs stay queued.
    const date = futureDate(12);
    const answer = await fetch(
      `${base}/v1/planning?${new URLSearchParams({ location: 'Paris, France', date, price: '2' }).toString()}`,
    );
    assert.equal(answer.status, 202);
    const body = (await answer.json()) as {
      jobId: string;
      backgroundJobs: { jobId: string | null; priceLevel: number }[];
    };
    const lowIds = body.backgroundJobs.map((job) => job.jobId).filter((id) => id !== null);
    assert.equal(lowIds.length, 4);
    // The overview shows them queued, live (no reload).
    await planningRow
      .locator('td')
      .nth(1)
      .filter({ hasText: /^[5-9]$|^\d\d+$/ })
      .waitFor();

    await page.goto('/dashboard/jobs?status=queued&name=Planning');
    await page.locator('#list-state', { hasText: /5 job\(s\) on this page/ }).waitFor();
    assert.equal(await page.locator('#jobs tbody tr', { hasText: 'LOW' }).count(), 4);
    await w.shot('07-queued-while-paused');
    const low = lowIds[0]!;
    await page.locator(`#jobs a[href="/dashboard/jobs/${low}"]`).click();
    await page.waitForURL(`**/dashboard/jobs/${low}`);
    await statusShown(page, 'queued');
    await page.locator('#live', { hasText: 'Following live...' }).waitFor();
    // Paused: still queued a while later, although both workers are free.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await statusShown(page, 'queued');
    assert.equal((await service.dispatcher.get(low))?.status, 'queued');
    await w.shot('08-low-job-queued');

    await page.getByRole('button', { name: 'Resume Planning' }).click();
    await page.locator('#action-result', { hasText: 'Resumed Planning jobs.' }).waitFor();
    await statusShown(page, 'completed');
    const timeline = page.locator('#timeline');
    await timeline.locator('li', { hasText: /started \(attempt 1/ }).waitFor();
    await timeline.locator('li', { hasText: /\d completed/ }).waitFor();
    assert.equal(await page.locator('#progress').getAttribute('value'), '100');
    await page.locator('#live', { hasText: 'Finished: completed.' }).waitFor();
    await w.shot('09-low-job-completed-live');
    noErrors(w);
  });

  it('shows a failed job with its error and retries it from its page, and retries all failed of a type', async () => {
    fixed = false;
    const failing = await service.dispatcher.submit({
      name: 'Flaky',
      params: { attempt: 'one' },
    });
    await assert.rejects(service.dispatcher.wait(failing.id), /the flaky service said no/);
    const w = await open();
    const { page } = w;
    await page.goto(`/dashboard/jobs/${failing.id}`);
    await statusShown(page, 'failed');
    await page.locator('#error-section').waitFor({ state: 'visible' });
    assert.match(
      (await page.locator('#error-message').textContent())!,
      /the flaky service said no/,
    );
    assert.ok((await page.locator('#error-code').textContent())!.length > 0);
    assert.match((await page.locator('#error-fields').textContent())!, /FlakyServiceError/);
    assert.match(
      (await page.locator('#error-stack').textContent())!,
      /FlakyServiceError: the flaky/,
    );
    assert.match((await page.locator('#params').textContent())!, /"attempt": "one"/);
    await w.shot('10-failed-job');

    fixed = true;
    await page.getByRole('button', { name: 'Retry' }).click();
    // A new tab: the token is asked once, then kept for the tab's later actions.
    await giveTokenIfAsked(page);
    await page.locator('#action-result', { hasText: /^Queued again/ }).waitFor();
    await statusShown(page, 'completed');
    await page.locator('#timeline li', { hasText: /retried/ }).waitFor();
    await page.locator('#result', { hasText: '"ok": true' }).waitFor();
    await w.shot('11-retried-job-completed');

    fixed = false;
    const more = await Promise.all(
      [1, 2].map((n) => service.dispatcher.submit({ name: 'Flaky', params: { n } })),
    );
    for (const job of more) await assert.rejects(service.dispatcher.wait(job.id));
    fixed = true;
    await page.goto('/dashboard');
    const flakyRow = page.locator('#types tr[data-type="Flaky"]');
    const retryAll = flakyRow.getByRole('button', { name: 'Retry 2 failed' });
    await retryAll.click();
    await page
      .locator('#action-result', { hasText: 'Queued again 2 failed Flaky job(s).' })
      .waitFor();
    assert.deepEqual(w.confirms, ['Queue again every failed Flaky job?']);
    for (const job of more) assert.deepEqual(await service.dispatcher.wait(job.id), { ok: true });
    // The overview updates itself: 3 completed, none failed.
    await flakyRow.getByRole('link', { name: '3 completed Flaky jobs' }).waitFor();
    await flakyRow.getByRole('link', { name: '0 failed Flaky jobs' }).waitFor();
    await w.shot('12-retried-all-failed');
    if (process.env.UPDATE_DOCS_SCREENSHOT === '1') {
      mkdirSync(join(DOCS_SCREENSHOT, '..'), { recursive: true });
      copyFileSync(join(ARTIFACTS, '12-retried-all-failed.png'), DOCS_SCREENSHOT);
    }
    noErrors(w);
  });

  it('changes the priority of a queued job, cancels it and removes it, confirming each destructive action', async () => {
    await service.dispatcher.pause('Flaky');
    const job = await service.dispatcher.submit({
      name: 'Flaky',
      params: {},
      priority: JobPriority.Low,
    });
    const w = await open();
    const { page } = w;
    await page.goto(`/dashboard/jobs/${job.id}`);
    await statusShown(page, 'queued');
    await page.getByLabel('Priority').selectOption('2');
    await page.getByRole('button', { name: 'Change priority' }).click();
    await giveTokenIfAsked(page);
    await page.locator('#action-result', { hasText: 'Priority is now HIGH.' }).waitFor();
    assert.equal((await service.dispatcher.get(job.id))?.priority, JobPriority.High);
    await page.locator('#timeline li', { hasText: /promoted/ }).waitFor();
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page
      .locator('#action-result', { hasText: 'Cancel: cancelled, the job is cancelled.' })
      .waitFor();
    await statusShown(page, 'cancelled');
    assert.equal((await service.dispatcher.get(job.id))?.status, 'cancelled');
    await page.getByRole('button', { name: 'Remove' }).click();
    await page.locator('#action-result', { hasText: `Removed job ${job.id}.` }).waitFor();
    assert.deepEqual(w.confirms, [
      `Cancel job ${job.id}?`,
      `Remove job ${job.id}? Its record is deleted for good.`,
    ]);
    assert.equal(await service.dispatcher.get(job.id), undefined);
    await w.shot('13-removed-job');
    await service.dispatcher.resume('Flaky');
    noErrors(w);
  });

  it('pages a job list with the cursor, each row a link to its job, and pauses and resumes the whole queue', async () => {
    await service.dispatcher.pause('Paged');
    const submitted: string[] = [];
    for (let n = 0; n < 27; n++) {
      submitted.push((await service.dispatcher.submit({ name: 'Paged', params: { n } })).id);
    }
    const w = await open();
    const { page } = w;
    const idsShown = async (): Promise<string[]> => {
      const links = await page.locator('#jobs tbody tr td:first-child a').all();
      const hrefs = await Promise.all(links.map((link) => link.getAttribute('href')));
      return hrefs.map((href) => decodeURIComponent((href ?? '').replace('/dashboard/jobs/', '')));
    };
    await page.goto('/dashboard/jobs?status=queued&name=Paged');
    await page.locator('#list-state', { hasText: '25 job(s) on this page; more' }).waitFor();
    assert.equal(await page.locator('#list-title').textContent(), 'Queued jobs of type Paged');
    const first = await idsShown();
    assert.equal(first.length, 25);
    await w.shot('14-list-first-page');
    await page.getByRole('link', { name: 'Next page' }).click();
    await page.waitForURL(/cursor=/);
    await page.locator('#list-state', { hasText: /^2 job\(s\) on this page$/ }).waitFor();
    const second = await idsShown();
    assert.deepEqual([...first, ...second].sort(), [...submitted].sort());
    assert.equal(await page.getByRole('link', { name: 'Next page' }).isVisible(), false);
    await w.shot('15-list-second-page');
    await page.getByRole('link', { name: 'First page' }).click();
    await page.waitForURL((url) => !url.search.includes('cursor='));
    await page.locator('#list-state', { hasText: '25 job(s) on this page; more' }).waitFor();
    await page.locator(`#jobs a[href="/dashboard/jobs/${first[0]!}"]`).click();
    await page.waitForURL(`**/dashboard/jobs/${first[0]!}`);
    await statusShown(page, 'queued');

    await page.goto('/dashboard');
    await page.getByRole('button', { name: 'Pause the queue' }).click();
    await giveTokenIfAsked(page);
    await page.locator('#action-result', { hasText: 'Paused the queue.' }).waitFor();
    await page.locator('#queue-state', { hasText: /^Paused/ }).waitFor();
    assert.equal((await service.dispatcher.paused()).queue, true);
    await w.shot('16-queue-paused');
    await page.getByRole('button', { name: 'Resume the queue' }).click();
    await page.locator('#action-result', { hasText: 'Resumed the queue.' }).waitFor();
    await page.locator('#queue-state', { hasText: /^Running/ }).waitFor();
    assert.equal((await service.dispatcher.paused()).queue, false);
    await service.dispatcher.resume('Paged');
    for (const id of submitted) assert.equal(await service.dispatcher.wait(id), 'paged');
    noErrors(w);
  });

  it('says so for an unknown job id', async () => {
    const w = await open();
    const { page } = w;
    const response = await page.goto('/dashboard/jobs/no-such-job');
    assert.equal(response?.status(), 404);
    await page.getByText('No job with id no-such-job').waitFor();
    await w.shot('17-unknown-job');
    // The page's own 404 status is what the browser reports; nothing else.
    assert.ok(
      w.errors.every((e) =>
        /Failed to load resource: the server responded with a status of 404/.test(e),
      ),
      w.errors.join('\n'),
    );
  });

  it('fits 375 px wide without horizontal scrolling, with its landmarks, labels and favicon, on every page', async () => {
    const narrow = await browser.newContext({
      baseURL: base,
      viewport: { width: 375, height: 800 },
    });
    try {
      const w = await watchedPage(narrow);
      const [job] = (
        await service.dispatcher.list({ status: 'completed', name: 'Planning', limit: 1 })
      ).jobs;
      for (const [path, ready, shot] of [
        ['/', '#search', 'search'],
        ['/dashboard', '#types tr[data-type="Planning"]', 'overview'],
        ['/dashboard/jobs?name=Planning', '#list-state', 'list'],
        [`/dashboard/jobs/${job!.id}`, '#status', 'job'],
      ] as const) {
        await w.page.goto(path);
        await w.page.locator(ready).first().waitFor();
        // Page expressions (this project's type-check has no DOM library).
        const [scroll, width] = await w.page.evaluate<[number, number]>(
          '[document.documentElement.scrollWidth, window.innerWidth]',
        );
        assert.ok(scroll <= width, `${path}: scrollWidth ${scroll} > ${width}`);
        // Every control and link is on screen, none hidden in a table that scrolls sideways.
        const offScreen = await w.page.evaluate<string[]>(`
          [...document.querySelectorAll('main a, main button, main input, main select')]
            .filter((el) => {
              const box = el.getBoundingClientRect();
              return box.width > 0 && (box.left < 0 || box.right > window.innerWidth + 0.5);
            })
            .map((el) => el.textContent || el.name || el.id)`);
        assert.deepEqual(offScreen, [], `${path}: controls beyond the 375 px viewport`);
        const [landmarks, unlabelled, icon] = await w.page.evaluate<
          [string[], string[], string | null]
        >(`[
          ['header', 'nav[aria-label="Site"]', 'main'].filter(
            (tag) => document.querySelectorAll(tag).length === 1,
          ).concat([...document.querySelectorAll('nav:not([aria-label])')].map(() => 'unnamed nav')),
          [...document.querySelectorAll('input, select, textarea')]
            .filter((el) => el.labels.length === 0 && !el.getAttribute('aria-label'))
            .map((el) => el.name || el.id || el.outerHTML),
          document.querySelector('link[rel="icon"]')?.getAttribute('href') ?? null,
        ]`);
        assert.deepEqual(
          landmarks,
          ['header', 'nav[aria-label="Site"]', 'main'],
          `${path}: one banner, one site navigation and one main, every navigation named`,
        );
        assert.deepEqual(unlabelled, [], `${path}: every field has a label`);
        assert.equal(icon, '/favicon.svg');
        assert.ok((await w.page.locator('[aria-live]').count()) >= 1, `${path}: a live region`);
        await w.shot(`18-narrow-${shot}`);
      }
      const favicon = await w.page.request.get('/favicon.ico');
      assert.equal(favicon.status(), 200);
      assert.match(favicon.headers()['content-type'] ?? '', /image\/svg\+xml/);
      noErrors(w);
    } finally {
      await narrow.close();
    }
  });
});
