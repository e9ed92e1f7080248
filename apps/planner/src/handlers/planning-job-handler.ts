/**
 * The `Planning` job type: one price level's plans for a request. Its params are a resolved request
 * (`PlanningJobParams`: computed once per HTTP request, with the cache key), checked on arrival.
 * The handler answers from the solution store when the key is there; otherwise it gathers the
 * places from the provider (on this thread, where the provider's place cache is shared by every
 * job; a live provider's misses wait for PlaceFetch jobs, limited by the library), solves, stores the set under the key for 24 h, and returns the requested
 * number of plans. Bad params fail at once without retries, and so does a failing place
 * provider: its message names the provider, and the user gets a 502/503 at once rather than a
 * retry later (the next request asks the provider again).
 *
 * The solver is CPU-bound: give the handler a `compute` pool running planning-thread.ts
 * (`threadedHandler({ jobType: PLANNING_JOB_TYPE, module: PLANNING_THREAD_MODULE })`) and the
 * solve runs there, capped at the pool's size. The thread is given the job's `SolveInput` (the
 * resolution and the gathered places) as params, and the planner's solver settings and data source
 * once, as the pool's workerData (`planningThreadPool`): it reads no environment and opens no
 * catalog, so both sides always agree.
 */
import type { Job, JobContext, JobHandler } from 'jobdispatch';
import { UnrecoverableError } from 'jobdispatch';
import { isPlannerError } from '../errors.js';
import { PLANNING_JOB_TYPE } from '../job-types.js';
import { decodePlanningJobParams, type PlanningJobParams } from '../planning/job-params.js';
import type { Planner, SolveInput } from '../planning/planner.js';
import { planningResultOf, type PlanningResult, type SolutionSet } from '../planning/solution.js';
import { SOLUTION_TTL_MS, type SolutionStore } from '../planning/solution-store.js';

export { PLANNING_JOB_TYPE } from '../job-types.js';

export interface PlanningJobHandlerOptions {
  /** Gathers places (through its provider) and holds the solver settings. */
  readonly planner: Planner;
  readonly solutions: SolutionStore;
  /** How long a stored solution set lives. Default `SOLUTION_TTL_MS` (24 h). */
  readonly solutionTtlMs?: number;
  /**
   * Solves elsewhere, typically a pool of planning-thread.ts made from the same planner
   * (`planningThreadPool`), given a job whose params are a `SolveInput`. Its `maxConcurrency`
   * becomes this handler's. Default: in process.
   */
  readonly compute?: JobHandler<SolveInput, SolutionSet>;
}

export class PlanningJobHandler implements JobHandler<PlanningJobParams, PlanningResult> {
  readonly jobType = PLANNING_JOB_TYPE;
  /** The `compute` pool's size, when there is one: the dispatcher caps this type at it. */
  readonly maxConcurrency?: number;
  private readonly planner: Planner;
  private readonly solutions: SolutionStore;
  private readonly ttlMs: number;
  private readonly compute: JobHandler<SolveInput, SolutionSet> | undefined;

  constructor(options: PlanningJobHandlerOptions) {
    this.planner = options.planner;
    this.solutions = options.solutions;
    this.ttlMs = options.solutionTtlMs ?? SOLUTION_TTL_MS;
    this.compute = options.compute;
    if (options.compute?.maxConcurrency !== undefined) {
      this.maxConcurrency = options.compute.maxConcurrency;
    }
  }

  async execute(job: Job<PlanningJobParams>, ctx: JobContext): Promise<PlanningResult> {
    const resolved = unrecoverable(() => decodePlanningJobParams(job.params));
    const { request } = resolved;
    const cached = await this.solutions.get(resolved.key);
    if (cached !== undefined) {
      await ctx.progress(100, 'served from the solution cache');
      return planningResultOf(cached, request, true);
    }
    const places = await unrecoverableAsync(() => this.planner.gather(resolved, ctx.signal));
    const input: SolveInput = { resolved, places };
    const set =
      this.compute === undefined
        ? await this.planner.solveTask(
            { ...input, ...this.planner.solverConfig },
            {
              signal: ctx.signal,
              onProgress: (percent, message) => ctx.progress(percent, message),
            },
          )
        : await this.compute.execute({ ...job, params: input }, ctx);
    await this.solutions.set(set.key, set, this.ttlMs);
    await ctx.progress(100, `stored ${set.plans.length} plans`);
    return planningResultOf(set, request, false);
  }
}

/** Planner errors (bad params, a failing provider) fail the same way on a retry: do not retry. */
function unrecoverable<T>(run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (isPlannerError(error)) throw new UnrecoverableError(error.message, { cause: error });
    throw error;
  }
}

async function unrecoverableAsync<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (isPlannerError(error)) throw new UnrecoverableError(error.message, { cause: error });
    throw error;
  }
}
