/**
 * Schedules, rate limits and global concurrency over several processes of one Redis queue. The
 * schedule tests run three dispatchers (each on a backend of its own, as processes would) on an
 * injected clock; the limit tests run worker processes (fixtures/controls-worker.ts) and measure
 * from the `started` events this producer process receives through Redis.
 */
import assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';
import { Dispatcher, type JobEvent, RedisBackend, SCHEDULE_REFRESH_MS } from '../../src/index.js';
import { mostInWindow } from '../contract/limits.contract.js';
import { FakeClock } from '../fake-timers.js';
import { eventOf, nextEvent } from '../helpers.js';
import { WorkerProcess } from './processes.js';
import { REDIS_URL, deleteQueues, randomQueue, redisSuite } from './redis-env.js';

const queues = new Set<string>();
const dispatchers: Dispatcher[] = [];
const workers: WorkerProcess[] = [];

function dispatcherOn(queue: string, options: ConstructorParameters<typeof Dispatcher>[0] = {}) {
  queues.add(queue);
  const backend = new RedisBackend({
    url: REDIS_URL,
    queue,
    ...(options.now !== undefined && { now: options.now }),
  });
  const d = new Dispatcher({ workers: 0, ...options, backend });
  dispatchers.push(d);
  return d;
}

/** The child that printed the start of `id` (its line follows the event by moments; bounded poll). */
async function holderOf(children: readonly WorkerProcess[], id: string): Promise<WorkerProcess> {
  for (let waited = 0; waited < 5000; waited += 10) {
    const holder = children.find((child) =>
      child.lines.some((l) => l.type === 'started' && l.id === id),
    );
    if (holder !== undefined) return holder;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`no child printed the start of ${id} within 5 s`);
}

async function spawnWorker(config: object): Promise<WorkerProcess> {
  const child = new WorkerProcess(config as never, 'controls-worker.ts');
  workers.push(child);
  await child.ready();
  return child;
}

