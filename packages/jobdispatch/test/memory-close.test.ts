/**
 * What `close()` does to jobs that have not started, as backend.ts documents it: the memory
 * backend cancels them (nothing would ever run them), on the record and with an event.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { type JobEvent, JobStatus, MemoryBackend, createJob } from '../src/index.js';

it('MemoryBackend.close() cancels queued and scheduled jobs with DISPATCHER_STOPPED, on the record and with an event, and leaves finished ones', async () => {
  const backend = new MemoryBackend();
  const events: JobEvent[] = [];
  backend.subscribe((event) => events.push(event));
  await backend.submit(createJob({ id: 'done', name: 'T' }));
  const [claim] = await backend.claim({ max: 1, remaining: new Map() });
  assert.equal(await backend.finish(claim!, { status: 'completed', result: 1 }), true);
  await backend.submit(createJob({ id: 'queued', name: 'T' }));
  await backend.submit(createJob({ id: 'scheduled', name: 'T', delayMs: 60_000 }));
  await backend.close();
  for (const id of ['queued', 'scheduled']) {
    const job = await backend.get(id);
    assert.equal(job?.status, JobStatus.Cancelled, id);
    assert.equal(job.error?.code, 'DISPATCHER_STOPPED', id);
    const cancelled = events.find((event) => event.jobId === id && event.type === 'cancelled');
    assert.equal(cancelled?.error?.code, 'DISPATCHER_STOPPED', id);
  }
  assert.equal((await backend.get('done'))?.status, JobStatus.Completed);
  assert.deepEqual(await backend.stats(), { high: 0, normal: 0, low: 0 });
});
