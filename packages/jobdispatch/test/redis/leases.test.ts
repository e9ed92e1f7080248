/**
 * Leases and fencing on the Redis backend, driven through the Backend interface with two backends
 * on one queue: each has its own connections, exactly as two worker processes would.
 */
import assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';
import {
  type Claim,
  type JobEvent,
  JobPriority,
  JobStatus,
  RedisBackend,
  type RedisBackendOptions,
  createJob,
} from '../../src/index.js';
import { REDIS_URL, deleteQueues, randomQueue, redisSuite } from './redis-env.js';

const queues = new Set<string>();
const open: RedisBackend[] = [];

function backend(queue: string, options: Partial<RedisBackendOptions> = {}): RedisBackend {
  queues.add(queue);
  const created = new RedisBackend({ url: REDIS_URL, queue, ...options });
  open.push(created);
  return created;
}

/** Claims until a job comes back (a lease has to run out first), polling with a bound. */
async function claimWithin(b: RedisBackend, limitMs: number): Promise<Claim> {
  const deadline = Date.now() + limitMs;
  while (Date.now() < deadline) {
    const [claim] = await b.claim({ max: 1, remaining: new Map() });
    if (claim !== undefined) return claim;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`nothing to claim within ${limitMs} ms`);
}

describe('RedisBackend leases and fencing', redisSuite(), () => {
  afterEach(() => Promise.all(open.splice(0).map((b) => b.close())));
  after(() => deleteQueues(queues));

  it('refuses the completion, progress and renewal of a worker whose lease was taken over', async () => {
    const queue = randomQueue('lease');
    const [first, second] = [backend(queue, { leaseMs: 100 }), backend(queue, { leaseMs: 100 })];
    const events: JobEvent[] = [];
    first.subscribe((event) => events.push(event));
    await first.submit(createJob({ id: 'job', name: 'T' }));
    const [stale] = await first.claim({ max: 1, remaining: new Map() });
    assert.ok(stale);
    const current = await claimWithin(second, 5000);
    assert.equal(current.job.id, 'job');
    assert.equal(current.job.attempts, 2, 'the lost attempt counts');
    assert.notEqual(current.token, stale.token);

    assert.equal(await first.renew(stale), 'lost');
    await first.progress(stale, { percent: 50 });
    assert.equal(await first.finish(stale, { status: 'completed', result: 'stale' }), false);
    assert.equal(await first.retry(stale, { code: 'X', message: 'x' }, 0), false);
    assert.equal(await first.release(stale), false);
    assert.equal(
      (await second.get('job'))?.progress,
      undefined,
      'the stale progress was not written',
    );

    assert.equal(await second.finish(current, { status: 'completed', result: 'fresh' }), true);
    const record = await second.get('job');
    assert.equal(record?.status, JobStatus.Completed);
    assert.equal(record?.result, 'fresh');
    const requeued = events.find((event) => event.type === 'queued' && event.error !== undefined);
    assert.equal(requeued?.error?.code, 'LEASE_LOST');
  });

  it('puts a job whose lease ran out back at the front of its level, ahead of jobs queued after it', async () => {
    const queue = randomQueue('lease');
    const [first, second] = [backend(queue, { leaseMs: 100 }), backend(queue, { leaseMs: 100 })];
    await first.submit(createJob({ id: 'abandoned', name: 'T' }));
    assert.equal((await first.claim({ max: 1, remaining: new Map() })).length, 1);
    await first.submit(createJob({ id: 'later', name: 'Other' }));
    await first.submit(createJob({ id: 'low', name: 'T', priority: JobPriority.Low }));
    const nothing = new Map([
      ['T', 0],
      ['Other', 0],
    ]);
    const deadline = Date.now() + 5000;
    while ((await second.get('abandoned'))?.status === JobStatus.Running) {
      assert.ok(Date.now() < deadline, 'the lease ran out within 5 s');
      assert.deepEqual(await second.claim({ max: 3, remaining: nothing }), []); // reclaims only
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const claims = await second.claim({ max: 3, remaining: new Map([['Other', 0]]) });
    const order = claims.map((claim) => claim.job.id);
    assert.deepEqual(order, ['abandoned', 'low']);
  });

  it('release() gives a running job back at the front of its level, its attempt not counted', async () => {
    const queue = randomQueue('lease');
    const [first, second] = [backend(queue), backend(queue)];
    const events: JobEvent[] = [];
    const mine = (): JobEvent[] => events.filter((event) => event.jobId === 'running');
    const fourEvents = new Promise<void>((resolve) =>
      second.subscribe((event) => {
        events.push(event);
        if (mine().length === 4) resolve();
      }),
    );
    await second.open();
    await first.submit(createJob({ id: 'running', name: 'T' }));
    const [claim] = await first.claim({ max: 1, remaining: new Map() });
    await first.submit(createJob({ id: 'waiting', name: 'T' }));
    assert.equal(await first.release(claim!), true);
    assert.equal((await second.get('running'))?.status, JobStatus.Queued);
    const [next] = await second.claim({ max: 1, remaining: new Map() });
    assert.equal(next?.job.id, 'running');
    assert.equal(next?.job.attempts, 1);
    await fourEvents;
    assert.deepEqual(
      mine().map((event) => event.type),
      ['queued', 'started', 'queued', 'started'],
    );
  });

  it('a reclaimed job whose cancel was asked ends cancelled instead of running again', async () => {
    const queue = randomQueue('lease');
    const [first, second] = [backend(queue, { leaseMs: 100 }), backend(queue, { leaseMs: 100 })];
    await first.submit(createJob({ id: 'job', name: 'T' }));
    await first.claim({ max: 1, remaining: new Map() });
    assert.equal((await second.cancel('job')).outcome, 'cancel-requested');
    const deadline = Date.now() + 5000;
    while ((await second.get('job'))?.status === JobStatus.Running) {
      assert.ok(Date.now() < deadline, 'the lease ran out within 5 s');
      assert.deepEqual(await second.claim({ max: 1, remaining: new Map() }), []);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const record = await second.get('job');
    assert.equal(record?.status, JobStatus.Cancelled);
    assert.equal(record?.error?.code, 'JOB_CANCELLED');
  });
});
