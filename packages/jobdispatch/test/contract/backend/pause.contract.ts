/**
 * Pauses at the seam: a paused queue hands out nothing, a paused type holds back only its own
 * jobs; submits still queue; `paused()` reports the state; `resume` wakes `waitForWork`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JobPriority, JobStatus } from '../../../src/index.js';
import type { BackendHarness } from './harness.js';

export function pauseContract(h: BackendHarness): void {
  describe('pause and resume', () => {
    it('a paused queue hands out nothing, accepts submits, and runs them after resume', async () => {
      const backend = await h.make();
      await backend.pause();
      assert.deepEqual(await backend.paused(), { queue: true, types: [] });
      const job = await h.submit(backend, { name: 'T' });
      assert.equal(job.status, JobStatus.Queued);
      assert.deepEqual(await h.claim(backend), []);
      await backend.pause(); // twice is fine
      await backend.resume();
      assert.deepEqual(await backend.paused(), { queue: false, types: [] });
      assert.deepEqual(
        (await h.claim(backend)).map((c) => c.job.id),
        [job.id],
      );
    });

    it('a paused type is skipped without holding back the others', async () => {
      const backend = await h.make();
      await backend.pause('Slow');
      await backend.pause('Alpha');
      assert.deepEqual(await backend.paused(), { queue: false, types: ['Alpha', 'Slow'] });
      const slow = await h.submit(backend, { name: 'Slow', priority: JobPriority.High });
      const other = await h.submit(backend, { name: 'Other', priority: JobPriority.Low });
      assert.deepEqual(
        (await h.claim(backend)).map((c) => c.job.id),
        [other.id],
      );
      await backend.resume('Slow');
      await backend.resume('Never-paused');
      assert.deepEqual(await backend.paused(), { queue: false, types: ['Alpha'] });
      assert.deepEqual(
        (await h.claim(backend)).map((c) => c.job.id),
        [slow.id],
      );
    });

    it('running jobs go on while paused', async () => {
      const backend = await h.make();
      await h.submit(backend, { name: 'T' });
      const [claim] = await h.claim(backend);
      await backend.pause('T');
      await backend.pause();
      assert.equal(await backend.renew(claim!), 'held');
      assert.equal(await backend.finish(claim!, { status: 'completed', result: 1 }), true);
    });

    it('resume wakes a waitForWork that waits on a paused queue', async () => {
      const backend = await h.make();
      await backend.pause();
      await h.submit(backend, { name: 'T' });
      assert.deepEqual(await h.claim(backend), []);
      const controller = new AbortController();
      const limit = setTimeout(() => controller.abort(), 5000);
      const waiting = backend.waitForWork(controller.signal);
      await backend.resume();
      await waiting;
      clearTimeout(limit);
      assert.equal(controller.signal.aborted, false, 'woken by resume, not by the 5 s limit');
      assert.equal((await h.claim(backend)).length, 1);
    });
  });
}
