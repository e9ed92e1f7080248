/**
 * Several processes on one Redis form one service: an API process that only submits
 * (WORKERS=0) and a worker process that only runs jobs (`npm run worker`).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { DATE } from './http-helpers.js';

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const src = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');

async function redisAnswers(): Promise<boolean> {
  const probe = new Redis(REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: 1000,
  });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

const available = await redisAnswers();
// Under CI a missing Redis is a failure, not a skip.
const skip = available || process.env['CI'] === 'true' ? false : `no Redis answers at ${REDIS_URL}`;

function start(
  script: string,
  env: Record<string, string>,
): { child: ChildProcess; ready: Promise<string> } {
  const child = spawn(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', join(src, script)],
    {
      env: { ...process.env, REDIS_URL, LOG_LEVEL: 'warn', HOST: '127.0.0.1', PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const ready = new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const url = /listening on (http:\/\/\S+)/.exec(output)?.[1];
      if (url !== undefined) resolve(url);
      else if (/^worker: /m.test(output)) resolve('');
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`${script} exited with ${code}:\n${output}`)));
  });
  return { child, ready };
}

/** SIGTERM, then SIGKILL if the process has not exited within 15 s. */
async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

describe('one service from several processes on Redis', { skip }, () => {
  const queue = `planner-test-${randomUUID().slice(0, 8)}`;
  const children: ChildProcess[] = [];

  after(async () => {
    await Promise.all(children.map((child) => stopProcess(child)));
    const redis = new Redis(REDIS_URL);
    for (const pattern of [`jd:{${queue}}:*`, `planner:{${queue}}:*`]) {
      const keys = await redis.keys(pattern);
      if (keys.length > 0) await redis.del(...keys);
    }
    redis.disconnect();
  });

  it('answers /v1/planning from an API process with WORKERS=0 while a worker process computes', async () => {
    const api = start('main.ts', { QUEUE: queue, WORKERS: '0' });
    const worker = start('worker.ts', { QUEUE: queue, WORKERS: '2', PLANNING_THREADS: '0' });
    children.push(api.child, worker.child);
    const [url] = await Promise.all([api.ready, worker.ready]);
    const query = (price: number): string =>
      `${url}/v1/planning?${new URLSearchParams({ location: 'Rome, Italy', date: DATE, price: String(price), numberResults: '2' }).toString()}`;
    const first = await fetch(query(2));
    assert.equal(first.status, 200, await first.clone().text());
    const body = (await first.json()) as {
      fromCache: boolean;
      travelPlans: unknown[];
      backgroundJobs: { jobId: string }[];
    };
    assert.equal(body.fromCache, false);
    assert.equal(body.travelPlans.length, 2);
    // The background levels run in the worker process; follow one to its end from the API process.
    const events = await fetch(`${url}/v1/jobs/${body.backgroundJobs[3]!.jobId}/events`);
    const stream = await events.text();
    // The stream ends with the job's end: a `completed` event, or the first status when it had already ended.
    assert.match(stream, /event: completed|^data: .*"status":"completed"/m);
    const second = await fetch(query(4));
    assert.equal(second.status, 200);
    assert.equal(
      ((await second.json()) as { fromCache: boolean }).fromCache,
      true,
      'the cache is shared through Redis',
    );
  });
});
