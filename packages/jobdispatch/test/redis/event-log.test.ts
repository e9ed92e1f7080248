/**
 * The Redis event log under a dropped connection: the reader's connection (CLIENT SETNAME
 * `jd:{queue}::events`) is killed with CLIENT KILL ID while jobs run; its listeners resume from
 * the last id they got and receive every event once, in order, as the stream holds them.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Dispatcher, type JobEvent, RedisBackend, compareEventIds } from '../../src/index.js';
import { RecordingHandler, deferred } from '../helpers.js';
import { REDIS_URL, deleteQueues, inspector, randomQueue, redisSuite } from './redis-env.js';

const queues = new Set<string>();
const JOBS = 200;

/** The CLIENT ID of the connection named `name`, polled until it shows up (bounded). */
async function clientId(name: string): Promise<string> {
  const redis = inspector();
  try {
    for (let tries = 0; tries < 100; tries++) {
      const list = String(await redis.client('LIST'));
      const line = list.split('\n').find((l) => l.includes(` name=${name} `));
      const id = line === undefined ? undefined : /(?:^|\s)id=(\d+)/.exec(line)?.[1];
      if (id !== undefined) return id;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    redis.disconnect();
  }
  assert.fail(`no connection named ${name}`);
}

describe('Redis event log', redisSuite(), () => {
  after(() => deleteQueues(queues));

  it('a listener whose reader connection is killed mid-run gets every event once, in order', async () => {
    const queue = randomQueue('evkill');
    queues.add(queue);
    const errors: unknown[] = [];
    const backend = new RedisBackend({ url: REDIS_URL, queue, onError: (e) => errors.push(e) });
    const d = new Dispatcher({ backend, workers: 4 });
    const seen: JobEvent[] = [];
    const completed = deferred();
    const killAt = deferred();
    let done = 0;
    d.on('*', (event) => {
      seen.push(event);
      if (event.type !== 'completed') return;
      done++;
      if (done === JOBS / 4) killAt.resolve();
      if (done === JOBS) completed.resolve();
    });
    d.register(
      new RecordingHandler('T', () => new Promise((resolve) => setTimeout(resolve, 2, 'ok'))),
    );
    await d.start();
    const name = `jd:{${queue}}::events`;
    const before = await clientId(name);
    const submits = Array.from({ length: JOBS }, (_, i) => d.submit({ id: `j${i}`, name: 'T' }));
    await killAt.promise;
    const killer = inspector();
    try {
      assert.equal(await killer.call('CLIENT', 'KILL', 'ID', before), 1, 'one connection killed');
    } finally {
      killer.disconnect();
    }
    await Promise.all(submits);
    const timer = setTimeout(() => completed.reject(new Error(`only ${done} completed`)), 30_000);
    await completed.promise;
    clearTimeout(timer);
    const afterKill = await clientId(name);
    assert.notEqual(afterKill, before, 'the reader reconnected on a new connection');
    await d.stop({ timeoutMs: 5000 });

    const redis = inspector();
    let log: [string, string[]][];
    try {
      log = await redis.xrange(`jd:{${queue}}:events`, '-', '+');
    } finally {
      redis.disconnect();
    }
    const ids = seen.map((e) => e.id);
    for (let i = 1; i < ids.length; i++) {
      assert.ok(
        compareEventIds(ids[i - 1]!, ids[i]!) < 0,
        `in order, once: ${ids[i - 1]} < ${ids[i]}`,
      );
    }
    assert.deepEqual(
      ids,
      log.map(([id]) => id),
      'every entry of the log, each once',
    );
    const count = (type: string) => seen.filter((e) => e.type === type).length;
    assert.deepEqual(
      { queued: count('queued'), started: count('started'), completed: count('completed') },
      { queued: JOBS, started: JOBS, completed: JOBS },
    );
    assert.equal(new Set(seen.map((e) => `${e.type}:${e.jobId}`)).size, seen.length);
  });
});
