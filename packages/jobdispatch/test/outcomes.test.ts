import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Job, JobStatus, createJob, isDispatchError } from '../src/index.js';
import { Outcomes } from '../src/outcomes.js';

function record(status: Job['status'], extra: Partial<Job> = {}): Job {
  return { ...createJob({ id: 'j', name: 'T' }), status, ...extra };
}

/** The recheck timer does not hold a process open by itself; a real process has its connections. */
function keepAlive(): () => void {
  const timer = setInterval(() => undefined, 1000);
  return () => clearInterval(timer);
}

describe('waiting for outcomes', () => {
  it('ends a wait whose final event never arrived, by reading the record again', async () => {
    let current = record(JobStatus.Running);
    const outcomes = new Outcomes(
      () => Promise.resolve(current),
      (error) => assert.fail(String(error)),
      10,
    );
    const waiting = outcomes.wait<string>('j');
    // The job completes, but no event reaches this process (observe() is never called).
    current = record(JobStatus.Completed, { result: 'done' });
    const release = keepAlive();
    assert.equal(await waiting, 'done');
    release();
  });

  it('keeps waiting while the record cannot be read, and ends once it can', async () => {
    let reads = 0;
    const errors: unknown[] = [];
    const outcomes = new Outcomes(
      () => {
        reads++;
        if (reads === 1) return Promise.resolve(record(JobStatus.Queued));
        if (reads === 2) return Promise.reject(new Error('connection lost'));
        return Promise.resolve(
          record(JobStatus.Failed, { error: { code: 'JOB_TIMEOUT', message: 'slow' } }),
        );
      },
      (error) => errors.push(error),
      10,
    );
    const release = keepAlive();
    await assert.rejects(outcomes.wait('j'), (e) => isDispatchError(e, 'JOB_TIMEOUT'));
    release();
    assert.equal(errors.length, 1, 'the failed read was reported, not thrown at the waiter');
    assert.ok(reads >= 3);
  });
});

describe('waiting for outcomes when the record goes away or lies', () => {
  const completedEvent = {
    type: 'completed',
    id: '1',
    jobId: 'j',
    name: 'T',
    priority: 1,
    at: 0,
  } as const;

  it('ends a wait with JOB_NOT_FOUND when the record disappears while the job is waited on', async () => {
    let current: Job | undefined = record(JobStatus.Queued);
    const outcomes = new Outcomes(
      () => Promise.resolve(current),
      (error) => assert.fail(String(error)),
      10,
    );
    const waiting = outcomes.wait('j');
    current = undefined; // deleted, or lost in a failover that dropped the last writes
    const release = keepAlive();
    await assert.rejects(waiting, (e) => isDispatchError(e, 'JOB_NOT_FOUND'));
    release();
  });

  it('does not settle waiters on a final event whose record is still queued', async () => {
    let current: Job = record(JobStatus.Queued);
    const outcomes = new Outcomes(
      () => Promise.resolve(current),
      (error) => assert.fail(String(error)),
      60_000,
    );
    let settled: string | undefined;
    const waiting = outcomes.wait<string>('j').then(
      (value) => (settled = `resolved ${value}`),
      (error: unknown) => (settled = `rejected ${String(error)}`),
    );
    await new Promise((resolve) => setTimeout(resolve, 10));
    outcomes.observe(completedEvent); // a stray event: the record says queued
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(settled, undefined, 'the waiter is still waiting');
    current = record(JobStatus.Completed, { result: 'done' });
    outcomes.observe(completedEvent);
    await waiting;
    assert.equal(settled, 'resolved done');
  });

  it('ends a wait with JOB_NOT_FOUND when a final event arrives for a record that is gone', async () => {
    let current: Job | undefined = record(JobStatus.Running);
    const outcomes = new Outcomes(
      () => Promise.resolve(current),
      (error) => assert.fail(String(error)),
      60_000,
    );
    const waiting = outcomes.wait('j');
    await new Promise((resolve) => setTimeout(resolve, 10));
    current = undefined;
    outcomes.observe(completedEvent);
    await assert.rejects(waiting, (e) => isDispatchError(e, 'JOB_NOT_FOUND'));
  });

  it('releases every waiter by the deadline given to releaseAll, even when reads never answer', async () => {
    let reads = 0;
    const outcomes = new Outcomes(
      () => {
        reads++;
        return reads <= 2 ? Promise.resolve(record(JobStatus.Queued)) : new Promise(() => {});
      },
      () => undefined,
      60_000,
    );
    const waits = [outcomes.wait('j'), outcomes.wait('j')];
    await new Promise((resolve) => setTimeout(resolve, 10));
    await outcomes.releaseAll(Date.now() + 50);
    for (const waiting of waits) {
      await assert.rejects(waiting, (e) => isDispatchError(e, 'DISPATCHER_STOPPED'));
    }
  });
});
