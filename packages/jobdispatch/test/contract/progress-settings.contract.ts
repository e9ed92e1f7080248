/** Dispatcher contract, part: Progress, events, and per-type settings (caps, timeouts, retries). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type Backend,
  DispatchError,
  Dispatcher,
  type JobEvent,
  JobPriority,
  UnrecoverableError,
  isDispatchError,
} from '../../src/index.js';
import { RecordingHandler, aborted, deferred, eventOf, nextEvent } from '../helpers.js';
import type { Harness } from './harness.js';

export function progressAndSettingsContract({ make, makeBackend, adopt }: Harness): void {
  describe('progress and events', () => {
    it('stores progress on the record and emits ordered events from queued to completed', async () => {
      const d = await make({ workers: 1 });
      d.register(
        new RecordingHandler('T', async (_job, ctx) => {
          await ctx.progress(10, 'loading');
          await ctx.progress(60);
          await ctx.progress(100, 'done');
          return 'ok';
        }),
      );
      const seen: JobEvent[] = [];
      d.on('*', (event) => seen.push(event));
      await d.start();
      const job = await d.submit({ name: 'T' });
      await d.wait(job.id);
      const mine = seen.filter((event) => event.jobId === job.id);
      assert.deepEqual(
        mine.map((event) =>
          event.type === 'progress' ? `progress ${event.progress?.percent}` : event.type,
        ),
        ['queued', 'started', 'progress 10', 'progress 60', 'progress 100', 'completed'],
      );
      assert.equal(mine[2]?.progress?.message, 'loading');
      assert.deepEqual((await d.get(job.id))?.progress, { percent: 100, message: 'done' });
    });

    it('rejects progress out of range, not a number, or going backwards, naming the rule and value', async () => {
      const d = await make({ workers: 1 });
      const errors: string[] = [];
      d.register(
        new RecordingHandler('T', async (_job, ctx) => {
          await ctx.progress(50);
          for (const bad of [101, -1, Number.NaN, 'half' as unknown as number, 40]) {
            try {
              await ctx.progress(bad);
            } catch (error) {
              errors.push((error as Error).message);
            }
          }
        }),
      );
      await d.start();
      await d.wait((await d.submit({ name: 'T' })).id);
      assert.equal(errors.length, 5);
      assert.match(errors[0]!, /progress percent must be a number 0-100, got 101/);
      assert.match(errors[3]!, /got "half"/);
      assert.match(errors[4]!, /monotonic.*got 40/);
    });

    it('events() yields events in order until its signal aborts', async () => {
      const d = await make({ workers: 1 });
      d.register(new RecordingHandler('T'));
      const controller = new AbortController();
      const types: string[] = [];
      const reading = (async () => {
        for await (const event of d.events({ signal: controller.signal })) {
          types.push(event.type);
          if (event.type === 'completed') controller.abort();
        }
      })();
      await d.start();
      await d.submit({ name: 'T' });
      await reading;
      assert.deepEqual(types, ['queued', 'started', 'completed']);
    });
  });

  describe('per-type settings', () => {
    it('a type at its concurrency cap does not block other types', async () => {
      const d = await make({ workers: 3 });
      const gate = deferred();
      const slow = new RecordingHandler('Slow', () => gate.promise);
      const fast = new RecordingHandler('Fast');
      d.register(slow, { concurrency: 1 }).register(fast);
      await d.start();
      const started = nextEvent(d, eventOf('started', 'slow-0'));
      const slowJobs = [];
      for (let i = 0; i < 3; i++) {
        slowJobs.push(
          await d.submit({ id: `slow-${i}`, name: 'Slow', priority: JobPriority.High }),
        );
      }
      await started;
      const fastJob = await d.submit({ name: 'Fast', priority: JobPriority.Low });
      await d.wait(fastJob.id);
      assert.equal(slow.ran.length, 1, 'the capped type still has one running');
      gate.resolve();
      await Promise.all(slowJobs.map((job) => d.wait(job.id)));
      assert.equal(slow.maxRunning, 1);
    });

    it('a timeout aborts the signal and fails the job with JOB_TIMEOUT, keeping the slot until the handler returns', async () => {
      const d = await make({ workers: 1 });
      const release = deferred();
      const handler = new RecordingHandler('T', async (job, ctx) => {
        if (job.id === 'slow') {
          await aborted(ctx.signal);
          await release.promise; // ignores the abort for a while
        }
        return 'ok';
      });
      d.register(handler, { timeoutMs: 20, stuckAfterMs: 10 });
      await d.start();
      await d.submit({ id: 'slow', name: 'T' });
      await d.submit({ id: 'next', name: 'T' });
      const stuck = nextEvent(d, eventOf('stuck', 'slow'));
      await stuck;
      assert.deepEqual(
        handler.ran,
        ['slow'],
        'the next job has not started: the slot is still taken',
      );
      release.resolve();
      await assert.rejects(d.wait('slow'), (e) => isDispatchError(e, 'JOB_TIMEOUT'));
      assert.equal(await d.wait('next'), 'ok');
    });

    it('reports a handler that ignores its aborted signal with a stuck event', async () => {
      const d = await make({ workers: 1 });
      const release = deferred();
      d.register(new RecordingHandler('T', () => release.promise), {
        timeoutMs: 10,
        stuckAfterMs: 10,
      });
      await d.start();
      // Listening before the submit: the stuck report can come 20 ms after the start, before
      // submit() has resolved.
      const stuck = nextEvent(d, eventOf('stuck', 'stuck-job'));
      const job = await d.submit({ id: 'stuck-job', name: 'T' });
      const event = await stuck;
      assert.equal(event.error?.code, 'JOB_TIMEOUT');
      release.resolve();
      await assert.rejects(d.wait(job.id), (e) => isDispatchError(e, 'JOB_TIMEOUT'));
    });

    it('retries a failed job with backoff, counting each attempt, until it succeeds', async () => {
      const d = await make({ workers: 1 });
      const handler = new RecordingHandler('T', (_job, ctx) =>
        ctx.attempt < 3
          ? Promise.reject(new Error(`attempt ${ctx.attempt} failed`))
          : Promise.resolve(ctx.attempt),
      );
      const retrying: JobEvent[] = [];
      d.on('retrying', (event) => retrying.push(event));
      d.register(handler, { retries: 3, backoff: { type: 'fixed', delayMs: 1 } });
      await d.start();
      const job = await d.submit({ name: 'T' });
      assert.equal(await d.wait(job.id), 3);
      assert.equal((await d.get(job.id))?.attempts, 3);
      assert.deepEqual(
        retrying.map((event) => event.error?.message),
        ['attempt 1 failed', 'attempt 2 failed'],
      );
    });

    it('fails at once, without retrying, when the handler throws UnrecoverableError', async () => {
      const d = await make({ workers: 1 });
      const handler = new RecordingHandler('T', () =>
        Promise.reject(new UnrecoverableError('bad params')),
      );
      d.register(handler, { retries: 5, backoff: { type: 'fixed', delayMs: 1 } });
      await d.start();
      const job = await d.submit({ name: 'T' });
      await assert.rejects(d.wait(job.id), /bad params/);
      assert.equal(handler.ran.length, 1);
      assert.equal((await d.get(job.id))?.attempts, 1);
    });

    it('fails after the last retry with the last error', async () => {
      const d = await make({ workers: 1 });
      d.register(new RecordingHandler('T', () => Promise.reject(new Error('always'))), {
        retries: 2,
        backoff: { type: 'exponential', baseMs: 1, maxMs: 2 },
      });
      await d.start();
      const job = await d.submit({ name: 'T' });
      await assert.rejects(
        d.wait(job.id),
        (e) => e instanceof DispatchError && e.code === 'JOB_FAILED' && /always/.test(e.message),
      );
      assert.equal((await d.get(job.id))?.attempts, 3);
    });

    it('a slot that frees while a claim is in flight is used at once, not slept past', async () => {
      // The second claim finds nothing (Slow is at its cap) but answers only after the running
      // Slow job has finished and freed its slot: the loop must claim again, not sleep.
      const inner = await makeBackend({});
      const claimDone = deferred();
      const answerClaim = deferred();
      let claims = 0;
      const claim: Backend['claim'] = async (request) => {
        const result = await inner.claim(request);
        if (++claims === 2) {
          claimDone.resolve();
          await answerClaim.promise;
        }
        return result;
      };
      const backend = new Proxy(inner, {
        get(target, property): unknown {
          if (property === 'claim') return claim;
          const value: unknown = Reflect.get(target, property, target);
          return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
        },
      });
      const d = new Dispatcher({ workers: 2, backend });
      adopt(d, backend);
      const gate = deferred();
      const slow = new RecordingHandler('Slow', () => gate.promise);
      d.register(slow, { concurrency: 1 });
      await d.submit({ id: 's0', name: 'Slow' });
      await d.submit({ id: 's1', name: 'Slow' });
      await d.start();
      await claimDone.promise;
      gate.resolve();
      await d.wait('s0');
      await new Promise((resolve) => setImmediate(resolve)); // s0's slot is free now
      const completed = nextEvent(d, eventOf('completed', 's1'));
      answerClaim.resolve();
      await completed;
      assert.deepEqual(slow.ran, ['s0', 's1']);
    });
  });
}
