import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Service } from '../src/service.js';
import { buildPageScripts } from './page-scripts.js';
import { ADMIN_TOKEN, DATE, resolvedParams, startTestService } from './http-helpers.js';

const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };

describe('jobs, analytics and system endpoints', () => {
  let service: Service;
  before(async () => {
    service = await startTestService({ workers: 1 }, { deferWorkers: true });
  });
  after(() => service.close());

  it('answers 404 for an unknown job', async () => {
    const response = await service.app.inject('/v1/jobs/no-such-job');
    assert.equal(response.statusCode, 404);
    assert.match(
      response.json<{ error: { message: string } }>().error.message,
      /no job with id "no-such-job"/,
    );
  });

  it('shows a job record with its lower-case status and numeric priority', async () => {
    const job = await service.dispatcher.submit({ name: 'Analytics', priority: 1 });
    const response = await service.app.inject(`/v1/jobs/${job.id}`);
    assert.equal(response.statusCode, 200);
    const body = response.json<Record<string, unknown>>();
    assert.equal(body['name'], 'Analytics');
    assert.equal(body['status'], 'queued');
    assert.equal(body['priority'], 1);
    assert.equal(body['progress'], null);
    assert.match(String(body['createdAt']), /^\d{4}-\d{2}-\d{2}T/);
    await service.dispatcher.cancel(job.id);
  });

  it('refuses cancel without the admin token (401) and cancels a queued job with it', async () => {
    const job = await service.dispatcher.submit({
      name: 'Planning',
      params: resolvedParams(service, { location: 'Paris', date: DATE, priceLevel: 1 }),
    });
    const without = await service.app.inject({ method: 'POST', url: `/v1/jobs/${job.id}/cancel` });
    assert.equal(without.statusCode, 401);
    const wrong = await service.app.inject({
      method: 'POST',
      url: `/v1/jobs/${job.id}/cancel`,
      headers: { authorization: 'Bearer not-the-token-at-all-xx' },
    });
    assert.equal(wrong.statusCode, 401);
    assert.equal(
      (await service.dispatcher.get(job.id))?.status,
      'queued',
      'a refused cancel changes nothing',
    );
    const right = await service.app.inject({
      method: 'POST',
      url: `/v1/jobs/${job.id}/cancel`,
      headers: auth,
    });
    assert.equal(right.statusCode, 200);
    assert.equal(right.json<{ outcome: string }>().outcome, 'cancelled');
    assert.equal((await service.dispatcher.get(job.id))?.status, 'cancelled');
  });

  it('queues an Analytics job at NORMAL with the token, and serves the latest report', async () => {
    const none = await service.app.inject('/v1/analytics/latest');
    assert.equal(none.statusCode, 404);
    const refused = await service.app.inject({ method: 'POST', url: '/v1/analytics' });
    assert.equal(refused.statusCode, 401);
    await service.domain.events.record({
      city: 'Paris, France',
      country: 'FR',
      priceLevel: 2,
      at: Date.now(),
      cacheHit: false,
    });
    const queued = await service.app.inject({
      method: 'POST',
      url: '/v1/analytics',
      headers: auth,
      payload: { topCities: 5 },
    });
    assert.equal(queued.statusCode, 202, queued.body);
    const { jobId } = queued.json<{ jobId: string }>();
    assert.equal((await service.dispatcher.get(jobId))?.priority, 1);
    await service.dispatcher.start();
    await service.dispatcher.wait(jobId);
    const latest = await service.app.inject('/v1/analytics/latest');
    assert.equal(latest.statusCode, 200);
    assert.ok(JSON.stringify(latest.json()).includes('Paris, France'));
  });

  it('rejects a bad analytics body naming the field', async () => {
    const response = await service.app.inject({
      method: 'POST',
      url: '/v1/analytics',
      headers: auth,
      payload: { topCities: 0 },
    });
    assert.equal(response.statusCode, 400);
    assert.match(
      response.body,
      /topCities must be an integer 1-100 in plain decimal digits, got 0/,
    );
  });

  it('reports queue stats, health and readiness, and serves the OpenAPI document', async () => {
    const stats = await service.app.inject('/v1/queue/stats');
    assert.equal(stats.statusCode, 200);
    const levels = stats.json<{
      levels: Record<string, { queued: number; wait: { p99: number } }>;
    }>().levels;
    assert.deepEqual(Object.keys(levels), ['high', 'normal', 'low']);
    assert.equal((await service.app.inject('/healthz')).statusCode, 200);
    assert.equal((await service.app.inject('/readyz')).json<{ status: string }>().status, 'ready');
    const page = await service.app.inject('/docs/');
    assert.equal(page.statusCode, 200);
    assert.match(String(page.headers['content-type']), /text\/html/);
    assert.match(page.body, /swagger/i);
    const docs = await service.app.inject('/docs/json');
    const paths = Object.keys(docs.json<{ paths: Record<string, unknown> }>().paths);
    for (const path of [
      '/v1/planning',
      '/v1/jobs/{id}',
      '/v1/jobs/{id}/events',
      '/v1/queue/stats',
      '/v1/analytics',
    ]) {
      assert.ok(paths.includes(path), `${path} is documented`);
    }
  });

  it('bounds the request: a too-long URL gets 414 and a too-large body 413', async () => {
    const long = await service.app.inject(
      `/v1/planning?location=${'x'.repeat(3000)}&date=${DATE}&price=1`,
    );
    assert.equal(long.statusCode, 414);
    const large = await service.app.inject({
      method: 'POST',
      url: '/v1/analytics',
      headers: auth,
      payload: { pad: 'x'.repeat(20_000) },
    });
    assert.equal(large.statusCode, 413);
  });
});