describe('Redis: schedules and limits over processes', redisSuite(), () => {
  afterEach(async () => {
    for (const child of workers.splice(0)) {
      child.kill('SIGKILL');
      await child.exited;
    }
    await Promise.all(dispatchers.splice(0).map((d) => d.stop({ timeoutMs: 2000 })));
  });
  after(() => deleteQueues(queues));

  it('three dispatchers calling schedule() with the same key at start-up submit exactly one job per tick over 20 ticks', async () => {
    const queue = randomQueue('sched3');
    const t0 = Date.UTC(2026, 5, 1);
    const clock = new FakeClock(t0);
    const timers = [0, 1, 2].map(() => clock.timer());
    const ds = timers.map((timer) =>
      dispatcherOn(queue, { now: clock.now, setTimer: timer.setTimer }),
    );
    await Promise.all(
      ds.map(async (d, i) => {
        await d.schedule('report', { everyMs: 60_000, job: { name: 'Report', params: { i: 0 } } });
        const armed = timers[i]!.armed();
        await d.start();
        await armed;
      }),
    );
    for (let tick = 1; tick <= 20; tick++) {
      const armed = timers.map((timer) => timer.armed());
      clock.advanceTo(t0 + tick * 60_000);
      await Promise.all(armed);
    }
    const { jobs } = await ds[0]!.list({ name: 'Report', limit: 100 });
    assert.equal(jobs.filter((job) => job.status === 'duplicated').length, 0);
    assert.deepEqual(
      jobs.map((job) => job.dedupKey).sort(),
      Array.from({ length: 20 }, (_, i) => `schedule:report:${t0 + (i + 1) * 60_000}`).sort(),
    );
    assert.equal((await ds[1]!.schedules())[0]?.nextRunAt, t0 + 21 * 60_000);
  });

  it('schedules survive a restart, which submits one missed tick, not one per missed tick', async () => {
    const queue = randomQueue('sched-restart');
    const t0 = Date.UTC(2026, 5, 1);
    const clock = new FakeClock(t0);
    const first = clock.timer();
    const before = dispatcherOn(queue, { now: clock.now, setTimer: first.setTimer });
    await before.schedule('hourly', { cron: '0 * * * *', job: { name: 'Hourly' } });
    let armed = first.armed();
    await before.start();
    await armed;
    armed = first.armed();
    clock.advanceTo(t0 + 3_600_000);
    await armed;
    await before.stop();
    clock.current = t0 + 5.5 * 3_600_000; // four ticks pass with no process
    const second = clock.timer();
    const afterRestart = dispatcherOn(queue, { now: clock.now, setTimer: second.setTimer });
    const stored = await afterRestart.schedules();
    assert.deepEqual(
      stored.map((s) => [s.key, s.cron, s.nextRunAt]),
      [['hourly', '0 * * * *', t0 + 2 * 3_600_000]],
    );
    // A restarted process declares its schedules again: the stored next run is kept.
    await afterRestart.schedule('hourly', { cron: '0 * * * *', job: { name: 'Hourly' } });
    armed = second.armed();
    await afterRestart.start();
    await armed;
    const { jobs } = await afterRestart.list({ name: 'Hourly', limit: 100 });
    assert.deepEqual(jobs.map((job) => job.dedupKey).sort(), [
      `schedule:hourly:${t0 + 3_600_000}`,
      `schedule:hourly:${t0 + 2 * 3_600_000}`,
    ]);
    assert.equal((await afterRestart.schedules())[0]?.nextRunAt, t0 + 6 * 3_600_000);
  });

  it('a started process takes up a schedule another process added within SCHEDULE_REFRESH_MS, without polling in between', async () => {
    const queue = randomQueue('sched-refresh');
    const t0 = Date.UTC(2026, 5, 1);
    const clock = new FakeClock(t0);
    const timer = clock.timer();
    const runner = dispatcherOn(queue, { now: clock.now, setTimer: timer.setTimer });
    let armed = timer.armed();
    await runner.start();
    await armed; // nothing scheduled: its next pass is the refresh
    const other = dispatcherOn(queue, { now: clock.now }); // never started: runs no timer
    await other.schedule('added', { everyMs: 10_000, job: { name: 'Added' } });
    clock.advanceTo(t0 + 30_000);
    assert.equal(
      (await runner.list({ name: 'Added' })).jobs.length,
      0,
      'no pass before the refresh',
    );
    armed = timer.armed();
    clock.advanceTo(t0 + SCHEDULE_REFRESH_MS);
    await armed;
    const { jobs } = await runner.list({ name: 'Added' });
    assert.deepEqual(
      jobs.map((job) => job.dedupKey),
      [`schedule:added:${t0 + 10_000}`],
    );
    assert.equal((await runner.schedules())[0]?.nextRunAt, t0 + SCHEDULE_REFRESH_MS + 10_000);
  });

  it('a type limited to 10 starts per second over 2 worker processes never starts more than 10 in any second, while an unlimited type runs freely', async () => {
    const queue = randomQueue('rate');
    const producer = dispatcherOn(queue);
    await producer.start();
    const starts: JobEvent[] = [];
    producer.on('started', (event) => void starts.push(event));
    const config = { queue, workers: 4, rateLimit: { max: 10, perMs: 1000 } };
    const children = await Promise.all([spawnWorker(config), spawnWorker(config)]);
    const jobs = [];
    for (let i = 0; i < 100; i++) jobs.push(await producer.submit({ name: 'Limited' }));
    for (let i = 0; i < 100; i++) jobs.push(await producer.submit({ name: 'Free' }));
    await Promise.all(jobs.map((job) => producer.wait(job.id, { timeoutMs: 30_000 })));
    const limitedAt = starts.filter((e) => e.name === 'Limited').map((e) => e.at);
    const freeAt = starts.filter((e) => e.name === 'Free').map((e) => e.at);
    assert.equal(limitedAt.length, 100);
    assert.equal(freeAt.length, 100);
    const most = mostInWindow(limitedAt, 1000);
    assert.ok(most <= 10, `${most} Limited starts in one second`);
    const sorted = [...limitedAt].sort((a, b) => a - b);
    // The unlimited type does not wait for the limited one: all of it starts within the limited
    // type's first three windows (it takes a fraction of one when run alone).
    assert.ok(
      Math.max(...freeAt) < (sorted[30] as number),
      `Free's last start at ${Math.max(...freeAt) - sorted[0]!} ms, Limited's 31st at ${sorted[30]! - sorted[0]!} ms`,
    );
    // Both processes took part: the limit held over the queue, not per process.
    for (const child of children) {
      const ids = new Set(child.lines.filter((l) => l.type === 'started').map((l) => l.id));
      assert.ok(
        jobs.slice(0, 100).some((job) => ids.has(job.id)),
        `process ${child.pid} ran none`,
      );
    }
  });

  it('globalConcurrency 2 over 3 processes: never more than 2 running, and a SIGKILLed holder frees its slot when its lease runs out', async () => {
    const queue = randomQueue('global');
    const producer = dispatcherOn(queue);
    await producer.start();
    // Jobs running now, from the events of every process (a fresh queue: every Capped job is ours).
    const running = new Set<string>();
    let most = 0;
    producer.on('*', (event) => {
      if (event.name !== 'Capped') return;
      if (event.type === 'started') {
        running.add(event.jobId);
        most = Math.max(most, running.size);
      } else if (['completed', 'failed', 'retrying', 'queued', 'cancelled'].includes(event.type)) {
        running.delete(event.jobId);
      }
    });
    const config = { queue, workers: 3, leaseMs: 600, globalConcurrency: 2 };
    const children = await Promise.all([0, 1, 2].map(() => spawnWorker(config)));
    const hungStarted = nextEvent(producer, eventOf('started', 'hung'));
    const hung = await producer.submit({
      id: 'hung',
      name: 'Capped',
      params: { hangOnAttempt: 1 },
    });
    await hungStarted;
    const holder = await holderOf(children, hung.id);
    const jobs = [];
    for (let i = 0; i < 12; i++) {
      jobs.push(await producer.submit({ name: 'Capped', params: { sleepMs: 40 } }));
    }
    // The first jobs run one at a time beside the hung one.
    await producer.wait(jobs[0]!.id, { timeoutMs: 10_000 });
    const requeued = nextEvent(producer, eventOf('queued', hung.id), 15_000);
    holder.kill('SIGKILL');
    await requeued; // its lease ran out and was reclaimed
    await Promise.all([hung, ...jobs].map((job) => producer.wait(job.id, { timeoutMs: 15_000 })));
    assert.equal(most, 2, 'two ran at once (the hung one and one other), never more');
    // The killed process's slot is back: two jobs run at once again, on the two live processes.
    most = 0;
    const later = [];
    for (let i = 0; i < 4; i++) {
      later.push(await producer.submit({ name: 'Capped', params: { sleepMs: 300 } }));
    }
    await Promise.all(later.map((job) => producer.wait(job.id, { timeoutMs: 15_000 })));
    assert.equal(most, 2, 'two at once after the lease was reclaimed, never more');
    assert.equal(running.size, 0);
    const again = await producer.get(hung.id);
    assert.equal(again?.attempts, 2, 'the killed attempt counted, the second ran elsewhere');
  });
});
