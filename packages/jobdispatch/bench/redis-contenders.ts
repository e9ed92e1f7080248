/**
 * The contenders of the Redis benchmark behind one small interface: this library's Dispatcher on a
 * RedisBackend, BullMQ (with priorities) and Bee-Queue (no priorities). Each gets the same no-op
 * job body, the same job data (`{ priority, payload }`, the payload a string of PAYLOAD_BYTES),
 * its own key prefix, and its defaults otherwise (all three keep finished jobs and publish job
 * events).
 */
import BeeQueue from 'bee-queue';
import { Queue, Worker } from 'bullmq';
import { Dispatcher, JobPriority, RedisBackend } from '../src/index.js';

export const CONTENDER_NAMES = ['jobdispatch', 'BullMQ', 'Bee-Queue'] as const;

/** The size of the payload string every job carries. */
export const PAYLOAD_BYTES = 200;
const PAYLOAD = 'p'.repeat(PAYLOAD_BYTES);
/** What every contender stores with a job. */
const data = (priority: number) => ({ priority, payload: PAYLOAD });
export type ContenderName = (typeof CONTENDER_NAMES)[number];

export interface Contender {
  /** SCAN pattern of every key it creates. */
  readonly keys: string;
  /** Adds jobs in one batch: each number is a priority, LOW 0, NORMAL 1, HIGH 2. */
  submitBatch(priorities: readonly number[]): Promise<void>;
  /** Adds one job. */
  submitOne(priority: number): Promise<void>;
  /** Starts one worker at `concurrency`; `onStart` runs as each job body begins, `onDone` as each completes. */
  startWorker(
    concurrency: number,
    onStart: (priority: number) => void,
    onDone: () => void,
  ): Promise<void>;
  /** Closes the producer side (before processing, so it does not compete for the process). */
  closeProducer(): Promise<void>;
  close(): Promise<void>;
}

export interface RedisAddress {
  readonly url: string;
  readonly host: string;
  readonly port: number;
}

export interface ContenderOptions {
  /**
   * BullMQ only: `removeOnComplete: { count }` on every job (its way of bounding what finished jobs
   * keep). Ours always runs with its default retention.
   */
  readonly keepCompleted?: number;
}

export async function makeContender(
  name: ContenderName,
  redis: RedisAddress,
  prefix: string,
  capacity: number,
  options: ContenderOptions = {},
): Promise<Contender> {
  if (name === 'jobdispatch') return ours(redis, prefix, capacity);
  if (name === 'BullMQ') return bullmq(redis, prefix, options.keepCompleted);
  return beeQueue(redis, prefix);
}

async function ours(redis: RedisAddress, queue: string, capacity: number): Promise<Contender> {
  const backend = (): RedisBackend =>
    new RedisBackend({ url: redis.url, queue, capacityPerLevel: capacity });
  const producer = new Dispatcher({ workers: 0, backend: backend() });
  await producer.start();
  let worker: Dispatcher | undefined;
  return {
    keys: `jd:{${queue}}:*`,
    async submitBatch(priorities) {
      await Promise.all(
        priorities.map((priority) =>
          producer.submit({ name: 'noop', priority, params: data(priority) }),
        ),
      );
    },
    async submitOne(priority) {
      await producer.submit({ name: 'noop', priority, params: data(priority) });
    },
    async startWorker(concurrency, onStart, onDone) {
      worker = new Dispatcher({ workers: concurrency, backend: backend() });
      worker.register({
        jobType: 'noop',
        execute: (job) => {
          onStart(job.priority);
          return Promise.resolve();
        },
      });
      worker.on('completed', onDone);
      await worker.start();
    },
    closeProducer: () => producer.stop(),
    async close() {
      await Promise.all([producer.stop(), worker?.stop({ timeoutMs: 1000 })]);
    },
  };
}

/** BullMQ: priority 1 is the highest. */
const BULL_PRIORITY = { [JobPriority.High]: 1, [JobPriority.Normal]: 2, [JobPriority.Low]: 3 };

async function bullmq(
  redis: RedisAddress,
  prefix: string,
  keepCompleted: number | undefined,
): Promise<Contender> {
  const connection = { host: redis.host, port: redis.port, maxRetriesPerRequest: null };
  const queue = new Queue('bench', { connection, prefix });
  await queue.waitUntilReady();
  let worker: Worker | undefined;
  const job = (priority: number) => ({
    name: 'noop',
    data: data(priority),
    opts: {
      priority: BULL_PRIORITY[priority as JobPriority],
      ...(keepCompleted !== undefined && { removeOnComplete: { count: keepCompleted } }),
    },
  });
  return {
    keys: `${prefix}:*`,
    async submitBatch(priorities) {
      await queue.addBulk(priorities.map(job));
    },
    async submitOne(priority) {
      const { name, data, opts } = job(priority);
      await queue.add(name, data, opts);
    },
    async startWorker(concurrency, onStart, onDone) {
      worker = new Worker(
        'bench',
        (bullJob) => {
          onStart((bullJob.data as { priority: number }).priority);
          return Promise.resolve();
        },
        { connection, prefix, concurrency },
      );
      worker.on('completed', onDone);
      await worker.waitUntilReady();
    },
    closeProducer: () => queue.close(),
    async close() {
      await Promise.all([queue.close(), worker?.close()]);
    },
  };
}

async function beeQueue(redis: RedisAddress, prefix: string): Promise<Contender> {
  const settings = { prefix, redis: { host: redis.host, port: redis.port } };
  const producer = new BeeQueue('bench', { ...settings, isWorker: false });
  await producer.ready();
  let worker: BeeQueue | undefined;
  return {
    keys: `${prefix}:*`,
    async submitBatch(priorities) {
      await producer.saveAll(priorities.map((priority) => producer.createJob(data(priority))));
    },
    async submitOne(priority) {
      await producer.createJob(data(priority)).save();
    },
    async startWorker(concurrency, onStart, onDone) {
      worker = new BeeQueue('bench', { ...settings, isWorker: true });
      await worker.ready();
      worker.on('succeeded', onDone);
      worker.process(concurrency, (job: BeeQueue.Job<{ priority: number }>) => {
        onStart(job.data.priority);
        return Promise.resolve();
      });
    },
    closeProducer: () => producer.close(),
    async close() {
      await Promise.all([producer.close(), worker?.close(1000)]);
    },
  };
}
