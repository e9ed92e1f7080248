/**
 * Claims, fencing and cancel at the seam: strict priority then FIFO, per-type `remaining`, a stale
 * token refused by renew/finish/retry/release, cancel of queued, scheduled and running jobs, and
 * the failure detail a failed job keeps.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JobPriority, JobStatus, MAX_STACK_BYTES } from '../../../src/index.js';
import { type BackendHarness, record, typesOf } from './harness.js';

export function claimContract(h: BackendHarness): void {
  describe('claim', () => {
    it('hands out jobs highest priority first, oldest first within a level, marking them running', async () => {
      const backend = await h.make();
      const low = await h.submit(backend, { name: 'T', priority: JobPriority.Low });
      h.clock.advance(1);
      const normal1 = await h.submit(backend, { name: 'T', priority: JobPriority.Normal });
      h.clock.advance(1);
      const high = await h.submit(backend, { name: 'U', priority: JobPriority.High });
      h.clock.advance(1);
      const normal2 = await h.submit(backend, { name: 'U', priority: JobPriority.Normal });
      const claims = await h.claim(backend, 3);
      assert.deepEqual(
        claims.map((c) => c.job.id),
        [high.id, normal1.id, normal2.id],
      );
      for (const claim of claims) {
        assert.equal(claim.job.status, JobStatus.Running);
        assert.equal(claim.job.attempts, 1);
        assert.equal(claim.job.startedAt, h.clock.now());
      }
      assert.deepEqual(
        (await h.claim(backend)).map((c) => c.job.id),
        [low.id],
      );
      assert.deepEqual(await h.claim(backend), []);
    });

    it('gives a capped type only its remaining room, without holding back the other types', async () => {
      const backend = await h.make();
      const capped = [];
      for (let i = 0; i < 3; i++) capped.push(await h.submit(backend, { name: 'Capped' }));
      const free = await h.submit(backend, { name: 'Free' });
      const blocked = await h.submit(backend, { name: 'Blocked', priority: JobPriority.High });
      const claims = await h.claim(
        backend,
        10,
        new Map([
          ['Capped', 1],
          ['Blocked', 0],
        ]),
      );
      assert.deepEqual(
        claims.map((c) => c.job.id),
        [capped[0]!.id, free.id],
      );
      assert.equal((await backend.get(blocked.id))?.status, JobStatus.Queued);
    });

    it('refuses renew, finish, retry and release with a stale token once the job was given back and claimed again', async () => {
      const backend = await h.make();
      const job = await h.submit(backend, { name: 'T' });
      const [first] = await h.claim(backend);
      assert.ok(first);
      assert.equal(await backend.renew(first), 'held');
      assert.equal(
        await backend.retry(first, { code: 'JOB_FAILED', message: 'try again' }, 0),
        true,
      );
      const [second] = await h.claim(backend);
      assert.ok(second);
      assert.notEqual(second.token, first.token);
      assert.equal(second.job.attempts, 2);
      assert.equal(await backend.renew(first), 'lost');
      assert.equal(await backend.finish(first, { status: 'completed', result: 'stale' }), false);
      assert.equal(await backend.retry(first, { code: 'JOB_FAILED', message: 'x' }, 0), false);
      assert.equal(await backend.release(first), false);
      assert.equal((await backend.get(job.id))?.status, JobStatus.Running);
      assert.equal(await backend.finish(second, { status: 'completed', result: 'fresh' }), true);
      const done = await backend.get(job.id);
      assert.equal(done?.status, JobStatus.Completed);
      assert.equal(done?.result, 'fresh');
      assert.equal(await backend.finish(second, { status: 'completed', result: 'again' }), false);
    });

    it('release gives a running job back to the front of its level, its attempt not counted', async () => {
      const backend = await h.make();
      const a = await h.submit(backend, { name: 'T' });
      h.clock.advance(1);
      const b = await h.submit(backend, { name: 'T' });
      const [claim] = await h.claim(backend, 1);
      assert.equal(claim?.job.id, a.id);
      h.clock.advance(1);
      const c = await h.submit(backend, { name: 'T' });
      assert.equal(await backend.release(claim), true);
      const released = await backend.get(a.id);
      assert.equal(released?.status, JobStatus.Queued);
      assert.equal(released?.attempts, 0);
      assert.deepEqual(
        (await h.claim(backend)).map((x) => x.job.id),
        [a.id, b.id, c.id],
      );
    });

    it('cancels a queued and a scheduled job at once, and asks a running one to stop', async () => {
      const backend = await h.make();
      const events = record(backend);
      const queued = await h.submit(backend, { name: 'T' });
      const scheduled = await h.submit(backend, { name: 'T', runAt: h.clock.now() + 60_000 });
      const running = await h.submit(backend, { name: 'R', priority: JobPriority.High });
      const [claim] = await h.claim(backend, 1);
      assert.equal(claim?.job.id, running.id);

      for (const job of [queued, scheduled]) {
        const outcome = await backend.cancel(job.id);
        assert.equal(outcome.outcome, 'cancelled');
        assert.equal(outcome.job.status, JobStatus.Cancelled);
        assert.equal(outcome.job.error?.code, 'JOB_CANCELLED');
      }
      const asked = await backend.cancel(running.id);
      assert.equal(asked.outcome, 'cancel-requested');
      assert.equal(asked.job.cancelRequested, true);
      assert.equal(await backend.renew(claim), 'cancel-requested');
      assert.equal(
        await backend.finish(claim, {
          status: 'cancelled',
          error: { code: 'JOB_CANCELLED', message: 'cancelled while running' },
        }),
        true,
      );
      assert.equal((await backend.cancel(running.id)).outcome, 'already-finished');
      h.clock.advance(120_000);
      assert.deepEqual(await h.claim(backend), [], 'the cancelled scheduled job never comes due');
      assert.deepEqual(typesOf(events, scheduled.id), ['scheduled', 'cancelled']);
      assert.deepEqual(typesOf(events, running.id), [
        'queued',
        'started',
        'cancelling',
        'cancelled',
      ]);
      await assert.rejects(backend.cancel('no-such-job'), { code: 'JOB_NOT_FOUND' });
    });

    it('keeps the code, message, name and stack of a failed attempt on the record', async () => {
      const backend = await h.make();
      const job = await h.submit(backend, { name: 'T' });
      const [claim] = await h.claim(backend);
      const stack = `TypeError: bad\n${'    at somewhere (file.ts:1:1)\n'.repeat(20)}`;
      assert.ok(stack.length < MAX_STACK_BYTES);
      const error = { code: 'JOB_FAILED', message: 'bad', name: 'TypeError', stack };
      assert.equal(await backend.finish(claim!, { status: 'failed', error }), true);
      assert.deepEqual((await backend.get(job.id))?.error, error);
    });

    it('keeps the per-job timeoutMs, retries and runAt given on the job', async () => {
      const backend = await h.make();
      const runAt = h.clock.now() - 5;
      const job = await h.submit(backend, { name: 'T', timeoutMs: 1500, retries: 4, runAt });
      const [claim] = await h.claim(backend);
      assert.equal(claim?.job.id, job.id);
      assert.equal(claim.job.timeoutMs, 1500);
      assert.equal(claim.job.retries, 4);
      assert.equal(claim.job.runAt, runAt);
    });
  });
}
