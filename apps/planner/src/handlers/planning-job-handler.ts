/**
 * The `Planning` job type: params are a planning request; the
 * handler answers from the solution store when the key is there, and otherwise solves, stores
 * the solution set under its cache key for 24 h and returns the requested number of plans. It is
 * a thin adapter: validation, geocoding and solving live in planning/. A request that can never
 * succeed (bad params, unknown place) fails at once, without retries.
 *
 * The solver is CPU-bound: give the handler a `compute` that runs planning-thread.ts on a
 * worker-thread pool (`threadedHandler`), and it solves there, capped at the pool's size, while
 * the cache check and the store stay on the main thread. Without `compute` it solves in process.
 */
import type { Job, JobContext, JobHandler } from 'jobdispatch';
import { UnrecoverableError } from 'jobdispatch';
import { isPlannerError } from '../errors.js';
import type { Planner } from '../planning/planner.js';
import { parsePlanningRequest, type PlanningParams } from '../planning/request.js';
import { planningResultOf, type PlanningResult, type SolutionSet } from '../planning/solution.js';
import { SOLUTION_TTL_MS, type SolutionStore } from '../planning/solution-store.js';

export const PLANNING_JOB_TYPE = 'Planning';

export interface PlanningJobHandlerOptions {
  /** Validates and resolves requests (cache keys); also solves them when there is no `compute`. */
  readonly planner: Planner;
  readonly solutions: SolutionStore;
  /** How long a stored solution set lives. Default `SOLUTION_TTL_MS` (24 h). */
  readonly solutionTtlMs?: number;
  /**
   * Computes a solution set elsewhere, typically
   * `threadedHandler({ jobType: 'Planning', module: PLANNING_THREAD_MODULE })`. Its
   * `maxConcurrency` becomes this handler's. Default: `planner.solve` in process.
   */
  readonly compute?: JobHandler<PlanningParams, SolutionSet>;
}

export class PlanningJobHandler implements JobHandler<PlanningParams, PlanningResult> {
  readonly jobType = PLANNING_JOB_TYPE;
  /** The `compute` pool's size, when there is one: the dispatcher caps this type at it. */
  readonly maxConcurrency?: number;
  private readonly planner: Planner;
  private readonly solutions: SolutionStore;
  private readonly ttlMs: number;
  private readonly compute: JobHandler<PlanningParams, SolutionSet> | undefined;

  constructor(options: PlanningJobHandlerOptions) {
    this.planner = options.planner;
    this.solutions = options.solutions;
    this.ttlMs = options.solutionTtlMs ?? SOLUTION_TTL_MS;
    this.compute = options.compute;
    if (options.compute?.maxConcurrency !== undefined) {
      this.maxConcurrency = options.compute.maxConcurrency;
    }
  }

  async execute(job: Job<PlanningParams>, ctx: JobContext): Promise<PlanningResult> {
    const { request, resolved } = this.prepare(job.params);
    const cached = await this.solutions.get(resolved.key);
    if (cached !== undefined) {
      await ctx.progress(100, 'served from the solution cache');
      return planningResultOf(cached, request, true);
    }
    const set =
      this.compute === undefined
        ? await this.planner.solve(resolved, {
            signal: ctx.signal,
            onProgress: (percent, message) => ctx.progress(percent, message),
          })
        : await this.compute.execute(job, ctx);
    await this.solutions.set(set.key, set, this.ttlMs);
    await ctx.progress(100, `stored ${set.plans.length} plans`);
    return planningResultOf(set, request, false);
  }

  private prepare(params: unknown): {
    request: ReturnType<typeof parsePlanningRequest>;
    resolved: ReturnType<Planner['resolve']>;
  } {
    try {
      const request = parsePlanningRequest(params);
      return { request, resolved: this.planner.resolve(request) };
    } catch (error) {
      // Bad params and unknown places fail the same way on every attempt: do not retry.
      if (isPlannerError(error)) throw new UnrecoverableError(error.message, { cause: error });
      throw error;
    }
  }
}
