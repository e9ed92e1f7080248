/**
 * Many processes on one queue: this test process is a producer only (workers: 0) and follows jobs
 * that worker processes (fixtures/worker.ts) run. What it sees comes through Redis alone.
 */
import assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';
import {
  Dispatcher,
  type JobEvent,
  JobStatus,
  RedisBackend,
  isDispatchError,
} from '../../src/index.js';
import { eventOf, nextEvent } from '../helpers.js';
import { WorkerProcess } from './processes.js';
import { REDIS_URL, deleteQueues, randomQueue, redisSuite } from './redis-env.js';

const queues = new Set<string>();
const producers: Dispatcher[] = [];
const workers: WorkerProcess[] = [];

function producer(queue: string): Dispatcher {
  queues.add(queue);
  const d = new Dispatcher({ workers: 0, backend: new RedisBackend({ url: REDIS_URL, queue }) });
  producers.push(d);
  return d;
}

async function worker(queue: string, options: { workers?: number; leaseMs?: number } = {}) {
  const child = new WorkerProcess({ queue, workers: options.workers ?? 2, ...options });
  workers.push(child);
  await child.ready();
  return child;
}

interface WorkResult {
  readonly pid: number;
  readonly attempt: number;
}

describe('RedisBackend across processes', redisSuite(), () => {
  afterEach(async () => {
    for (const child of workers.splice(0)) {
      child.kill('SIGKILL');
      await child.exited;
    }
    await Promise.all(producers.splice(0).map((d) => d.stop({ timeoutMs: 1000 })));
  });
  after(() => deleteQueues(queues));

  it('a producer-only process submits and a worker process runs the job', async () => {
    const queue = randomQueue('procs');
    const d = producer(queue);
    const child = await worker(queue);
    const job = await d.submit({ name: 'Work', params: { sleepMs: 5 } });
    const result = await d.wait<WorkResult>(job.id);
    assert.equal(result.pid, child.pid);
    assert.notEqual(result.pid, process.pid);
    assert.equal((await d.get(job.id))?.status, JobStatus.Completed);
  });

  it('events() and wait() in a process that did not run the job see its progress and outcome', async () => {
    const queue = randomQueue('procs');
    const d = producer(queue);
    await worker(queue);
    const controller = new AbortController();
    const seen: JobEvent[] = [];
    await d.start();
    const reading = (async () => {
      for await (const event of d.events({ signal: controller.signal })) {
        if (event.type === 'gap') continue;
        seen.push(event);
        if (event.type === 'completed') controller.abort();
      }
    })();
    const job = await d.submit({ name: 'Work', params: { progress: [25, 75] } });
    assert.equal((await d.wait<WorkResult>(job.id)).attempt, 1);
    await reading;
    assert.deepEqual(
      seen.map((event) =>
        event.type === 'progress' ? `progress ${event.progress?.percent}` : event.type,
      ),
      ['queued', 'started', 'progress 25', 'progress 75', 'completed'],
    );
    assert.equal(seen[3]?.progress?.message, 'at 75');
    assert.deepEqual((await d.get(job.id))?.progress, { percent: 75, message: 'at 75' });
  });

  it('a cancel from a process that does not run the job aborts its running handler', async () => {
    const queue = randomQueue('procs');
    const d = producer(queue);
    const child = await worker(queue);
    const job = await d.submit({ name: 'Work', params: { untilAborted: true } });
    await child.waitFor((line) => line.type === 'started' && line.id === job.id);
    assert.equal((await d.cancel(job.id)).outcome, 'cancel-requested');
    const aborted = await child.waitFor((line) => line.type === 'aborted' && line.id === job.id);
    assert.equal(aborted.code, 'JOB_CANCELLED');
    await assert.rejects(d.wait(job.id), (e) => isDispatchError(e, 'JOB_CANCELLED'));
    const record = await d.get(job.id);
    assert.equal(record?.status, JobStatus.Cancelled);
    assert.equal(record?.cancelRequested, true);
  });

  it('the job of a worker killed with SIGKILL runs again elsewhere within 10 s, its attempt counted', async () => {
    const queue = randomQueue('procs');
    const d = producer(queue);
    await d.start();
    const doomed = await worker(queue, { leaseMs: 5000, workers: 1 });
    const job = await d.submit({ name: 'Work', params: { hangOnAttempt: 1 } });
    await doomed.waitFor((line) => line.type === 'started' && line.id === job.id);
    const survivor = await worker(queue, { leaseMs: 5000, workers: 1 });
    const restarted = nextEvent(
      d,
      (event) => eventOf('started', job.id)(event) && event.attempt === 2,
      10_000,
    );
    doomed.kill('SIGKILL');
    await doomed.exited;
    const event = await restarted; // rejects after 10 s
    assert.equal(event.attempt, 2);
    const result = await d.wait<WorkResult>(job.id);
    assert.equal(result.pid, survivor.pid);
    assert.equal(result.attempt, 2);
    assert.equal((await d.get(job.id))?.attempts, 2);
  });

  it('a worker stopped with a deadline gives its running job back, and another process runs it', async () => {
    const queue = randomQueue('procs');
    const d = producer(queue);
    await d.start();
    const stopping = new WorkerProcess({ queue, workers: 1, stopTimeoutMs: 100, hangs: true });
    workers.push(stopping);
    await stopping.ready();
    const job = await d.submit({ name: 'Work' });
    await stopping.waitFor((line) => line.type === 'started' && line.id === job.id);
    const requeued = nextEvent(d, eventOf('queued', job.id));
    stopping.kill('SIGTERM');
    await stopping.waitFor((line) => line.type === 'stopped');
    await requeued;
    assert.equal((await d.get(job.id))?.status, JobStatus.Queued);
    const other = await worker(queue, { workers: 1 });
    const result = await d.wait<WorkResult>(job.id);
    assert.equal(result.pid, other.pid);
    assert.equal(result.attempt, 1, 'a released attempt is not counted');
  });
});
