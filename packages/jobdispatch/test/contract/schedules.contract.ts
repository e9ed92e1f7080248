/** Dispatcher contract, part: repeating schedules (`schedule`, `unschedule`, `schedules`) on an injected clock. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Dispatcher, type Job, isDispatchError } from '../../src/index.js';
import { FakeClock } from '../fake-timers.js';
import type { Harness } from './harness.js';

const T0 = Date.UTC(2026, 0, 5, 12, 0, 0);

async function ticked(d: Dispatcher, name = 'Tick'): Promise<Job[]> {
  const page = await d.list({ name, limit: 1000 });
  return page.jobs
    .filter((job) => job.status !== 'duplicated')
    .sort((a, b) => (a.dedupKey ?? '').localeCompare(b.dedupKey ?? ''));
}

export function schedulesContract({ make }: Harness): void {
  describe('repeating schedules', () => {
    async function scheduled(start = T0) {
      const clock = new FakeClock(start);
      const timer = clock.timer();
      const d = await make({ workers: 0, now: clock.now, setTimer: timer.setTimer });
      /** Moves the clock to `at` and waits for the dispatcher's pass to end. */
      const advanceTo = async (at: number): Promise<void> => {
        const armed = timer.armed();
        clock.advanceTo(at);
        await armed;
      };
      const start_ = async (): Promise<void> => {
        const armed = timer.armed();
        await d.start();
        await armed;
      };
      return { clock, d, advanceTo, start: start_ };
    }

    it('an everyMs schedule submits one job per tick, its dedupKey derived from the key and the tick', async () => {
      const { clock, d, advanceTo, start } = await scheduled();
      const info = await d.schedule('heartbeat', {
        everyMs: 1000,
        job: { name: 'Tick', params: { source: 'heartbeat' }, priority: 2 },
      });
      assert.equal(info.key, 'heartbeat');
      assert.equal(info.nextRunAt, T0 + 1000);
      await start();
      assert.equal((await ticked(d)).length, 0, 'nothing before the first tick');
      clock.advanceTo(T0 + 999); // no timer is due yet
      assert.equal((await ticked(d)).length, 0);
      for (let tick = 1; tick <= 4; tick++) await advanceTo(T0 + tick * 1000);
      const jobs = await ticked(d);
      assert.deepEqual(
        jobs.map((job) => job.dedupKey),
        [1, 2, 3, 4].map((tick) => `schedule:heartbeat:${T0 + tick * 1000}`),
      );
      for (const job of jobs) {
        assert.deepEqual(job.params, { source: 'heartbeat' });
        assert.equal(job.priority, 2);
        assert.equal(job.status, 'queued');
      }
      const [listed] = await d.schedules();
      assert.equal(listed?.nextRunAt, T0 + 5000);
      assert.equal(listed?.everyMs, 1000);
      assert.deepEqual(listed?.job, { name: 'Tick', params: { source: 'heartbeat' }, priority: 2 });
    });

    it('schedule() again with the same definition keeps its next run; another definition replaces it', async () => {
      const { clock, d } = await scheduled();
      const spec = { everyMs: 1000, job: { name: 'Tick', params: { a: 1, b: [1, 2] } } };
      await d.schedule('k', spec);
      clock.current = T0 + 600;
      // The same definition, its keys in another order: the same schedule.
      const again = await d.schedule('k', {
        job: { params: { b: [1, 2], a: 1 }, name: 'Tick' },
        everyMs: 1000,
      });
      assert.equal(again.nextRunAt, T0 + 1000);
      const replaced = await d.schedule('k', { everyMs: 5000, job: { name: 'Tick' } });
      assert.equal(replaced.nextRunAt, T0 + 600 + 5000);
      const all = await d.schedules();
      assert.equal(all.length, 1);
      assert.equal(all[0]?.everyMs, 5000);
      assert.deepEqual(all[0]?.job, { name: 'Tick' });
    });

    it('ticks missed while no dispatcher ran are submitted once at start, not once per missed tick', async () => {
      const { clock, d, start } = await scheduled();
      await d.schedule('nightly', { everyMs: 1000, job: { name: 'Tick' } });
      clock.current = T0 + 5500; // five ticks pass with nothing started
      await start();
      const jobs = await ticked(d);
      assert.deepEqual(
        jobs.map((job) => job.dedupKey),
        [`schedule:nightly:${T0 + 1000}`],
      );
      assert.equal((await d.schedules())[0]?.nextRunAt, T0 + 6000, 'back on its grid, after now');
    });

    it('a cron schedule in a time zone keeps local time over a DST change', async () => {
      // New York moves to daylight time on 2026-03-08: 09:00 local is 14:00Z before, 13:00Z after.
      const { d, advanceTo, start } = await scheduled(Date.UTC(2026, 2, 7, 12, 0, 0));
      const ny = await d.schedule('ny-morning', {
        cron: '0 9 * * *',
        timezone: 'America/New_York',
        job: { name: 'Tick' },
      });
      assert.equal(new Date(ny.nextRunAt).toISOString(), '2026-03-07T14:00:00.000Z');
      // Paris moves on 2026-03-29 at 02:00 local: 02:30 does not exist that day and runs at 03:00.
      const paris = await d.schedule('paris-night', {
        cron: '30 2 * * *',
        timezone: 'Europe/Paris',
        job: { name: 'Night' },
      });
      assert.equal(new Date(paris.nextRunAt).toISOString(), '2026-03-08T01:30:00.000Z');
      await start();
      await advanceTo(Date.UTC(2026, 2, 7, 14, 0, 0));
      const next = (await d.schedules()).find((s) => s.key === 'ny-morning');
      assert.equal(new Date(next!.nextRunAt).toISOString(), '2026-03-08T13:00:00.000Z');
      await advanceTo(Date.UTC(2026, 2, 8, 13, 0, 0));
      const after = (await d.schedules()).find((s) => s.key === 'ny-morning');
      assert.equal(new Date(after!.nextRunAt).toISOString(), '2026-03-09T13:00:00.000Z');
      assert.deepEqual(
        (await ticked(d)).map((job) => job.dedupKey),
        [Date.UTC(2026, 2, 7, 14), Date.UTC(2026, 2, 8, 13)].map((t) => `schedule:ny-morning:${t}`),
      );
      await d.unschedule('ny-morning');
      await advanceTo(Date.UTC(2026, 2, 28, 12, 0, 0)); // Paris ticks missed until then: caught up once
      const beforeChange = (await d.schedules()).find((s) => s.key === 'paris-night');
      assert.equal(new Date(beforeChange!.nextRunAt).toISOString(), '2026-03-29T01:00:00.000Z');
      await advanceTo(Date.UTC(2026, 2, 29, 1, 0, 0));
      const afterChange = (await d.schedules()).find((s) => s.key === 'paris-night');
      assert.equal(new Date(afterChange!.nextRunAt).toISOString(), '2026-03-30T00:30:00.000Z');
      assert.deepEqual(
        (await ticked(d, 'Night')).map((job) => job.dedupKey),
        [
          Date.UTC(2026, 2, 8, 1, 30), // due while the clock went to 2026-03-08T13:00Z
          Date.UTC(2026, 2, 9, 1, 30), // the one catch-up for 2026-03-09 .. 2026-03-28
          Date.UTC(2026, 2, 29, 1, 0), // the DST day: 03:00 local, right after the gap
        ].map((t) => `schedule:paris-night:${t}`),
      );
    });

    it('unschedule() stops the ticks and reports whether the schedule existed', async () => {
      const { d, advanceTo, start } = await scheduled();
      await d.schedule('gone', { everyMs: 1000, job: { name: 'Tick' } });
      await start();
      assert.equal(await d.unschedule('gone'), true);
      assert.equal(await d.unschedule('gone'), false);
      assert.deepEqual(await d.schedules(), []);
      await advanceTo(T0 + 60_000);
      assert.equal((await ticked(d)).length, 0);
    });

    it('a bad schedule is INVALID_ARGUMENT naming the field and the value', async () => {
      const { d } = await scheduled();
      const job = { name: 'Tick' };
      const cases: [string, () => Promise<unknown>, string][] = [
        ['key', () => d.schedule('', { everyMs: 1000, job }), 'key'],
        ['cron', () => d.schedule('k', { cron: 'every tuesday', job }), 'every tuesday'],
        ['cron', () => d.schedule('k', { cron: '61 * * * *', job }), '61 * * * *'],
        [
          'timezone',
          () => d.schedule('k', { cron: '0 * * * *', timezone: 'Mars/Olympus', job }),
          'Mars/Olympus',
        ],
        ['timezone', () => d.schedule('k', { everyMs: 1000, timezone: 'UTC', job }), 'UTC'],
        ['everyMs', () => d.schedule('k', { everyMs: 0, job }), '0'],
        ['everyMs', () => d.schedule('k', { everyMs: 1.5, job }), '1.5'],
        ['everyMs', () => d.schedule('k', { cron: '0 * * * *', everyMs: 1000, job }), '1000'],
        ['cron', () => d.schedule('k', { job }), 'cron'],
        [
          'job.dedupKey',
          () => d.schedule('k', { everyMs: 1000, job: { name: 'Tick', dedupKey: 'x' } }),
          'x',
        ],
        ['name', () => d.schedule('k', { everyMs: 1000, job: { name: '' } }), 'name'],
      ];
      for (const [field, call, value] of cases) {
        await assert.rejects(call, (error: unknown) => {
          assert.ok(isDispatchError(error) && error.code === 'INVALID_ARGUMENT', String(error));
          assert.ok(error.message.startsWith(`${field} must be`), error.message);
          assert.ok(error.message.includes(value), error.message);
          return true;
        });
      }
      assert.deepEqual(await d.schedules(), [], 'nothing was stored');
      await d.stop();
      await assert.rejects(
        d.schedule('late', { everyMs: 1000, job }),
        (error: unknown) => isDispatchError(error) && error.code === 'QUEUE_CLOSED',
      );
    });
  });
}
