/**
 * `jobdispatch/prometheus`: Prometheus metrics of a dispatcher's queue, on a prom-client registry
 * (prom-client is an optional peer dependency: only this module needs it).
 *
 *     const metrics = registerMetrics(dispatcher, { registry, types: ['plan'] });
 *     // ... serve `await registry.metrics()` at GET /metrics ...
 *     metrics.detach();
 *
 * - `jobdispatch_jobs{state,type}` (gauge): the exact record counts of `counts({ name: type })`,
 *   read at each scrape, for every type given in `types` or seen in an event since registering.
 * - `jobdispatch_jobs_finished_total{type,outcome}` (counter): final events, outcome `completed`,
 *   `failed`, `cancelled` or `duplicated`.
 * - `jobdispatch_wait_seconds{priority,type}` (histogram): queued to started, per attempt;
 *   `priority` is `high`, `normal` or `low`.
 * - `jobdispatch_run_seconds{type,outcome}` (histogram): started to the end of that attempt;
 *   outcome `completed`, `failed`, `cancelled`, or `retrying` for an attempt that failed and is
 *   retried.
 *
 * The counter and histograms come from the dispatcher's events. On Redis every process of a queue
 * receives every event of the queue, so register in one process per queue (or aggregate the
 * processes' series with `max`, not `sum`); the gauge is the same from any process.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Dispatcher, JobEvent, JobStatus } from './index.js';

export interface MetricsOptions {
  /** The registry the four metrics are registered on. */
  readonly registry: Registry;
  /** Job types whose counts the gauge reports from the first scrape (others appear once seen). */
  readonly types?: readonly string[];
  /** Histogram buckets of `jobdispatch_wait_seconds`, in seconds. */
  readonly waitBuckets?: readonly number[];
  /** Histogram buckets of `jobdispatch_run_seconds`, in seconds. */
  readonly runBuckets?: readonly number[];
}

export interface DispatcherMetrics {
  /** Stops observing events and removes the four metrics from the registry. */
  detach(): void;
}

/** Seconds: from a few milliseconds to ten minutes. */
export const DEFAULT_WAIT_BUCKETS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 600,
];
export const DEFAULT_RUN_BUCKETS: readonly number[] = DEFAULT_WAIT_BUCKETS;

/** Most attempts whose start is remembered while waiting for their end (oldest dropped first). */
export const MAX_TRACKED_ATTEMPTS = 100_000;

const STATES = ['scheduled', 'queued', 'running', 'completed', 'failed', 'cancelled'] as const;
const FINISHED: ReadonlySet<string> = new Set<JobStatus>([
  'completed',
  'failed',
  'cancelled',
  'duplicated',
]);
const ATTEMPT_ENDS: ReadonlySet<string> = new Set(['completed', 'failed', 'cancelled', 'retrying']);

const PRIORITY_NAMES = ['low', 'normal', 'high'] as const;
const METRIC_NAMES = [
  'jobdispatch_jobs',
  'jobdispatch_jobs_finished_total',
  'jobdispatch_wait_seconds',
  'jobdispatch_run_seconds',
] as const;

export function registerMetrics(
  dispatcher: Dispatcher,
  options: MetricsOptions,
): DispatcherMetrics {
  const registry = options?.registry;
  if (registry === undefined || typeof registry.registerMetric !== 'function') {
    throw new TypeError('registerMetrics: options.registry must be a prom-client Registry');
  }
  const types = new Set<string>(options.types ?? []);
  const started = new Map<string, number>();

  const jobs = new Gauge({
    name: 'jobdispatch_jobs',
    help: 'Job records kept, by state and job type (exact, read from the backend at each scrape).',
    labelNames: ['state', 'type'] as const,
    registers: [],
    async collect() {
      const names = [...types];
      const counts = await Promise.all(names.map((name) => dispatcher.counts({ name })));
      this.reset();
      names.forEach((type, index) => {
        const count = counts[index];
        if (count === undefined) return;
        for (const state of STATES) this.set({ state, type }, count[state]);
      });
    },
  });
  const finished = new Counter({
    name: 'jobdispatch_jobs_finished_total',
    help: 'Jobs that reached a final state, by job type and outcome.',
    labelNames: ['type', 'outcome'] as const,
    registers: [],
  });
  const wait = new Histogram({
    name: 'jobdispatch_wait_seconds',
    help: 'Time from queued to started, per attempt, by priority level and job type.',
    labelNames: ['priority', 'type'] as const,
    buckets: [...(options.waitBuckets ?? DEFAULT_WAIT_BUCKETS)],
    registers: [],
  });
  const run = new Histogram({
    name: 'jobdispatch_run_seconds',
    help: 'Time from started to the end of an attempt, by job type and outcome.',
    labelNames: ['type', 'outcome'] as const,
    buckets: [...(options.runBuckets ?? DEFAULT_RUN_BUCKETS)],
    registers: [],
  });
  for (const metric of [jobs, finished, wait, run]) registry.registerMetric(metric);

  const observe = (event: JobEvent): void => {
    types.add(event.name);
    if (event.type === 'started') {
      if (event.waitMs !== undefined) {
        wait.observe(
          { priority: PRIORITY_NAMES[event.priority] ?? 'normal', type: event.name },
          Math.max(0, event.waitMs) / 1000,
        );
      }
      started.delete(event.jobId);
      started.set(event.jobId, event.at);
      if (started.size > MAX_TRACKED_ATTEMPTS) {
        const oldest = started.keys().next().value;
        if (oldest !== undefined) started.delete(oldest);
      }
      return;
    }
    if (ATTEMPT_ENDS.has(event.type)) {
      const at = started.get(event.jobId);
      if (at !== undefined) {
        started.delete(event.jobId);
        run.observe({ type: event.name, outcome: event.type }, Math.max(0, event.at - at) / 1000);
      }
    } else if (event.type === 'queued' || event.type === 'removed') {
      started.delete(event.jobId); // given back at shutdown, or gone
    }
    if (FINISHED.has(event.type)) finished.inc({ type: event.name, outcome: event.type });
  };
  const off = dispatcher.on('*', observe);

  let detached = false;
  return {
    detach() {
      if (detached) return;
      detached = true;
      off();
      started.clear();
      for (const name of METRIC_NAMES) registry.removeSingleMetric(name);
    },
  };
}
