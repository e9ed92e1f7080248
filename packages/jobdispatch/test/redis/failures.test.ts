/**
 * The Redis backend when things go wrong: an unreachable server, a server that goes away under a
 * running worker, a malformed record, a flushed script cache; and the in-process dispatcher, which
 * must never touch the network at all.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { after, afterEach, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Dispatcher, JobStatus, RedisBackend, isDispatchError } from '../../src/index.js';
import { RecordingHandler, aborted, eventOf, nextEvent } from '../helpers.js';
import { RedisProxy } from './processes.js';
import { REDIS_URL, deleteQueues, inspector, randomQueue, redisSuite } from './redis-env.js';

const here = dirname(fileURLToPath(import.meta.url));
const queues = new Set<string>();
const dispatchers: Dispatcher[] = [];

function dispatcher(queue: string, workers: number, url = REDIS_URL, leaseMs?: number) {
  queues.add(queue);
  const errors: unknown[] = [];
  const backend = new RedisBackend({
    url,
    queue,
    onError: (error) => errors.push(error),
    ...(leaseMs !== undefined && { leaseMs }),
  });
  const d = new Dispatcher({ workers, backend, onError: (error) => errors.push(error) });
  dispatchers.push(d);
  return { d, backend, errors };
}

/** A local port where nothing listens. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Rejects when `promise` has not settled within `ms` (a bound, not a timing assertion). */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, limit]);
  } finally {
    clearTimeout(timer);
  }
}

describe('RedisBackend failures', redisSuite(), () => {
  afterEach(() => Promise.all(dispatchers.splice(0).map((d) => d.stop({ timeoutMs: 500 }))));
  after(() => deleteQueues(queues));

  it('fails start() with a clear BACKEND_UNAVAILABLE when no Redis answers, without hanging', async () => {
    const url = `redis://127.0.0.1:${await closedPort()}`;
    const { d } = dispatcher(randomQueue('down'), 1, url);
    await assert.rejects(
      d.start(),
      (e) =>
        isDispatchError(e, 'BACKEND_UNAVAILABLE') &&
        e.message.includes(`Redis at ${url}`) &&
        /ECONNREFUSED/.test(e.message),
    );
    await assert.rejects(d.submit({ name: 'T' }), (e) => isDispatchError(e, 'BACKEND_UNAVAILABLE'));
  });

  it('stop() resolves when Redis became unreachable, and the running job runs again elsewhere after its lease', async () => {
    const queue = randomQueue('cut');
    const proxy = new RedisProxy();
    const { d: cutOff } = dispatcher(queue, 1, await proxy.listen(), 300);
    const signals: AbortSignal[] = [];
    cutOff.register(
      new RecordingHandler('T', (_job, ctx) => {
        signals.push(ctx.signal);
        return new Promise(() => undefined);
      }),
    );
    await cutOff.start();
    const started = nextEvent(cutOff, eventOf('started', 'job'));
    await cutOff.submit({ id: 'job', name: 'T' });
    await started;
    await proxy.cut();
    await within(cutOff.stop({ timeoutMs: 200 }), 5000, 'stop() with Redis unreachable');
    await aborted(signals[0]!);

    const { d: healthy } = dispatcher(queue, 1);
    healthy.register(new RecordingHandler('T', (_job, ctx) => Promise.resolve(ctx.attempt)));
    await healthy.start();
    assert.equal(await healthy.wait('job'), 2, 'it ran again, the lost attempt counted');
  });

  it('reports a malformed record: get() rejects naming the field, and a worker fails that job and goes on', async () => {
    const queue = randomQueue('malformed');
    const { d, backend, errors } = dispatcher(queue, 1);
    const handler = new RecordingHandler('T');
    d.register(handler);
    await d.submit({ id: 'bad', name: 'T', params: { ok: true } });
    await d.submit({ id: 'good', name: 'T' });
    const redis = inspector();
    try {
      await redis.hset(`${backend.keyPrefix}j:bad`, 'params', '{not json');
    } finally {
      redis.disconnect();
    }
    await assert.rejects(
      d.get('bad'),
      (e) => isDispatchError(e, 'MALFORMED_RECORD') && /params must be JSON/.test(e.message),
    );
    await d.start();
    await assert.rejects(d.wait('bad'), (e) => isDispatchError(e, 'MALFORMED_RECORD'));
    await d.wait('good');
    assert.deepEqual(handler.ran, ['good']);
    const record = await d.get('bad');
    assert.equal(record?.status, JobStatus.Failed);
    assert.equal(record?.params, undefined);
    assert.ok(errors.some((e) => isDispatchError(e, 'MALFORMED_RECORD')));
  });

  it('reloads its scripts when Redis has forgotten them (NOSCRIPT)', async () => {
    const { d } = dispatcher(randomQueue('noscript'), 1);
    d.register(new RecordingHandler('T', () => Promise.resolve('after flush')));
    await d.start();
    const redis = inspector();
    try {
      await redis.script('FLUSH');
    } finally {
      redis.disconnect();
    }
    const job = await d.submit({ name: 'T' });
    assert.equal(await d.wait(job.id), 'after flush');
  });

  it('rejects a queue name that would break the hash tag', () => {
    assert.throws(
      () => new RedisBackend({ queue: 'a}b' }),
      /queue must be a non-empty string without "\{" or "\}", got "a\}b"/,
    );
  });

  it('never connects anywhere when only the in-process dispatcher is used', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', join(here, 'fixtures', 'memory-only.ts')],
      { timeout: 30_000 },
    );
    assert.deepEqual(JSON.parse(stdout), { result: 'ran in process', connections: 0 });
  });
});
