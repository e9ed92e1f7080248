/** Dispatcher contract, part: Stats and shutdown. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JobPriority, JobStatus, isDispatchError } from '../../src/index.js';
import { RecordingHandler, deferred, eventOf, nextEvent } from '../helpers.js';
import type { Harness } from './harness.js';

export function statsAndShutdownContract({ make, backendOf }: Harness): void {
  describe('stats', () => {
    it('counts waits per level and outcomes per type', async () => {
      const d = await make({ workers: 1 });
      d.register(new RecordingHandler('Ok')).register(
        new RecordingHandler('Bad', () => Promise.reject(new Error('x'))),
      );
      await d.start();
      const ok = await d.submit({ name: 'Ok', priority: JobPriority.High });
      const bad = await d.submit({ name: 'Bad', priority: JobPriority.Low });
      await d.wait(ok.id);
      await d.wait(bad.id).catch(() => undefined);
      const stats = await d.stats();
      assert.equal(stats.levels.high.wait.count, 1);
      assert.equal(stats.levels.low.wait.count, 1);
      assert.equal(stats.levels.normal.wait.count, 0);
      assert.deepEqual(stats.types['Ok'], { running: 0, completed: 1, failed: 0, cancelled: 0 });
      assert.deepEqual(stats.types['Bad'], { running: 0, completed: 0, failed: 1, cancelled: 0 });
    });
  });

  describe('shutdown', () => {
    it('stop() lets running jobs finish and refuses new jobs with QUEUE_CLOSED', async () => {
      const d = await make({ workers: 1 });
      const gate = deferred();
      d.register(new RecordingHandler('T', () => gate.promise.then(() => 'finished')));
      await d.start();
      const started = nextEvent(d, eventOf('started', 'job'));
      const job = await d.submit({ id: 'job', name: 'T' });
      await started;
      const stopping = d.stop({ timeoutMs: 5000 });
      await assert.rejects(d.submit({ name: 'T' }), (e) => isDispatchError(e, 'QUEUE_CLOSED'));
      gate.resolve();
      await stopping;
      assert.equal((await d.get(job.id))?.status, JobStatus.Completed);
    });

    it('stop({ timeoutMs }) resolves by its deadline even with a handler that never returns', async () => {
      const d = await make({ workers: 1 });
      const signals: AbortSignal[] = [];
      d.register(
        new RecordingHandler('T', (_job, ctx) => {
          signals.push(ctx.signal);
          return new Promise(() => undefined);
        }),
      );
      await d.start();
      const started = nextEvent(d, eventOf('started', 'job'));
      await d.submit({ id: 'job', name: 'T' });
      await started;
      const ended = nextEvent(d, (event) => event.jobId === 'job' && event.type !== 'started');
      await d.stop({ timeoutMs: 50 });
      assert.equal(signals[0]?.aborted, true);
      assert.ok(isDispatchError(signals[0]?.reason, 'DISPATCHER_STOPPED'));
      // In process the job ends cancelled; a durable backend puts it back in the queue.
      const event = await ended;
      assert.equal(event.type, backendOf(d).durable ? 'queued' : 'cancelled');
      if (event.type === 'cancelled') assert.equal(event.error?.code, 'DISPATCHER_STOPPED');
    });

    it('stop() is safe to call twice and before start()', async () => {
      const d = await make();
      await Promise.all([d.stop(), d.stop()]);
      await d.stop();
      await assert.rejects(d.submit({ name: 'T' }), (e) => isDispatchError(e, 'QUEUE_CLOSED'));
    });
  });
}
