/**
 * Corrupted Redis data never stalls the queue nor strands a good job: a queue entry that is not
 * "<seq>:<id>", an entry whose record is not a hash, a type listed in a level's type set whose
 * queue is a string (WRONGTYPE), a type set that is not a set, a queued record missing a field the
 * claim needs. Each is moved aside (counted by `corrupt()` and `counts().corrupt`), and every good
 * job around it runs to the end.
 */
import assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';
import { type Job, JobStatus, RedisBackend, createJob, isDispatchError } from '../../src/index.js';
import { REDIS_URL, deleteQueues, inspector, randomQueue, redisSuite } from './redis-env.js';

const queues = new Set<string>();
const open: RedisBackend[] = [];

function backend(): RedisBackend {
  const queue = randomQueue('corrupt');
  queues.add(queue);
  const created = new RedisBackend({ url: REDIS_URL, queue, onError: () => undefined });
  open.push(created);
  return created;
}

async function withRedis(fn: (redis: ReturnType<typeof inspector>) => Promise<unknown>) {
  const redis = inspector();
  try {
    await fn(redis);
  } finally {
    redis.disconnect();
  }
}

/** Submits `count` good jobs of type T at `priority`, returning their ids. */
let made = 0;
async function goodJobs(b: RedisBackend, count: number, priority = 1): Promise<string[]> {
  const jobs: Job[] = Array.from({ length: count }, () =>
    createJob({ id: `good-${++made}`, name: 'T', priority }),
  );
  await Promise.all(jobs.map((job) => b.submit(job)));
  return jobs.map((job) => job.id);
}

/** Claims and completes until nothing is left (bounded), one job per claim; returns the ids run. */
async function drain(b: RedisBackend): Promise<string[]> {
  const ran: string[] = [];
  for (let round = 0; round < 200; round++) {
    const claims = await b.claim({ max: 1, remaining: new Map() });
    if (claims.length === 0) return ran;
    for (const claim of claims) {
      ran.push(claim.job.id);
      assert.equal(await b.finish(claim, { status: 'completed', result: null }), true);
    }
  }
  assert.fail('the queue did not drain within 200 claims');
}

async function assertAllCompleted(b: RedisBackend, ids: readonly string[]): Promise<void> {
  for (const id of ids) assert.equal((await b.get(id))?.status, JobStatus.Completed, id);
  const counts = await b.counts();
  assert.equal(counts.queued, 0, 'nothing left queued');
  assert.equal(counts.running, 0, 'nothing left running');
  assert.deepEqual(await b.stats(), { high: 0, normal: 0, low: 0 });
}

