import assert from 'node:assert/strict';
import { type IncomingMessage, get } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { JobPriority } from 'jobdispatch';
import type { Service } from '../src/service.js';
import { ADMIN_TOKEN, startTestService } from './http-helpers.js';

const auth = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };

interface ErrorBody {
  error: { code: string; message: string };
}

class BrokenError extends Error {
  override name = 'BrokenError';
}

describe('the routes the dashboard uses', () => {
  let service: Service;
  let base: string;
  let broken = true;
  before(async () => {
    service = await startTestService({ workers: 1, http: true, port: 0, host: '127.0.0.1' });
    service.dispatcher.register(
      {
        jobType: 'Brittle',
        execute: (job) =>
          broken
            ? Promise.reject(new BrokenError(`broke on ${JSON.stringify(job.params)}`))
            : Promise.resolve({ fine: true }),
      },
      { retries: 0 },
    );
    base = service.url!;
  });
  after(() => service.close());

  const failedJob = async (params: unknown): Promise<string> => {
    broken = true;
    const job = await service.dispatcher.submit({ name: 'Brittle', params });
    await assert.rejects(service.dispatcher.wait(job.id));
    return job.id;
  };

  it("answers a job's full record: params, result, and error with class name and stack", async () => {
    const id = await failedJob({ n: 1 });
    const response = await fetch(`${base}/v1/dashboard/jobs/${id}`);
    assert.equal(response.status, 200);
    const { job } = (await response.json()) as {
      job: { params: unknown; error: { message: string; name: string; stack: string } };
    };
    assert.deepEqual(job.params, { n: 1 });
    assert.equal(job.error.message, 'broke on {"n":1}');
    assert.equal(job.error.name, 'BrokenError');
    assert.match(job.error.stack, /^BrokenError: broke on/);
    const unknown = await fetch(`${base}/v1/dashboard/jobs/nope`);
    assert.equal(unknown.status, 404);
    assert.match(((await unknown.json()) as ErrorBody).error.message, /no job with id "nope"/);
  });

  it('gives the overview: levels, counts per type by status, and pauses', async () => {
    await failedJob({ n: 2 });
    await service.dispatcher.pause('Brittle');
    try {
      const response = await fetch(`${base}/v1/dashboard/overview`);
      const body = (await response.json()) as {
        levels: Record<string, { queued: number }>;
        types: Record<string, { failed: number }>;
        paused: { queue: boolean; types: string[] };
      };
      assert.deepEqual(Object.keys(body.levels).sort(), ['high', 'low', 'normal']);
      assert.ok(body.types.Brittle!.failed >= 1);
      assert.deepEqual(body.paused, { queue: false, types: ['Brittle'] });
    } finally {
      await service.dispatcher.resume('Brittle');
    }
  });

  it("lists the service's job types from the start, and a type whose jobs were only submitted", async () => {
    const fresh = await startTestService({ workers: 1 });
    try {
      fresh.dispatcher.register({ jobType: 'Waiting', execute: () => Promise.resolve(1) });
      const first = await fresh.app.inject('/v1/dashboard/overview');
      const before = first.json<{ types: Record<string, { queued: number }> }>().types;
      assert.deepEqual(Object.keys(before).sort(), ['Analytics', 'Planning']);
      assert.equal(before['Planning']!.queued, 0);
      await fresh.dispatcher.pause();
      const job = await fresh.dispatcher.submit({ name: 'Waiting' });
      const second = await fresh.app.inject('/v1/dashboard/overview');
      const after = second.json<{ types: Record<string, { queued: number }> }>().types;
      assert.deepEqual(Object.keys(after).sort(), ['Analytics', 'Planning', 'Waiting']);
      assert.equal(after['Waiting']!.queued, 1);
      await fresh.dispatcher.resume();
      assert.equal(await fresh.dispatcher.wait(job.id), 1);
    } finally {
      await fresh.close();
    }
  });

  it('streams the overview again when a job changes', async () => {
    const request = get(`${base}/v1/dashboard/overview/stream`);
    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      request.once('response', resolve).once('error', reject);
    });
    assert.match(String(response.headers['content-type']), /text\/event-stream/);
    response.setEncoding('utf8');
    let text = '';
    const changed: (() => void)[] = [];
    response.on('data', (chunk: string) => {
      text += chunk;
      for (const wake of changed.splice(0)) wake();
    });
    const overviews = (): string[] =>
      text.split('\n\n').filter((e) => e.startsWith('event: overview'));
    const readUntil = async (done: () => boolean): Promise<void> => {
      while (!done()) {
        if (response.readableEnded) throw new Error('the stream ended');
        await new Promise<void>((resolve) => changed.push(resolve));
      }
    };
    try {
      await readUntil(() => overviews().length >= 1);
      const failed = (await service.dispatcher.counts({ name: 'Brittle' })).failed;
      await failedJob({ n: 3 });
      // Within the 500 ms coalescing window (plus load), well before the 5 s periodic send.
      const started = Date.now();
      await readUntil(() =>
        overviews().some((e) =>
          e.includes(
            `"Brittle":{"scheduled":0,"queued":0,"running":0,"completed":0,"failed":${failed + 1}`,
          ),
        ),
      );
      assert.ok(Date.now() - started < 4_500, 'sent on the change, not only by the periodic send');
    } finally {
      request.destroy();
    }
  });

  it('changes the priority of a queued job with the admin token; 400 names the field; 409 for a finished job', async () => {
    await service.dispatcher.pause('Brittle');
    const job = await service.dispatcher.submit({
      name: 'Brittle',
      params: {},
      priority: JobPriority.Low,
    });
    try {
      const url = `${base}/v1/jobs/${job.id}/priority`;
      const anonymous = await fetch(url, { method: 'POST', body: '{"priority":2}' });
      assert.equal(anonymous.status, 401);
      const bad = await fetch(url, { method: 'POST', headers: auth, body: '{"priority":7}' });
      assert.equal(bad.status, 400);
      assert.match(
        ((await bad.json()) as ErrorBody).error.message,
        /priority must be an integer 0-2 in plain decimal digits, got 7/,
      );
      const moved = await fetch(url, { method: 'POST', headers: auth, body: '{"priority":2}' });
      assert.equal(moved.status, 200);
      assert.equal(((await moved.json()) as { job: { priority: number } }).job.priority, 2);
      assert.equal((await service.dispatcher.get(job.id))?.priority, JobPriority.High);
    } finally {
      await service.dispatcher.remove(job.id);
      await service.dispatcher.resume('Brittle');
    }
    const finished = await failedJob({ n: 4 });
    const conflict = await fetch(`${base}/v1/jobs/${finished}/priority`, {
      method: 'POST',
      headers: auth,
      body: '{"priority":0}',
    });
    assert.equal(conflict.status, 409);
  });

  it('retries every failed job of a type, and only of that type', async () => {
    const ids = [await failedJob({ n: 5 }), await failedJob({ n: 6 })];
    const failedBefore = (await service.dispatcher.counts({ name: 'Brittle' })).failed;
    assert.ok(failedBefore >= 2);
    const anonymous = await fetch(`${base}/v1/jobs/retry-failed`, {
      method: 'POST',
      body: '{"name":"Brittle"}',
    });
    assert.equal(anonymous.status, 401);
    const missing = await fetch(`${base}/v1/jobs/retry-failed`, {
      method: 'POST',
      headers: auth,
      body: '{}',
    });
    assert.equal(missing.status, 400);
    assert.match(((await missing.json()) as ErrorBody).error.message, /name is required/);
    broken = false;
    const response = await fetch(`${base}/v1/jobs/retry-failed`, {
      method: 'POST',
      headers: auth,
      body: '{"name":"Brittle"}',
    });
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { retried: failedBefore, skipped: 0, more: false });
    for (const id of ids) assert.deepEqual(await service.dispatcher.wait(id), { fine: true });
    assert.equal((await service.dispatcher.counts({ name: 'Brittle' })).failed, 0);
    const none = await fetch(`${base}/v1/jobs/retry-failed`, {
      method: 'POST',
      headers: auth,
      body: '{"name":"Planning"}',
    });
    assert.deepEqual(await none.json(), { retried: 0, skipped: 0, more: false });
  });
});

describe('closing the service with a dashboard open', () => {
  it('ends the open overview streams instead of waiting on them', { timeout: 30_000 }, async () => {
    const service = await startTestService({ workers: 1, http: true, port: 0, host: '127.0.0.1' });
    const request = get(`${service.url!}/v1/dashboard/overview/stream`);
    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      request.once('response', resolve).once('error', reject);
    });
    response.resume();
    const ended = new Promise<void>((resolve) => response.once('end', resolve));
    await service.close();
    await ended;
    assert.equal(response.readableEnded, true);
  });
});
