/**
 * Threaded handlers: jobs run on worker threads, in parallel, with the dispatcher still deciding
 * the order; a handler's error or a thread's death fails only its job; options and modules are
 * checked up front.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { threadId as mainThreadId } from 'node:worker_threads';
import {
  JobPriority,
  JobStatus,
  UnrecoverableError,
  isDispatchError,
  threadData,
  threadedHandler,
} from '../../src/index.js';
import { eventOf, nextEvent } from '../helpers.js';
import type { CpuResult } from './fixtures/cpu-handler.js';
import {
  BEHAVIOUR,
  NO_HANDLER,
  WRONG_TYPE,
  behaviourPool,
  cpuPool,
  dispatcher,
  pool,
} from './setup.js';

describe('threaded handlers: running jobs on threads', () => {
  it('runs the handler on a pool thread and gives its result, with the job context of the main thread', async () => {
    const handler = behaviourPool({ threads: 1 });
    const d = dispatcher({ workers: 1 });
    d.register(handler);
    await d.start();
    const job = await d.submit({ name: 'Behaviour', params: { kind: 'context' } });
    const onThread = await d.submit({ name: 'Behaviour', params: { kind: 'thread-id' } });
    assert.deepEqual(await d.wait(job.id), { workerId: 0, attempt: 1, jobId: job.id });
    assert.notEqual(await d.wait(onThread.id), mainThreadId);
    assert.equal((await d.get(job.id))?.status, JobStatus.Completed);
  });

  it('runs two CPU-bound jobs on two threads at once: their execution intervals overlap while the main thread stays free', async () => {
    const handler = cpuPool({ threads: 2 });
    const d = dispatcher({ workers: 2 });
    d.register(handler);
    await handler.ready();
    await d.start();
    const ticks: number[] = [];
    const ticker = setInterval(() => ticks.push(performance.timeOrigin + performance.now()), 5);
    try {
      const jobs = await Promise.all([
        d.submit({ name: 'Cpu', params: { ms: 300 } }),
        d.submit({ name: 'Cpu', params: { ms: 300 } }),
      ]);
      const [a, b] = await Promise.all(jobs.map((job) => d.wait<CpuResult>(job.id)));
      assert.ok(a && b, 'both jobs returned a result');
      assert.notEqual(a.threadId, b.threadId);
      const overlap = { from: Math.max(a.start, b.start), to: Math.min(a.end, b.end) };
      assert.ok(overlap.from < overlap.to, `intervals overlap: ${JSON.stringify([a, b])}`);
      assert.ok(
        ticks.some((tick) => tick > overlap.from && tick < overlap.to),
        'a main-thread timer fired while both threads were busy',
      );
    } finally {
      clearInterval(ticker);
    }
  });

  it('caps the type at its thread count, so a later HIGH job runs before earlier LOW jobs instead of queueing inside the pool', async () => {
    const handler = behaviourPool({ threads: 1 });
    const d = dispatcher({ workers: 4 });
    d.register(handler);
    assert.equal(handler.maxConcurrency, 1);
    const started: string[] = [];
    d.on('started', (event) => started.push(event.jobId));
    await d.start();
    const blocking = nextEvent(d, eventOf('progress', 'blocker'));
    await d.submit({ id: 'blocker', name: 'Behaviour', params: { kind: 'cooperative-async' } });
    await blocking;
    for (const id of ['low-1', 'low-2']) {
      await d.submit({
        id,
        name: 'Behaviour',
        params: { kind: 'echo' },
        priority: JobPriority.Low,
      });
    }
    await d.submit({ id: 'high', name: 'Behaviour', params: { kind: 'echo' }, priority: 2 });
    assert.equal((await d.get('low-1'))?.status, JobStatus.Queued, 'LOW waits in the dispatcher');
    await d.cancel('blocker');
    await Promise.all(['high', 'low-1', 'low-2'].map((id) => d.wait(id)));
    assert.deepEqual(started, ['blocker', 'high', 'low-1', 'low-2']);
  });
});

describe('threaded handlers: errors and dying threads', () => {
  it('a handler that throws fails only its job, with its message; the same thread runs the next job', async () => {
    const handler = behaviourPool({ threads: 1 });
    const d = dispatcher({ workers: 1 });
    d.register(handler);
    await d.start();
    const before = await d.submit({ name: 'Behaviour', params: { kind: 'thread-id' } });
    const failing = await d.submit({ name: 'Behaviour', params: { kind: 'throw' } });
    const after = await d.submit({ name: 'Behaviour', params: { kind: 'thread-id' } });
    await assert.rejects(d.wait(failing.id), (e) => isDispatchError(e, 'JOB_FAILED'));
    const { stack, ...error } = (await d.get(failing.id))?.error ?? {};
    assert.deepEqual(error, { code: 'JOB_FAILED', message: 'boom on attempt 1', name: 'Error' });
    assert.match(
      stack ?? '',
      /^Error: boom on attempt 1\n\s+at /,
      'the thread error keeps its stack',
    );
    assert.equal(await d.wait(after.id), await d.wait(before.id));
    assert.equal(handler.stats().crashed, 0);
  });

  it('retries a plain error, but an UnrecoverableError thrown in a thread fails at once', async () => {
    const d = dispatcher({ workers: 1 });
    d.register(behaviourPool({ threads: 1 }), {
      retries: 2,
      backoff: { type: 'fixed', delayMs: 0 },
    });
    await d.start();
    const plain = await d.submit({ name: 'Behaviour', params: { kind: 'throw' } });
    const fatal = await d.submit({ name: 'Behaviour', params: { kind: 'unrecoverable' } });
    await assert.rejects(d.wait(plain.id), /boom on attempt 3/);
    await assert.rejects(d.wait(fatal.id), /the params can never work/);
    assert.equal((await d.get(plain.id))?.attempts, 3);
    assert.equal((await d.get(fatal.id))?.attempts, 1);
  });

  it("keeps a DispatchError's code and reports a thrown non-Error as the inline handler would", async () => {
    const d = dispatcher({ workers: 1 });
    d.register(behaviourPool({ threads: 1 }));
    await d.start();
    const coded = await d.submit({ name: 'Behaviour', params: { kind: 'dispatch-error' } });
    const bare = await d.submit({ name: 'Behaviour', params: { kind: 'non-error' } });
    await assert.rejects(d.wait(coded.id), (e) => isDispatchError(e, 'INVALID_ARGUMENT'));
    await assert.rejects(d.wait(bare.id), /the handler threw a non-Error value: a bare string/);
  });

  it('a thread whose handler throws an object with no prototype fails only its job; the next job runs', async () => {
    const d = dispatcher({ workers: 1 });
    d.register(behaviourPool({ threads: 1 }));
    await d.start();
    const poisoned = await d.submit({ name: 'Behaviour', params: { kind: 'poison' } });
    const next = await d.submit({ name: 'Behaviour', params: { kind: 'echo', value: 7 } });
    await assert.rejects(d.wait(poisoned.id), (e) => isDispatchError(e, 'JOB_FAILED'));
    assert.equal(await d.wait(next.id), 7);
  });

  it('a thread that calls process.exit fails only its job; a job on another thread goes on and the pool replaces the thread', async () => {
    const handler = behaviourPool({ threads: 2 });
    const d = dispatcher({ workers: 2 });
    d.register(handler);
    await d.start();
    const survivorRunning = nextEvent(d, eventOf('progress', 'survivor'));
    await d.submit({ id: 'survivor', name: 'Behaviour', params: { kind: 'cooperative-async' } });
    await survivorRunning;
    const exiting = await d.submit({ name: 'Behaviour', params: { kind: 'exit' } });
    await assert.rejects(
      d.wait(exiting.id),
      /died \(it exited with code 3\); the pool has replaced it/,
    );
    assert.equal((await d.get('survivor'))?.status, JobStatus.Running);
    assert.deepEqual(handler.stats(), { threads: 2, running: 1, terminated: 0, crashed: 1 });
    await d.cancel('survivor');
    await assert.rejects(d.wait('survivor'), (e) => isDispatchError(e, 'JOB_CANCELLED'));
    const next = await d.submit({ name: 'Behaviour', params: { kind: 'thread-id' } });
    assert.equal(typeof (await d.wait(next.id)), 'number');
  });

  it('a thread that runs out of memory under its resourceLimits fails only its job, with a clear error', async () => {
    const handler = behaviourPool({ threads: 1, resourceLimits: { maxOldGenerationSizeMb: 64 } });
    const d = dispatcher({ workers: 1 });
    d.register(handler);
    await d.start();
    const hog = await d.submit({ name: 'Behaviour', params: { kind: 'out-of-memory' } });
    await assert.rejects(d.wait(hog.id), /died \(it ran out of memory under its resourceLimits\)/);
    const next = await d.submit({ name: 'Behaviour', params: { kind: 'echo', value: 'alive' } });
    assert.equal(await d.wait(next.id), 'alive');
    assert.equal(handler.stats().crashed, 1);
    assert.equal(handler.stats().threads, 1);
  });

  it('fails a job whose params or result cannot be structured-cloned, without killing the thread', async () => {
    const handler = behaviourPool({ threads: 1 });
    const d = dispatcher({ workers: 1 });
    d.register(handler, { retries: 3 });
    await d.start();
    const params = { kind: 'echo', value: () => 'a function' } as const;
    const badParams = await d.submit({ name: 'Behaviour', params });
    const badResult = await d.submit({ name: 'Behaviour', params: { kind: 'bad-result' } });
    await assert.rejects(d.wait(badParams.id), /job params must be structured-cloneable/);
    await assert.rejects(d.wait(badResult.id), /result must be structured-cloneable/);
    assert.equal((await d.get(badResult.id))?.attempts, 1, 'not retried: it would fail again');
    assert.equal(handler.stats().crashed, 0);
  });
});

describe('threaded handlers: options, modules and closing', () => {
  it('rejects bad options with a message naming the field, the rule and the value', () => {
    const base = { jobType: 'Behaviour', module: BEHAVIOUR };
    assert.throws(
      () => threadedHandler({ ...base, threads: 0 }),
      /threads must be an integer >= 1, got 0/,
    );
    assert.throws(
      () => threadedHandler({ ...base, graceMs: -1 }),
      /graceMs must be a number >= 0, got -1/,
    );
    assert.throws(
      () => threadedHandler({ ...base, jobType: '' }),
      /jobType must be a non-empty string/,
    );
    assert.throws(
      () => threadedHandler({ ...base, module: './fixtures/behaviour-handler.js' }),
      /module must be a file: URL or an absolute path, got ".\/fixtures\/behaviour-handler.js"/,
    );
    assert.throws(
      () => threadedHandler({ ...base, module: new URL('./fixtures/missing.js', import.meta.url) }),
      /module must be an existing file, got ".*missing.js"/,
    );
  });

  it("gives every thread the pool's workerData, read by the module with threadData()", async () => {
    const settings = { topK: 3, template: ['visit', 'eat'], at: new Date(0) };
    const handler = pool({
      jobType: 'Behaviour',
      module: BEHAVIOUR,
      threads: 2,
      workerData: settings,
    });
    const d = dispatcher({ workers: 2 });
    d.register(handler);
    await d.start();
    const jobs = await Promise.all(
      [1, 2, 3, 4].map(() => d.submit({ name: 'Behaviour', params: { kind: 'thread-data' } })),
    );
    for (const job of jobs) assert.deepEqual(await d.wait(job.id), settings);
    const none = pool({ jobType: 'Behaviour', module: BEHAVIOUR, threads: 1 });
    const e = dispatcher({ workers: 1 });
    e.register(none);
    await e.start();
    const bare = await e.submit({ name: 'Behaviour', params: { kind: 'thread-data' } });
    assert.equal(await e.wait(bare.id), undefined, 'no workerData: undefined');
  });

  it('refuses workerData that cannot be cloned, naming it; threadData() outside a pool is INVALID_STATE', () => {
    assert.throws(
      () =>
        threadedHandler({ jobType: 'Behaviour', module: BEHAVIOUR, workerData: { f: () => 1 } }),
      (e) =>
        isDispatchError(e, 'INVALID_ARGUMENT') &&
        /^workerData must be structured-cloneable/.test(e.message),
    );
    assert.throws(
      () => threadData(),
      (e) => isDispatchError(e, 'INVALID_STATE') && /threadedHandler pool/.test(e.message),
    );
  });

  it('ready() rejects a module without a default handler, and its jobs fail without retries', async () => {
    const handler = pool({ jobType: 'Broken', module: NO_HANDLER, threads: 1 });
    await assert.rejects(handler.ready(), (e) => {
      assert.ok(e instanceof UnrecoverableError, 'an UnrecoverableError');
      assert.match(e.message, /must have a default export \{ jobType, execute\(job, ctx\) \}/);
      return true;
    });
    const d = dispatcher({ workers: 1 });
    d.register(handler, { retries: 3 });
    await d.start();
    const job = await d.submit({ name: 'Broken' });
    await assert.rejects(d.wait(job.id), /must have a default export/);
    assert.equal((await d.get(job.id))?.attempts, 1);
  });

  it('ready() rejects a module whose handler declares another jobType', async () => {
    const handler = pool({ jobType: 'Behaviour', module: WRONG_TYPE, threads: 1 });
    await assert.rejects(
      handler.ready(),
      /declares jobType "Other", but its pool was created for "Behaviour"/,
    );
  });

  it('defaults to one thread per core, starts threads only when needed, and close() ends them', async () => {
    const { availableParallelism } = await import('node:os');
    const handler = behaviourPool();
    assert.equal(handler.threads, availableParallelism());
    assert.equal(handler.stats().threads, 0, 'no threads before the first job or ready()');
    await handler.ready();
    assert.equal(handler.stats().threads, availableParallelism());
    await handler.close();
    await handler.close();
    assert.equal(handler.stats().threads, 0);
    const d = dispatcher({ workers: 1 });
    d.register(handler);
    await d.start();
    const job = await d.submit({ name: 'Behaviour', params: { kind: 'echo' } });
    await assert.rejects(d.wait(job.id), /the threaded handler for "Behaviour" is closed/);
  });

  it('close() while a job runs fails that job, saying the pool was closed', async () => {
    const handler = behaviourPool({ threads: 1 });
    const d = dispatcher({ workers: 1 });
    d.register(handler);
    await d.start();
    const running = nextEvent(d, eventOf('progress', 'busy'));
    await d.submit({ id: 'busy', name: 'Behaviour', params: { kind: 'runaway' } });
    await running;
    await handler.close();
    await assert.rejects(
      d.wait('busy'),
      /the threaded handler for "Behaviour" was closed while the job ran/,
    );
    assert.deepEqual(handler.stats(), { threads: 0, running: 0, terminated: 0, crashed: 0 });
  });
});
