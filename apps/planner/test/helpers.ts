/** Builders shared by the tests: places, a job context that records progress, a job. */
import type { Job, JobContext } from 'jobdispatch';
import { JobPriority, JobStatus } from 'jobdispatch';
import type { City } from '../src/places/gazetteer.js';
import type { OpeningRange, Place, WeeklyHours } from '../src/places/place.js';
import { PLANNING_JOB_TYPE } from '../src/job-types.js';
import type { PlanningJobParams } from '../src/planning/job-params.js';
import type { Planner } from '../src/planning/planner.js';
import { parsePlanningRequest, type PlanningParams } from '../src/planning/request.js';

export function allWeek(open = 0, close = 24 * 60): WeeklyHours {
  const day: OpeningRange[] = [{ open, close }];
  return [day, day, day, day, day, day, day];
}

export function makePlace(overrides: Partial<Place> & Pick<Place, 'id'>): Place {
  return {
    name: `Place ${overrides.id}`,
    category: 'Visit',
    lat: 37.33,
    lon: -121.89,
    address: '1 Main Street',
    priceLevel: 1,
    rating: 4,
    ratingsCount: 100,
    hours: allWeek(),
    url: '',
    ...overrides,
  };
}

export function makeCity(overrides: Partial<City> = {}): City {
  return {
    id: 1,
    name: 'Testville',
    country: 'US',
    countryName: 'United States',
    adminCode: 'CA',
    population: 250_000,
    lat: 37.33,
    lon: -121.89,
    label: 'Testville, CA, United States',
    ...overrides,
  };
}

export interface RecordingContext extends JobContext {
  readonly reports: { percent: number; message: string | undefined }[];
}

export function recordingContext(
  signal: AbortSignal = new AbortController().signal,
): RecordingContext {
  const reports: { percent: number; message: string | undefined }[] = [];
  return {
    signal,
    workerId: 0,
    attempt: 1,
    reports,
    progress(percent: number, message?: string): Promise<void> {
      const last = reports[reports.length - 1];
      if (last !== undefined && percent < last.percent) {
        return Promise.reject(
          new RangeError(`progress went back from ${last.percent} to ${percent}`),
        );
      }
      reports.push({ percent, message });
      return Promise.resolve();
    },
  };
}

export function makeJob<P>(name: string, params: P): Job<P> {
  return {
    id: `job-${name}`,
    name,
    params,
    status: JobStatus.Running,
    priority: JobPriority.High,
    createdAt: 0,
    updatedAt: 0,
    attempts: 1,
  };
}

/** A Planning job as the planning service submits it: the request resolved once, key included. */
export function planningJob(planner: Planner, params: PlanningParams): Job<PlanningJobParams> {
  return makeJob(PLANNING_JOB_TYPE, planner.resolve(parsePlanningRequest(params)));
}
