/**
 * Dispatcher statistics, built from the event stream alone so that they mean the same on every
 * backend (on Redis they cover every process of the queue): per priority level the queued count
 * and the wait (queued to started) over a sliding window of the latest samples; per job type the
 * jobs running now and the jobs finished since this dispatcher started.
 */
import type { JobEvent } from './events.js';
import { priorityName } from './job.js';
import type { QueueStats } from './priority-queue.js';

/** Wait-time samples kept per level. */
export const WAIT_WINDOW_SIZE = 1000;

export interface WaitStats {
  /** Samples in the window (at most `WAIT_WINDOW_SIZE`). */
  readonly count: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

export interface LevelStats {
  readonly queued: number;
  readonly wait: WaitStats;
}

export interface TypeStats {
  running: number;
  completed: number;
  failed: number;
  cancelled: number;
}

export interface DispatcherStats {
  readonly levels: {
    readonly high: LevelStats;
    readonly normal: LevelStats;
    readonly low: LevelStats;
  };
  readonly types: Readonly<Record<string, Readonly<TypeStats>>>;
}

class Window {
  private readonly samples: number[] = [];
  private next = 0;

  add(value: number): void {
    if (this.samples.length < WAIT_WINDOW_SIZE) this.samples.push(value);
    else this.samples[this.next] = value;
    this.next = (this.next + 1) % WAIT_WINDOW_SIZE;
  }

  summary(): WaitStats {
    const sorted = [...this.samples].sort((a, b) => a - b);
    const at = (q: number): number =>
      sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;
    return {
      count: sorted.length,
      p50: at(0.5),
      p99: at(0.99),
      max: sorted[sorted.length - 1] ?? 0,
    };
  }
}

export class StatsCollector {
  private readonly waits = { high: new Window(), normal: new Window(), low: new Window() };
  private readonly types = new Map<string, TypeStats>();
  private readonly running = new Set<string>();

  observe(event: JobEvent): void {
    switch (event.type) {
      case 'started':
        this.waits[priorityName(event.priority)].add(event.waitMs ?? 0);
        // Idempotent per job: a job claimed again after a lost lease starts again without an end
        // in between, and must not count twice.
        if (this.running.has(event.jobId)) return;
        this.running.add(event.jobId);
        this.type(event.name).running++;
        return;
      case 'retrying':
      case 'queued': // a running job given back (release) or reclaimed elsewhere
        this.stopRunning(event);
        return;
      case 'removed':
        this.stopRunning(event);
        return;
      case 'completed':
      case 'failed':
      case 'cancelled':
        this.stopRunning(event);
        this.type(event.name)[event.type]++;
        return;
      default:
        return;
    }
  }

  snapshot(queued: QueueStats): DispatcherStats {
    const types: Record<string, TypeStats> = {};
    for (const [name, stats] of this.types) types[name] = { ...stats };
    return {
      levels: {
        high: { queued: queued.high, wait: this.waits.high.summary() },
        normal: { queued: queued.normal, wait: this.waits.normal.summary() },
        low: { queued: queued.low, wait: this.waits.low.summary() },
      },
      types,
    };
  }

  private stopRunning(event: JobEvent): void {
    if (this.running.delete(event.jobId)) this.type(event.name).running--;
  }

  private type(name: string): TypeStats {
    let stats = this.types.get(name);
    if (stats === undefined) {
      stats = { running: 0, completed: 0, failed: 0, cancelled: 0 };
      this.types.set(name, stats);
    }
    return stats;
  }
}
