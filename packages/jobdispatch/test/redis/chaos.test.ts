/**
 * Chaos: three worker processes share a queue of 2,000 short jobs while one of them is killed with
 * SIGKILL and replaced every second. At-least-once means every job ends completed (none lost);
 * the jobs that ran more than once are counted and printed.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Dispatcher, JobStatus, RedisBackend } from '../../src/index.js';
import { WorkerProcess } from './processes.js';
import { REDIS_URL, deleteQueues, inspector, randomQueue, redisSuite } from './redis-env.js';

const JOBS = 2000;
const PROCESSES = 3;
const LEASE_MS = 1000;
const queues = new Set<string>();

describe('RedisBackend chaos', redisSuite(), () => {
  after(() => deleteQueues(queues));

  it(
    'loses no job while a worker process is SIGKILLed and restarted every second',
    { timeout: 120_000 },
    async () => {
      const queue = randomQueue('chaos');
      queues.add(queue);
      const backend = new RedisBackend({ url: REDIS_URL, queue, capacityPerLevel: JOBS });
      const d = new Dispatcher({ workers: 0, backend });
      const spawn = (): WorkerProcess =>
        new WorkerProcess({ queue, workers: 2, leaseMs: LEASE_MS });
      const live = Array.from({ length: PROCESSES }, spawn);
      const all = [...live];
      await Promise.all(live.map((child) => child.ready()));
      let kills = 0;
      let completed = 0;
      d.on('completed', () => completed++);
      await d.start();

      const ids: string[] = [];
      for (let start = 0; start < JOBS; start += 500) {
        const batch = Array.from({ length: Math.min(500, JOBS - start) }, (_, i) =>
          d.submit({ id: `job-${start + i}`, name: 'Work', params: { sleepMs: 10 } }),
        );
        ids.push(...(await Promise.all(batch)).map((job) => job.id));
      }
      const killer = setInterval(() => {
        const victim = live.shift()!;
        victim.kill('SIGKILL');
        kills++;
        const replacement = spawn();
        live.push(replacement);
        all.push(replacement);
      }, 1000);
      try {
        await Promise.all(ids.map((id) => d.wait(id)));
      } finally {
        clearInterval(killer);
        for (const child of all) child.kill('SIGKILL');
        await Promise.all(all.map((child) => child.exited));
      }

      const records = await Promise.all(ids.map((id) => d.get(id)));
      const notCompleted = records.filter((job) => job?.status !== JobStatus.Completed);
      const ranTwice = records.filter((job) => (job?.attempts ?? 0) > 1).length;
      console.log(
        `chaos: ${JOBS} jobs, ${records.length - notCompleted.length} completed, ` +
          `${notCompleted.length} lost, ${ranTwice} ran more than once, ` +
          `${kills} workers killed with SIGKILL`,
      );
      assert.equal(notCompleted.length, 0);
      assert.equal(
        completed,
        JOBS,
        'each job completed exactly once: a stale worker cannot finish',
      );
      assert.ok(kills >= 1, 'at least one worker was killed while jobs ran');
      assert.deepEqual(await backend.stats(), { high: 0, normal: 0, low: 0 });
      const redis = inspector();
      try {
        assert.equal(await redis.zcard(`${backend.keyPrefix}leases`), 0, 'no lease left behind');
      } finally {
        redis.disconnect();
      }
      await d.stop({ timeoutMs: 1000 });
    },
  );
});
