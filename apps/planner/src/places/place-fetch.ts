/**
 * Live provider calls as jobs of their own type, `PlaceFetch`, so that the library's per-type
 * limits bound them over every process of the queue: `rateLimit` (`PLACES_PER_SECOND` starts in
 * any second) and `globalConcurrency` (`PLACES_MAX_CONCURRENT` at once). A per-process limiter
 * would let N worker processes on one Redis make N times the calls (and the bill).
 *
 * One fetch is one category around one point: the job's params carry the question and its place
 * cache key, its dedupKey is that key (concurrent misses in any process share one fetch), and its
 * handler asks the live provider, stores the places in the place cache for the TTL and returns
 * only their count (the places stay out of the job record). The side that needs the places
 * (`queuedFetch`, used by `CachedPlaceProvider` on a miss, inside a Planning job) submits the
 * fetch at HIGH, waits for it at most `waitMs` (the queue wait plus the fetch's own deadline)
 * and reads the cache. A fetch that fails fails its waiters with its provider error (502/503
 * naming the provider); a wait that runs out is `PLACES_PROVIDER_UNAVAILABLE` naming the limit,
 * and the fetch goes on in the queue and fills the cache for the next request.
 */
import {
  type Dispatcher,
  type Job,
  type JobContext,
  type JobHandler,
  type HandlerOptions,
  JobPriority,
  UnrecoverableError,
  isDispatchError,
} from 'jobdispatch';
import {
  PlannerError,
  invalidField,
  isPlannerError,
  providerError,
  providerErrorOf,
} from '../errors.js';
import { PLACE_FETCH_JOB_TYPE } from '../job-types.js';
import type { CatalogQuery, LiveProviderName, PlaceProvider } from './catalog.js';
import { isValidLatLon } from './geo.js';
import { PLACE_CATEGORIES, type Place, type PlaceCategory } from './place.js';
import type { FetchPlaces, PlaceCache } from './place-cache.js';

export { PLACE_FETCH_JOB_TYPE } from '../job-types.js';

/** A PlaceFetch job's params: the question and the place cache key its answer is stored under. */
export interface PlaceFetchParams {
  readonly key: string;
  readonly category: PlaceCategory;
  readonly center: { readonly lat: number; readonly lon: number };
  readonly radiusMeters: number;
}

export interface PlaceFetchResult {
  readonly key: string;
  /** How many places were stored. */
  readonly places: number;
}

/** The limits of live calls, as `PLACES_MAX_CONCURRENT` and `PLACES_PER_SECOND` give them. */
export interface PlaceFetchLimits {
  readonly maxConcurrent: number;
  readonly perSecond: number;
}

/** The part of a dispatcher a waiting fetch uses. */
export type PlaceFetchJobs = Pick<Dispatcher, 'submit' | 'wait'>;

/** The handler options PlaceFetch is registered with: the library's limits, over every process. */
export function placeFetchHandlerOptions(
  limits: PlaceFetchLimits,
  fetchDeadlineMs: number,
): HandlerOptions {
  return {
    rateLimit: { max: limits.perSecond, perMs: 1000 },
    globalConcurrency: limits.maxConcurrent,
    concurrency: limits.maxConcurrent,
    // A backstop: each call already has its own deadline (PLACES_TIMEOUT_MS).
    timeoutMs: fetchDeadlineMs + 1000,
    retries: 0,
  };
}

export function decodePlaceFetchParams(value: unknown): PlaceFetchParams {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidField('params', 'a place fetch { key, category, center, radiusMeters }', value);
  }
  const params = value as Record<string, unknown>;
  if (typeof params.key !== 'string' || !params.key.startsWith('places:')) {
    throw invalidField('params.key', 'a place cache key ("places:...")', params.key);
  }
  if (!PLACE_CATEGORIES.includes(params.category as PlaceCategory)) {
    throw invalidField('params.category', PLACE_CATEGORIES.join(' or '), params.category);
  }
  const center = params.center as { lat?: unknown; lon?: unknown } | undefined;
  if (typeof center !== 'object' || center === null || !isValidLatLon(center.lat, center.lon)) {
    throw invalidField('params.center', '{ lat: -90..90, lon: -180..180 }', params.center);
  }
  const radius = params.radiusMeters;
  if (typeof radius !== 'number' || !(radius > 0 && radius <= 100_000)) {
    throw invalidField('params.radiusMeters', 'a number of meters 1-100000', radius);
  }
  return {
    key: params.key,
    category: params.category as PlaceCategory,
    center: { lat: center.lat as number, lon: center.lon as number },
    radiusMeters: radius,
  };
}

