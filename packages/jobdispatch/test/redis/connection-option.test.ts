/**
 * The `connection` option: a URL, ioredis options, or a client the caller configured. A caller's
 * client is duplicated for every connection the backend needs and is left open and usable by
 * `close()` and `dispatcher.stop()`.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { Dispatcher, RedisBackend, isDispatchError } from '../../src/index.js';
import { REDIS_URL, deleteQueues, randomQueue, redisSuite } from './redis-env.js';

const queues = new Set<string>();

function queue(): string {
  const name = randomQueue('connection');
  queues.add(name);
  return name;
}

async function runOne(backend: RedisBackend): Promise<unknown> {
  const d = new Dispatcher({ workers: 1, backend });
  d.register({ jobType: 'Echo', execute: (job) => Promise.resolve(job.params) });
  await d.start();
  try {
    const job = await d.submit({ name: 'Echo', params: { n: 7 } });
    return await d.wait(job.id);
  } finally {
    await d.stop({ timeoutMs: 2000 });
  }
}

describe('RedisBackend connection option', redisSuite(), () => {
  after(() => deleteQueues(queues));

  it("runs jobs on a caller's Redis instance and leaves it open after dispatcher.stop()", async () => {
    const own = new Redis(REDIS_URL, { connectionName: 'caller-own' });
    try {
      await own.ping();
      const done = await runOne(new RedisBackend({ connection: own, queue: queue() }));
      assert.deepEqual(done, { n: 7 });
      assert.equal(own.status, 'ready');
      assert.equal(await own.ping(), 'PONG');
      // Only the caller's connection of this name is left: the backend's were closed.
      const list = await own.client('LIST');
      assert.equal(
        String(list)
          .split('\n')
          .filter((l) => l.includes('name=caller-own')).length,
        1,
      );
    } finally {
      own.disconnect();
    }
  });

  it("leaves a caller's instance open after backend.close(), and its connections carry the caller's settings", async () => {
    // The caller's database number (as its TLS, auth or retry settings) goes into every duplicate.
    const own = new Redis(REDIS_URL, { db: 3 });
    const name = queue();
    const backend = new RedisBackend({ connection: own, queue: name });
    try {
      assert.deepEqual(await runOne(backend), { n: 7 });
      await backend.close();
      assert.equal(own.status, 'ready');
      const [, inDb3] = await own.scan('0', 'MATCH', `jd:{${name}}:*`, 'COUNT', 10_000);
      assert.ok(inDb3.length > 0, "the queue is in the caller's database 3");
      const db0 = own.duplicate({ db: 0 });
      try {
        const [, inDb0] = await db0.scan('0', 'MATCH', `jd:{${name}}:*`, 'COUNT', 10_000);
        assert.deepEqual(inDb0, []);
      } finally {
        db0.disconnect();
      }
      if (inDb3.length > 0) await own.del(...inDb3);
    } finally {
      own.disconnect();
    }
  });

  it("leaves a caller's lazy instance unconnected", async () => {
    const own = new Redis(REDIS_URL, { lazyConnect: true, db: 0 });
    try {
      const done = await runOne(new RedisBackend({ connection: own, queue: queue() }));
      assert.deepEqual(done, { n: 7 });
      assert.equal(own.status, 'wait');
    } finally {
      own.disconnect();
    }
  });

  it('runs jobs with a URL as connection, and with the url shorthand', async () => {
    assert.deepEqual(await runOne(new RedisBackend({ connection: REDIS_URL, queue: queue() })), {
      n: 7,
    });
    assert.deepEqual(await runOne(new RedisBackend({ url: REDIS_URL, queue: queue() })), { n: 7 });
  });

  it('runs jobs with ioredis RedisOptions', async () => {
    const { hostname, port } = new URL(REDIS_URL);
    const done = await runOne(
      new RedisBackend({
        connection: { host: hostname, port: Number(port || 6379) },
        queue: queue(),
      }),
    );
    assert.deepEqual(done, { n: 7 });
  });

  it('refuses url and connection together, a bad connection and a keyPrefix, naming the field', () => {
    const cases: [unknown, string][] = [
      [{ url: REDIS_URL, connection: REDIS_URL }, 'url'],
      [{ connection: 'http://x' }, 'connection'],
      [{ connection: 42 }, 'connection'],
      [{ connection: { keyPrefix: 'app:' } }, 'connection.keyPrefix'],
    ];
    for (const [options, field] of cases) {
      assert.throws(
        () => new RedisBackend(options as never),
        (error: unknown) =>
          isDispatchError(error, 'INVALID_ARGUMENT') && error.message.includes(field),
        JSON.stringify(options),
      );
    }
  });
});
