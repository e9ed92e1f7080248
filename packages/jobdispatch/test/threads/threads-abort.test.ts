/**
 * Hard timeouts and cancellation on threads: the abort reaches the handler inside its thread; a
 * handler that stops in time keeps its thread; one that does not is terminated `graceMs` later,
 * the job ends as the dispatcher decides (JOB_TIMEOUT, cancelled), and the pool keeps its size.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Dispatcher, JobStatus, isDispatchError } from '../../src/index.js';
import { eventOf, nextEvent } from '../helpers.js';
import type { StopReport } from './fixtures/behaviour-handler.js';
import { behaviourPool, dispatcher, until } from './setup.js';

/** Submits a job and resolves with the thread id its handler reported in its first progress. */
async function startOnThread(d: Dispatcher, id: string, kind: string): Promise<number> {
  const running = nextEvent(d, eventOf('progress', id));
  await d.submit({ id, name: 'Behaviour', params: { kind } });
  return Number((await running).progress?.message);
}

async function stopReport(d: Dispatcher, id: string): Promise<StopReport> {
  return JSON.parse((await d.get(id))?.progress?.message ?? 'null') as StopReport;
}

async function threadOfNextJob(d: Dispatcher): Promise<number> {
  const job = await d.submit({ name: 'Behaviour', params: { kind: 'thread-id' } });
  return d.wait<number>(job.id);
}

describe('threaded handlers: timeouts', () => {
  it('terminates a runaway handler (an infinite loop) at its timeout; the job fails JOB_TIMEOUT and the next job runs on a new thread', async () => {
    const handler = behaviourPool({ threads: 1, graceMs: 100 });
    const d = dispatcher({ workers: 1 });
    d.register(handler, { timeoutMs: 500 });
    await handler.ready();
    await d.start();
    const runawayThread = await startOnThread(d, 'runaway', 'runaway');
    await assert.rejects(d.wait('runaway'), (e) => isDispatchError(e, 'JOB_TIMEOUT'));
    assert.deepEqual((await d.get('runaway'))?.error, {
      code: 'JOB_TIMEOUT',
      message: 'timed out after 500 ms',
    });
    await handler.ready();
    const nextThread = await threadOfNextJob(d);
    assert.notEqual(nextThread, runawayThread);
    assert.deepEqual(handler.stats(), { threads: 1, running: 0, terminated: 1, crashed: 0 });
  });

  it('a handler in a synchronous loop that checks ctx.signal.aborted sees its timeout without yielding, and keeps its thread', async () => {
    const handler = behaviourPool({ threads: 1, graceMs: 5000 });
    const d = dispatcher({ workers: 1 });
    // A retry left keeps the first attempt open until its handler returns, so the report it
    // writes after the abort is recorded (with no retry left the job fails at the deadline and
    // what the handler writes later is dropped).
    d.register(handler, { timeoutMs: 500, retries: 1, backoff: { type: 'fixed', delayMs: 0 } });
    await handler.ready(); // else the timeout could pass while the thread starts
    await d.start();
    const reported = nextEvent(
      d,
      (event) =>
        event.type === 'progress' && event.jobId === 'spinner' && event.progress.percent === 100,
    );
    const thread = await startOnThread(d, 'spinner', 'cooperative-sync');
    const report = JSON.parse((await reported).progress?.message ?? 'null') as StopReport;
    await assert.rejects(d.wait('spinner'), (e) => isDispatchError(e, 'JOB_TIMEOUT'));
    assert.deepEqual(report, {
      threadId: thread,
      code: 'JOB_TIMEOUT',
      isDispatchError: true,
    });
    assert.equal(await threadOfNextJob(d), thread);
    assert.equal(handler.stats().terminated, 0);
  });

  it('keeps the pool at its size when several runaway threads are terminated at once', async () => {
    const handler = behaviourPool({ threads: 2, graceMs: 50 });
    const d = dispatcher({ workers: 2 });
    d.register(handler, { timeoutMs: 500 });
    await handler.ready();
    await d.start();
    const old = await Promise.all([
      startOnThread(d, 'runaway-1', 'runaway'),
      startOnThread(d, 'runaway-2', 'runaway'),
    ]);
    for (const id of ['runaway-1', 'runaway-2']) {
      await assert.rejects(d.wait(id), (e) => isDispatchError(e, 'JOB_TIMEOUT'));
    }
    // The jobs failed at their deadline; their threads are terminated graceMs later.
    await until(() => handler.stats().terminated === 2, 20_000);
    assert.deepEqual(handler.stats(), { threads: 2, running: 0, terminated: 2, crashed: 0 });
    await handler.ready(); // the replacements start and load the module
    const next = await Promise.all([threadOfNextJob(d), threadOfNextJob(d)]);
    assert.ok(
      next.every((thread) => !old.includes(thread)),
      `${String(next)} vs ${String(old)}`,
    );
  });
});

describe('threaded handlers: cancellation and stop', () => {
  it('cancelling a cooperative job aborts its signal in the thread with JOB_CANCELLED; it ends cancelled and keeps its thread', async () => {
    const handler = behaviourPool({ threads: 1, graceMs: 5000 });
    const d = dispatcher({ workers: 1 });
    d.register(handler);
    await d.start();
    const thread = await startOnThread(d, 'polite', 'cooperative-async');
    assert.equal((await d.cancel('polite')).outcome, 'cancel-requested');
    await assert.rejects(d.wait('polite'), (e) => isDispatchError(e, 'JOB_CANCELLED'));
    assert.equal((await d.get('polite'))?.status, JobStatus.Cancelled);
    assert.deepEqual(await stopReport(d, 'polite'), {
      threadId: thread,
      code: 'JOB_CANCELLED',
      isDispatchError: true,
    });
    assert.equal(await threadOfNextJob(d), thread);
    assert.equal(handler.stats().terminated, 0);
  });

  it('cancelling a job that ignores its signal terminates its thread after graceMs; it ends cancelled and the pool keeps its size', async () => {
    const handler = behaviourPool({ threads: 1, graceMs: 100 });
    const d = dispatcher({ workers: 1 });
    d.register(handler);
    await d.start();
    const thread = await startOnThread(d, 'deaf', 'runaway');
    await d.cancel('deaf');
    await assert.rejects(d.wait('deaf'), (e) => isDispatchError(e, 'JOB_CANCELLED'));
    assert.equal((await d.get('deaf'))?.status, JobStatus.Cancelled);
    assert.deepEqual(handler.stats(), { threads: 1, running: 0, terminated: 1, crashed: 0 });
    assert.notEqual(await threadOfNextJob(d), thread);
  });

  it('stop() at its deadline ends a runaway job cancelled and terminates its thread graceMs later', async () => {
    const handler = behaviourPool({ threads: 1, graceMs: 100 });
    const d = dispatcher({ workers: 1 });
    d.register(handler);
    await d.start();
    await startOnThread(d, 'runaway', 'runaway');
    await d.stop({ timeoutMs: 50 });
    const record = await d.get('runaway');
    assert.equal(record?.status, JobStatus.Cancelled);
    assert.equal(record?.error?.code, 'DISPATCHER_STOPPED');
    await until(() => handler.stats().terminated === 1);
    assert.deepEqual(handler.stats(), { threads: 1, running: 0, terminated: 1, crashed: 0 });
  });
});
