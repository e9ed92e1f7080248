/**
 * The /v1/planning flow: the price level the
 * user asked for is answered from the solution cache or computed by a HIGH job the request waits
 * for (up to the request timeout, then 202 with the job to follow); the other four levels are
 * submitted as LOW jobs so the user's next question is answered from cache. Every level's dedup
 * key is its solution cache key, so a level already cached is not submitted, one already queued
 * or running is not computed twice, and a queued LOW level is promoted when a user asks for it.
 *
 * The request is validated and geocoded once (`Planner.resolve`); the other levels are the same
 * resolution at another price (`Planner.atPriceLevel`, no geocoding). Each job's params are its
 * resolution, cache key included, so the handler and the solver thread never resolve again.
 * A job that failed because the place provider did answers 502 or 503 naming the provider.
 */
import { type Dispatcher, type Job, JobPriority, isDispatchError } from 'jobdispatch';
import type { PlanningEventLog } from './analytics/event-log.js';
import { isPlannerError, providerErrorOf } from './errors.js';
import { PLANNING_JOB_TYPE } from './job-types.js';
import { HttpError } from './http-errors.js';
import { PRICE_LEVELS, type PriceLevel } from './places/place.js';
import type { Planner, ResolvedPlanning } from './planning/planner.js';
import { type PlanningParams, parsePlanningRequest } from './planning/request.js';
import type { PlanningJobParams } from './planning/job-params.js';
import type { PlanningResult, PlannedPlace, SolutionSet } from './planning/solution.js';
import type { SolutionStore } from './planning/solution-store.js';

/** What an answer needs: a stored solution set, or a Planning job's result. */
type Answerable = Pick<
  SolutionSet,
  'plans' | 'location' | 'dataSource' | 'notice' | 'stoppedEarly' | 'priceLevel' | 'template'
> &
  Partial<Pick<SolutionSet, 'candidatesPerSlot' | 'radiusMeters'>>;

export interface PlanningQuery {
  readonly location: string;
  readonly date: string;
  readonly price: number;
  readonly numberResults: number;
  readonly nearby: boolean;
  /** `location` is "longitude,latitude" (the original service's order). */
  readonly precise: boolean;
}

export interface BackgroundJob {
  readonly priceLevel: number;
  readonly jobId: string | null;
  /** queued | running | duplicated (joined a live execution) | cached | rejected (queue full). */
  readonly status: string;
  readonly duplicateOf?: string;
}

export type PlanningAnswer =
  | { readonly kind: 'done'; readonly body: Record<string, unknown> }
  | { readonly kind: 'pending'; readonly body: Record<string, unknown> };

export interface PlanningServiceDeps {
  readonly dispatcher: Dispatcher;
  readonly planner: Planner;
  readonly solutions: SolutionStore;
  readonly events: PlanningEventLog;
  readonly requestTimeoutMs: number;
  readonly now?: () => number;
}

export class PlanningService {
  private readonly now: () => number;

  constructor(private readonly deps: PlanningServiceDeps) {
    this.now = deps.now ?? Date.now;
  }

  async plan(query: PlanningQuery): Promise<PlanningAnswer> {
    const asked = this.resolve(query);
    this.checkNotPast(query.date);
    const levels = new Map<PriceLevel, PlanningJobParams>();
    for (const level of PRICE_LEVELS) {
      levels.set(
        level,
        level === query.price ? asked : this.deps.planner.atPriceLevel(asked, level),
      );
    }

    const { dispatcher, solutions } = this.deps;
    let set: Answerable | undefined = await solutions.get(asked.key);
    const fromCache = set !== undefined;
    let job: Job | undefined;
    if (set === undefined) {
      job = await dispatcher.submit({
        name: PLANNING_JOB_TYPE,
        params: asked,
        priority: JobPriority.High,
        dedupKey: asked.key,
      });
    }
    const backgroundJobs = await Promise.all(
      [...levels]
        .filter(([level]) => level !== query.price)
        .map(([level, params]) => this.background(level, params)),
    );
    await this.record(asked, fromCache);
    if (job !== undefined) {
      const outcome = await this.waitFor(job.id);
      if (outcome === undefined) {
        const current = await dispatcher.get(job.id);
        return {
          kind: 'pending',
          body: {
            message: `still computing after ${this.deps.requestTimeoutMs} ms; follow /v1/jobs/${job.id}`,
            jobId: job.id,
            status: current?.status ?? job.status,
            priceLevel: query.price,
            backgroundJobs,
          },
        };
      }
      // The stored set has every kept plan; the job's own result stands in if the store lost it.
      set = (await solutions.get(asked.key)) ?? outcome;
    }
    return {
      kind: 'done',
      body: this.answer(set!, query, fromCache, job?.id ?? null, backgroundJobs),
    };
  }

  /** Validates the query and resolves its location (one geocode) and cache key. */
  private resolve(query: PlanningQuery): ResolvedPlanning {
    const params: PlanningParams = {
      location: query.precise ? parsePoint(query.location) : query.location,
      date: query.date,
      priceLevel: query.price,
      numberOfPlans: query.numberResults,
      nearby: query.nearby,
    };
    try {
      return this.deps.planner.resolve(parsePlanningRequest(params));
    } catch (error) {
      if (!isPlannerError(error)) throw error;
      const details = error.suggestions.length > 0 ? { suggestions: error.suggestions } : undefined;
      throw new HttpError('BAD_REQUEST', error.message, details);
    }
  }

