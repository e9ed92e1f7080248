/**
 * The dispatcher's slot bookkeeping, in one place: which worker slots are free, how many jobs of
 * each type run here, the runs in progress, cancels that arrived before their job did, and who
 * waits for every run to end. The dispatcher's loop asks it how many jobs to claim and of which
 * types, and hands it each claim to run.
 */
import type { Claim } from './backend.js';
import type { HandlerRegistry } from './handler.js';
import { JobRun, type WorkerDeps } from './worker.js';

export class SlotScheduler {
  private readonly freeSlots: number[] = [];
  private readonly runningByType = new Map<string, number>();
  private readonly runs = new Map<string, JobRun>();
  /** Cancels seen for jobs not (yet) running here; forgotten when the job ends. */
  private readonly earlyCancels = new Set<string>();
  private readonly idleWatchers: (() => void)[] = [];
  /** Slots freed so far: the loop compares it across a claim to see that one freed meanwhile. */
  private freedCount = 0;
  /** Frees a run's slot when its handler returns: one function for every run. */
  private readonly release = (run: JobRun): void => {
    const type = run.claim.job.name;
    this.runningByType.set(type, (this.runningByType.get(type) ?? 1) - 1);
    this.freeSlots.push(run.workerId);
    this.freedCount++;
    this.onChange();
  };

  constructor(
    private readonly workers: number,
    private readonly deps: WorkerDeps,
    /** Called when a slot frees or a run ends (the loop may have something to do). */
    private readonly onChange: () => void,
  ) {
    for (let slot = workers - 1; slot >= 0; slot--) this.freeSlots.push(slot);
  }

  get free(): number {
    return this.freeSlots.length;
  }

  get freed(): number {
    return this.freedCount;
  }

  /** Runs whose outcome is not written yet. */
  get active(): number {
    return this.runs.size;
  }

  inProgress(): IterableIterator<JobRun> {
    return this.runs.values();
  }

  /** Per-type room left, for the types whose cap is below the worker count. */
  remaining(registry: HandlerRegistry, into: Map<string, number>): ReadonlyMap<string, number> {
    into.clear();
    for (const type of registry.types()) {
      const { concurrency } = registry.get(type)!.options;
      if (concurrency < this.workers) {
        into.set(type, concurrency - (this.runningByType.get(type) ?? 0));
      }
    }
    return into;
  }

  /**
   * Takes a free slot for the claim. The slot (and its type's room) frees when the handler
   * returns; the run stays in progress until its outcome is written, so that stop() waits for
   * that write.
   */
  launch(claim: Claim): JobRun {
    const slot = this.freeSlots.pop()!;
    const type = claim.job.name;
    this.runningByType.set(type, (this.runningByType.get(type) ?? 0) + 1);
    const run = new JobRun(claim, slot, this.deps, this.release);
    this.runs.set(claim.job.id, run);
    if (this.earlyCancels.delete(claim.job.id)) run.abort('JOB_CANCELLED', 'the job was cancelled');
    return run;
  }

  /** The run's outcome is written. One function for every run (`runJob` calls it). */
  readonly ended = (run: JobRun): void => {
    if (this.runs.get(run.claim.job.id) === run) this.runs.delete(run.claim.job.id);
    this.onChange(); // a draining loop waits for the last write
    if (this.runs.size === 0 && this.idleWatchers.length > 0) {
      for (const watcher of this.idleWatchers.splice(0)) watcher();
    }
  };

  /** A cancel for the job: aborts its run, or is remembered until its claim arrives. */
  cancel(jobId: string): void {
    const run = this.runs.get(jobId);
    // The cancel can overtake the claim that is bringing the job here.
    if (run === undefined) this.earlyCancels.add(jobId);
    else run.abort('JOB_CANCELLED', 'the job was cancelled');
  }

  /** The job ended somewhere: a cancel remembered for it is moot. */
  forget(jobId: string): void {
    this.earlyCancels.delete(jobId);
  }

  /**
   * Something outside this process freed room a claim may use (a globally limited type's job
   * ended): wakes the loop, and counts as a freed slot for a claim in flight.
   */
  nudge(): void {
    this.freedCount++;
    this.onChange();
  }

  /** Resolves once no run is in progress. */
  whenIdle(): Promise<void> {
    if (this.runs.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWatchers.push(resolve));
  }
}