describe('GET /v1/jobs/:id/events', () => {
  let service: Service;
  let base: string;
  before(async () => {
    service = await startTestService(
      { workers: 1, http: true, port: 0, host: '127.0.0.1' },
      { deferWorkers: true },
    );
    base = service.url!;
  });
  after(() => service.close());

  it('streams the status, then progress in order, then completion, over a real connection', async () => {
    const job = await service.dispatcher.submit({
      name: 'Planning',
      params: resolvedParams(service, { location: 'Madrid, Spain', date: DATE, priceLevel: 2 }),
      priority: 2,
    });
    const response = await fetch(`${base}/v1/jobs/${job.id}/events`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /text\/event-stream/);
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    let started = false;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
      if (!started && text.includes('event: status')) {
        started = true;
        await service.dispatcher.start(); // the stream is open: now let the job run
      }
    }
    const events = [...text.matchAll(/^event: (\w+)\ndata: (.*)$/gm)].map((m) => ({
      type: m[1]!,
      data: JSON.parse(m[2]!) as Record<string, unknown>,
    }));
    const types = events.map((event) => event.type);
    assert.equal(types[0], 'status');
    assert.equal(types.at(-1), 'completed');
    assert.ok(types.includes('started'));
    const percents = events
      .filter((e) => e.type === 'progress')
      .map((e) => (e.data['progress'] as { percent: number }).percent);
    assert.ok(percents.length >= 2, `progress events: ${percents.join(', ')}`);
    assert.deepEqual(
      percents,
      [...percents].sort((a, b) => a - b),
      'progress arrives in order',
    );
    assert.equal(percents.at(-1), 100);
  });
});

describe('the pages a person uses', () => {
  let service: Service;
  before(async () => {
    service = await startTestService({ workers: 1 });
  });
  after(() => service.close());

  it('serves the search page and the jobs dashboard as HTML with their built scripts, which call the JSON API', async () => {
    buildPageScripts();
    const script = async (body: string, name: string): Promise<string> => {
      assert.match(body, new RegExp(`<script type="module" src="/assets/${name}\\.js"></script>`));
      const asset = await service.app.inject(`/assets/${name}.js`);
      assert.equal(asset.statusCode, 200);
      assert.match(String(asset.headers['content-type']), /text\/javascript/);
      return asset.body;
    };
    const search = await service.app.inject('/');
    assert.equal(search.statusCode, 200);
    assert.match(String(search.headers['content-type']), /text\/html/);
    assert.match(search.body, /<form id="search"/);
    assert.match(await script(search.body, 'search'), /\/v1\/planning\?/);
    const dashboard = await service.app.inject('/dashboard');
    assert.equal(dashboard.statusCode, 200);
    assert.match(await script(dashboard.body, 'overview'), /\/v1\/dashboard\/overview\/stream/);
    const job = await service.dispatcher.submit({ name: 'Analytics', params: {} });
    const view = await service.app.inject(`/dashboard/jobs/${job.id}`);
    assert.equal(view.statusCode, 200);
    assert.match(await script(view.body, 'job'), /\/events/);
    const list = await service.app.inject('/dashboard/jobs?status=failed');
    assert.match(await script(list.body, 'jobs'), /\/v1\/jobs\?/);
    const map = await service.app.inject('/assets/job.js.map');
    assert.equal(map.statusCode, 200);
    assert.ok(
      (JSON.parse(map.body) as { sources: string[] }).sources.some((s) => s.endsWith('job.ts')),
    );
    const other = await service.app.inject('/assets/..%2Fpackage.json');
    assert.equal(other.statusCode, 404);
    const unknown = await service.app.inject('/dashboard/jobs/no-such-job');
    assert.equal(unknown.statusCode, 404);
    assert.match(unknown.body, /No job with id <code>no-such-job<\/code>/);
    const icon = await service.app.inject('/favicon.svg');
    assert.equal(icon.statusCode, 200);
    assert.match(String(icon.headers['content-type']), /image\/svg\+xml/);
  });
});
