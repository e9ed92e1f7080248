/**
 * A model test of the job store, on both backends: random submits (now or later), claims,
 * finishes, retries after a failed attempt (with and without delay), cancels, admin retries,
 * removes and clock moves, checked after every step against a plain model of the records: which
 * exist, their status and priority, the queue order, the due order, the finished order, and the
 * exact counts, with retention by count and by age. Each backend runs on the test's manual clock.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import {
  type Backend,
  type Claim,
  type JobStatus,
  type ListableStatus,
  MemoryBackend,
  RedisBackend,
  type RetentionOptions,
  createJob,
} from '../src/index.js';
import { ManualClock } from './contract/backend/harness.js';
import { REDIS_URL, deleteQueues, randomQueue, redisSuite } from './redis/redis-env.js';

type Op =
  | { kind: 'submit'; name: 'A' | 'B'; priority: 0 | 1 | 2; delay: number }
  | { kind: 'claim'; max: number }
  | { kind: 'finish'; pick: number; failed: boolean }
  | { kind: 'retryAttempt'; pick: number; delay: number }
  | { kind: 'cancel'; pick: number }
  | { kind: 'requeue'; pick: number }
  | { kind: 'remove'; pick: number }
  | { kind: 'advance'; ms: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('submit' as const),
      name: fc.constantFrom('A' as const, 'B' as const),
      priority: fc.constantFrom(0 as const, 1 as const, 2 as const),
      delay: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 4000 })),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('claim' as const),
      max: fc.integer({ min: 1, max: 3 }),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('finish' as const),
      pick: fc.nat(),
      failed: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('retryAttempt' as const),
      pick: fc.nat(),
      delay: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 3000 })),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('requeue' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('remove' as const), pick: fc.nat() }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('advance' as const),
      // Round figures too, so that records reach their age limits exactly.
      ms: fc.oneof(fc.integer({ min: 0, max: 3000 }), fc.constantFrom(1000, 3000, 5000, 8000)),
    }),
  },
);

const RETENTION = {
  completed: { maxCount: 3, maxAgeMs: 5000 },
  failed: { maxCount: 2, maxAgeMs: 8000 },
  cancelled: { maxCount: 2, maxAgeMs: 3000 },
} as const;

type Finished = 'completed' | 'failed' | 'cancelled';

interface ModelJob {
  id: string;
  name: string;
  status: JobStatus;
  priority: number;
  attempts: number;
  runAt?: number;
  startedAt?: number;
  finishedAt?: number;
  /** Order within its current structure (schedule, finish). */
  order: number;
}

/** The records as the backend must keep them. */
class Model {
  readonly jobs = new Map<string, ModelJob>();
  /** Per level, queued ids front to back. */
  readonly levels: string[][] = [[], [], []];
  private counter = 0;

  constructor(private readonly now: () => number) {}

  /** What every backend call does first: due jobs queue, expired records go. */
  tick(): void {
    const now = this.now();
    const due = [...this.jobs.values()]
      .filter((job) => job.status === 'scheduled' && (job.runAt as number) <= now)
      .sort((a, b) => (a.runAt as number) - (b.runAt as number) || a.order - b.order);
    for (const job of due) this.enqueue(job);
    for (const status of ['completed', 'failed', 'cancelled'] as const) this.trimAge(status);
  }

  enqueue(job: ModelJob): void {
    job.status = 'queued';
    this.levels[job.priority]!.push(job.id);
  }

  schedule(job: ModelJob, runAt: number): void {
    job.status = 'scheduled';
    job.runAt = runAt;
    job.order = this.next();
  }

  next(): number {
    return this.counter++;
  }

  unqueue(job: ModelJob): void {
    const level = this.levels[job.priority]!;
    level.splice(level.indexOf(job.id), 1);
  }

  finish(job: ModelJob, status: Finished): void {
    job.status = status;
    job.finishedAt = this.now();
    job.order = this.next();
    const kept = this.finishedIn(status);
    while (kept.length > RETENTION[status].maxCount) this.jobs.delete(kept.shift()!.id);
    this.trimAge(status);
  }

  /** Oldest first. */
  finishedIn(status: Finished): ModelJob[] {
    return [...this.jobs.values()]
      .filter((job) => job.status === status)
      .sort((a, b) => a.order - b.order);
  }

  private trimAge(status: Finished): void {
    for (const job of this.finishedIn(status)) {
      if ((job.finishedAt as number) + RETENTION[status].maxAgeMs <= this.now())
        this.jobs.delete(job.id);
    }
  }

