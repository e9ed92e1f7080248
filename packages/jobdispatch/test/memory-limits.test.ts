/**
 * The memory backend's limits and schedules over several dispatchers sharing one backend (the
 * in-process counterpart of several processes on one Redis queue).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Dispatcher, MemoryBackend } from '../src/index.js';
import { FakeClock } from './fake-timers.js';
import { RecordingHandler, deferred, eventOf, nextEvent } from './helpers.js';

describe('MemoryBackend shared by several dispatchers', () => {
  it('globalConcurrency counts the running jobs of every dispatcher of the backend; concurrency stays per dispatcher', async () => {
    const backend = new MemoryBackend();
    const gates = [0, 1, 2, 3].map(() => deferred());
    let running = 0;
    let most = 0;
    const body = async (job: { params: unknown }): Promise<void> => {
      running++;
      most = Math.max(most, running);
      await gates[job.params as number]!.promise;
      running--;
    };
    const dispatchers = [0, 1].map(() =>
      new Dispatcher({ workers: 3, backend })
        .register(new RecordingHandler('Capped', body), { globalConcurrency: 2 })
        .register(new RecordingHandler('Probe')),
    );
    try {
      const [a, b] = dispatchers as [Dispatcher, Dispatcher];
      const started = [
        nextEvent(a, eventOf('started', 'c0')),
        nextEvent(a, eventOf('started', 'c1')),
      ];
      for (let i = 0; i < 4; i++) await a.submit({ id: `c${i}`, name: 'Capped', params: i });
      await a.start();
      await b.start();
      await Promise.all(started);
      // Both dispatchers have free slots and claim the probes, yet neither starts a third.
      for (let i = 0; i < 4; i++) await a.wait((await b.submit({ name: 'Probe' })).id);
      assert.equal(running, 2);
      assert.equal((await a.counts({ name: 'Capped' })).queued, 2);
      const third = nextEvent(a, eventOf('started', 'c2'));
      gates[0]!.resolve();
      await third;
      for (const gate of gates) gate.resolve();
      await Promise.all([0, 1, 2, 3].map((i) => a.wait(`c${i}`)));
      assert.equal(most, 2);
    } finally {
      await Promise.all(dispatchers.map((d) => d.stop({ timeoutMs: 1000 })));
    }
  });

  it('dispatchers of one backend share its schedules and submit each tick once', async () => {
    const clock = new FakeClock(1_000_000);
    const backend = new MemoryBackend({ now: clock.now });
    const timers = [0, 1, 2].map(() => clock.timer());
    const dispatchers = timers.map(
      (timer) => new Dispatcher({ workers: 0, backend, now: clock.now, setTimer: timer.setTimer }),
    );
    try {
      for (const d of dispatchers) {
        await d.schedule('shared', { everyMs: 100, job: { name: 'Tick' } });
        const armed = timers[dispatchers.indexOf(d)]!.armed();
        await d.start();
        await armed;
      }
      for (let tick = 1; tick <= 5; tick++) {
        const armed = timers.map((t) => t.armed());
        clock.advanceTo(1_000_000 + tick * 100);
        await Promise.all(armed);
      }
      const page = await dispatchers[0]!.list({ name: 'Tick', limit: 100 });
      assert.deepEqual(
        page.jobs.map((job) => job.dedupKey).sort(),
        [1, 2, 3, 4, 5].map((tick) => `schedule:shared:${1_000_000 + tick * 100}`),
      );
    } finally {
      await Promise.all(dispatchers.map((d) => d.stop({ timeoutMs: 1000 })));
    }
  });
});
