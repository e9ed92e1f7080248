/**
 * The Planning computation as a worker-thread module: its default export is a `JobHandler` that
 * turns Planning params into a solution set (geocode, gather candidates, solve) and nothing
 * else, so it can run on `threadedHandler`'s pool while `PlanningJobHandler`, on the main thread,
 * keeps the cache check and the store. Each thread builds its planner once, on its first job,
 * from the same `PLACES_FILE` as the main thread (threads inherit the environment), so both
 * compute the same cache keys.
 */
import type { Job, JobContext, JobHandler } from 'jobdispatch';
import { Geocoder } from '../places/geocoding.js';
import { openCatalog, placesFileFromEnv } from '../places/open-catalog.js';
import { Planner } from '../planning/planner.js';
import { parsePlanningRequest, type PlanningParams } from '../planning/request.js';
import type { SolutionSet } from '../planning/solution.js';
import { PLANNING_JOB_TYPE } from './planning-job-handler.js';

/** This module, for `threadedHandler({ jobType: 'Planning', module: PLANNING_THREAD_MODULE })`. */
export const PLANNING_THREAD_MODULE = new URL('./planning-thread.js', import.meta.url);

let planner: Promise<Planner> | undefined;

async function createPlanner(): Promise<Planner> {
  const geocoder = new Geocoder();
  const { catalog } = await openCatalog({ placesFile: placesFileFromEnv(), cities: geocoder });
  return new Planner({ geocoder, catalog });
}

const planningThread: JobHandler<PlanningParams, SolutionSet> = {
  jobType: PLANNING_JOB_TYPE,
  async execute(job: Job<PlanningParams>, ctx: JobContext): Promise<SolutionSet> {
    planner ??= createPlanner();
    const ready = await planner;
    const resolved = ready.resolve(parsePlanningRequest(job.params));
    return ready.solve(resolved, {
      signal: ctx.signal,
      onProgress: (percent, message) => ctx.progress(percent, message),
    });
  },
};

export default planningThread;
