/**
 * The analytics report: aggregates of planning events over a window (by default the last 24 h):
 * requests per city (top N), per price level, per hour, and the cache-hit ratio. `computeReport`
 * is pure; the Analytics job handler times it and stores the report. Hourly buckets run back
 * from the report time, so together they cover the window exactly and every event in the window
 * falls in one bucket.
 */
import { PRICE_LEVELS, type PriceLevel } from '../places/place.js';
import type { PlanningEvent } from './event-log.js';

export const HOUR_MS = 60 * 60 * 1000;
export const DEFAULT_WINDOW_HOURS = 24;
export const DEFAULT_TOP_CITIES = 10;

export interface CityCount {
  readonly city: string;
  readonly country: string;
  readonly requests: number;
}

export interface AnalyticsReport {
  /** Report time, milliseconds since the epoch: the window ends here. */
  readonly generatedAt: number;
  readonly windowStart: number;
  readonly totalRequests: number;
  /** Most requested first; ties by city name. */
  readonly topCities: readonly CityCount[];
  /** Every level 0-4, in order, zero counts included. */
  readonly byPriceLevel: readonly { readonly priceLevel: PriceLevel; readonly requests: number }[];
  /** One bucket per hour of the window, oldest first; `hourStart` in ms since the epoch. */
  readonly byHour: readonly { readonly hourStart: number; readonly requests: number }[];
  readonly cacheHits: number;
  /** cacheHits / totalRequests; null when there were no requests. */
  readonly cacheHitRatio: number | null;
  /** How long computing the report took, in milliseconds. */
  readonly computeMs: number;
}

export interface ReportOptions {
  readonly now: number;
  /** Default `DEFAULT_WINDOW_HOURS`. */
  readonly windowHours?: number;
  /** Default `DEFAULT_TOP_CITIES`. */
  readonly topCities?: number;
}

/** Aggregates the events inside (now - window, now]; events outside it are ignored. */
export function computeReport(
  events: readonly PlanningEvent[],
  options: ReportOptions,
): Omit<AnalyticsReport, 'computeMs'> {
  const hours = options.windowHours ?? DEFAULT_WINDOW_HOURS;
  const windowStart = options.now - hours * HOUR_MS;
  const inWindow = events.filter((e) => e.at > windowStart && e.at <= options.now);
  const cities = new Map<string, { city: string; country: string; requests: number }>();
  const levels = PRICE_LEVELS.map(() => 0);
  const buckets = Array.from({ length: hours }, () => 0);
  let cacheHits = 0;
  for (const event of inWindow) {
    const key = `${event.country}\n${event.city}`;
    const entry = cities.get(key) ?? { city: event.city, country: event.country, requests: 0 };
    entry.requests++;
    cities.set(key, entry);
    levels[event.priceLevel] = (levels[event.priceLevel] ?? 0) + 1;
    const bucket = Math.min(hours - 1, Math.floor((event.at - windowStart - 1) / HOUR_MS));
    buckets[bucket] = (buckets[bucket] ?? 0) + 1;
    if (event.cacheHit) cacheHits++;
  }
  const topCities = [...cities.values()]
    .sort((a, b) => b.requests - a.requests || a.city.localeCompare(b.city, 'en'))
    .slice(0, options.topCities ?? DEFAULT_TOP_CITIES);
  return {
    generatedAt: options.now,
    windowStart,
    totalRequests: inWindow.length,
    topCities,
    byPriceLevel: PRICE_LEVELS.map((priceLevel) => ({
      priceLevel,
      requests: levels[priceLevel] ?? 0,
    })),
    byHour: buckets.map((requests, i) => ({ hourStart: windowStart + i * HOUR_MS, requests })),
    cacheHits,
    cacheHitRatio: inWindow.length === 0 ? null : cacheHits / inWindow.length,
  };
}
