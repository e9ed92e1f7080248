/**
 * The job store on Redis, where it differs from memory: every process sees the same scheduled
 * jobs, pauses, indexes and counts; due jobs are moved by a timer at their due time (announced by
 * whichever process scheduled them), with no polling while nothing is due; retention trims records
 * in the scripts, with no TTL on any record.
 */
import assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';
import {
  type Claim,
  JobStatus,
  RedisBackend,
  type RedisBackendOptions,
  createJob,
} from '../../src/index.js';
import { REDIS_URL, deleteQueues, inspector, randomQueue, redisSuite } from './redis-env.js';

const queues = new Set<string>();
const open: RedisBackend[] = [];

function backend(queue: string, options: Partial<RedisBackendOptions> = {}): RedisBackend {
  queues.add(queue);
  const created = new RedisBackend({ url: REDIS_URL, queue, onError: () => undefined, ...options });
  open.push(created);
  return created;
}

async function withRedis<T>(fn: (redis: ReturnType<typeof inspector>) => Promise<T>): Promise<T> {
  const redis = inspector();
  try {
    return await fn(redis);
  } finally {
    redis.disconnect();
  }
}

/** Resolves with true when `promise` settles within `ms`, false otherwise (a bound, not a timing). */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([promise.then(() => true), limit]);
  } finally {
    clearTimeout(timer);
  }
}

async function complete(b: RedisBackend, claims: readonly Claim[]): Promise<void> {
  for (const claim of claims) await b.finish(claim, { status: 'completed', result: claim.job.id });
}

