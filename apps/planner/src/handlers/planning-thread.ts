/**
 * The Planning solve as a worker-thread module: its default export turns a `SolveTask` (the
 * resolved request, the gathered places, the solver settings and the data source, all given by
 * `PlanningJobHandler` from its options) into a solution set, and does nothing else. It reads no
 * environment, geocodes nothing and opens no catalog: the main thread and the thread cannot
 * disagree on the places or the cache key. (The library's `threadedHandler` gives a pool no data
 * of its own, so the configuration travels with each task.)
 */
import type { Job, JobContext, JobHandler } from 'jobdispatch';
import { PLANNING_JOB_TYPE } from '../job-types.js';
import { solvePlaces, type SolveTask } from '../planning/planner.js';
import type { SolutionSet } from '../planning/solution.js';

/** This module, for `threadedHandler({ jobType: PLANNING_JOB_TYPE, module: PLANNING_THREAD_MODULE })`. */
export const PLANNING_THREAD_MODULE = new URL('./planning-thread.js', import.meta.url);

const planningThread: JobHandler<SolveTask, SolutionSet> = {
  jobType: PLANNING_JOB_TYPE,
  execute(job: Job<SolveTask>, ctx: JobContext): Promise<SolutionSet> {
    return solvePlaces(job.params, {
      signal: ctx.signal,
      onProgress: (percent, message) => ctx.progress(percent, message),
    });
  },
};

export default planningThread;