  /** Ids in the backend's list order for one status. */
  order(status: ListableStatus): string[] {
    if (status === 'queued') return [...this.levels[2]!, ...this.levels[1]!, ...this.levels[0]!];
    const jobs = [...this.jobs.values()].filter((job) => job.status === status);
    if (status === 'scheduled') {
      jobs.sort((a, b) => (a.runAt as number) - (b.runAt as number) || a.order - b.order);
    } else if (status === 'running') {
      jobs.sort((a, b) => a.order - b.order);
    } else {
      jobs.sort((a, b) => b.order - a.order);
    }
    return jobs.map((job) => job.id);
  }
}

/** Ids in order, cut into groups of one time (due, start or finish), each group sorted. */
function tieGroups(ids: readonly string[], model: Model, status: ListableStatus): string[][] {
  const timeOf = (id: string): number | undefined => {
    const job = model.jobs.get(id);
    return status === 'scheduled'
      ? job?.runAt
      : status === 'running'
        ? job?.startedAt
        : job?.finishedAt;
  };
  const groups: string[][] = [];
  let time: number | undefined = NaN;
  for (const id of ids) {
    if (timeOf(id) !== time || groups.length === 0) groups.push([]);
    time = timeOf(id);
    groups[groups.length - 1]!.push(id);
  }
  return groups.map((group) => [...group].sort());
}

const pickFrom = <T>(items: readonly T[], pick: number): T | undefined =>
  items.length === 0 ? undefined : items[pick % items.length];

async function check(backend: Backend, model: Model, known: readonly string[]): Promise<void> {
  for (const id of known) {
    const stored = await backend.get(id);
    const expected = model.jobs.get(id);
    if (expected === undefined) {
      assert.equal(stored, undefined, `${id} should be gone`);
      continue;
    }
    assert.equal(stored?.status, expected.status, `${id} status`);
    assert.equal(stored.priority, expected.priority, `${id} priority`);
    assert.equal(stored.attempts, expected.attempts, `${id} attempts`);
  }
  for (const status of [
    'queued',
    'scheduled',
    'running',
    'completed',
    'failed',
    'cancelled',
  ] as const) {
    const page = await backend.list({
      statuses: [status],
      name: undefined,
      limit: 1000,
      cursor: undefined,
    });
    // Queued: exactly the claim order. Others: by their time; jobs of the same millisecond come
    // in an order the backend keeps (backend.ts, "List"), so each tie is compared as a set.
    const expected = model.order(status);
    const listed = page.jobs.map((job) => job.id);
    if (status === 'queued') assert.deepEqual(listed, expected, 'queued order');
    else
      assert.deepEqual(
        tieGroups(listed, model, status),
        tieGroups(expected, model, status),
        `${status} order`,
      );
  }
  const counts = await backend.counts();
  const count = (status: JobStatus): number =>
    [...model.jobs.values()].filter((job) => job.status === status).length;
  assert.deepEqual(counts, {
    scheduled: count('scheduled'),
    queued: count('queued'),
    running: count('running'),
    completed: count('completed'),
    failed: count('failed'),
    cancelled: count('cancelled'),
  });
}

/** A new backend of the kind under test, on `clock`, with the model's retention. */
type MakeBackend = (clock: ManualClock, retention: RetentionOptions) => Promise<Backend>;

/**
 * Called after each clock move. Redis moves due jobs in a claim or at its due timer (armed once
 * the process has claimed), not in reads: a claim of 0 jobs stands for the worker that runs.
 */
type AfterAdvance = (backend: Backend) => Promise<unknown>;

async function keepsTheModel(
  make: MakeBackend,
  numRuns: number,
  afterAdvance?: AfterAdvance,
): Promise<void> {
  await fc.assert(
    fc.asyncProperty(
      fc.array(opArb, { minLength: 20, maxLength: 80, size: 'max' }),
      async (ops) => {
        const clock = new ManualClock();
        const backend = await make(clock, RETENTION);
        try {
          await run(backend, clock, ops, afterAdvance);
        } finally {
          await backend.close();
        }
      },
    ),
    { numRuns },
  );
}

