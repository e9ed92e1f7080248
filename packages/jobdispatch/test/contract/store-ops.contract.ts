/**
 * Dispatcher contract, part: the job store through the Dispatcher — scheduled submits, per-job
 * overrides, failure detail, retry backoff as a scheduled job, list, counts, retry(id), remove,
 * setPriority and pauses, and the options that moved to the backend.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DEFAULT_LIST_LIMIT,
  Dispatcher,
  JobPriority,
  MAX_LIST_LIMIT,
  JobStatus,
  MAX_STACK_BYTES,
  MemoryBackend,
  isDispatchError,
} from '../../src/index.js';
import { RecordingHandler, aborted, deferred, eventOf, nextEvent } from '../helpers.js';
import type { Harness } from './harness.js';

const invalid = (field: string) => (error: unknown) =>
  isDispatchError(error, 'INVALID_ARGUMENT') && error.message.startsWith(field);

export function storeOpsContract({ make }: Harness): void {
  describe('the job store through the Dispatcher', () => {
    it('runs a job submitted with delayMs once it is due, and one with a past runAt at once', async () => {
      const d = await make({ workers: 2 });
      d.register(new RecordingHandler('T', (job) => Promise.resolve(job.id)));
      await d.start();
      const later = await d.submit({ name: 'T', delayMs: 150 });
      assert.equal(later.status, JobStatus.Scheduled);
      assert.ok(later.runAt !== undefined && later.runAt >= later.createdAt + 150);
      assert.equal((await d.get(later.id))?.status, JobStatus.Scheduled);
      const now = await d.submit({ name: 'T', runAt: Date.now() - 10_000 });
      assert.equal(now.status, JobStatus.Queued);
      assert.equal(await d.wait(now.id), now.id);
      assert.equal(await d.wait(later.id), later.id);
      const done = await d.get(later.id);
      assert.ok(
        (done?.startedAt ?? 0) >= (later.runAt ?? Infinity),
        'it started no sooner than due',
      );
    });

    it('refuses runAt with delayMs, and negative or non-finite values, naming the field', async () => {
      const d = await make();
      await assert.rejects(d.submit({ name: 'T', runAt: 1, delayMs: 1 }), invalid('runAt'));
      await assert.rejects(d.submit({ name: 'T', delayMs: -1 }), invalid('delayMs'));
      await assert.rejects(d.submit({ name: 'T', runAt: Infinity }), invalid('runAt'));
      await assert.rejects(d.submit({ name: 'T', delayMs: NaN }), invalid('delayMs'));
      await assert.rejects(d.submit({ name: 'T', timeoutMs: 0 }), invalid('timeoutMs'));
      await assert.rejects(d.submit({ name: 'T', retries: 1.5 }), invalid('retries'));
    });

    it('cancels a scheduled job so that it never runs, and wait() reports the cancel', async () => {
      const d = await make({ workers: 1 });
      const handler = new RecordingHandler('T');
      d.register(handler);
      await d.start();
      const job = await d.submit({ name: 'T', delayMs: 60_000 });
      assert.equal((await d.cancel(job.id)).outcome, 'cancelled');
      await assert.rejects(d.wait(job.id), (e) => isDispatchError(e, 'JOB_CANCELLED'));
      assert.deepEqual(handler.ran, []);
    });

    it("a job's own timeoutMs and retries override its type's", async () => {
      const d = await make({ workers: 2 });
      let calls = 0;
      d.register(
        new RecordingHandler('T', async (_job, ctx) => {
          calls++;
          await aborted(ctx.signal);
          throw ctx.signal.reason;
        }),
        { timeoutMs: 60_000, retries: 0, backoff: { type: 'fixed', delayMs: 0 } },
      );
      await d.start();
      const job = await d.submit({ name: 'T', timeoutMs: 20, retries: 1 });
      await assert.rejects(d.wait(job.id), (e) => isDispatchError(e, 'JOB_TIMEOUT'));
      const record = await d.get(job.id);
      assert.equal(record?.attempts, 2, 'one retry, from the job');
      assert.equal(calls, 2);
      assert.match(record?.error?.message ?? '', /20 ms/);
    });

    it("a failed job keeps the error's name and its stack, cut to 4 KB", async () => {
      const d = await make({ workers: 1 });
      d.register(
        new RecordingHandler('T', () => {
          const error = new RangeError('out of range');
          error.stack = `RangeError: out of range\n${'    at deep (é.ts:1:1)\n'.repeat(500)}`;
          return Promise.reject(error);
        }),
      );
      await d.start();
      const job = await d.submit({ name: 'T' });
      await assert.rejects(d.wait(job.id));
      const error = (await d.get(job.id))?.error;
      assert.equal(error?.code, 'JOB_FAILED');
      assert.equal(error?.message, 'out of range');
      assert.equal(error?.name, 'RangeError');
      const bytes = Buffer.byteLength(error?.stack ?? '', 'utf8');
      assert.ok(
        bytes <= MAX_STACK_BYTES && bytes > MAX_STACK_BYTES - 40,
        `stack of ${bytes} bytes`,
      );
      assert.ok(error?.stack?.startsWith('RangeError: out of range\n'));
      assert.ok(!error?.stack?.includes('\uFFFD'), 'no character cut in half');
    });

    it('a job waiting for its retry is scheduled, with runAt the end of its backoff', async () => {
      const d = await make({ workers: 1 });
      const gate = deferred();
      d.register(
        new RecordingHandler('T', async (_job, ctx) => {
          if (ctx.attempt === 1) throw new Error('first attempt fails');
          await gate.promise;
          return 'second';
        }),
        { retries: 1, backoff: { type: 'fixed', delayMs: 1500 } },
      );
      await d.start();
      const firstRetry = nextEvent(d, eventOf('retrying'));
      const job = await d.submit({ name: 'T' });
      const retrying = await firstRetry;
      assert.equal(retrying.jobId, job.id);
      assert.equal(retrying.delayMs, 1500);
      const waiting = await d.get(job.id);
      assert.equal(waiting?.status, JobStatus.Scheduled);
      assert.ok((waiting.runAt ?? 0) >= retrying.at + 1500);
      assert.equal((await d.counts()).scheduled, 1);
      gate.resolve();
      assert.equal(await d.wait(job.id), 'second');
    });

    it('lists and counts through the Dispatcher, refusing bad queries naming the field', async () => {
      const d = await make();
      const a = await d.submit({ name: 'A', priority: JobPriority.Low });
      const b = await d.submit({ name: 'B', priority: JobPriority.High });
      const c = await d.submit({ name: 'A', delayMs: 60_000 });
      const page = await d.list({ status: ['scheduled', 'queued'] });
      assert.deepEqual(
        page.jobs.map((j) => j.id),
        [b.id, a.id, c.id],
      );
      assert.deepEqual(
        (await d.list({ status: 'queued', name: 'A' })).jobs.map((j) => j.id),
        [a.id],
      );
      const first = await d.list({ limit: 1 });
      assert.equal(first.jobs.length, 1);
      assert.ok(first.cursor);
      assert.deepEqual(await d.counts({ name: 'A' }), {
        scheduled: 1,
        queued: 1,
        running: 0,
        completed: 0,
        failed: 0,
        cancelled: 0,
      });
      await assert.rejects(d.list({ limit: 1001 }), invalid('limit'));
      await assert.rejects(d.list({ limit: 0 }), invalid('limit'));
      await assert.rejects(d.list({ status: 'new' as 'queued' }), invalid('status'));
      await assert.rejects(d.list({ status: [] }), invalid('status'));
      await assert.rejects(d.list({ name: '' }), invalid('name'));
      await assert.rejects(d.counts({ name: 7 as unknown as string }), invalid('name'));
      await assert.rejects(d.list({ cursor: 'nonsense' }), invalid('cursor'));
    });

    it('lists 50 jobs a page by default and up to 1000 when asked, paging to the end with the cursor', async () => {
      const d = await make();
      await d.pause(); // the jobs stay queued
      const ids: string[] = [];
      for (let i = 0; i < 60; i++) ids.push((await d.submit({ name: 'T' })).id);
      const first = await d.list({ status: 'queued' });
      assert.equal(first.jobs.length, DEFAULT_LIST_LIMIT);
      assert.equal(DEFAULT_LIST_LIMIT, 50);
      assert.ok(first.cursor, 'more follow');
      const second = await d.list({ status: 'queued', cursor: first.cursor });
      assert.deepEqual(
        [...first.jobs, ...second.jobs].map((job) => job.id),
        ids,
      );
      assert.equal(second.cursor, undefined, 'no cursor on the last page');
      const all = await d.list({ status: 'queued', limit: MAX_LIST_LIMIT });
      assert.equal(MAX_LIST_LIMIT, 1000);
      assert.equal(all.jobs.length, 60);
      assert.equal(all.cursor, undefined);
    });

    it('retry(id) runs a failed job again with a fresh retry budget, its attempts counting on', async () => {
      const d = await make({ workers: 1 });
      let failing = true;
      d.register(
        new RecordingHandler('T', () =>
          failing ? Promise.reject(new Error('down')) : Promise.resolve('up'),
        ),
        { retries: 1, backoff: { type: 'fixed', delayMs: 0 } },
      );
      await d.start();
      const job = await d.submit({ name: 'T' });
      await assert.rejects(d.wait(job.id), (e) => isDispatchError(e, 'JOB_FAILED'));
      assert.equal((await d.get(job.id))?.attempts, 2);
      const retried = nextEvent(d, eventOf('retried', job.id));
      const requeued = await d.retry(job.id);
      assert.equal(requeued.status, JobStatus.Queued);
      await retried;
      await assert.rejects(d.wait(job.id), (e) => isDispatchError(e, 'JOB_FAILED'));
      const again = await d.get(job.id);
      assert.equal(again?.attempts, 4, 'a fresh budget: two more attempts');
      failing = false;
      await d.retry(job.id);
      assert.equal(await d.wait(job.id), 'up');
      assert.equal((await d.get(job.id))?.attempts, 5);
      await assert.rejects(d.retry(job.id), (e) => isDispatchError(e, 'INVALID_STATE'));
    });

    it('remove(id) deletes a record that is not running, refusing a running one', async () => {
      const d = await make({ workers: 1 });
      const gate = deferred();
      d.register(new RecordingHandler('T', () => gate.promise));
      const queued = await d.submit({ name: 'T', priority: JobPriority.Low });
      const running = await d.submit({ name: 'T', priority: JobPriority.High });
      const started = nextEvent(d, eventOf('started', running.id));
      await d.start();
      await started;
      assert.equal(await d.remove(queued.id), true);
      assert.equal(await d.get(queued.id), undefined);
      assert.equal(await d.remove(queued.id), false);
      await assert.rejects(d.remove(running.id), (e) => isDispatchError(e, 'INVALID_STATE'));
      gate.resolve();
      await d.wait(running.id);
      assert.equal(await d.remove(running.id), true);
      await assert.rejects(d.wait(running.id), (e) => isDispatchError(e, 'JOB_NOT_FOUND'));
    });

    it('setPriority(id) moves a queued job up, with a promoted event, and refuses a bad level', async () => {
      const d = await make({ workers: 1 });
      const order: string[] = [];
      d.register(new RecordingHandler('T', (job) => Promise.resolve(order.push(job.id))));
      const low = await d.submit({ name: 'T', priority: JobPriority.Low });
      const normal = await d.submit({ name: 'T', priority: JobPriority.Normal });
      const promoted = nextEvent(d, eventOf('promoted', low.id));
      assert.equal((await d.setPriority(low.id, JobPriority.High)).priority, JobPriority.High);
      assert.equal((await promoted).fromPriority, JobPriority.Low);
      await assert.rejects(d.setPriority(low.id, 3), invalid('priority'));
      await d.start();
      await d.wait(normal.id);
      assert.deepEqual(order, [low.id, normal.id]);
      await assert.rejects(d.setPriority(low.id, 0), (e) => isDispatchError(e, 'INVALID_STATE'));
    });

    it('pause() holds every job, pause(name) one type; running jobs go on; resume starts them', async () => {
      const d = await make({ workers: 2 });
      const ran: string[] = [];
      d.register(new RecordingHandler('A', (job) => Promise.resolve(ran.push(job.id))));
      d.register(new RecordingHandler('B', (job) => Promise.resolve(ran.push(job.id))));
      await d.pause('A');
      await d.start();
      const a = await d.submit({ name: 'A' });
      const b = await d.submit({ name: 'B' });
      await d.wait(b.id);
      assert.equal((await d.get(a.id))?.status, JobStatus.Queued);
      await d.pause();
      assert.deepEqual(await d.paused(), { queue: true, types: ['A'] });
      const b2 = await d.submit({ name: 'B' });
      await d.resume('A');
      assert.equal((await d.get(b2.id))?.status, JobStatus.Queued, 'the queue is still paused');
      await d.resume();
      await d.wait(a.id);
      await d.wait(b2.id);
      assert.deepEqual(await d.paused(), { queue: false, types: [] });
      assert.equal(ran[0], b.id, 'B ran while A was paused');
      assert.deepEqual([...ran].sort(), [a.id, b.id, b2.id].sort());
      await assert.rejects(d.pause(''), invalid('name'));
    });

    it('counts a job running once in stats() even when it starts again without an end', async () => {
      const d = await make({ workers: 1 });
      const gate = deferred();
      d.register(new RecordingHandler('T', () => gate.promise));
      await d.start();
      // Listen before submitting: a free worker can start the job before submit() returns.
      const firstStart = nextEvent(d, eventOf('started'));
      const job = await d.submit({ name: 'T' });
      const started = await firstStart;
      assert.equal(started.jobId, job.id);
      assert.ok(started.type === 'started');
      // Another process re-claiming the job after a lost lease emits `started` again.
      (d as unknown as { onEvent(e: typeof started): void }).onEvent({
        ...started,
        type: 'started',
        attempt: 2,
      });
      assert.equal((await d.stats()).types['T']?.running, 1);
      gate.resolve();
      await d.wait(job.id);
      assert.equal((await d.stats()).types['T']?.running, 0);
    });
  });

  describe('options that belong to the backend', () => {
    it('refuses recordTtlMs, which retention replaced, and default-backend options next to a backend', () => {
      assert.throws(
        () => new Dispatcher({ recordTtlMs: 1000 } as never),
        (e) => isDispatchError(e, 'INVALID_ARGUMENT') && /recordTtlMs was removed/.test(e.message),
      );
      assert.throws(
        () => new Dispatcher({ backend: new MemoryBackend(), retention: {} }),
        (e) => isDispatchError(e, 'INVALID_ARGUMENT') && /retention/.test(e.message),
      );
      assert.throws(
        () => new Dispatcher({ retention: { completed: { maxCount: -1 } } }),
        invalid('retention.completed.maxCount'),
      );
    });

    it('gives retention to its default backend: beyond maxCount the oldest finished record goes', async () => {
      const d = new Dispatcher({ workers: 1, retention: { completed: { maxCount: 2 } } });
      d.register({ jobType: 'T', execute: (job) => Promise.resolve(job.id) });
      await d.start();
      try {
        const ids: string[] = [];
        for (let i = 0; i < 3; i++) {
          const job = await d.submit({ name: 'T' });
          await d.wait(job.id);
          ids.push(job.id);
        }
        assert.equal(await d.get(ids[0]!), undefined, 'the oldest completed record was dropped');
        assert.equal((await d.get(ids[2]!))?.status, JobStatus.Completed);
        assert.equal((await d.counts()).completed, 2);
      } finally {
        await d.stop();
      }
    });
  });
}
