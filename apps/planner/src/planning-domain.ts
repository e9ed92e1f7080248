/**
 * Wires the planning domain with in-memory stores: geocoder, place catalog (from `PLACES_FILE`
 * or the sample), planner, and the two job handlers ready to register with a dispatcher. Any
 * store can be passed in to replace its in-memory default (the HTTP service shares them through
 * the dispatcher's backend).
 */
import { MemoryPlanningEventLog, type PlanningEventLog } from './analytics/event-log.js';
import { MemoryAnalyticsReportStore, type AnalyticsReportStore } from './analytics/report-store.js';
import { AnalyticsJobHandler } from './handlers/analytics-job-handler.js';
import { PlanningJobHandler } from './handlers/planning-job-handler.js';
import type { PlaceCatalog } from './places/catalog.js';
import { Geocoder } from './places/geocoding.js';
import { openCatalog, placesFileFromEnv } from './places/open-catalog.js';
import type { RowIssue } from './places/place-rows.js';
import { Planner, type PlannerOptions } from './planning/planner.js';
import { MemorySolutionStore, type SolutionStore } from './planning/solution-store.js';

export interface PlanningDomainOptions {
  /** Default: `PLACES_FILE` from the environment; undefined uses the sample catalog. */
  readonly placesFile?: string;
  readonly geocoder?: Geocoder;
  readonly solutions?: SolutionStore;
  readonly events?: PlanningEventLog;
  readonly reports?: AnalyticsReportStore;
  /** Solver settings passed to the planner. */
  readonly planner?: Omit<PlannerOptions, 'geocoder' | 'catalog'>;
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
  return {
    geocoder,
    catalog,
    catalogIssues: issues,
    planner,
    solutions,
    events,
    reports,
    planningHandler: new PlanningJobHandler({ planner, solutions }),
    analyticsHandler: new AnalyticsJobHandler({ events, reports }),
  };
}