describe('RedisBackend job store', redisSuite(), () => {
  afterEach(() => Promise.all(open.splice(0).map((b) => b.close())));
  after(() => deleteQueues(queues));

  it('wakes an idle worker of another process when a job it scheduled comes due, and not before', async () => {
    const queue = randomQueue('due');
    const [producer, worker] = [backend(queue), backend(queue)];
    await producer.open();
    assert.deepEqual(await worker.claim({ max: 1, remaining: new Map() }), []); // an idle worker
    const runAt = Date.now() + 400;
    const result = await producer.submit(createJob({ id: 'later', name: 'T', runAt }));
    assert.equal(result.kind, 'scheduled');
    const controller = new AbortController();
    const woken = worker.waitForWork(controller.signal);
    assert.equal(await settlesWithin(woken, 10_000), true, 'woken within 10 s');
    const [claim] = await worker.claim({ max: 1, remaining: new Map() });
    assert.equal(claim?.job.id, 'later');
    assert.ok(Date.now() >= runAt, 'not claimed before its due time');
    controller.abort();
  });

  it("times a working process's wake-up to the due time another process announced: one timer, at runAt exactly, and none while nothing is due", async () => {
    const queue = randomQueue('due-timer');
    let now = 1_900_000_000_000;
    const armed: { at: number; callback: () => void; cancelled: boolean }[] = [];
    const setTimer = (callback: () => void, ms: number): (() => void) => {
      const timer = { at: now + ms, callback, cancelled: false };
      armed.push(timer);
      return () => (timer.cancelled = true);
    };
    const pending = () => armed.filter((timer) => !timer.cancelled);
    const worker = backend(queue, { now: () => now, setTimer });
    const producer = backend(queue, { now: () => now });
    await producer.open();
    assert.deepEqual(await worker.claim({ max: 1, remaining: new Map() }), []); // now working
    assert.deepEqual(pending(), [], 'nothing is due: no timer at all');
    const runAt = now + 5000;
    await producer.submit(createJob({ id: 'later', name: 'T', runAt }, now));
    const deadline = Date.now() + 10_000;
    while (pending().length === 0) {
      assert.ok(Date.now() < deadline, "the worker heard of the other process's scheduled job");
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.deepEqual(
      pending().map((timer) => timer.at),
      [runAt],
      'one timer, for the due time itself',
    );
    // At the due time the timer fires; with no worker waiting it queues the job itself.
    now = runAt;
    pending()[0]!.callback();
    while ((await producer.get('later'))?.status !== JobStatus.Queued) {
      assert.ok(Date.now() < deadline, 'queued when its timer fired, without a claim');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.equal((await producer.get('later'))?.updatedAt, runAt);
  });

  it('does not wake an idle worker before the next due time (no polling while nothing is due)', async () => {
    const queue = randomQueue('idle');
    const worker = backend(queue);
    await worker.submit(createJob({ id: 'far', name: 'T', delayMs: 3_600_000 }));
    assert.deepEqual(await worker.claim({ max: 1, remaining: new Map() }), []);
    const controller = new AbortController();
    const woken = worker.waitForWork(controller.signal);
    assert.equal(
      await settlesWithin(woken, 500),
      false,
      'still waiting: the job is due in an hour',
    );
    controller.abort();
    await woken;
    assert.equal((await worker.counts()).scheduled, 1);
  });

  it('queues a due job on time even while no worker of the process waits (every slot busy)', async () => {
    const queue = randomQueue('busy');
    const b = backend(queue);
    await b.submit(createJob({ id: 'running', name: 'T' }));
    const [busy] = await b.claim({ max: 1, remaining: new Map() });
    assert.ok(busy);
    await b.submit(createJob({ id: 'due', name: 'T', delayMs: 200 }));
    const deadline = Date.now() + 10_000;
    while ((await b.get('due'))?.status !== JobStatus.Queued) {
      assert.ok(Date.now() < deadline, 'queued within 10 s without a claim');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    assert.equal((await b.counts()).queued, 1);
  });

  it('close() leaves queued and scheduled jobs where they are, for the next process', async () => {
    const queue = randomQueue('close');
    const first = backend(queue);
    await first.submit(createJob({ id: 'queued', name: 'T' }));
    await first.submit(createJob({ id: 'scheduled', name: 'T', delayMs: 3_600_000 }));
    await first.close();
    const next = backend(queue);
    assert.equal((await next.get('queued'))?.status, JobStatus.Queued);
    assert.equal((await next.get('scheduled'))?.status, JobStatus.Scheduled);
    const [claim] = await next.claim({ max: 1, remaining: new Map() });
    assert.equal(claim?.job.id, 'queued');
  });

  it('keeps pauses in Redis: a process started later obeys them, and resume lets it claim', async () => {
    const queue = randomQueue('pause');
    const admin = backend(queue);
    await admin.submit(createJob({ id: 'a', name: 'A' }));
    await admin.submit(createJob({ id: 'b', name: 'B' }));
    await admin.pause('A');
    const late = backend(queue);
    assert.deepEqual(await late.paused(), { queue: false, types: ['A'] });
    const claims = await late.claim({ max: 5, remaining: new Map() });
    assert.deepEqual(
      claims.map((c) => c.job.id),
      ['b'],
    );
    await admin.pause();
    await admin.submit(createJob({ id: 'b2', name: 'B' }));
    assert.deepEqual(await late.claim({ max: 5, remaining: new Map() }), []);
    await admin.resume();
    await admin.resume('A');
    const rest = await late.claim({ max: 5, remaining: new Map() });
    assert.deepEqual(rest.map((c) => c.job.id).sort(), ['a', 'b2']);
  });

  it('trims finished records by count in the finish script, with no TTL on any record or index', async () => {
    const queue = randomQueue('retain');
    const b = backend(queue, { retention: { completed: { maxCount: 3 } } });
    for (let i = 0; i < 8; i++) await b.submit(createJob({ id: `j${i}`, name: 'T' }));
    await complete(b, await b.claim({ max: 8, remaining: new Map() }));
    assert.equal((await b.counts()).completed, 3);
    assert.equal((await b.counts('T')).completed, 3);
    assert.equal(await b.get('j0'), undefined, 'the oldest went first');
    assert.equal((await b.get('j7'))?.status, JobStatus.Completed);
    await withRedis(async (redis) => {
      const keys = await redis.keys(`${b.keyPrefix}*`);
      assert.equal(keys.filter((key) => key.includes(':j:')).length, 3, keys.join(', '));
      for (const key of keys) assert.equal(await redis.pttl(key), -1, `${key} has no TTL`);
      assert.equal(await redis.zcard(`${b.keyPrefix}f:completed:T`), 3);
      assert.equal(await redis.hget(`${b.keyPrefix}counts`, 'done:completed'), '3');
    });
  });

  it('keeps params of any size out of the record hash (which stays a listpack), hands them to every reader, and deletes them with the record', async () => {
    const queue = randomQueue('params');
    const b = backend(queue, { retention: { completed: { maxCount: 1 } } });
    const params = { payload: 'p'.repeat(200) };
    await b.submit(createJob({ id: 'big', name: 'T', params }));
    await b.submit(createJob({ id: 'next', name: 'T', params: { n: 1 } }));
    await withRedis(async (redis) => {
      assert.equal(await redis.object('ENCODING', `${b.keyPrefix}j:big`), 'listpack');
      assert.equal(await redis.hget(`${b.keyPrefix}j:big`, 'params'), null);
      assert.equal(await redis.get(`${b.keyPrefix}p:big`), JSON.stringify(params));
    });
    assert.deepEqual((await b.get('big'))?.params, params);
    const page = await b.list({
      statuses: ['queued'],
      name: undefined,
      limit: 10,
      cursor: undefined,
    });
    assert.deepEqual(
      page.jobs.map((job) => job.params),
      [params, { n: 1 }],
    );
    const claims = await b.claim({ max: 2, remaining: new Map() });
    assert.deepEqual(
      claims.map((claim) => claim.job.params),
      [params, { n: 1 }],
    );
    await complete(b, claims);
    // Retention keeps one completed record: the oldest went, and its params key with it.
    assert.equal(await b.get('big'), undefined);
    assert.deepEqual((await b.get('next'))?.params, { n: 1 });
    await withRedis(async (redis) => {
      assert.equal(await redis.exists(`${b.keyPrefix}p:big`, `${b.keyPrefix}j:big`), 0);
      assert.equal(await redis.exists(`${b.keyPrefix}p:next`), 1);
    });
    assert.equal(await b.remove('next'), true);
    await withRedis(async (redis) => {
      assert.equal(await redis.exists(`${b.keyPrefix}p:next`), 0, 'remove deletes the params');
    });
  });

  it('reads params stored in the record hash (the layout before params had a key of their own)', async () => {
    const queue = randomQueue('params-old');
    const b = backend(queue);
    await b.submit(createJob({ id: 'old', name: 'T' }));
    await withRedis(async (redis) => {
      await redis.hset(`${b.keyPrefix}j:old`, 'params', '{"kept":"in the hash"}');
    });
    assert.deepEqual((await b.get('old'))?.params, { kept: 'in the hash' });
    const [claim] = await b.claim({ max: 1, remaining: new Map() });
    assert.deepEqual(claim?.job.params, { kept: 'in the hash' });
  });

  it('drops records past their age on a later write, without a timer, and frees their dedup key', async () => {
    const queue = randomQueue('age');
    let now = 1_900_000_000_000;
    const b = backend(queue, {
      now: () => now,
      retention: { completed: { maxAgeMs: 60_000 } },
      dedupTtlMs: 3_600_000,
    });
    await b.submit(createJob({ id: 'old', name: 'T', dedupKey: 'k' }, now));
    await complete(b, await b.claim({ max: 1, remaining: new Map() }));
    const duplicate = await b.submit(createJob({ id: 'dup', name: 'T', dedupKey: 'k' }, now));
    assert.equal(duplicate.kind, 'duplicated', 'a kept completed execution absorbs');
    now += 61_000;
    assert.equal(await b.get('old'), undefined, 'past its age: gone for readers at once');
    const fresh = await b.submit(createJob({ id: 'new', name: 'T', dedupKey: 'k' }, now));
    assert.equal(fresh.kind, 'queued', 'its dedup key no longer absorbs');
    await withRedis(async (redis) => {
      assert.equal(await redis.exists(`${b.keyPrefix}j:old`), 0, 'the write swept the record');
      assert.equal(await redis.zcard(`${b.keyPrefix}f:completed:T`), 0);
      assert.equal(await redis.get(`${b.keyPrefix}d:k`), 'new');
    });
  });

  it("resolves a submit only once its events and those before it (an unfenced finish's included) reached this process's listeners, and hides other processes' fences", async () => {
    const queue = randomQueue('fence');
    const [a, b] = [backend(queue), backend(queue)];
    const seenByA: string[] = [];
    const seenByB: unknown[] = [];
    a.subscribe((event) => seenByA.push(`${event.type}:${event.jobId}`));
    b.subscribe((event) => seenByB.push(event));
    await b.open();
    await a.submit(createJob({ id: 'f', name: 'T' }));
    assert.deepEqual(seenByA, ['queued:f'], 'read synchronously after submit');
    const [claim] = await a.claim({ max: 1, remaining: new Map() });
    // The worker's finish does not wait for its events (backend.ts, "When a call's events
    // arrive"); the next fenced call does, for every event written before its own.
    await a.finish(claim!, { status: 'completed', result: 1 });
    await a.submit(createJob({ id: 'g', name: 'T' }));
    assert.deepEqual(seenByA, ['queued:f', 'started:f', 'completed:f', 'queued:g']);
    await b.cancel('f'); // b's own fence: after it, a's events have reached b too
    const types = seenByB.map((event) => (event as { type?: unknown }).type);
    assert.deepEqual(
      types,
      ['queued', 'started', 'completed', 'queued'],
      'no fence of a reached as an event',
    );
  });

  it('fails only the submit whose params JSON cannot hold, not the others of its batch', async () => {
    const b = backend(randomQueue('batch'));
    const outcomes = await Promise.allSettled([
      b.submit(createJob({ id: 'ok-1', name: 'T' })),
      b.submit(createJob({ id: 'bad', name: 'T', params: { n: 1n } })),
      b.submit(createJob({ id: 'ok-2', name: 'T' })),
    ]);
    assert.deepEqual(
      outcomes.map((o) => o.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
    const reason = (outcomes[1] as PromiseRejectedResult).reason as Error;
    assert.match(reason.message, /^params must be JSON-serialisable/);
    assert.equal(await b.get('bad'), undefined);
    assert.equal((await b.counts()).queued, 2);
  });

  it('counts exactly across processes, from the indexes', async () => {
    const queue = randomQueue('counts');
    const [a, b] = [backend(queue), backend(queue)];
    await a.submit(createJob({ id: 'q1', name: 'X' }));
    await b.submit(createJob({ id: 'q2', name: 'Y' }));
    await a.submit(createJob({ id: 's1', name: 'X', delayMs: 3_600_000 }));
    const [claim] = await b.claim({ max: 1, remaining: new Map([['Y', 0]]) });
    assert.equal(claim?.job.id, 'q1');
    assert.deepEqual(await a.counts(), {
      scheduled: 1,
      queued: 1,
      running: 1,
      completed: 0,
      failed: 0,
      cancelled: 0,
    });
    assert.deepEqual(await b.counts('X'), {
      scheduled: 1,
      queued: 0,
      running: 1,
      completed: 0,
      failed: 0,
      cancelled: 0,
    });
    await b.finish(claim, { status: 'completed', result: null });
    assert.equal((await a.counts()).running, 0);
    assert.equal((await a.counts()).completed, 1);
  });

  it('counts a job re-claimed after a lost lease as one running job', async () => {
    const queue = randomQueue('recount');
    const [first, second] = [backend(queue, { leaseMs: 100 }), backend(queue, { leaseMs: 100 })];
    await first.submit(createJob({ id: 'job', name: 'T' }));
    const [lost] = await first.claim({ max: 1, remaining: new Map() });
    assert.ok(lost);
    const deadline = Date.now() + 10_000;
    let again: Claim | undefined;
    while (again === undefined) {
      assert.ok(Date.now() < deadline, 'the lease ran out and the job was claimed again');
      [again] = await second.claim({ max: 1, remaining: new Map() });
      if (again === undefined) await new Promise((resolve) => setTimeout(resolve, 25));
    }
    assert.equal(again.job.attempts, 2);
    assert.equal((await first.counts()).running, 1);
    assert.equal((await first.counts('T')).running, 1);
    assert.equal(await first.finish(lost, { status: 'completed', result: 'stale' }), false);
    assert.equal(await second.finish(again, { status: 'completed', result: 'fresh' }), true);
    assert.deepEqual([(await first.counts()).running, (await first.counts()).completed], [0, 1]);
  });
});