  private checkNotPast(date: string): void {
    // The earliest calendar date anywhere on Earth right now (UTC-12): nobody is told "past" for today.
    const earliest = new Date(this.now() - 12 * 60 * 60 * 1000).toISOString().slice(0, 10);
    if (date < earliest) {
      throw new HttpError('BAD_REQUEST', `date must be today or later (YYYY-MM-DD), got "${date}"`);
    }
  }

  private async background(level: PriceLevel, params: PlanningJobParams): Promise<BackgroundJob> {
    const { key } = params;
    if ((await this.deps.solutions.get(key)) !== undefined) {
      return { priceLevel: level, jobId: null, status: 'cached' };
    }
    try {
      const job = await this.deps.dispatcher.submit({
        name: PLANNING_JOB_TYPE,
        params,
        priority: JobPriority.Low,
        dedupKey: key,
      });
      return {
        priceLevel: level,
        jobId: job.id,
        status: job.status,
        ...(job.duplicateOf === undefined ? {} : { duplicateOf: job.duplicateOf }),
      };
    } catch (error) {
      // Background work is best effort: a full LOW level must not fail the user's request.
      if (isDispatchError(error, 'QUEUE_FULL'))
        return { priceLevel: level, jobId: null, status: 'rejected' };
      throw error;
    }
  }

  /** The job's result, or undefined when the request timeout passed first. */
  private async waitFor(jobId: string): Promise<PlanningResult | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(resolve, this.deps.requestTimeoutMs, undefined);
    });
    const result = this.deps.dispatcher.wait<PlanningResult>(jobId);
    result.catch(() => undefined); // a late failure after a timeout belongs to nobody
    try {
      const done = await Promise.race([result, timeout]);
      return done;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const provider = providerErrorOf(message);
      if (provider !== undefined) {
        throw new HttpError(
          provider.code,
          `the planning job ${jobId} failed: ${provider.message}`,
          {
            provider: provider.provider,
          },
        );
      }
      throw new HttpError('PLANNING_FAILED', `the planning job ${jobId} failed: ${message}`);
    } finally {
      clearTimeout(timer);
    }
  }

  private async record(resolved: ResolvedPlanning, cacheHit: boolean): Promise<void> {
    const { city, request } = resolved;
    await this.deps.events.record({
      city: city.label,
      country: city.country,
      priceLevel: request.priceLevel,
      at: this.now(),
      cacheHit,
    });
  }

  private answer(
    set: Answerable,
    query: PlanningQuery,
    fromCache: boolean,
    jobId: string | null,
    backgroundJobs: readonly BackgroundJob[],
  ): Record<string, unknown> {
    if (set.plans.length === 0) throw new HttpError('NO_PLAN', noPlanReason(set, query.date));
    return {
      travelDestination: set.location.label,
      date: query.date,
      priceLevel: query.price,
      travelPlans: set.plans.slice(0, query.numberResults).map((plan) => ({
        id: plan.id,
        score: plan.score,
        places: plan.places.map(placeView),
      })),
      fromCache,
      jobId,
      backgroundJobs,
      dataSource: set.dataSource.kind === 'sample' ? 'sample' : set.dataSource.name,
      ...(set.notice === undefined ? {} : { notice: set.notice }),
      stoppedEarly: set.stoppedEarly,
    };
  }
}

function placeView(place: PlannedPlace): Record<string, unknown> {
  const times = /(\d{2}:\d{2})-(\d{2}:\d{2})$/.exec(place.slot);
  return {
    id: place.id,
    name: place.name,
    category: place.category,
    startTime: times?.[1] ?? null,
    endTime: times?.[2] ?? null,
    address: place.address,
    location: { latitude: place.lat, longitude: place.lon },
    rating: place.rating,
    priceLevel: place.priceLevel,
    url: place.url,
  };
}

function noPlanReason(set: Answerable, date: string): string {
  const empty = set.candidatesPerSlot?.findIndex((count) => count === 0) ?? -1;
  const radius = set.radiusMeters === undefined ? '' : `within ${set.radiusMeters / 1000} km `;
  const where = `${radius}of ${set.location.label} on ${date}`;
  if (empty >= 0) {
    return `no valid plan: no ${set.template[empty] ?? 'slot'} candidate is open at price level ${set.priceLevel} ${where}`;
  }
  return `no valid plan: every combination of candidates ${where} repeats a place`;
}

function parsePoint(location: string): { lat: number; lon: number } {
  const match = /^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$/.exec(location);
  const lon = Number(match?.[1]);
  const lat = Number(match?.[2]);
  if (match === null || !(Math.abs(lat) <= 90 && Math.abs(lon) <= 180)) {
    throw new HttpError(
      'BAD_REQUEST',
      `location must be "longitude,latitude" (longitude -180..180, latitude -90..90) when precise=true, got ${JSON.stringify(location)}`,
    );
  }
  return { lat, lon };
}
