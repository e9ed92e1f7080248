/** Dispatcher contract, part: Routing, records, priority order and capacity. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JobPriority, JobStatus, isDispatchError } from '../../src/index.js';
import { RecordingHandler, deferred, eventOf, nextEvent } from '../helpers.js';
import { HOUR, type Harness } from './harness.js';

export function recordsContract({ make }: Harness): void {
  describe('routing and records', () => {
    it('routes each job to the handler registered for its type', async () => {
      const d = await make({ workers: 2 });
      const planning = new RecordingHandler('Planning', (job) =>
        Promise.resolve(`plan ${String(job.params)}`),
      );
      const analytics = new RecordingHandler('Analytics', () => Promise.resolve('report'));
      d.register(planning).register(analytics);
      await d.start();
      const a = await d.submit({ name: 'Planning', params: 2 });
      const b = await d.submit({ name: 'Analytics' });
      assert.equal(await d.wait(a.id), 'plan 2');
      assert.equal(await d.wait(b.id), 'report');
      assert.deepEqual(planning.ran, [a.id]);
      assert.deepEqual(analytics.ran, [b.id]);
    });

    it('fails a job of an unknown type with UNKNOWN_JOB_TYPE and goes on with the next job', async () => {
      const d = await make({ workers: 1 });
      d.register(new RecordingHandler('Known', () => Promise.resolve('ok')));
      await d.start();
      const unknown = await d.submit({ name: 'Nobody' });
      const known = await d.submit({ name: 'Known' });
      await assert.rejects(d.wait(unknown.id), (e) => isDispatchError(e, 'UNKNOWN_JOB_TYPE'));
      assert.equal(await d.wait(known.id), 'ok');
      const record = await d.get(unknown.id);
      assert.equal(record?.status, JobStatus.Failed);
      assert.match(record?.error?.message ?? '', /no handler is registered for job type "Nobody"/);
    });

    it('refuses a second handler for the same type with DUPLICATE_HANDLER', async () => {
      const d = await make();
      d.register(new RecordingHandler('Planning'));
      assert.throws(
        () => d.register(new RecordingHandler('Planning')),
        (e) => isDispatchError(e, 'DUPLICATE_HANDLER'),
      );
    });

    it('records every status change with updatedAt, and keeps the result', async () => {
      let now = 1_000;
      const d = await make({ workers: 1, now: () => now });
      const gate = deferred();
      d.register(
        new RecordingHandler('T', async () => {
          await gate.promise;
          return { answer: 42 };
        }),
      );
      const job = await d.submit({
        name: 'T',
        priority: JobPriority.High,
        description: 'a test job',
      });
      assert.equal(job.status, JobStatus.Queued);
      assert.equal(job.createdAt, 1_000);
      now = 2_000;
      const started = nextEvent(d, eventOf('started', job.id));
      await d.start();
      await started;
      const running = await d.get(job.id);
      assert.equal(running?.status, JobStatus.Running);
      assert.equal(running?.updatedAt, 2_000);
      assert.equal(running?.attempts, 1);
      now = 3_000;
      gate.resolve();
      assert.deepEqual(await d.wait(job.id), { answer: 42 });
      const done = await d.get(job.id);
      assert.equal(done?.status, JobStatus.Completed);
      assert.equal(done?.updatedAt, 3_000);
      assert.equal(done?.finishedAt, 3_000);
      assert.equal(done?.description, 'a test job');
      assert.equal(done?.priority, JobPriority.High);
    });

    it('expires a finished record 24 h after it finished', async () => {
      let now = 0;
      const d = await make({ workers: 1, now: () => now });
      d.register(new RecordingHandler('T'));
      await d.start();
      const job = await d.submit({ name: 'T' });
      await d.wait(job.id);
      now = 24 * HOUR - 1;
      assert.equal((await d.get(job.id))?.status, JobStatus.Completed);
      now = 24 * HOUR;
      assert.equal(await d.get(job.id), undefined);
    });

    it('answers get() of an unknown id with undefined and wait() with JOB_NOT_FOUND', async () => {
      const d = await make();
      assert.equal(await d.get('no-such-job'), undefined);
      await assert.rejects(d.wait('no-such-job'), (e) => isDispatchError(e, 'JOB_NOT_FOUND'));
    });

    it('rejects a bad spec with a message naming the field, the rule and the value', async () => {
      const d = await make();
      await assert.rejects(d.submit({ name: '' }), /name must be a non-empty string, got ""/);
      await assert.rejects(
        d.submit({ name: 'T', dedupKey: '' }),
        /dedupKey must be a non-empty string/,
      );
    });
  });

  describe('priority and capacity', () => {
    it('a waiting worker picks up a HIGH job before LOW jobs that were queued earlier', async () => {
      const d = await make({ workers: 1 });
      const gate = deferred();
      const handler = new RecordingHandler('T', async (job) => {
        if (job.id === 'blocker') await gate.promise;
      });
      d.register(handler);
      await d.start();
      const started = nextEvent(d, eventOf('started', 'blocker'));
      await d.submit({ id: 'blocker', name: 'T' });
      await started;
      for (const id of ['low-1', 'low-2', 'low-3'])
        await d.submit({ id, name: 'T', priority: JobPriority.Low });
      await d.submit({ id: 'normal', name: 'T', priority: JobPriority.Normal });
      await d.submit({ id: 'high', name: 'T', priority: JobPriority.High });
      gate.resolve();
      await d.wait('low-3');
      assert.deepEqual(handler.ran, ['blocker', 'high', 'normal', 'low-1', 'low-2', 'low-3']);
    });

    it('never runs more than `workers` handlers at once', async () => {
      const d = await make({ workers: 3 });
      const handler = new RecordingHandler(
        'T',
        () => new Promise((resolve) => setImmediate(resolve)),
      );
      d.register(handler);
      await d.start();
      const jobs = await Promise.all(Array.from({ length: 30 }, () => d.submit({ name: 'T' })));
      await Promise.all(jobs.map((job) => d.wait(job.id)));
      assert.equal(handler.ran.length, 30);
      assert.equal(handler.maxRunning, 3);
    });

    it('rejects a submit to a full level with QUEUE_FULL, at once, while other levels accept', async () => {
      const d = await make({ workers: 0, capacityPerLevel: 2 });
      await d.submit({ name: 'T', priority: JobPriority.Low });
      await d.submit({ name: 'T', priority: JobPriority.Low });
      await assert.rejects(d.submit({ name: 'T', priority: JobPriority.Low }), (e) =>
        isDispatchError(e, 'QUEUE_FULL'),
      );
      await d.submit({ name: 'T', priority: JobPriority.High });
      assert.deepEqual((await d.stats()).levels.low.queued, 2);
    });

    it('with aging off, serves strictly by level however long a LOW job waited', async () => {
      let now = 0;
      const d = await make({ workers: 1, now: () => now });
      const handler = new RecordingHandler('T');
      d.register(handler);
      await d.submit({ id: 'old-low', name: 'T', priority: JobPriority.Low });
      now = 10 * HOUR;
      await d.submit({ id: 'new-high', name: 'T', priority: JobPriority.High });
      await d.start();
      await d.wait('old-low');
      assert.deepEqual(handler.ran, ['new-high', 'old-low']);
    });

    it('with aging on, a LOW job that waited past maxWaitMs is served as NORMAL', async () => {
      let now = 0;
      const d = await make({ workers: 1, now: () => now, maxWaitMs: { low: 1000 } });
      const handler = new RecordingHandler('T');
      d.register(handler);
      await d.submit({ id: 'old-low', name: 'T', priority: JobPriority.Low });
      await d.submit({ id: 'normal', name: 'T', priority: JobPriority.Normal });
      await d.submit({ id: 'high', name: 'T', priority: JobPriority.High });
      now = 1000;
      await d.start();
      await d.wait('normal');
      assert.deepEqual(handler.ran, ['high', 'old-low', 'normal']);
    });
  });
}
