import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UnrecoverableError } from 'jobdispatch';
import { MemoryPlanningEventLog, type PlanningEvent } from '../src/analytics/event-log.js';
import { MemoryAnalyticsReportStore } from '../src/analytics/report-store.js';
import { HOUR_MS, computeReport } from '../src/analytics/report.js';
import { AnalyticsJobHandler } from '../src/handlers/analytics-job-handler.js';
import type { PriceLevel } from '../src/places/place.js';
import { makeJob, recordingContext } from './helpers.js';

const NOW = Date.UTC(2026, 11, 5, 12, 0, 0);

function event(
  city: string,
  hoursAgo: number,
  priceLevel: PriceLevel = 2,
  cacheHit = false,
): PlanningEvent {
  return {
    city,
    country: city.split(', ').pop() ?? '',
    priceLevel,
    at: NOW - hoursAgo * HOUR_MS,
    cacheHit,
  };
}

describe('analytics report', () => {
  it('counts requests per city, top 10, most requested first', () => {
    const events: PlanningEvent[] = [];
    for (let i = 0; i < 12; i++) {
      for (let n = 0; n <= i; n++) events.push(event(`City ${String(i).padStart(2, '0')}, XX`, 1));
    }
    const report = computeReport(events, { now: NOW });
    assert.equal(report.topCities.length, 10);
    assert.deepEqual(report.topCities[0], { city: 'City 11, XX', country: 'XX', requests: 12 });
    assert.deepEqual(
      report.topCities.map((c) => c.requests),
      [12, 11, 10, 9, 8, 7, 6, 5, 4, 3],
    );
    assert.equal(report.totalRequests, 78);
  });

  it('counts requests per price level, every level listed', () => {
    const report = computeReport([event('A, X', 1, 0), event('A, X', 1, 4), event('B, X', 2, 4)], {
      now: NOW,
    });
    assert.deepEqual(report.byPriceLevel, [
      { priceLevel: 0, requests: 1 },
      { priceLevel: 1, requests: 0 },
      { priceLevel: 2, requests: 0 },
      { priceLevel: 3, requests: 0 },
      { priceLevel: 4, requests: 2 },
    ]);
  });

  it('counts requests per hour over the last 24 h and ignores older events', () => {
    const report = computeReport(
      [event('A, X', 0), event('A, X', 0.5), event('A, X', 23.5), event('A, X', 25)],
      { now: NOW },
    );
    assert.equal(report.byHour.length, 24);
    assert.equal(report.byHour[0]?.hourStart, NOW - 24 * HOUR_MS);
    assert.equal(report.byHour[0]?.requests, 1);
    assert.equal(report.byHour[23]?.requests, 2);
    assert.equal(
      report.byHour.reduce((sum, h) => sum + h.requests, 0),
      3,
    );
    assert.equal(report.totalRequests, 3);
  });

  it('gives the cache-hit ratio, or null when there were no requests', () => {
    const report = computeReport(
      [event('A, X', 1, 2, true), event('A, X', 1), event('A, X', 2), event('A, X', 3, 1, true)],
      { now: NOW },
    );
    assert.equal(report.cacheHits, 2);
    assert.equal(report.cacheHitRatio, 0.5);
    assert.equal(computeReport([], { now: NOW }).cacheHitRatio, null);
  });
});

describe('Analytics job handler', () => {
  it('aggregates the recorded events and stores the report with its computation time', async () => {
    const events = new MemoryPlanningEventLog();
    await events.record(event('Paris, FR', 1, 1, true));
    await events.record(event('Paris, FR', 2, 1));
    await events.record(event('Tokyo, JP', 30));
    const reports = new MemoryAnalyticsReportStore();
    let elapsed = 100;
    const handler = new AnalyticsJobHandler({
      events,
      reports,
      now: () => NOW,
      elapsed: () => (elapsed += 7),
    });
    assert.equal(handler.jobType, 'Analytics');
    const ctx = recordingContext();
    const report = await handler.execute(makeJob('Analytics', undefined), ctx);
    assert.equal(report.totalRequests, 2);
    assert.deepEqual(report.topCities, [{ city: 'Paris, FR', country: 'FR', requests: 2 }]);
    assert.equal(report.computeMs, 7);
    assert.deepEqual(await reports.latest(), report);
    assert.equal(ctx.reports[ctx.reports.length - 1]?.percent, 100);
  });

  it('honours windowHours and topCities, and refuses bad params without retries', async () => {
    const events = new MemoryPlanningEventLog();
    await events.record(event('Tokyo, JP', 30));
    await events.record(event('Paris, FR', 1));
    const handler = new AnalyticsJobHandler({
      events,
      reports: new MemoryAnalyticsReportStore(),
      now: () => NOW,
    });
    const report = await handler.execute(
      makeJob('Analytics', { windowHours: 48, topCities: 1 }),
      recordingContext(),
    );
    assert.equal(report.totalRequests, 2);
    assert.equal(report.byHour.length, 48);
    assert.equal(report.topCities.length, 1);
    await assert.rejects(
      handler.execute(makeJob('Analytics', { windowHours: 0 }), recordingContext()),
      (e: unknown) =>
        e instanceof UnrecoverableError &&
        e.message === 'windowHours must be an integer 1-168, got 0',
    );
    await assert.rejects(
      handler.execute(makeJob('Analytics', { window: 3 } as never), recordingContext()),
      (e: unknown) => e instanceof UnrecoverableError && /got "window"/.test(e.message),
    );
  });
});
