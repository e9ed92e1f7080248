/**
 * The measured workloads of `dispatch.bench.ts`, one function per kind of task, each run against
 * one contender. A task runs in a process of its own (see the bench's header), so these functions
 * assume a fresh heap and report what they measured as plain data.
 *
 * Every contender runs the same work: an async no-op body per job, the same seeded sequence of
 * random priorities, the same concurrency. Priorities use this library's numbers (LOW 0, NORMAL 1,
 * HIGH 2), which mean the same to p-queue (a higher number runs first); fastq has no priorities
 * and runs FIFO.
 */
import fastq from 'fastq';
import PQueue from 'p-queue';
import { Dispatcher, type Job, JobPriority, PriorityJobQueue, createJob } from 'jobdispatch';

export const CONTENDERS = ['ours-queue', 'ours-dispatcher', 'p-queue', 'fastq'] as const;
export type Contender = (typeof CONTENDERS)[number];

export type Task =
  | {
      readonly kind: 'throughput';
      readonly contender: Contender;
      readonly jobs: number;
      /** Most jobs submitted and not yet completed. */
      readonly window: number;
      readonly concurrency: number;
      readonly seed: number;
    }
  | {
      readonly kind: 'enqueue';
      readonly contender: Contender;
      readonly jobs: number;
      /** Fresh instances filled one after another; the result is the median per tenth. */
      readonly repeats: number;
      readonly seed: number;
    }
  | {
      readonly kind: 'high-wait';
      readonly contender: Contender;
      readonly backlog: number;
      readonly concurrency: number;
    };

export interface ThroughputResult {
  readonly kind: 'throughput';
  readonly jobsPerSecond: number;
  /**
   * Process CPU time (user + system, every thread: GC helpers included) per job, nanoseconds.
   * Steadier than wall time on a shared machine, where another process may take the CPU.
   */
  readonly cpuNsPerJob: number;
  /** Peak resident set of the whole process (the OS's high-water mark), bytes. */
  readonly peakRss: number;
  /** Peak V8 heap in use during the run minus the heap in use before it (after a full GC), bytes. */
  readonly peakHeapDelta: number;
}

export interface EnqueueResult {
  readonly kind: 'enqueue';
  /** Mean nanoseconds per enqueue over the first and the last tenth of the jobs. */
  readonly firstNs: number;
  readonly lastNs: number;
}

export interface HighWaitResult {
  readonly kind: 'high-wait';
  /** From the call that added the HIGH job to the moment its body began, milliseconds. */
  readonly waitMs: number;
  /** LOW jobs that began after the HIGH job was added and before it began. */
  readonly lowStartedFirst: number;
}

export type TaskResult = ThroughputResult | EnqueueResult | HighWaitResult;

export function runTask(task: Task): Promise<TaskResult> {
  switch (task.kind) {
    case 'throughput':
      return throughput(task);
    case 'enqueue':
      return Promise.resolve(enqueueCost(task));
    case 'high-wait':
      return highWait(task);
  }
}

/** A task runs in a child process of its own: a failure ends it, and the parent reports it. */
function fatal(error: unknown): never {
  console.error(error);
  process.exit(1);
}

/** A small seeded generator (mulberry32) so that every contender gets the same priorities. */
export function randomPriorities(count: number, seed: number): Uint8Array {
  let state = seed >>> 0;
  const out = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * 3);
  }
  return out;
}

const priorityOf = (values: Uint8Array, i: number): JobPriority => values[i] as JobPriority;

/** Tracks the highest heap use seen; sampled every few thousand jobs, never on a timer. */
class HeapPeak {
  readonly baseline: number;
  private peak: number;

  constructor() {
    globalThis.gc?.();
    this.baseline = process.memoryUsage().heapUsed;
    this.peak = this.baseline;
  }

  sample(): void {
    const used = process.memoryUsage().heapUsed;
    if (used > this.peak) this.peak = used;
  }

  get delta(): number {
    return this.peak - this.baseline;
  }
}

/**
 * Feeds `total` jobs keeping at most `window` submitted and not yet completed: it tops the
 * backlog up whenever it falls to half the window. The jobs' completions drive it, so a contender
 * whose jobs only ever await microtasks is never slowed by a timer.
 */
class Feeder {
  done = 0;
  private submitted = 0;
  private wake: (() => void) | undefined;

  constructor(
    private readonly total: number,
    private readonly window: number,
    private readonly heap: HeapPeak,
  ) {}

