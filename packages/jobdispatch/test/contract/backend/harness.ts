/**
 * The backend contract: the seam itself (`Backend`), exercised without a Dispatcher, so that every
 * backend is held to the same semantics (those written in `src/backend.ts`). A backend joins by
 * one call:
 *
 *     runBackendContract({
 *       name: 'RedisBackend',
 *       // Once per test: a NEW backend on a queue of its own, not opened yet. The harness opens
 *       // it, and closes it after the test.
 *       make: (options: BackendSubjectOptions) => Promise<Backend>,
 *     });
 *
 * `options.now` is the test's manual clock (it starts at `CLOCK_START` and moves only when a test
 * calls `clock.advance(ms)`): give it to the backend as its clock. `options.setTimer` schedules a
 * callback on that clock (fired by `advance`); a backend that keeps its own real-time timers may
 * ignore it, as long as it reads due times from `now`. `retention`, `dedupTtlMs` and
 * `capacityPerLevel`, when present, go to the backend's constructor unchanged.
 *
 * Tests never wait on wall time, except the `waitForWork` tests, which allow 5 s for a wake-up.
 */
import { afterEach, describe } from 'node:test';
import {
  type Backend,
  type Claim,
  type Job,
  type JobEvent,
  type JobSpec,
  LIST_STATUS_ORDER,
  type ListRequest,
  type RetentionOptions,
  createJob,
} from '../../../src/index.js';

/** 2030-01-01T00:00:00Z. */
export const CLOCK_START = Date.UTC(2030, 0, 1);

export interface BackendSubjectOptions {
  readonly now: () => number;
  readonly setTimer: (callback: () => void, ms: number) => () => void;
  readonly retention?: RetentionOptions;
  readonly dedupTtlMs?: number;
  readonly capacityPerLevel?: number;
}

export interface BackendSubject {
  readonly name: string;
  readonly make: (options: BackendSubjectOptions) => Promise<Backend>;
}

/** A clock that moves only when told to, with timers that fire as it passes them. */
export class ManualClock {
  private time = CLOCK_START;
  private timers: { at: number; callback: () => void }[] = [];

  readonly now = (): number => this.time;

  readonly setTimer = (callback: () => void, ms: number): (() => void) => {
    const timer = { at: this.time + Math.max(0, ms), callback };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((t) => t !== timer);
    };
  };

  /** Moves time forward and fires, in due order, every timer it passes. */
  advance(ms: number): void {
    this.time += ms;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= this.time).sort((a, b) => a.at - b.at)[0];
      if (due === undefined) return;
      this.timers = this.timers.filter((t) => t !== due);
      due.callback();
    }
  }
}

export interface BackendHarness {
  readonly clock: ManualClock;
  /** An opened backend of the kind under test on the test's clock; closed after the test. */
  make(options?: Omit<BackendSubjectOptions, 'now' | 'setTimer'>): Promise<Backend>;
  /** Submits a job built from `spec` at the clock's time. */
  submit(backend: Backend, spec: JobSpec): Promise<Job>;
  /** Claims with no per-type limits. */
  claim(backend: Backend, max?: number, remaining?: ReadonlyMap<string, number>): Promise<Claim[]>;
}

/** Call inside a `describe`: registers the `afterEach` that closes every backend made. */
export function createBackendHarness(subject: BackendSubject): BackendHarness {
  let clock = new ManualClock();
  const made: Backend[] = [];
  afterEach(async () => {
    await Promise.all(made.splice(0).map((backend) => backend.close()));
    clock = new ManualClock();
  });
  return {
    get clock() {
      return clock;
    },
    async make(options = {}) {
      const backend = await subject.make({ ...options, now: clock.now, setTimer: clock.setTimer });
      made.push(backend);
      await backend.open();
      return backend;
    },
    async submit(backend, spec) {
      const result = await backend.submit(createJob(spec, clock.now()));
      return result.job;
    },
    claim(backend, max = 100, remaining = new Map()) {
      return backend.claim({ max, remaining });
    },
  };
}

/** Every event a backend emits from now on, in order. */
export function record(backend: Backend): JobEvent[] {
  const events: JobEvent[] = [];
  backend.subscribe((event) => events.push(event));
  return events;
}

/** The event types seen for one job, in order. */
export function typesOf(events: readonly JobEvent[], jobId: string): string[] {
  return events.filter((event) => event.jobId === jobId).map((event) => event.type);
}

/**
 * The event types of one job once at least `count` of them have arrived (at most `limitMs`): a
 * backend emits every change in order, but need not deliver a call's events before it resolves.
 */
export async function typesWhen(
  events: readonly JobEvent[],
  jobId: string,
  count: number,
  limitMs = 5000,
): Promise<string[]> {
  const deadline = Date.now() + limitMs;
  while (typesOf(events, jobId).length < count && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return typesOf(events, jobId);
}

/** A list request with defaults filled, as the dispatcher would send it. */
export function listRequest(request: Partial<ListRequest> = {}): ListRequest {
  return {
    statuses: request.statuses ?? LIST_STATUS_ORDER,
    name: request.name,
    limit: request.limit ?? 50,
    cursor: request.cursor,
  };
}

/** Every job of a listing, page by page with `limit`, following cursors. */
export async function listAll(
  backend: Backend,
  request: Partial<ListRequest>,
  limit: number,
): Promise<Job[]> {
  const jobs: Job[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 10_000; pages++) {
    const page = await backend.list(listRequest({ ...request, limit, cursor }));
    jobs.push(...page.jobs);
    if (page.cursor === undefined) return jobs;
    cursor = page.cursor;
  }
  throw new Error('list() never ended');
}

export function describeBackend(
  subject: BackendSubject,
  parts: readonly ((harness: BackendHarness) => void)[],
): void {
  describe(`Backend contract: ${subject.name}`, () => {
    const harness = createBackendHarness(subject);
    for (const part of parts) part(harness);
  });
}
