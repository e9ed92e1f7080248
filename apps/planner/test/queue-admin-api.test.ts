import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Service } from '../src/service.js';
import { ADMIN_TOKEN, DATE, nextEvent, startTestService } from './http-helpers.js';

const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };

interface ErrorBody {
  error: { code: string; message: string };
}
interface ListBody {
  jobs: { id: string; status: string; priority: number }[];
  cursor: string | null;
}

describe('listing, counts and admin operations over HTTP', () => {
  let service: Service;
  let base: string;
  before(async () => {
    // Workers deferred: the jobs stay where the tests put them.
    service = await startTestService(
      { workers: 1, http: true, port: 0, host: '127.0.0.1' },
      { deferWorkers: true },
    );
    base = service.url!;
  });
  after(() => service.close());

  const planning = (priority: number) =>
    service.dispatcher.submit({
      name: 'Planning',
      params: { location: 'Paris', date: DATE, priceLevel: 1 },
      priority,
    });

  it('lists queued jobs in the order they would run, page by page with the cursor', async () => {
    const low = await planning(0);
    const high = await planning(2);
    const normal = await planning(1);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query = new URLSearchParams({ status: 'queued', limit: '2' });
      if (cursor !== null) query.set('cursor', cursor);
      const response = await fetch(`${base}/v1/jobs?${query.toString()}`);
      assert.equal(response.status, 200);
      const body = (await response.json()) as ListBody;
      assert.ok(body.jobs.length <= 2);
      seen.push(...body.jobs.map((job) => job.id));
      cursor = body.cursor;
    } while (cursor !== null);
    assert.deepEqual(seen, [high.id, normal.id, low.id]);
    for (const job of [low, high, normal]) await service.dispatcher.remove(job.id);
  });

  it('answers 400 naming the parameter for a bad status, limit or cursor', async () => {
    for (const [query, parameter] of [
      ['status=bogus', 'status'],
      ['status=queued,nope', 'status'],
      ['limit=0', 'limit'],
      ['limit=1001', 'limit'],
      ['limit=Infinity', 'limit'],
      ['limit=1e2', 'limit'],
      ['limit=0x10', 'limit'],
      ['limit=-5', 'limit'],
      ['cursor=not-a-cursor', 'cursor'],
      ['name=', 'name'],
      ['colour=red', 'colour'],
    ] as const) {
      const response = await fetch(`${base}/v1/jobs?${query}`);
      assert.equal(response.status, 400, query);
      const body = (await response.json()) as ErrorBody;
      assert.match(body.error.message, new RegExp(parameter), `${query}: ${body.error.message}`);
    }
  });

  it('counts the jobs kept in each status, for the queue and for one type', async () => {
    const queued = await planning(1);
    const cancelled = await planning(1);
    await service.dispatcher.cancel(cancelled.id);
    const later = await service.dispatcher.submit({ name: 'Analytics', delayMs: 3_600_000 });
    const all = await fetch(`${base}/v1/queue/counts`);
    assert.equal(all.status, 200);
    const counts = (await all.json()) as Record<string, number>;
    assert.equal(counts['queued'], 1);
    assert.equal(counts['scheduled'], 1);
    assert.equal(counts['cancelled'], 1);
    const ofAnalytics = (await (
      await fetch(`${base}/v1/queue/counts?name=Analytics`)
    ).json()) as Record<string, number>;
    assert.deepEqual(ofAnalytics, {
      scheduled: 1,
      queued: 0,
      running: 0,
      completed: 0,
      failed: 0,
      cancelled: 0,
    });
    for (const job of [queued, cancelled, later]) await service.dispatcher.remove(job.id);
  });

  it('retries a cancelled job with the token, answers 409 for a queued one and 401 without the token', async () => {
    const job = await planning(1);
    const without = await fetch(`${base}/v1/jobs/${job.id}/retry`, { method: 'POST' });
    assert.equal(without.status, 401);
    const early = await fetch(`${base}/v1/jobs/${job.id}/retry`, { method: 'POST', headers: auth });
    assert.equal(early.status, 409);
    const conflict = (await early.json()) as ErrorBody;
    assert.equal(conflict.error.code, 'INVALID_STATE');
    assert.match(conflict.error.message, /queued/);
    await service.dispatcher.cancel(job.id);
    const retried = await fetch(`${base}/v1/jobs/${job.id}/retry`, {
      method: 'POST',
      headers: auth,
    });
    assert.equal(retried.status, 200);
    assert.equal(((await retried.json()) as { job: { status: string } }).job.status, 'queued');
    const missing = await fetch(`${base}/v1/jobs/no-such-job/retry`, {
      method: 'POST',
      headers: auth,
    });
    assert.equal(missing.status, 404);
    await service.dispatcher.remove(job.id);
  });

  it('deletes a job record with the token: 204, then 404; 401 without the token', async () => {
    const job = await planning(1);
    const without = await fetch(`${base}/v1/jobs/${job.id}`, { method: 'DELETE' });
    assert.equal(without.status, 401);
    assert.equal((await service.dispatcher.get(job.id))?.status, 'queued');
    const removed = await fetch(`${base}/v1/jobs/${job.id}`, { method: 'DELETE', headers: auth });
    assert.equal(removed.status, 204);
    assert.equal(await service.dispatcher.get(job.id), undefined);
    const again = await fetch(`${base}/v1/jobs/${job.id}`, { method: 'DELETE', headers: auth });
    assert.equal(again.status, 404);
  });

  it('ends the event stream of a job whose record is deleted, with a removed event', async () => {
    const job = await planning(1);
    const response = await fetch(`${base}/v1/jobs/${job.id}/events`);
    assert.equal(response.status, 200);
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    let removed = false;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
      if (!removed && text.includes('event: status')) {
        removed = true;
        const answer = await fetch(`${base}/v1/jobs/${job.id}`, {
          method: 'DELETE',
          headers: auth,
        });
        assert.equal(answer.status, 204);
      }
    }
    const types = [...text.matchAll(/^event: (\w+)$/gm)].map((m) => m[1]);
    assert.deepEqual(types, ['status', 'removed']);
  });

  it('pauses and resumes one type or the whole queue with the token; 401 before any body check', async () => {
    const json = { ...auth, 'content-type': 'application/json' };
    const refused = await fetch(`${base}/v1/queue/pause`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 12 }),
    });
    assert.equal(refused.status, 401);
    const bad = await fetch(`${base}/v1/queue/pause`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ name: '' }),
    });
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as ErrorBody).error.message, /name/);
    const type = await fetch(`${base}/v1/queue/pause`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ name: 'Analytics' }),
    });
    assert.equal(type.status, 200);
    assert.deepEqual(await type.json(), { paused: { queue: false, types: ['Analytics'] } });
    const queue = await fetch(`${base}/v1/queue/pause`, { method: 'POST', headers: auth });
    assert.equal(queue.status, 200);
    assert.deepEqual(await queue.json(), { paused: { queue: true, types: ['Analytics'] } });
    assert.deepEqual(await service.dispatcher.paused(), { queue: true, types: ['Analytics'] });
    await fetch(`${base}/v1/queue/resume`, { method: 'POST', headers: auth });
    const resumed = await fetch(`${base}/v1/queue/resume`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ name: 'Analytics' }),
    });
    assert.deepEqual(await resumed.json(), { paused: { queue: false, types: [] } });
  });
});

