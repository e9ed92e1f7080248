/**
 * Wires the planning domain with in-memory stores: geocoder, place catalog (from `PLACES_FILE`
 * or the sample), planner, and the two job handlers ready to register with a dispatcher, Planning
 * solving on a worker-thread pool when `planningThreads` > 0. Any store can be passed in to
 * replace its in-memory default (the HTTP service shares them through the dispatcher's backend).
 */
import { threadedHandler, type ThreadedHandler } from 'jobdispatch';
import { MemoryPlanningEventLog, type PlanningEventLog } from './analytics/event-log.js';
import { MemoryAnalyticsReportStore, type AnalyticsReportStore } from './analytics/report-store.js';
import { AnalyticsJobHandler } from './handlers/analytics-job-handler.js';
import { PlanningJobHandler } from './handlers/planning-job-handler.js';
import { PLANNING_THREAD_MODULE } from './handlers/planning-thread.js';
import type { PlaceCatalog } from './places/catalog.js';
import { Geocoder } from './places/geocoding.js';
import { openCatalog, placesFileFromEnv } from './places/open-catalog.js';
import type { RowIssue } from './places/place-rows.js';
import { Planner, type PlannerOptions } from './planning/planner.js';
import type { PlanningParams } from './planning/request.js';
import type { SolutionSet } from './planning/solution.js';
import { MemorySolutionStore, type SolutionStore } from './planning/solution-store.js';

export interface PlanningDomainOptions {
  /** Default: `PLACES_FILE` from the environment; undefined uses the sample catalog. */
  readonly placesFile?: string;
  readonly geocoder?: Geocoder;
  readonly solutions?: SolutionStore;
  readonly events?: PlanningEventLog;
  readonly reports?: AnalyticsReportStore;
  /** Solver settings passed to the planner (threads use the defaults). */
  readonly planner?: Omit<PlannerOptions, 'geocoder' | 'catalog'>;
  /** Worker threads that solve Planning jobs; 0 solves on the main thread. Default 0. */
  readonly planningThreads?: number;
}

export interface PlanningDomain {
  readonly geocoder: Geocoder;
  readonly catalog: PlaceCatalog;
  /** Rows of the places file that were skipped, with line and field. */
  readonly catalogIssues: readonly RowIssue[];
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
  const placesFile = options.placesFile ?? placesFileFromEnv();
  const { catalog, issues } = await openCatalog({ placesFile, cities: geocoder });
  const planner = new Planner({ ...options.planner, geocoder, catalog });
  const solutions = options.solutions ?? new MemorySolutionStore();
  const events = options.events ?? new MemoryPlanningEventLog();
  const reports = options.reports ?? new MemoryAnalyticsReportStore();
  const threads = options.planningThreads ?? 0;
  const pool: ThreadedHandler<PlanningParams, SolutionSet> | undefined =
    threads > 0
      ? threadedHandler({ jobType: 'Planning', module: PLANNING_THREAD_MODULE, threads })
      : undefined;
  return {
    geocoder,
    catalog,
    catalogIssues: issues,
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
