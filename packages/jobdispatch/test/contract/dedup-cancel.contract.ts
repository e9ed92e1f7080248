/** Dispatcher contract, part: Dedup (the JobStore), promotion, and cancellation. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JobPriority, JobStatus, isDispatchError } from '../../src/index.js';
import { RecordingHandler, aborted, deferred, eventOf, nextEvent } from '../helpers.js';
import { HOUR, type Harness } from './harness.js';

export function dedupAndCancelContract({ make }: Harness): void {
  describe('dedup (the JobStore)', () => {
    it('runs a dedupKey once while it is queued, running or recently completed; wait() on either id gives the result', async () => {
      const d = await make({ workers: 1 });
      const gate = deferred();
      const handler = new RecordingHandler('Planning', async () => {
        await gate.promise;
        return 'plans';
      });
      d.register(handler);
      await d.start();
      const first = await d.submit({ name: 'Planning', dedupKey: 'sj:sat:2' });
      const second = await d.submit({ name: 'Planning', dedupKey: 'sj:sat:2' });
      assert.equal(second.status, JobStatus.Duplicated);
      assert.equal(second.duplicateOf, first.id);
      gate.resolve();
      assert.equal(await d.wait(second.id), 'plans');
      assert.equal(await d.wait(first.id), 'plans');
      const third = await d.submit({ name: 'Planning', dedupKey: 'sj:sat:2' });
      assert.equal(third.status, JobStatus.Duplicated);
      assert.equal(await d.wait(third.id), 'plans');
      assert.equal(handler.ran.length, 1);
    });

    it('does not let a failed execution block a new one', async () => {
      const d = await make({ workers: 1 });
      let calls = 0;
      d.register(
        new RecordingHandler('T', () =>
          ++calls === 1 ? Promise.reject(new Error('boom')) : Promise.resolve('ok'),
        ),
      );
      await d.start();
      const first = await d.submit({ name: 'T', dedupKey: 'k' });
      await assert.rejects(d.wait(first.id), /boom/);
      const second = await d.submit({ name: 'T', dedupKey: 'k' });
      assert.equal(second.status, JobStatus.Queued);
      assert.equal(await d.wait(second.id), 'ok');
    });

    it('lets the same key run again once the completed execution has expired', async () => {
      let now = 0;
      const d = await make({ workers: 1, now: () => now, dedupTtlMs: HOUR });
      const handler = new RecordingHandler('T');
      d.register(handler);
      await d.start();
      await d.wait((await d.submit({ name: 'T', dedupKey: 'k' })).id);
      now = HOUR - 1;
      assert.equal((await d.submit({ name: 'T', dedupKey: 'k' })).status, JobStatus.Duplicated);
      now = HOUR;
      const again = await d.submit({ name: 'T', dedupKey: 'k' });
      assert.equal(again.status, JobStatus.Queued);
      await d.wait(again.id);
      assert.equal(handler.ran.length, 2);
    });

    it('promotes a queued LOW duplicate ahead of earlier LOW jobs when a HIGH submit matches it', async () => {
      const d = await make({ workers: 1 });
      const gate = deferred();
      const handler = new RecordingHandler('Planning', async (job) => {
        if (job.id === 'blocker') await gate.promise;
      });
      d.register(handler);
      await d.start();
      const started = nextEvent(d, eventOf('started', 'blocker'));
      await d.submit({ id: 'blocker', name: 'Planning' });
      await started;
      for (const level of [0, 1, 3, 4]) {
        await d.submit({
          id: `low-${level}`,
          name: 'Planning',
          priority: JobPriority.Low,
          dedupKey: `price-${level}`,
        });
      }
      const promoted = nextEvent(d, eventOf('promoted', 'low-3'));
      const user = await d.submit({
        id: 'user',
        name: 'Planning',
        priority: JobPriority.High,
        dedupKey: 'price-3',
      });
      const event = await promoted;
      assert.equal(event.priority, JobPriority.High);
      assert.equal(event.fromPriority, JobPriority.Low);
      assert.equal(user.status, JobStatus.Duplicated);
      assert.equal((await d.get('low-3'))?.priority, JobPriority.High);
      gate.resolve();
      await d.wait('user');
      await d.wait('low-4');
      assert.deepEqual(handler.ran, ['blocker', 'low-3', 'low-0', 'low-1', 'low-4']);
    });
  });

  describe('cancellation', () => {
    it('a cancelled queued job never starts, and wait() rejects with JOB_CANCELLED', async () => {
      const d = await make({ workers: 1 });
      const handler = new RecordingHandler('T');
      d.register(handler);
      const job = await d.submit({ name: 'T' });
      const other = await d.submit({ name: 'T' });
      const outcome = await d.cancel(job.id);
      assert.equal(outcome.outcome, 'cancelled');
      await d.start();
      await d.wait(other.id);
      await assert.rejects(d.wait(job.id), (e) => isDispatchError(e, 'JOB_CANCELLED'));
      assert.deepEqual(handler.ran, [other.id]);
      assert.equal((await d.get(job.id))?.status, JobStatus.Cancelled);
    });

    it('cancelling a running job aborts its signal, and it ends cancelled', async () => {
      const d = await make({ workers: 1 });
      d.register(
        new RecordingHandler('T', async (_job, ctx) => {
          await aborted(ctx.signal);
          assert.ok(isDispatchError(ctx.signal.reason, 'JOB_CANCELLED'));
          return 'ignored';
        }),
      );
      await d.start();
      const started = nextEvent(d, eventOf('started', 'job'));
      const job = await d.submit({ id: 'job', name: 'T' });
      await started;
      const outcome = await d.cancel(job.id);
      assert.equal(outcome.outcome, 'cancel-requested');
      await assert.rejects(d.wait(job.id), (e) => isDispatchError(e, 'JOB_CANCELLED'));
      const record = await d.get(job.id);
      assert.equal(record?.status, JobStatus.Cancelled);
      assert.equal(record?.cancelRequested, true);
    });

    it('leaves a finished job as it is and says so; an unknown id is JOB_NOT_FOUND', async () => {
      const d = await make({ workers: 1 });
      d.register(new RecordingHandler('T', () => Promise.resolve('done')));
      await d.start();
      const job = await d.submit({ name: 'T' });
      await d.wait(job.id);
      const outcome = await d.cancel(job.id);
      assert.equal(outcome.outcome, 'already-finished');
      assert.equal(outcome.job.status, JobStatus.Completed);
      await assert.rejects(d.cancel('nope'), (e) => isDispatchError(e, 'JOB_NOT_FOUND'));
    });
  });
}
