/**
 * The Redis queue itself: shared limits and dedup across processes (two dispatchers, each with its
 * own backend and connections), the key layout, memory per waiting job, idle workers blocking in
 * Redis, and retries that come due while every worker sleeps.
 */
import assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';
import {
  Dispatcher,
  JobPriority,
  JobStatus,
  RedisBackend,
  type RedisBackendOptions,
  isDispatchError,
} from '../../src/index.js';
import { RecordingHandler, eventOf, nextEvent } from '../helpers.js';
import { REDIS_URL, deleteQueues, inspector, randomQueue, redisSuite } from './redis-env.js';

const queues = new Set<string>();
const dispatchers: Dispatcher[] = [];

function dispatcher(
  queue: string,
  workers: number,
  options: Partial<RedisBackendOptions> = {},
): { d: Dispatcher; backend: RedisBackend } {
  queues.add(queue);
  const backend = new RedisBackend({ url: REDIS_URL, queue, ...options });
  const d = new Dispatcher({ workers, backend });
  dispatchers.push(d);
  return { d, backend };
}

async function withRedis<T>(fn: (redis: ReturnType<typeof inspector>) => Promise<T>): Promise<T> {
  const redis = inspector();
  try {
    return await fn(redis);
  } finally {
    redis.disconnect();
  }
}

describe('RedisBackend queue', redisSuite(), () => {
  afterEach(() => Promise.all(dispatchers.splice(0).map((d) => d.stop({ timeoutMs: 500 }))));
  after(() => deleteQueues(queues));

  it('holds the capacity of a level across processes', async () => {
    const queue = randomQueue('shared');
    const [a, b] = [
      dispatcher(queue, 0, { capacityPerLevel: 3 }).d,
      dispatcher(queue, 0, { capacityPerLevel: 3 }).d,
    ];
    const outcomes = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) =>
        (i % 2 === 0 ? a : b).submit({ name: 'T', priority: JobPriority.Low }),
      ),
    );
    assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 3);
    const refused = outcomes.filter((o) => o.status === 'rejected');
    assert.ok(refused.every((o) => isDispatchError(o.reason, 'QUEUE_FULL')));
    assert.equal((await b.stats()).levels.low.queued, 3);
  });

  it('dedups and promotes across processes: a HIGH submit in one process lifts a LOW job queued by another', async () => {
    const queue = randomQueue('shared');
    const { d: background } = dispatcher(queue, 0);
    const { d: user } = dispatcher(queue, 0);
    await background.start();
    await user.start();
    const low = await background.submit({
      name: 'Planning',
      priority: JobPriority.Low,
      dedupKey: 'sj:2',
    });
    const promoted = nextEvent(background, eventOf('promoted', low.id));
    const high = await user.submit({
      name: 'Planning',
      priority: JobPriority.High,
      dedupKey: 'sj:2',
    });
    assert.equal(high.status, JobStatus.Duplicated);
    assert.equal(high.duplicateOf, low.id);
    assert.equal((await promoted).fromPriority, JobPriority.Low);
    assert.equal((await user.get(low.id))?.priority, JobPriority.High);
    assert.deepEqual(
      await user.stats().then((s) => [s.levels.high.queued, s.levels.low.queued]),
      [1, 0],
    );
  });

  it('keeps every key of a queue under its one hash tag', async () => {
    const queue = randomQueue('layout');
    const { d, backend } = dispatcher(queue, 1);
    let calls = 0;
    d.register(
      new RecordingHandler('T', () =>
        ++calls === 1 ? Promise.reject(new Error('once')) : Promise.resolve(),
      ),
      {
        retries: 1,
        backoff: { type: 'fixed', delayMs: 1 },
      },
    );
    await d.start();
    const job = await d.submit({ name: 'T', dedupKey: 'k', params: { n: 1 } });
    await d.wait(job.id);
    await d.submit({ name: 'T', dedupKey: 'k' });
    const keys = await withRedis((redis) => redis.keys(`*${queue}*`));
    assert.ok(keys.length >= 4, `found ${keys.join(', ')}`);
    for (const key of keys) assert.ok(key.startsWith(`jd:{${queue}}:`), key);
    assert.equal(backend.keyPrefix, `jd:{${queue}}:`);
  });

  it('keeps a waiting job under 400 bytes of Redis memory', async () => {
    const queue = randomQueue('memory');
    const { d, backend } = dispatcher(queue, 0, { capacityPerLevel: 2000 });
    const jobs = await Promise.all(
      Array.from({ length: 1000 }, (_, i) => d.submit({ name: 'Noop', priority: i % 3 })),
    );
    const bytes = await withRedis(async (redis) => {
      let total = 0;
      for (const level of [0, 1, 2]) {
        total +=
          (await redis.memory('USAGE', `${backend.keyPrefix}q:${level}:Noop`, 'SAMPLES', '0')) ?? 0;
      }
      for (const job of jobs)
        total += (await redis.memory('USAGE', `${backend.keyPrefix}j:${job.id}`)) ?? 0;
      return total;
    });
    const perJob = bytes / jobs.length;
    assert.ok(perJob < 400, `${perJob.toFixed(0)} bytes per waiting job`);
  });

  it('an idle worker blocks in Redis (BLPOP on the wake list), and a submit wakes it', async () => {
    const queue = randomQueue('idle');
    const { d } = dispatcher(queue, 1);
    d.register(new RecordingHandler('T', () => Promise.resolve('woken')));
    await d.start();
    const name = `jd:{${queue}}::blocking`;
    const deadline = Date.now() + 5000;
    let blocked = false;
    while (!blocked) {
      assert.ok(Date.now() < deadline, 'the worker blocks within 5 s');
      const clients = await withRedis((redis) => redis.client('LIST') as Promise<string>);
      blocked = clients
        .split('\n')
        .some((line) => line.includes(`name=${name}`) && line.includes('cmd=blpop'));
      if (!blocked) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const job = await d.submit({ name: 'T' });
    assert.equal(await d.wait(job.id), 'woken');
  });

  it('wakes an idle worker when a retry comes due, though nothing else arrives', async () => {
    const queue = randomQueue('retry');
    const { d } = dispatcher(queue, 1);
    const handler = new RecordingHandler('T', (_job, ctx) =>
      ctx.attempt === 1 ? Promise.reject(new Error('not yet')) : Promise.resolve(ctx.attempt),
    );
    d.register(handler, { retries: 1, backoff: { type: 'fixed', delayMs: 300 } });
    await d.start();
    const job = await d.submit({ name: 'T' });
    const retrying = await nextEvent(d, eventOf('retrying', job.id));
    assert.equal(retrying.delayMs, 300);
    assert.equal(await d.wait(job.id), 2);
    assert.equal(handler.ran.length, 2);
  });
});
