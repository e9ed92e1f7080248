/**
 * The Planning solve as a worker-thread module: its default export turns a job's `SolveInput`
 * (the resolved request and the gathered places) into a solution set, with the `SolverConfig`
 * (solver settings, data source) its pool was given once as `workerData`, and does nothing else.
 * It reads no environment, geocodes nothing and opens no catalog: the pool is made from the same
 * `Planner` as the main thread's handler (`planningThreadPool`), so both sides agree on the places,
 * the settings and the cache key.
 */
import {
  type Job,
  type JobContext,
  type JobHandler,
  type ThreadedHandler,
  threadData,
  threadedHandler,
} from 'jobdispatch';
import { PLANNING_JOB_TYPE } from '../job-types.js';
import {
  type Planner,
  type SolveInput,
  type SolverConfig,
  solvePlaces,
} from '../planning/planner.js';
import type { SolutionSet } from '../planning/solution.js';

/** This module, for `threadedHandler({ jobType: PLANNING_JOB_TYPE, module: PLANNING_THREAD_MODULE })`. */
export const PLANNING_THREAD_MODULE = new URL('./planning-thread.js', import.meta.url);

/** A pool of `threads` solver threads configured from `planner` (its settings and data source). */
export function planningThreadPool(
  planner: Pick<Planner, 'solverConfig'>,
  threads: number,
): ThreadedHandler<SolveInput, SolutionSet> {
  const workerData: SolverConfig = planner.solverConfig;
  return threadedHandler<SolveInput, SolutionSet>({
    jobType: PLANNING_JOB_TYPE,
    module: PLANNING_THREAD_MODULE,
    threads,
    workerData,
  });
}

// Read on the first job, not at load: the main thread imports this module for its URL.
let config: SolverConfig | undefined;

const planningThread: JobHandler<SolveInput, SolutionSet> = {
  jobType: PLANNING_JOB_TYPE,
  execute(job: Job<SolveInput>, ctx: JobContext): Promise<SolutionSet> {
    config ??= threadData<SolverConfig>();
    return solvePlaces(
      { ...job.params, ...config },
      {
        signal: ctx.signal,
        onProgress: (percent, message) => ctx.progress(percent, message),
      },
    );
  },
};

export default planningThread;
