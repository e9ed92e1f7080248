/**
 * What `close()` does to jobs that have not started, as backend.ts documents it: the memory
 * backend cancels them (nothing would ever run them), on the record and with an event. And the
 * default backend of a Dispatcher takes the Dispatcher's clock and timer.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { Dispatcher, type JobEvent, JobStatus, MemoryBackend, createJob } from '../src/index.js';
import { FakeClock } from './fake-timers.js';

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

it("a Dispatcher's injected now and setTimer also time its default backend's due jobs", async () => {
  const clock = new FakeClock(Date.UTC(2030, 0, 1));
  const { setTimer } = clock.timer();
  const dispatcher = new Dispatcher({ workers: 1, now: clock.now, setTimer });
  dispatcher.register({ jobType: 'T', execute: () => Promise.resolve('ran') });
  await dispatcher.start();
  try {
    const job = await dispatcher.submit({ name: 'T', delayMs: 3_600_000 });
    assert.equal(job.status, JobStatus.Scheduled);
    // The worker waits for work; the backend's wake-up for the due job is on the fake clock, so
    // moving that clock (and reading nothing meanwhile) is what runs the job.
    let result: unknown;
    const waiting = dispatcher.wait(job.id).then((value) => (result = value));
    const deadline = Date.now() + 10_000;
    while (result === undefined) {
      assert.ok(Date.now() < deadline, 'ran within 10 s of the fake clock passing its due time');
      clock.advanceTo(job.runAt!);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    assert.equal(await waiting, 'ran');
  } finally {
    await dispatcher.stop();
  }
});
