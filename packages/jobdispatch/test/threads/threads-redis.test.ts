/**
 * Threaded handlers on the Redis backend: nothing in the threads knows about Redis, but this is
 * where they matter most. A CPU-bound job on a thread leaves the main thread free to renew its
 * lease, and a cancel pushed from another process reaches the handler inside its thread.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { JobStatus, RedisBackend, isDispatchError } from '../../src/index.js';
import { eventOf, nextEvent } from '../helpers.js';
import { REDIS_URL, deleteQueues, randomQueue, redisSuite } from '../redis/redis-env.js';
import type { StopReport } from './fixtures/behaviour-handler.js';
import { behaviourPool, cpuPool, dispatcher } from './setup.js';

const queues = new Set<string>();

function newQueue(): string {
  const queue = randomQueue('threads');
  queues.add(queue);
  return queue;
}

describe('threaded handlers on the Redis backend', redisSuite(), () => {
  after(() => deleteQueues(queues));

  // Bounded: with a lapsing lease the job would move between the dispatchers forever.
  it(
    'a CPU-bound job three times as long as its lease runs once, though a second dispatcher waits to take over a lapsed lease',
    { timeout: 20_000 },
    async () => {
      const queue = newQueue();
      const contenders = [0, 1].map(() => {
        const handler = cpuPool({ threads: 1 });
        const d = dispatcher({
          workers: 1,
          backend: new RedisBackend({ url: REDIS_URL, queue, leaseMs: 500 }),
        });
        d.register(handler);
        return { d, handler };
      });
      await Promise.all(contenders.map(({ handler }) => handler.ready()));
      await Promise.all(contenders.map(({ d }) => d.start()));
      const [first] = contenders.map(({ d }) => d);
      const job = await first!.submit({ name: 'Cpu', params: { ms: 1500 } });
      await first!.wait(job.id);
      const record = await first!.get(job.id);
      assert.equal(record?.status, JobStatus.Completed);
      assert.equal(record?.attempts, 1, 'the lease was renewed while the thread computed');
    },
  );

  it('a cancel from another process reaches the handler inside its thread as JOB_CANCELLED', async () => {
    const queue = newQueue();
    const worker = dispatcher({ workers: 1, backend: new RedisBackend({ url: REDIS_URL, queue }) });
    worker.register(behaviourPool({ threads: 1 }));
    await worker.start();
    const running = nextEvent(worker, eventOf('progress', 'polite'));
    await worker.submit({ id: 'polite', name: 'Behaviour', params: { kind: 'cooperative-async' } });
    await running;
    const producer = dispatcher({
      workers: 0,
      backend: new RedisBackend({ url: REDIS_URL, queue }),
    });
    await producer.start();
    assert.equal((await producer.cancel('polite')).outcome, 'cancel-requested');
    await assert.rejects(worker.wait('polite'), (e) => isDispatchError(e, 'JOB_CANCELLED'));
    const report = JSON.parse(
      (await worker.get('polite'))?.progress?.message ?? 'null',
    ) as StopReport;
    assert.equal(report.code, 'JOB_CANCELLED');
  });
});
