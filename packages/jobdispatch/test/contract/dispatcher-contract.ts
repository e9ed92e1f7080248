/**
 * The dispatcher contract: every backend runs these same tests. A behaviour that differs between
 * backends is a bug. Tests wait for events or gates, never for wall-clock time; a clock is
 * injected where expiry matters.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import {
  type Backend,
  DispatchError,
  Dispatcher,
  type DispatcherOptions,
  type JobEvent,
  JobPriority,
  JobStatus,
  UnrecoverableError,
  isDispatchError,
} from '../../src/index.js';
import { RecordingHandler, aborted, deferred, eventOf, nextEvent } from '../helpers.js';

export interface BackendOptions {
  readonly capacityPerLevel?: number;
  readonly maxWaitMs?: { readonly normal?: number; readonly low?: number };
  readonly now?: () => number;
}

export type MakeBackend = (options: BackendOptions) => Backend | Promise<Backend>;

const HOUR = 60 * 60 * 1000;

export function runDispatcherContract(label: string, makeBackend: MakeBackend): void {
  describe(`Dispatcher contract: ${label}`, () => {
    const dispatchers: Dispatcher[] = [];
    const backends = new Map<Dispatcher, Backend>();

    async function make(
      options: Omit<DispatcherOptions, 'backend' | 'capacityPerLevel' | 'maxWaitMs'> &
        BackendOptions = {},
    ): Promise<Dispatcher> {
      const { capacityPerLevel, maxWaitMs, ...rest } = options;
      const backend = await makeBackend({
        ...(capacityPerLevel !== undefined && { capacityPerLevel }),
        ...(maxWaitMs !== undefined && { maxWaitMs }),
        ...(options.now !== undefined && { now: options.now }),
      });
      const dispatcher = new Dispatcher({ ...rest, backend });
      dispatchers.push(dispatcher);
      backends.set(dispatcher, backend);
      return dispatcher;
    }

    afterEach(async () => {
      await Promise.all(dispatchers.splice(0).map((d) => d.stop({ timeoutMs: 2000 })));
      backends.clear();
    });

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
        assert.match(
          record?.error?.message ?? '',
          /no handler is registered for job type "Nobody"/,
        );
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
        const job = await d.submit({ name: 'T' });
        const event = await nextEvent(d, eventOf('stuck', job.id));
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
        dispatchers.push(d);
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
        assert.equal(event.type, backends.get(d)!.durable ? 'queued' : 'cancelled');
        if (event.type === 'cancelled') assert.equal(event.error?.code, 'DISPATCHER_STOPPED');
      });

      it('stop() is safe to call twice and before start()', async () => {
        const d = await make();
        await Promise.all([d.stop(), d.stop()]);
        await d.stop();
        await assert.rejects(d.submit({ name: 'T' }), (e) => isDispatchError(e, 'QUEUE_CLOSED'));
      });
    });
  });
}
