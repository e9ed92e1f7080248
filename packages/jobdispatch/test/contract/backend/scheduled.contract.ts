/**
 * Scheduled jobs at the seam, on the manual clock: recorded `scheduled` until due, then queued at
 * the back of their level in due order; retries with a delay wait the same way; dedup absorbs
 * submits while a scheduled execution waits; `waitForWork` wakes when the earliest comes due.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JobPriority, JobStatus, createJob } from '../../../src/index.js';
import { type BackendHarness, record, typesWhen } from './harness.js';

export function scheduledContract(h: BackendHarness): void {
  describe('scheduled jobs', () => {
    it('records a job due later as scheduled and claims it only once the clock reaches runAt', async () => {
      const backend = await h.make();
      const events = record(backend);
      const runAt = h.clock.now() + 10_000;
      const result = await backend.submit(createJob({ name: 'T', runAt }, h.clock.now()));
      assert.equal(result.kind, 'scheduled');
      assert.equal(result.job.status, JobStatus.Scheduled);
      assert.equal(result.job.runAt, runAt);
      assert.equal((await backend.get(result.job.id))?.status, JobStatus.Scheduled);
      h.clock.advance(9_999);
      assert.deepEqual(await h.claim(backend), []);
      h.clock.advance(1);
      const claims = await h.claim(backend);
      assert.deepEqual(
        claims.map((c) => c.job.id),
        [result.job.id],
      );
      assert.deepEqual(await typesWhen(events, result.job.id, 3), [
        'scheduled',
        'queued',
        'started',
      ]);
      const scheduledEvent = events.find((e) => e.type === 'scheduled');
      assert.equal(scheduledEvent?.runAt, runAt);
    });

    it('queues at once a job whose due time has passed', async () => {
      const backend = await h.make();
      const job = await h.submit(backend, { name: 'T', runAt: h.clock.now() - 1000 });
      assert.equal(job.status, JobStatus.Queued);
      assert.equal((await h.claim(backend))[0]?.job.id, job.id);
    });

    it('queues jobs due in the same millisecond in the order they were scheduled, not by id', async () => {
      const backend = await h.make();
      const runAt = h.clock.now() + 1000;
      // Ids against their order of submission, and a retry scheduled for the same moment last.
      for (const id of ['z', 'm', 'a']) await h.submit(backend, { id, name: 'T', runAt });
      await h.submit(backend, { id: 'b', name: 'T' });
      const [running] = await h.claim(backend, 1);
      assert.equal(running?.job.id, 'b');
      assert.equal(await backend.retry(running, { code: 'JOB_FAILED', message: 'x' }, 1000), true);
      await h.submit(backend, { id: 'c', name: 'T', runAt });
      h.clock.advance(1000);
      assert.deepEqual(
        (await h.claim(backend)).map((c) => c.job.id),
        ['z', 'm', 'a', 'b', 'c'],
      );
    });

    it('queues due jobs at the back of their level, in due order, behind the jobs already queued there', async () => {
      const backend = await h.make();
      const later = await h.submit(backend, { name: 'T', runAt: h.clock.now() + 2000 });
      const sooner = await h.submit(backend, { name: 'T', runAt: h.clock.now() + 1000 });
      const queued = await h.submit(backend, { name: 'T' });
      const highLater = await h.submit(backend, {
        name: 'T',
        priority: JobPriority.High,
        runAt: h.clock.now() + 1500,
      });
      h.clock.advance(3000);
      assert.deepEqual(
        (await h.claim(backend)).map((c) => c.job.id),
        [highLater.id, queued.id, sooner.id, later.id],
      );
    });

    it('a delayed retry waits as a scheduled job; a retry without delay queues at once', async () => {
      const backend = await h.make();
      const events = record(backend);
      const job = await h.submit(backend, { name: 'T' });
      const [first] = await h.claim(backend);
      const error = { code: 'JOB_FAILED', message: 'flaky' };
      assert.equal(await backend.retry(first!, error, 5000), true);
      const waiting = await backend.get(job.id);
      assert.equal(waiting?.status, JobStatus.Scheduled);
      assert.equal(waiting?.runAt, h.clock.now() + 5000);
      assert.deepEqual(waiting?.error, error);
      h.clock.advance(4999);
      assert.deepEqual(await h.claim(backend), []);
      h.clock.advance(1);
      const [second] = await h.claim(backend);
      assert.equal(second?.job.id, job.id);
      assert.equal(second.job.attempts, 2);
      assert.equal(await backend.retry(second, error, 0), true);
      assert.equal((await backend.get(job.id))?.status, JobStatus.Queued);
      const retrying = events.filter((e) => e.type === 'retrying');
      assert.deepEqual(
        retrying.map((e) => e.delayMs),
        [5000, 0],
      );
    });

    it('a scheduled execution absorbs submits with its dedupKey and is promoted by a higher one', async () => {
      const backend = await h.make();
      const original = await h.submit(backend, {
        name: 'T',
        dedupKey: 'k',
        priority: JobPriority.Low,
        runAt: h.clock.now() + 1000,
      });
      const result = await backend.submit(
        createJob({ name: 'T', dedupKey: 'k', priority: JobPriority.High }, h.clock.now()),
      );
      assert.equal(result.kind, 'duplicated');
      assert.ok(result.kind === 'duplicated');
      assert.equal(result.original.id, original.id);
      assert.equal(result.promoted, true);
      assert.equal(result.job.duplicateOf, original.id);
      const stored = await backend.get(original.id);
      assert.equal(stored?.status, JobStatus.Scheduled);
      assert.equal(stored?.priority, JobPriority.High);
    });

    it('waitForWork resolves once the earliest scheduled job comes due', async () => {
      const backend = await h.make();
      await h.submit(backend, { name: 'T', runAt: h.clock.now() + 200 });
      assert.deepEqual(await h.claim(backend), []); // clears any earlier arrival
      const controller = new AbortController();
      let woke = false;
      const waiting = backend.waitForWork(controller.signal).then(() => (woke = true));
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(woke, false, 'nothing is due yet');
      h.clock.advance(200);
      const limit = setTimeout(() => controller.abort(), 5000);
      await waiting;
      clearTimeout(limit);
      assert.equal(controller.signal.aborted, false, 'woken by the due job, not by the 5 s limit');
      assert.equal((await h.claim(backend)).length, 1);
    });
  });
}
