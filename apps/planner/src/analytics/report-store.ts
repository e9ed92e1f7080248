/**
 * Where the latest analytics report is kept: a one-slot async seam (a later issue backs it by
 * the dispatcher's backend). The in-memory store hands out copies.
 */
import type { AnalyticsReport } from './report.js';

export interface AnalyticsReportStore {
  /** The most recently saved report, or undefined before the first. */
  latest(): Promise<AnalyticsReport | undefined>;
  save(report: AnalyticsReport): Promise<void>;
}

export class MemoryAnalyticsReportStore implements AnalyticsReportStore {
  private report: AnalyticsReport | undefined;

  latest(): Promise<AnalyticsReport | undefined> {
    return Promise.resolve(this.report === undefined ? undefined : structuredClone(this.report));
  }

  save(report: AnalyticsReport): Promise<void> {
    this.report = structuredClone(report);
    return Promise.resolve();
  }
}