/** Runs one fetch: asks the live provider and stores what it answered in the place cache. */
export class PlaceFetchJobHandler implements JobHandler<PlaceFetchParams, PlaceFetchResult> {
  readonly jobType = PLACE_FETCH_JOB_TYPE;

  constructor(
    private readonly live: PlaceProvider,
    private readonly cache: PlaceCache,
    private readonly ttlMs: number,
  ) {}

  async execute(job: Job<PlaceFetchParams>, ctx: JobContext): Promise<PlaceFetchResult> {
    let params: PlaceFetchParams;
    let places: readonly Place[];
    try {
      params = decodePlaceFetchParams(job.params);
      const { key: _key, ...question } = params;
      places = await this.live.placesNear({ ...question, signal: ctx.signal });
    } catch (error) {
      // Bad params and provider errors fail the same way on a retry; the waiters need them now.
      if (isPlannerError(error)) throw new UnrecoverableError(error.message, { cause: error });
      throw error;
    }
    await this.cache.set(params.key, places, this.ttlMs);
    return { key: params.key, places: places.length };
  }
}

export interface QueuedFetchOptions {
  readonly provider: LiveProviderName;
  readonly jobs: PlaceFetchJobs;
  readonly cache: PlaceCache;
  readonly limits: PlaceFetchLimits;
  /** How long a waiter waits for its fetch (the queue wait plus the fetch's deadline). */
  readonly waitMs: number;
}

/** The `CachedPlaceProvider` miss path through PlaceFetch jobs. */
export function queuedFetch(options: QueuedFetchOptions): FetchPlaces {
  const { provider, jobs, cache, limits, waitMs } = options;
  const limit = `the call limit is ${limits.maxConcurrent} at once and ${limits.perSecond} per second`;
  const fetchOnce = async (key: string, query: CatalogQuery, dedup: boolean) => {
    const params: PlaceFetchParams = {
      key,
      category: query.category,
      center: { lat: query.center.lat, lon: query.center.lon },
      radiusMeters: query.radiusMeters,
    };
    let job: Job;
    try {
      job = await jobs.submit({
        name: PLACE_FETCH_JOB_TYPE,
        params,
        priority: JobPriority.High,
        ...(dedup ? { dedupKey: key } : {}),
      });
    } catch (error) {
      if (isDispatchError(error) && error.code === 'QUEUE_FULL') {
        throw providerError(
          'PLACES_PROVIDER_UNAVAILABLE',
          provider,
          `too many fetches waiting (${limit})`,
          error,
        );
      }
      throw error;
    }
    try {
      await jobs.wait(job.id, { timeoutMs: waitMs });
    } catch (error) {
      throw fetchErrorOf(error, provider, `${limit}; fetch job ${job.id}`, waitMs);
    }
    return { job, places: await cache.get(key) };
  };
  return async (key, query) => {
    const first = await fetchOnce(key, query, true);
    if (first.places !== undefined) return first.places;
    // A completed fetch absorbs submits with its dedupKey for a day, longer than its places may
    // stay cached (a shorter TTL, or eviction): ask again, without the dedupKey.
    if (first.job.duplicateOf !== undefined) {
      const again = await fetchOnce(key, query, false);
      if (again.places !== undefined) return again.places;
    }
    throw providerError(
      'PLACES_PROVIDER_UNAVAILABLE',
      provider,
      `the places fetched by job ${first.job.id} are not in the place cache`,
    );
  };
}

/** What a fetch's failure means to the job that waited for it. */
function fetchErrorOf(
  error: unknown,
  provider: LiveProviderName,
  context: string,
  waitMs: number,
): unknown {
  if (!isDispatchError(error)) return error;
  const carried = providerErrorOf(error.message);
  if (carried !== undefined) return new PlannerError(carried.code, carried.message);
  if (error.code === 'WAIT_TIMEOUT') {
    return providerError(
      'PLACES_PROVIDER_UNAVAILABLE',
      provider,
      `no places fetched within ${waitMs} ms (${context})`,
      error,
    );
  }
  if (error.code === 'JOB_TIMEOUT') {
    return providerError(
      'PLACES_PROVIDER_UNAVAILABLE',
      provider,
      `the fetch did not end within its deadline (${context})`,
      error,
    );
  }
  return error;
}
