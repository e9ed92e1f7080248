/**
 * Retention at the seam: finished records are dropped oldest first past `maxCount`, and once
 * older than `maxAgeMs` (at the next write, with no timer); a completed execution absorbs
 * duplicates only while it is kept and younger than `dedupTtlMs`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Backend, type Job, JobStatus, createJob } from '../../../src/index.js';
import { type BackendHarness, listRequest } from './harness.js';

export function retentionContract(h: BackendHarness): void {
  /** Submits, claims and ends one job with the outcome given; the clock moves 1 ms first. */
  async function finished(
    backend: Backend,
    status: 'completed' | 'failed' | 'cancelled',
    spec: { name?: string; dedupKey?: string } = {},
  ): Promise<Job> {
    h.clock.advance(1);
    const job = await h.submit(backend, { name: spec.name ?? 'T', ...spec });
    if (status === 'cancelled') {
      await backend.cancel(job.id);
      return job;
    }
    const [claim] = await h.claim(backend, 1);
    assert.equal(claim?.job.id, job.id);
    const error = { code: 'JOB_FAILED', message: 'no' };
    const outcome = status === 'completed' ? { status, result: job.id } : { status, error };
    assert.equal(await backend.finish(claim, outcome), true);
    return job;
  }

  describe('retention', () => {
    it('keeps at most maxCount finished records per status, dropping the oldest first', async () => {
      const backend = await h.make({
        retention: { completed: { maxCount: 3 }, failed: { maxCount: 1 } },
      });
      const completed: Job[] = [];
      for (let i = 0; i < 5; i++) completed.push(await finished(backend, 'completed'));
      const failed = [await finished(backend, 'failed'), await finished(backend, 'failed')];
      const cancelled = [
        await finished(backend, 'cancelled'),
        await finished(backend, 'cancelled'),
      ];
      for (const job of [completed[0]!, completed[1]!, failed[0]!]) {
        assert.equal(await backend.get(job.id), undefined, `${job.id} was trimmed`);
      }
      for (const job of [...completed.slice(2), failed[1]!, ...cancelled]) {
        assert.ok(await backend.get(job.id), `${job.id} is kept`);
      }
      const counts = await backend.counts();
      assert.equal(counts.completed, 3);
      assert.equal(counts.failed, 1);
      assert.equal(counts.cancelled, 2);
      const page = await backend.list(listRequest({ statuses: ['completed'] }));
      assert.deepEqual(
        page.jobs.map((j) => j.id),
        completed
          .slice(2)
          .reverse()
          .map((j) => j.id),
      );
    });

    it('drops records older than maxAgeMs at the next write, with no timer', async () => {
      const backend = await h.make({
        retention: { completed: { maxAgeMs: 1000 }, failed: { maxAgeMs: 5000 } },
      });
      const old = await finished(backend, 'completed');
      const oldFailed = await finished(backend, 'failed');
      h.clock.advance(500);
      const young = await finished(backend, 'completed');
      h.clock.advance(600); // `old` is now 1,101 ms old, `young` 600 ms
      await h.submit(backend, { name: 'Other' }); // any write sweeps
      assert.equal(await backend.get(old.id), undefined);
      assert.equal((await backend.get(young.id))?.status, JobStatus.Completed);
      assert.equal((await backend.get(oldFailed.id))?.status, JobStatus.Failed);
      const counts = await backend.counts();
      assert.equal(counts.completed, 1);
      assert.equal(counts.failed, 1);
      h.clock.advance(5000);
      await h.submit(backend, { name: 'Other' });
      assert.equal(await backend.get(young.id), undefined);
      assert.equal(await backend.get(oldFailed.id), undefined);
      const after = await backend.counts();
      assert.equal(after.completed + after.failed, 0);
    });

    it('a completed execution absorbs submits with its key while kept and younger than dedupTtlMs', async () => {
      const backend = await h.make({ dedupTtlMs: 1000 });
      const original = await finished(backend, 'completed', { dedupKey: 'k' });
      h.clock.advance(998);
      const absorbed = await backend.submit(createJob({ name: 'T', dedupKey: 'k' }, h.clock.now()));
      assert.equal(absorbed.kind, 'duplicated');
      assert.equal(absorbed.job.duplicateOf, original.id);
      h.clock.advance(2);
      const fresh = await backend.submit(createJob({ name: 'T', dedupKey: 'k' }, h.clock.now()));
      assert.equal(fresh.kind, 'queued');
    });

    it('a completed execution trimmed by count no longer absorbs submits', async () => {
      const backend = await h.make({ retention: { completed: { maxCount: 1 } } });
      await finished(backend, 'completed', { dedupKey: 'k' });
      await finished(backend, 'completed', { dedupKey: 'other' });
      const fresh = await backend.submit(createJob({ name: 'T', dedupKey: 'k' }, h.clock.now()));
      assert.equal(fresh.kind, 'queued');
    });

    it('duplicated records follow the completed rule, in a count of their own', async () => {
      const backend = await h.make({ retention: { completed: { maxCount: 2 } } });
      const original = await h.submit(backend, { name: 'T', dedupKey: 'k' });
      const duplicates: Job[] = [];
      for (let i = 0; i < 3; i++) {
        h.clock.advance(1);
        duplicates.push(
          (await backend.submit(createJob({ name: 'T', dedupKey: 'k' }, h.clock.now()))).job,
        );
      }
      assert.equal(await backend.get(duplicates[0]!.id), undefined);
      assert.equal((await backend.get(duplicates[2]!.id))?.status, JobStatus.Duplicated);
      const page = await backend.list(listRequest({ statuses: ['duplicated'] }));
      assert.deepEqual(
        page.jobs.map((j) => j.id),
        [duplicates[2]!.id, duplicates[1]!.id],
      );
      assert.equal((await backend.get(original.id))?.status, JobStatus.Queued);
    });
  });
}