describe('admin operations on running jobs, and pause by query string, over HTTP', () => {
  let service: Service;
  let base: string;
  let release: () => void = () => undefined;
  before(async () => {
    service = await startTestService(
      { workers: 1, http: true, port: 0, host: '127.0.0.1' },
      { deferWorkers: true },
    );
    // A type whose job runs until the test lets it go.
    service.dispatcher.register({
      jobType: 'Hold',
      execute: () => new Promise<string>((resolve) => (release = () => resolve('released'))),
    });
    await service.dispatcher.start();
    base = service.url!;
  });
  after(() => service.close());

  it('answers 409 INVALID_STATE naming the status for DELETE and retry of a running job, and leaves it running', async () => {
    const job = await service.dispatcher.submit({ name: 'Hold' });
    const started = await nextEvent(service, (e) => e.jobId === job.id && e.type === 'started');
    assert.equal(started.type, 'started');
    for (const [method, path] of [
      ['DELETE', `/v1/jobs/${job.id}`],
      ['POST', `/v1/jobs/${job.id}/retry`],
    ] as const) {
      const answer = await fetch(`${base}${path}`, { method, headers: auth });
      assert.equal(answer.status, 409, `${method} ${path}`);
      const body = (await answer.json()) as ErrorBody;
      assert.equal(body.error.code, 'INVALID_STATE');
      assert.match(body.error.message, /running/);
    }
    assert.equal((await service.dispatcher.get(job.id))?.status, 'running');
    release();
    assert.equal(await service.dispatcher.wait(job.id), 'released');
  });

  it('answers 400 naming id for an id too long, on retry and DELETE', async () => {
    const id = 'x'.repeat(129);
    for (const [method, path] of [
      ['POST', `/v1/jobs/${id}/retry`],
      ['DELETE', `/v1/jobs/${id}`],
    ] as const) {
      const answer = await fetch(`${base}${path}`, { method, headers: auth });
      assert.equal(answer.status, 400, method);
      assert.match(((await answer.json()) as ErrorBody).error.message, /\bid\b/, method);
    }
  });

  it('takes the type to pause from ?name= as from the body, and refuses two different names', async () => {
    const paused = await fetch(`${base}/v1/queue/pause?name=Analytics`, {
      method: 'POST',
      headers: auth,
    });
    assert.equal(paused.status, 200);
    assert.deepEqual(await paused.json(), { paused: { queue: false, types: ['Analytics'] } });
    const both = await fetch(`${base}/v1/queue/resume?name=Analytics`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Planning' }),
    });
    assert.equal(both.status, 400);
    assert.match(((await both.json()) as ErrorBody).error.message, /^name must be given once/);
    for (const query of ['name=', 'type=Analytics']) {
      const bad = await fetch(`${base}/v1/queue/resume?${query}`, {
        method: 'POST',
        headers: auth,
      });
      assert.equal(bad.status, 400, query);
      assert.match(((await bad.json()) as ErrorBody).error.message, /name|type/, query);
    }
    assert.deepEqual(await service.dispatcher.paused(), { queue: false, types: ['Analytics'] });
    const resumed = await fetch(`${base}/v1/queue/resume?name=Analytics`, {
      method: 'POST',
      headers: auth,
    });
    assert.deepEqual(await resumed.json(), { paused: { queue: false, types: [] } });
  });
});
