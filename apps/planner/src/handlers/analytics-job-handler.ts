/**
 * The `Analytics` job type: aggregates the recorded planning events over
 * a window and stores the report, with how long it took to compute, as the latest report. It
 * returns the report too. Params are optional: `{ windowHours?: 1-168, topCities?: 1-100 }`.
 */
import type { Job, JobContext, JobHandler } from 'jobdispatch';
import { UnrecoverableError } from 'jobdispatch';
import { invalidField } from '../errors.js';
import type { PlanningEventLog } from '../analytics/event-log.js';
import {
  DEFAULT_TOP_CITIES,
  DEFAULT_WINDOW_HOURS,
  HOUR_MS,
  computeReport,
  type AnalyticsReport,
} from '../analytics/report.js';
import type { AnalyticsReportStore } from '../analytics/report-store.js';

export { ANALYTICS_JOB_TYPE } from '../job-types.js';
import { ANALYTICS_JOB_TYPE } from '../job-types.js';
export const MAX_WINDOW_HOURS = 168;

export interface AnalyticsParams {
  /** Hours back from now. Default 24. */
  readonly windowHours?: number;
  /** Cities listed. Default 10. */
  readonly topCities?: number;
}

export interface AnalyticsJobHandlerOptions {
  readonly events: PlanningEventLog;
  readonly reports: AnalyticsReportStore;
  /** Milliseconds since the epoch: the end of the window. Default `Date.now`. */
  readonly now?: () => number;
  /** Milliseconds for timing the computation. Default `performance.now`. */
  readonly elapsed?: () => number;
}

export class AnalyticsJobHandler implements JobHandler<
  AnalyticsParams | undefined,
  AnalyticsReport
> {
  readonly jobType = ANALYTICS_JOB_TYPE;
  private readonly events: PlanningEventLog;
  private readonly reports: AnalyticsReportStore;
  private readonly now: () => number;
  private readonly elapsed: () => number;

  constructor(options: AnalyticsJobHandlerOptions) {
    this.events = options.events;
    this.reports = options.reports;
    this.now = options.now ?? Date.now;
    this.elapsed = options.elapsed ?? (() => performance.now());
  }

  async execute(job: Job<AnalyticsParams | undefined>, ctx: JobContext): Promise<AnalyticsReport> {
    const { windowHours, topCities } = parseAnalyticsParams(job.params);
    const started = this.elapsed();
    const now = this.now();
    const events = await this.events.list(now - windowHours * HOUR_MS);
    await ctx.progress(50, `aggregating ${events.length} events`);
    const report: AnalyticsReport = {
      ...computeReport(events, { now, windowHours, topCities }),
      computeMs: Math.max(0, this.elapsed() - started),
    };
    await this.reports.save(report);
    await ctx.progress(100, 'report stored');
    return report;
  }
}

/** Validates Analytics params (undefined or {} means the defaults). */
export function parseAnalyticsParams(params: unknown): Required<AnalyticsParams> {
  if (params === undefined || params === null) {
    return { windowHours: DEFAULT_WINDOW_HOURS, topCities: DEFAULT_TOP_CITIES };
  }
  if (typeof params !== 'object' || Array.isArray(params)) {
    throw new UnrecoverableError(invalidField('params', 'an object or nothing', params).message);
  }
  const {
    windowHours = DEFAULT_WINDOW_HOURS,
    topCities = DEFAULT_TOP_CITIES,
    ...rest
  } = params as Record<string, unknown>;
  const unknown = Object.keys(rest)[0];
  if (unknown !== undefined) {
    throw new UnrecoverableError(
      invalidField('params', 'an object with only windowHours and topCities', unknown).message,
    );
  }
  const check = (field: string, value: unknown, max: number): number => {
    if (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= max)
      return value;
    throw new UnrecoverableError(invalidField(field, `an integer 1-${max}`, value).message);
  };
  return {
    windowHours: check('windowHours', windowHours, MAX_WINDOW_HOURS),
    topCities: check('topCities', topCities, 100),
  };
}