async function run(
  backend: Backend,
  clock: ManualClock,
  ops: readonly Op[],
  afterAdvance: AfterAdvance | undefined,
): Promise<void> {
  const model = new Model(clock.now);
  const known: string[] = [];
  let claims: Claim[] = [];
  const error = { code: 'JOB_FAILED', message: 'no' };
  for (const op of ops) {
    model.tick();
    switch (op.kind) {
      case 'submit': {
        const id = `j${known.length}`;
        known.push(id);
        const runAt = op.delay > 0 ? clock.now() + op.delay : undefined;
        await backend.submit(
          createJob(
            {
              id,
              name: op.name,
              priority: op.priority,
              ...(runAt !== undefined && { runAt }),
            },
            clock.now(),
          ),
        );
        const job: ModelJob = {
          id,
          name: op.name,
          status: 'new',
          priority: op.priority,
          attempts: 0,
          order: 0,
        };
        model.jobs.set(id, job);
        if (runAt !== undefined) model.schedule(job, runAt);
        else model.enqueue(job);
        break;
      }
      case 'claim': {
        const got = await backend.claim({ max: op.max, remaining: new Map() });
        const expected: string[] = [];
        for (const level of [2, 1, 0]) {
          while (expected.length < op.max && model.levels[level]!.length > 0) {
            expected.push(model.levels[level]!.shift()!);
          }
        }
        assert.deepEqual(
          got.map((c) => c.job.id),
          expected,
          'claim order',
        );
        for (const id of expected) {
          const job = model.jobs.get(id)!;
          job.status = 'running';
          job.startedAt = clock.now();
          job.attempts++;
          job.order = model.next();
        }
        claims = [...claims, ...got];
        break;
      }
      case 'finish': {
        const claim = pickFrom(claims, op.pick);
        if (claim === undefined) break;
        claims = claims.filter((c) => c !== claim);
        const outcome = op.failed
          ? ({ status: 'failed', error } as const)
          : ({ status: 'completed', result: 1 } as const);
        assert.equal(await backend.finish(claim, outcome), true);
        model.finish(model.jobs.get(claim.job.id)!, outcome.status);
        break;
      }
      case 'retryAttempt': {
        const claim = pickFrom(claims, op.pick);
        if (claim === undefined) break;
        claims = claims.filter((c) => c !== claim);
        assert.equal(await backend.retry(claim, error, op.delay), true);
        const job = model.jobs.get(claim.job.id)!;
        if (op.delay > 0) model.schedule(job, clock.now() + op.delay);
        else model.enqueue(job);
        break;
      }
      case 'cancel': {
        const id = pickFrom(known, op.pick);
        if (id === undefined) break;
        const job = model.jobs.get(id);
        if (job === undefined) {
          await assert.rejects(backend.cancel(id), { code: 'JOB_NOT_FOUND' });
          break;
        }
        const outcome = await backend.cancel(id);
        if (job.status === 'queued' || job.status === 'scheduled') {
          assert.equal(outcome.outcome, 'cancelled');
          if (job.status === 'queued') model.unqueue(job);
          model.finish(job, 'cancelled');
        } else if (job.status === 'running') {
          assert.equal(outcome.outcome, 'cancel-requested');
        } else {
          assert.equal(outcome.outcome, 'already-finished');
        }
        break;
      }
      case 'requeue': {
        const id = pickFrom(known, op.pick);
        if (id === undefined) break;
        const job = model.jobs.get(id);
        if (job === undefined) {
          await assert.rejects(backend.requeue(id), { code: 'JOB_NOT_FOUND' });
        } else if (job.status === 'failed' || job.status === 'cancelled') {
          await backend.requeue(id);
          model.enqueue(job);
        } else {
          await assert.rejects(backend.requeue(id), { code: 'INVALID_STATE' });
        }
        break;
      }
      case 'remove': {
        const id = pickFrom(known, op.pick);
        if (id === undefined) break;
        const job = model.jobs.get(id);
        if (job?.status === 'running') {
          await assert.rejects(backend.remove(id), { code: 'INVALID_STATE' });
          break;
        }
        assert.equal(await backend.remove(id), job !== undefined);
        if (job?.status === 'queued') model.unqueue(job);
        model.jobs.delete(id);
        break;
      }
      case 'advance':
        clock.advance(op.ms);
        await afterAdvance?.(backend);
        break;
    }
    model.tick();
    await check(backend, model, known);
    // Each step a millisecond later: the records a count trims are told apart by their finish
    // time (within one millisecond the order is the backend's own, backend.ts "Retention").
    clock.advance(1);
    await afterAdvance?.(backend);
  }
}

it('the memory backend keeps scheduled, queued and finished records as the model does, with retention', async () => {
  await keepsTheModel(
    (clock, retention) =>
      Promise.resolve(new MemoryBackend({ now: clock.now, setTimer: clock.setTimer, retention })),
    200,
  );
});

describe('RedisBackend', redisSuite(), () => {
  const queues = new Set<string>();
  after(() => deleteQueues(queues));

  it('keeps scheduled, queued and finished records as the model does, with retention', async () => {
    // Fewer runs than in memory: every step reads each record, list and count over the network.
    await keepsTheModel(
      async (clock, retention) => {
        const queue = randomQueue('model');
        queues.add(queue);
        const backend = new RedisBackend({
          url: REDIS_URL,
          queue,
          now: clock.now,
          setTimer: clock.setTimer,
          retention,
        });
        await backend.open();
        return backend;
      },
      25,
      (backend) => backend.claim({ max: 0, remaining: new Map() }),
    );
  });
});
