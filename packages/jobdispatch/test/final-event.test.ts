import assert from 'node:assert/strict';
import { it } from 'node:test';
import { type JobEvent, JobPriority, isFinalEvent } from '../src/index.js';

const base = { id: '1', jobId: 'a', name: 'T', priority: JobPriority.Normal, at: 0 } as const;
const error = { code: 'JOB_FAILED', message: 'boom' };

it('isFinalEvent is true exactly for completed, failed, cancelled, duplicated and removed', () => {
  const events: JobEvent[] = [
    { ...base, type: 'scheduled', runAt: 1 },
    { ...base, type: 'queued' },
    { ...base, type: 'started', attempt: 1 },
    { ...base, type: 'progress', progress: { percent: 5 } },
    { ...base, type: 'completed', attempt: 1 },
    { ...base, type: 'failed', error },
    { ...base, type: 'cancelled' },
    { ...base, type: 'cancelling' },
    { ...base, type: 'duplicated', duplicateOf: 'b' },
    { ...base, type: 'promoted', fromPriority: JobPriority.Low },
    { ...base, type: 'retrying', error, delayMs: 10 },
    { ...base, type: 'retried' },
    { ...base, type: 'removed' },
    { ...base, type: 'stuck', error },
  ];
  assert.deepEqual(
    events.filter(isFinalEvent).map((event) => event.type),
    ['completed', 'failed', 'cancelled', 'duplicated', 'removed'],
  );
});
