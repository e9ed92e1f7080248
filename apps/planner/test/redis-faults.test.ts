/**
 * The service on Redis when things go wrong: SSE clients that leave at once, a job record that
 * disappears under an open stream, and a Redis that is down (every endpoint that needs it answers
 * 503 with Retry-After, and no answer repeats the Redis client's own text).
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, afterEach, describe, it } from 'node:test';
import { Dispatcher, RedisBackend } from 'jobdispatch';
import {
  OwnRedis,
  SlowProxy,
  ownRedisTest,
} from '../../../packages/jobdispatch/test/redis/own-redis.js';
import {
  REDIS_URL,
  deleteQueues,
  inspector,
  randomQueue,
  redisSuite,
} from '../../../packages/jobdispatch/test/redis/redis-env.js';
import { createApp } from '../src/app.js';
import type { Service } from '../src/service.js';
import { ADMIN_TOKEN, planningUrl, startTestService } from './http-helpers.js';

const queues = new Set<string>();
const cleanups: (() => Promise<unknown>)[] = [];

function listenerCount(dispatcher: Dispatcher): number {
  // The dispatcher's event hub: one listener per open events() iterator, plus on() listeners.
  return (dispatcher as unknown as { hub: { size: number } }).hub.size;
}

/** A deterministic sequence in [0, 1) (mulberry32). */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function appOn(url: string, sseRecheckMs?: number) {
  const queue = randomQueue('planner-faults');
  queues.add(queue);
  const backend = new RedisBackend({
    url,
    queue,
    connectTimeoutMs: 2000,
    onError: () => undefined,
  });
  const dispatcher = new Dispatcher({ workers: 0, backend, onError: () => undefined });
  await dispatcher.start();
  const app = await createApp({
    dispatcher,
    adminToken: ADMIN_TOKEN,
    ...(sseRecheckMs !== undefined && { sseRecheckMs }),
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as { port: number }).port;
  cleanups.push(async () => {
    await app.close();
    await dispatcher.stop({ timeoutMs: 500 });
  });
  return { dispatcher, backend, app, port };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('the service on a failing Redis', redisSuite(), () => {
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  after(() => deleteQueues(queues));

  it(
    'leaves no event listener behind when SSE clients close 0-50 ms after sending',
    { ...ownRedisTest(), timeout: 60_000 },
    async () => {
      const server = await OwnRedis.start();
      cleanups.push(() => server.stop());
      const proxy = new SlowProxy(server, 10); // every read of the record takes a while
      cleanups.push(() => proxy.close());
      const { dispatcher, app, port } = await appOn(await proxy.listen());
      const job = await dispatcher.submit({ name: 'Analytics' });
      const baseline = listenerCount(dispatcher);
      const random = seeded(11);
      const clients = Array.from({ length: 100 }, () => {
        const socket = connect(port, '127.0.0.1');
        socket.on('error', () => undefined);
        socket.write(`GET /v1/jobs/${job.id}/events HTTP/1.1\r\nHost: x\r\n\r\n`);
        const closeAfter = Math.floor(random() * 51);
        return new Promise<void>((resolve) => {
          setTimeout(() => socket.destroy(), closeAfter);
          socket.on('close', () => resolve());
        });
      });
      await Promise.all(clients);
      // The server handles a request after its client left, often well after: wait until every
      // socket is closed on the server's side too and the count has stayed at the baseline for
      // a second (a leaked stream's listener stays; a closed one's goes away within milliseconds).
      const connections = (): Promise<number> =>
        new Promise((resolve) => app.server.getConnections((_error, count) => resolve(count)));
      const until = Date.now() + 20_000;
      let steadySince = Date.now();
      while (Date.now() < until) {
        if ((await connections()) > 0 || listenerCount(dispatcher) !== baseline)
          steadySince = Date.now();
        else if (Date.now() - steadySince >= 1000) break;
        await sleep(50);
      }
      assert.equal(
        listenerCount(dispatcher),
        baseline,
        'every stream of a client that left was closed',
      );
    },
  );

  it(
    'ends an SSE stream with a JOB_NOT_FOUND error event when its record disappears',
    { timeout: 60_000 },
    async () => {
      const { dispatcher, backend, port } = await appOn(REDIS_URL, 100);
      const job = await dispatcher.submit({ name: 'Analytics' });
      const response = await fetch(`http://127.0.0.1:${port}/v1/jobs/${job.id}/events`);
      assert.equal(response.status, 200);
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
      let text = '';
      const readUntil = async (pattern: RegExp): Promise<void> => {
        while (!pattern.test(text)) {
          const { value, done } = await reader.read();
          if (done) return;
          text += value;
        }
      };
      await readUntil(/event: status/);
      const redis = inspector();
      assert.equal(await redis.del(`${backend.keyPrefix}j:${job.id}`), 1);
      redis.disconnect();
      let timer: NodeJS.Timeout | undefined;
      const ended = (async () => {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          text += value;
        }
      })();
      await Promise.race([
        ended,
        new Promise((_resolve, reject) => {
          timer = setTimeout(() => reject(new Error(`the stream did not end: ${text}`)), 20_000);
        }),
      ]);
      clearTimeout(timer);
      assert.match(text, /event: error\ndata: \{"code":"JOB_NOT_FOUND"/);
    },
  );

  it('reports the queue entries Redis moved aside in /v1/queue/counts', async () => {
    const { backend, port } = await appOn(REDIS_URL);
    const redis = inspector();
    await redis.lpush(`${backend.keyPrefix}q:1:T`, 'no-separator');
    await redis.sadd(`${backend.keyPrefix}t:1`, 'T');
    redis.disconnect();
    assert.deepEqual(await backend.claim({ max: 1, remaining: new Map() }), []);
    const response = await fetch(`http://127.0.0.1:${port}/v1/queue/counts`);
    assert.equal(response.status, 200);
    assert.equal(((await response.json()) as { corrupt?: number }).corrupt, 1);
  });

  it(
    'answers 503 with Retry-After on every endpoint that needs Redis while it is down, without its raw text',
    { ...ownRedisTest(), timeout: 120_000 },
    async () => {
      const server = await OwnRedis.start();
      cleanups.push(() => server.stop());
      const queue = randomQueue('planner-down');
      let service: Service | undefined = await startTestService({
        redisUrl: server.url,
        queue,
        http: true,
        port: 0,
        host: '127.0.0.1',
        workers: 0,
      });
      cleanups.push(async () => {
        await service?.close();
        service = undefined;
      });
      const job = await service.dispatcher.submit({ name: 'Analytics' });
      await server.stop();
      const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
      const json = { ...auth, 'content-type': 'application/json' };
      const requests: [string, RequestInit?][] = [
        [`/v1/jobs/${job.id}`],
        [`/v1/jobs/${job.id}/events`],
        [`/v1/jobs/${job.id}/cancel`, { method: 'POST', headers: auth }],
        ['/v1/queue/stats'],
        ['/readyz'],
        [planningUrl({ location: 'San Jose, CA, USA', price: 2 })],
        ['/v1/analytics', { method: 'POST', headers: auth }],
        ['/v1/analytics/latest'],
        ['/v1/queue/counts'],
        ['/v1/jobs?status=queued'],
        ['/v1/dashboard/overview'],
        [`/v1/dashboard/jobs/${job.id}`],
        [`/v1/jobs/${job.id}/retry`, { method: 'POST', headers: auth }],
        [`/v1/jobs/${job.id}`, { method: 'DELETE', headers: auth }],
        ['/v1/queue/pause', { method: 'POST', headers: auth }],
        [
          `/v1/jobs/${job.id}/priority`,
          { method: 'POST', headers: json, body: JSON.stringify({ priority: 2 }) },
        ],
        ['/v1/jobs/retry-failed', { method: 'POST', headers: json, body: '{"name":"Analytics"}' }],
      ];
      // All at once: each waits for the client's own retries to run out.
      await Promise.all(
        requests.map(async ([path, init]) => {
          const response = await fetch(`${service!.url!}${path}`, {
            ...init,
            signal: AbortSignal.timeout(20_000),
          });
          const body = await response.text();
          assert.equal(response.status, 503, `${path}: ${body}`);
          assert.ok(response.headers.get('retry-after') !== null, `${path}: Retry-After`);
          assert.doesNotMatch(
            body,
            /ECONNREFUSED|MaxRetriesPerRequest|Connection is closed|max retries/i,
            path,
          );
        }),
      );
      // The dashboard's overview stream stays open and says the backend is unavailable, in the
      // service's words.
      const stream = await fetch(`${service.url!}/v1/dashboard/overview/stream`, {
        signal: AbortSignal.timeout(20_000),
      });
      assert.equal(stream.status, 200);
      const reader = stream.body!.pipeThrough(new TextDecoderStream()).getReader();
      let text = '';
      while (!/event: unavailable\ndata: .*\n\n/.test(text)) {
        const { value, done } = await reader.read();
        assert.ok(!done, `the stream ended: ${text}`);
        text += value;
      }
      await reader.cancel();
      assert.match(text, /"code":"BACKEND_UNAVAILABLE"/);
      assert.doesNotMatch(
        text,
        /ECONNREFUSED|MaxRetriesPerRequest|Connection is closed|127\.0\.0\.1/i,
      );
    },
  );
});
