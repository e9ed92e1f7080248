/**
 * Admin operations at the seam: requeue (the admin retry) of failed and cancelled jobs, remove,
 * setPriority; each refusing the statuses it does not apply to with INVALID_STATE naming the
 * status, and JOB_NOT_FOUND for an unknown id.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Backend, type Job, JobPriority, JobStatus } from '../../../src/index.js';
import { type BackendHarness, record, typesOf } from './harness.js';

const invalidState =
  (status: string) =>
  (error: Error & { code?: string }): boolean =>
    error.code === 'INVALID_STATE' && error.message.includes(status);

export function adminContract(h: BackendHarness): void {
  async function failedJob(backend: Backend, name = 'T'): Promise<Job> {
    const job = await h.submit(backend, { name });
    const [claim] = await h.claim(backend, 1);
    assert.equal(claim?.job.id, job.id);
    const error = { code: 'JOB_FAILED', message: 'no' };
    assert.equal(await backend.finish(claim, { status: 'failed', error }), true);
    return job;
  }

  describe('admin operations', () => {
    it('requeue puts a failed job back in the queue, clearing its end, keeping its attempts', async () => {
      const backend = await h.make();
      const events = record(backend);
      const job = await failedJob(backend);
      h.clock.advance(1);
      const queuedMeanwhile = await h.submit(backend, { name: 'T' });
      h.clock.advance(1);
      const requeued = await backend.requeue(job.id);
      assert.equal(requeued.status, JobStatus.Queued);
      assert.equal(requeued.attempts, 1);
      assert.equal(requeued.attemptsAtRequeue, 1);
      assert.equal(requeued.error, undefined);
      assert.equal(requeued.finishedAt, undefined);
      const stored = await backend.get(job.id);
      assert.equal(stored?.status, JobStatus.Queued);
      assert.equal(stored?.attemptsAtRequeue, 1);
      assert.deepEqual(typesOf(events, job.id).slice(-1), ['retried']);
      const claims = await h.claim(backend);
      assert.deepEqual(
        claims.map((c) => c.job.id),
        [queuedMeanwhile.id, job.id],
        'at the back of its level',
      );
      assert.equal(claims[1]?.job.attempts, 2);
      const counts = await backend.counts();
      assert.equal(counts.failed, 0);
      assert.equal(counts.running, 2);
    });

    it('requeue takes a cancelled job too, and refuses every other status', async () => {
      const backend = await h.make();
      const cancelled = await h.submit(backend, { name: 'T', runAt: h.clock.now() + 1000 });
      await backend.cancel(cancelled.id);
      assert.equal((await backend.requeue(cancelled.id)).status, JobStatus.Queued);
      await assert.rejects(backend.requeue(cancelled.id), invalidState('queued'));
      const [claim] = await h.claim(backend);
      await assert.rejects(backend.requeue(cancelled.id), invalidState('running'));
      await backend.finish(claim!, { status: 'completed', result: 1 });
      await assert.rejects(backend.requeue(cancelled.id), invalidState('completed'));
      const scheduled = await h.submit(backend, { name: 'T', runAt: h.clock.now() + 1000 });
      await assert.rejects(backend.requeue(scheduled.id), invalidState('scheduled'));
      await assert.rejects(backend.requeue('no-such-job'), { code: 'JOB_NOT_FOUND' });
    });

    it('remove deletes a queued, scheduled or finished record, refuses a running one, and says whether it existed', async () => {
      const backend = await h.make();
      const events = record(backend);
      const queued = await h.submit(backend, { name: 'Q', priority: JobPriority.Low });
      const scheduled = await h.submit(backend, { name: 'S', runAt: h.clock.now() + 1000 });
      const failed = await failedJob(backend, 'F');
      const running = await h.submit(backend, { name: 'R', priority: JobPriority.High });
      const [claim] = await h.claim(backend, 1);
      assert.equal(claim?.job.id, running.id);
      for (const job of [queued, scheduled, failed]) {
        assert.equal(await backend.remove(job.id), true);
        assert.equal(await backend.get(job.id), undefined);
        assert.deepEqual(typesOf(events, job.id).slice(-1), ['removed']);
      }
      assert.equal(await backend.remove(queued.id), false);
      await assert.rejects(backend.remove(running.id), invalidState('running'));
      h.clock.advance(2000);
      assert.deepEqual(await h.claim(backend), [], 'removed jobs never run');
      assert.deepEqual(await backend.counts(), {
        scheduled: 0,
        queued: 0,
        running: 1,
        completed: 0,
        failed: 0,
        cancelled: 0,
      });
    });

    it('remove frees the dedupKey of the record it deletes', async () => {
      const backend = await h.make();
      const original = await h.submit(backend, { name: 'T', dedupKey: 'k' });
      assert.equal(await backend.remove(original.id), true);
      const again = await h.submit(backend, { name: 'T', dedupKey: 'k' });
      assert.equal(again.status, JobStatus.Queued);
    });

    it('setPriority moves a queued job to the back of the new level, with promoted only when it goes up', async () => {
      const backend = await h.make();
      const events = record(backend);
      const low = await h.submit(backend, { name: 'T', priority: JobPriority.Low });
      h.clock.advance(1);
      const high = await h.submit(backend, { name: 'T', priority: JobPriority.High });
      h.clock.advance(1);
      const normal = await h.submit(backend, { name: 'T', priority: JobPriority.Normal });
      const moved = await backend.setPriority(low.id, JobPriority.High);
      assert.equal(moved.priority, JobPriority.High);
      const promoted = events.filter((e) => e.type === 'promoted');
      assert.equal(promoted.length, 1);
      assert.equal(promoted[0]?.fromPriority, JobPriority.Low);
      assert.equal(promoted[0]?.priority, JobPriority.High);
      await backend.setPriority(high.id, JobPriority.Low);
      assert.equal(events.filter((e) => e.type === 'promoted').length, 1, 'no event going down');
      assert.deepEqual(
        (await h.claim(backend)).map((c) => c.job.id),
        [low.id, normal.id, high.id],
      );
    });

    it('setPriority changes the level a scheduled job will enter, and refuses other statuses', async () => {
      const backend = await h.make();
      const scheduled = await h.submit(backend, { name: 'T', runAt: h.clock.now() + 1000 });
      const queued = await h.submit(backend, { name: 'T', priority: JobPriority.Normal });
      assert.equal((await backend.setPriority(scheduled.id, JobPriority.High)).priority, 2);
      assert.equal((await backend.get(scheduled.id))?.status, JobStatus.Scheduled);
      h.clock.advance(1000);
      assert.deepEqual(
        (await h.claim(backend)).map((c) => c.job.id),
        [scheduled.id, queued.id],
      );
      await assert.rejects(
        backend.setPriority(queued.id, JobPriority.Low),
        invalidState('running'),
      );
      await assert.rejects(backend.setPriority('no-such-job', 1), { code: 'JOB_NOT_FOUND' });
    });

    it('requeue and setPriority refuse a full level with QUEUE_FULL, changing nothing', async () => {
      const backend = await h.make({ capacityPerLevel: 1 });
      const failed = await failedJob(backend);
      await h.submit(backend, { name: 'T' });
      await assert.rejects(backend.requeue(failed.id), { code: 'QUEUE_FULL' });
      assert.equal((await backend.get(failed.id))?.status, JobStatus.Failed);
      const low = await h.submit(backend, { name: 'T', priority: JobPriority.Low });
      await assert.rejects(backend.setPriority(low.id, JobPriority.Normal), { code: 'QUEUE_FULL' });
      assert.equal((await backend.get(low.id))?.priority, JobPriority.Low);
    });
  });
}
