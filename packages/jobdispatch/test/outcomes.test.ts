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