describe('RedisBackend with corrupted keys', redisSuite(), () => {
  afterEach(() => Promise.all(open.splice(0).map((b) => b.close())));
  after(() => deleteQueues(queues));

  it('moves aside a queue entry with no ":" and one whose record is not a hash, and runs the jobs around them', async () => {
    const b = backend();
    const before = await goodJobs(b, 3);
    await withRedis(async (redis) => {
      await redis.lpush(`${b.keyPrefix}q:1:T`, 'no-separator');
      await redis.set(`${b.keyPrefix}j:string`, 'not a hash');
      await redis.lpush(`${b.keyPrefix}q:1:T`, '-999:string');
    });
    const after_ = await goodJobs(b, 3);
    const ran = await drain(b);
    assert.deepEqual(ran, [...before, ...after_]);
    await assertAllCompleted(b, ran);
    const { count, recent } = await b.corrupt();
    assert.equal(count, 2);
    assert.equal((await b.counts()).corrupt, 2);
    assert.ok(
      recent.some((note) => note.key.endsWith('q:1:T') && /no-separator/.test(note.reason)),
    );
    const moved = recent.find((note) => note.key.endsWith('j:string'));
    assert.ok(moved?.movedTo, 'the string record was renamed aside');
    await withRedis(async (redis) => {
      assert.equal(await redis.get(moved.movedTo!), 'not a hash', 'kept for inspection');
    });
  });

  it('moves aside a queue of the wrong type (WRONGTYPE) named in a level type set, and runs the other types', async () => {
    const b = backend();
    const good = await goodJobs(b, 4, 2);
    await withRedis(async (redis) => {
      await redis.sadd(`${b.keyPrefix}t:2`, 'Broken');
      await redis.set(`${b.keyPrefix}q:2:Broken`, 'a string, not a list');
    });
    const ran = await drain(b);
    assert.deepEqual(ran.sort(), [...good].sort());
    await assertAllCompleted(b, good);
    const { count, recent } = await b.corrupt();
    assert.equal(count, 1);
    assert.ok(recent[0]?.key.endsWith('q:2:Broken'));
    assert.ok(recent[0]?.movedTo);
  });

  it('fails a queued record missing queuedAt, with nothing written before the check, and runs the good jobs around it', async () => {
    const b = backend();
    const first = await goodJobs(b, 5);
    await b.submit(createJob({ id: 'broken', name: 'T' }));
    const second = await goodJobs(b, 4);
    await withRedis(async (redis) => {
      await redis.hdel(`${b.keyPrefix}j:broken`, 'queuedAt');
    });
    // One claim for everything: the broken record sits among good ones in a bulk take.
    const claims = await b.claim({ max: 20, remaining: new Map() });
    assert.deepEqual(
      claims.map((claim) => claim.job.id),
      [...first, ...second],
    );
    for (const claim of claims) {
      assert.equal(await b.finish(claim, { status: 'completed', result: null }), true);
    }
    await assertAllCompleted(b, [...first, ...second]);
    const broken = await b.get('broken');
    assert.equal(broken?.status, JobStatus.Failed);
    assert.equal(broken?.error?.code, 'MALFORMED_RECORD');
    assert.match(broken?.error?.message ?? '', /queuedAt/);
    assert.equal((await b.counts()).failed, 1);
    assert.equal((await b.corrupt()).count, 1);
  });

  it('answers get, cancel, retry and setPriority on a record that is not a hash with MALFORMED_RECORD, and remove moves it aside', async () => {
    const b = backend();
    await b.open();
    await withRedis(async (redis) => {
      await redis.set(`${b.keyPrefix}j:bad`, 'not a hash');
    });
    const malformed = (e: unknown): boolean => isDispatchError(e, 'MALFORMED_RECORD');
    await assert.rejects(b.get('bad'), malformed);
    await assert.rejects(b.cancel('bad'), malformed);
    await assert.rejects(b.requeue('bad'), malformed);
    await assert.rejects(b.setPriority('bad', 2), malformed);
    assert.equal(await b.remove('bad'), false, 'not a record: remove moves it aside');
    assert.equal((await b.corrupt()).count, 1);
    assert.equal(await b.get('bad'), undefined);
  });

  it('answers get on a record whose params key is not a string with MALFORMED_RECORD naming params, and a claim fails that job and runs the others', async () => {
    const b = backend();
    const before = await goodJobs(b, 2);
    await b.submit(createJob({ id: 'bad-params', name: 'T', params: { n: 1 } }));
    const later = await goodJobs(b, 2);
    await withRedis(async (redis) => {
      await redis.del(`${b.keyPrefix}p:bad-params`);
      await redis.rpush(`${b.keyPrefix}p:bad-params`, 'a list, not a string');
    });
    await assert.rejects(
      b.get('bad-params'),
      (e) => isDispatchError(e, 'MALFORMED_RECORD') && /params must be JSON/.test(e.message),
    );
    // One claim for everything: the bad record sits among good ones.
    const claims = await b.claim({ max: 20, remaining: new Map() });
    assert.deepEqual(
      claims.map((claim) => claim.job.id),
      [...before, ...later],
    );
    for (const claim of claims) {
      assert.equal(await b.finish(claim, { status: 'completed', result: null }), true);
    }
    await assertAllCompleted(b, [...before, ...later]);
    const failed = await b.get('bad-params');
    assert.equal(failed?.status, JobStatus.Failed);
    assert.equal(failed?.error?.code, 'MALFORMED_RECORD');
  });

  it('moves aside a type set of the wrong type and rebuilds it from the queues', async () => {
    const b = backend();
    const good = await goodJobs(b, 3);
    await withRedis(async (redis) => {
      await redis.del(`${b.keyPrefix}t:1`);
      await redis.set(`${b.keyPrefix}t:1`, 'not a set');
    });
    const ran = await drain(b);
    assert.deepEqual(ran, good);
    await assertAllCompleted(b, good);
    assert.equal((await b.corrupt()).count, 1);
  });
});
