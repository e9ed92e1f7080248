/**
 * Progress from a thread: `ctx.progress()` inside a thread obeys the inline contract. Reports
 * cross to the main thread in order, land on the record and as ordered events, and never arrive
 * after the job's end.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JobEvent } from '../../src/index.js';
import { behaviourPool, dispatcher } from './setup.js';

function describeEvents(events: readonly JobEvent[], jobId: string): string[] {
  return events
    .filter((event) => event.jobId === jobId)
    .map((event) =>
      event.type === 'progress'
        ? `progress ${event.progress?.percent} ${event.progress?.message ?? ''}`.trim()
        : event.type,
    );
}

describe('threaded handlers: progress', () => {
  it('progress reported in a thread arrives as ordered events between started and completed, and lands on the record', async () => {
    const d = dispatcher({ workers: 1 });
    d.register(behaviourPool({ threads: 1 }));
    const seen: JobEvent[] = [];
    d.on('*', (event) => seen.push(event));
    await d.start();
    const job = await d.submit({ name: 'Behaviour', params: { kind: 'progress' } });
    assert.equal(await d.wait(job.id), 'done');
    const steps = Array.from(
      { length: 10 },
      (_, i) => `progress ${(i + 1) * 10} step ${(i + 1) * 10}`,
    );
    assert.deepEqual(describeEvents(seen, job.id), ['queued', 'started', ...steps, 'completed']);
    assert.deepEqual((await d.get(job.id))?.progress, { percent: 100, message: 'step 100' });
  });

  it('progress reported without await just before the handler returns still lands before completed', async () => {
    const d = dispatcher({ workers: 1 });
    d.register(behaviourPool({ threads: 1 }));
    const seen: JobEvent[] = [];
    d.on('*', (event) => seen.push(event));
    await d.start();
    const job = await d.submit({ name: 'Behaviour', params: { kind: 'progress-unawaited' } });
    await d.wait(job.id);
    assert.deepEqual(describeEvents(seen, job.id), [
      'queued',
      'started',
      'progress 40 not awaited',
      'progress 90 not awaited either',
      'completed',
    ]);
    assert.deepEqual((await d.get(job.id))?.progress, {
      percent: 90,
      message: 'not awaited either',
    });
  });

  it('a bad progress value throws inside the thread with the same INVALID_ARGUMENT message as inline', async () => {
    const d = dispatcher({ workers: 1 });
    d.register(behaviourPool({ threads: 1 }));
    await d.start();
    const job = await d.submit({ name: 'Behaviour', params: { kind: 'bad-progress' } });
    const errors = await d.wait<string[]>(job.id);
    assert.deepEqual(errors, [
      'INVALID_ARGUMENT: progress percent must be a number 0-100, got 101',
      'INVALID_ARGUMENT: progress percent must be a number 0-100, got -1',
      'INVALID_ARGUMENT: progress percent must be a number 0-100, got NaN',
      'INVALID_ARGUMENT: progress percent must be a number 0-100, got "half"',
      'INVALID_ARGUMENT: progress percent must be monotonic (not below the last report, 50), got 40',
    ]);
    assert.deepEqual((await d.get(job.id))?.progress, { percent: 50 });
  });
});