  completed(): void {
    this.done++;
    if ((this.done & 4095) === 0) this.heap.sample();
    const outstanding = this.submitted - this.done;
    if (this.wake !== undefined && (outstanding * 2 <= this.window || this.done === this.total)) {
      const wake = this.wake;
      this.wake = undefined;
      wake();
    }
  }

  async run(submit: (i: number) => void): Promise<void> {
    while (this.done < this.total) {
      const room = Math.min(
        this.window - (this.submitted - this.done),
        this.total - this.submitted,
      );
      for (let k = 0; k < room; k++) submit(this.submitted++);
      this.heap.sample();
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }
}

async function throughput(task: Extract<Task, { kind: 'throughput' }>): Promise<ThroughputResult> {
  const priorities = randomPriorities(task.jobs, task.seed);
  const heap = new HeapPeak();
  const feeder = new Feeder(task.jobs, task.window, heap);
  // The job: an async no-op that counts itself done (what a no-op `async` function costs).
  const body = (): Promise<void> => {
    feeder.completed();
    return Promise.resolve();
  };
  const started = performance.now();
  const cpu = process.cpuUsage();
  switch (task.contender) {
    case 'ours-queue': {
      const queue = new PriorityJobQueue({ capacityPerLevel: task.window });
      const consumers = Array.from({ length: task.concurrency }, async () => {
        for (;;) {
          const job = queue.tryDequeue() ?? (await queue.dequeue());
          if (job === null) return;
          await body();
        }
      });
      await feeder.run((i) => {
        const job = createJob({ id: String(i), name: 'noop', priority: priorityOf(priorities, i) });
        if (!queue.enqueue(job)) throw new Error(`the queue refused job ${i}`);
      });
      queue.close();
      await Promise.all(consumers);
      break;
    }
    case 'ours-dispatcher': {
      const dispatcher = new Dispatcher({
        workers: task.concurrency,
        capacityPerLevel: task.window,
      });
      dispatcher.register({ jobType: 'noop', execute: () => Promise.resolve() });
      dispatcher.on('completed', () => feeder.completed());
      let failure: unknown;
      dispatcher.on('failed', (event) => (failure ??= event.error));
      await dispatcher.start();
      await feeder.run((i) => {
        dispatcher
          .submit({ name: 'noop', priority: priorityOf(priorities, i) })
          .catch((error: unknown) => (failure ??= error));
      });
      await dispatcher.stop();
      if (failure !== undefined) throw new Error(`a job failed: ${JSON.stringify(failure)}`);
      break;
    }
    case 'p-queue': {
      const queue = new PQueue({ concurrency: task.concurrency });
      await feeder.run((i) => void queue.add(body, { priority: priorityOf(priorities, i) }));
      await queue.onIdle();
      break;
    }
    case 'fastq': {
      const queue = fastq.promise(body, task.concurrency);
      await feeder.run((i) => void queue.push(i));
      await queue.drained();
      break;
    }
  }
  const seconds = (performance.now() - started) / 1000;
  const { user, system } = process.cpuUsage(cpu);
  if (feeder.done !== task.jobs) throw new Error(`ran ${feeder.done} of ${task.jobs} jobs`);
  return {
    kind: 'throughput',
    jobsPerSecond: task.jobs / seconds,
    cpuNsPerJob: ((user + system) * 1000) / task.jobs,
    peakRss: process.resourceUsage().maxRSS * 1024,
    peakHeapDelta: heap.delta,
  };
}

/** A paused or not-started contender, and the synchronous call that adds one job to it. */
function enqueueTarget(contender: Contender, jobs: number): (i: number, p: JobPriority) => void {
  const body = (): Promise<void> => Promise.resolve();
  switch (contender) {
    case 'ours-queue': {
      const queue = new PriorityJobQueue({ capacityPerLevel: jobs });
      return (i, priority) => {
        if (!queue.enqueue(createJob({ id: String(i), name: 'noop', priority })))
          throw new Error(`the queue refused job ${i}`);
      };
    }
    case 'ours-dispatcher': {
      // Not started: submits only queue. The synchronous part of submit does all the work
      // (record, dedup index, queue, event); the returned promise just settles later.
      const dispatcher = new Dispatcher({ capacityPerLevel: jobs });
      return (_i, priority) => void dispatcher.submit({ name: 'noop', priority }).catch(fatal);
    }
    case 'p-queue': {
      const queue = new PQueue({ concurrency: 10, autoStart: false });
      return (_i, priority) => void queue.add(body, { priority });
    }
    case 'fastq': {
      const queue = fastq.promise(body, 10);
      queue.pause();
      return (i) => void queue.push(i);
    }
  }
}

function enqueueCost(task: Extract<Task, { kind: 'enqueue' }>): EnqueueResult {
  const priorities = randomPriorities(task.jobs, task.seed);
  // Warm the code up on a throwaway instance so the first tenth measures the data structure, not
  // the JIT.
  const warm = Math.min(task.jobs, 10_000);
  const warmAdd = enqueueTarget(task.contender, warm);
  for (let i = 0; i < warm; i++) warmAdd(i, priorityOf(priorities, i));

  const tenth = Math.max(1, Math.floor(task.jobs / 10));
  const first: number[] = [];
  const last: number[] = [];
  for (let repeat = 0; repeat < task.repeats; repeat++) {
    const add = enqueueTarget(task.contender, task.jobs);
    const timed = (from: number, to: number): number => {
      // A full GC first: the figure is then the structure's cost at that size, not that of
      // scavenging a young generation full of the backlog's fresh objects.
      globalThis.gc?.();
      const start = process.hrtime.bigint();
      for (let i = from; i < to; i++) add(i, priorityOf(priorities, i));
      return Number(process.hrtime.bigint() - start) / (to - from);
    };
    first.push(timed(0, tenth));
    for (let i = tenth; i < task.jobs - tenth; i++) add(i, priorityOf(priorities, i));
    last.push(timed(task.jobs - tenth, task.jobs));
  }
  return { kind: 'enqueue', firstNs: median(first), lastNs: median(last) };
}

function median(values: number[]): number {
  return values.sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
}

async function highWait(task: Extract<Task, { kind: 'high-wait' }>): Promise<HighWaitResult> {
  let lowStarted = 0;
  let lowStartedAtAdd = 0;
  let addedAt = 0;
  let result: HighWaitResult | undefined;
  const low = (): Promise<void> => {
    lowStarted++;
    return Promise.resolve();
  };
  const high = (): Promise<void> => {
    const waitMs = performance.now() - addedAt;
    result = { kind: 'high-wait', waitMs, lowStartedFirst: lowStarted - lowStartedAtAdd };
    return Promise.resolve();
  };
  const markAdd = (): void => {
    lowStartedAtAdd = lowStarted;
    addedAt = performance.now();
  };
  const { backlog, concurrency } = task;
  switch (task.contender) {
    case 'ours-queue': {
      const queue = new PriorityJobQueue({ capacityPerLevel: backlog });
      const job = (id: string, priority: JobPriority): Job =>
        createJob({ id, name: 'noop', priority });
      for (let i = 0; i < backlog; i++) queue.enqueue(job(String(i), JobPriority.Low));
      // Started after the backlog is in, each loop takes its first LOW job at once, as p-queue and
      // fastq start their first ones inside add(): the HIGH job then arrives behind running work.
      const consumers = Array.from({ length: concurrency }, async () => {
        for (;;) {
          const next = queue.tryDequeue() ?? (await queue.dequeue());
          if (next === null) return;
          await (next.priority === JobPriority.High ? high() : low());
        }
      });
      markAdd();
      queue.enqueue(job('high', JobPriority.High));
      queue.close();
      await Promise.all(consumers);
      break;
    }
    case 'ours-dispatcher': {
      const dispatcher = new Dispatcher({ workers: concurrency, capacityPerLevel: backlog });
      dispatcher.register({
        jobType: 'noop',
        execute: (job) => (job.priority === JobPriority.High ? high() : low()),
      });
      await dispatcher.start();
      const submits: Promise<Job>[] = [];
      for (let i = 0; i < backlog; i++)
        submits.push(dispatcher.submit({ name: 'noop', priority: JobPriority.Low }));
      markAdd();
      submits.push(dispatcher.submit({ name: 'noop', priority: JobPriority.High }));
      await Promise.all(submits);
      await dispatcher.stop();
      break;
    }
    case 'p-queue': {
      const queue = new PQueue({ concurrency });
      for (let i = 0; i < backlog; i++) void queue.add(low, { priority: JobPriority.Low });
      markAdd();
      void queue.add(high, { priority: JobPriority.High });
      await queue.onIdle();
      break;
    }
    case 'fastq': {
      const queue = fastq.promise(
        (priority: JobPriority) => (priority === JobPriority.High ? high() : low()),
        concurrency,
      );
      for (let i = 0; i < backlog; i++) void queue.push(JobPriority.Low);
      markAdd();
      void queue.push(JobPriority.High);
      await queue.drained();
      break;
    }
  }
  if (result === undefined) throw new Error('the HIGH job never ran');
  return result;
}
