/**
 * Wires the planning domain: geocoder, place provider (chosen by the places configuration),
 * planner, the stores (in memory unless given) and the job handlers ready to register with a
 * dispatcher: Planning (solving on a worker-thread pool when `planningThreads` > 0), Analytics,
 * and PlaceFetch for a live provider (its fetches run as jobs on the dispatcher given as `jobs`).
 * Nothing here reads the environment: the configuration is given (config.ts reads it once).
 */
import type { HandlerOptions, ThreadedHandler } from 'jobdispatch';
import { MemoryPlanningEventLog, type PlanningEventLog } from './analytics/event-log.js';
import { MemoryAnalyticsReportStore, type AnalyticsReportStore } from './analytics/report-store.js';
import { AnalyticsJobHandler } from './handlers/analytics-job-handler.js';
import { PlanningJobHandler } from './handlers/planning-job-handler.js';
import { planningThreadPool } from './handlers/planning-thread.js';
import type { PlaceProvider } from './places/catalog.js';
import { Geocoder } from './places/geocoding.js';
import type { ProviderLog } from './places/live/left-out.js';
import { DEFAULT_PLACES_CONFIG, openProvider, type PlacesConfig } from './places/open-provider.js';
import type { PlaceCache } from './places/place-cache.js';
import type { PlaceFetchJobHandler, PlaceFetchJobs } from './places/place-fetch.js';
import type { RowIssue } from './places/place-rows.js';
import { Planner, type PlannerOptions, type SolveInput } from './planning/planner.js';
import type { SolutionSet } from './planning/solution.js';
import { MemorySolutionStore, type SolutionStore } from './planning/solution-store.js';

export interface PlanningDomainOptions {
  /** Which place provider, and its settings. Default: the sample catalog. */
  readonly places?: PlacesConfig;
  readonly geocoder?: Geocoder;
  readonly solutions?: SolutionStore;
  readonly events?: PlanningEventLog;
  readonly reports?: AnalyticsReportStore;
  /** Where a live provider's places are cached. Default: in memory. */
  readonly placeCache?: PlaceCache;
  /** Where a live provider counts the places it left out. Default: nowhere. */
  readonly log?: ProviderLog;
  /** The dispatcher that runs a live provider's PlaceFetch jobs: required for a live provider. */
  readonly jobs?: PlaceFetchJobs;
  /** Solver settings passed to the planner (and, through each task, to its threads). */
  readonly planner?: Omit<PlannerOptions, 'geocoder' | 'catalog'>;
  /** Worker threads that solve Planning jobs; 0 solves on the main thread. Default 0. */
  readonly planningThreads?: number;
}

export interface PlanningDomain {
  readonly geocoder: Geocoder;
  readonly catalog: PlaceProvider;
  /** Rows of the places file that were skipped, with line and field. */
  readonly catalogIssues: readonly RowIssue[];
  /** With a live provider: the PlaceFetch handler and the options (limits) to register it with. */
  readonly placeFetch:
    { readonly handler: PlaceFetchJobHandler; readonly options: HandlerOptions } | undefined;
  readonly planner: Planner;
  readonly solutions: SolutionStore;
  readonly events: PlanningEventLog;
  readonly reports: AnalyticsReportStore;
  readonly planningHandler: PlanningJobHandler;
  readonly analyticsHandler: AnalyticsJobHandler;
  /** Ends the Planning thread pool, if any. */
  close(): Promise<void>;
}

export async function createPlanningDomain(
  options: PlanningDomainOptions = {},
): Promise<PlanningDomain> {
  const geocoder = options.geocoder ?? new Geocoder();
  const opened = await openProvider(options.places ?? DEFAULT_PLACES_CONFIG, {
    cities: geocoder,
    ...(options.placeCache === undefined ? {} : { cache: options.placeCache }),
    ...(options.log === undefined ? {} : { log: options.log }),
    ...(options.jobs === undefined ? {} : { jobs: options.jobs }),
  });
  const catalog = opened.provider;
  const planner = new Planner({ ...options.planner, geocoder, catalog });
  const solutions = options.solutions ?? new MemorySolutionStore();
  const events = options.events ?? new MemoryPlanningEventLog();
  const reports = options.reports ?? new MemoryAnalyticsReportStore();
  const threads = options.planningThreads ?? 0;
  const pool: ThreadedHandler<SolveInput, SolutionSet> | undefined =
    threads > 0 ? planningThreadPool(planner, threads) : undefined;
  return {
    geocoder,
    catalog,
    catalogIssues: opened.issues,
    placeFetch: opened.fetchJobs,
    planner,
    solutions,
    events,
    reports,
    planningHandler: new PlanningJobHandler({
      planner,
      solutions,
      ...(pool === undefined ? {} : { compute: pool }),
    }),
    analyticsHandler: new AnalyticsJobHandler({ events, reports }),
    close: () => pool?.close() ?? Promise.resolve(),
  };
}
