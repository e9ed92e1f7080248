/**
 * Checks for what the shared stores read back: Redis is shared, so an entry may be from an older
 * version, written by hand, or corrupt. Each decoder returns the value, or `{ invalid }` naming
 * the first field that is wrong; the stores log that and treat the entry as a miss.
 */
import type { PlanningEvent } from '../analytics/event-log.js';
import type { AnalyticsReport } from '../analytics/report.js';
import { PLACE_CATEGORIES, isPriceLevel, type Place } from '../places/place.js';
import type { SolutionSet } from '../planning/solution.js';
import type { Decoder } from './json-store.js';

type Invalid = { readonly invalid: string };
type Fields = Record<string, unknown>;

const isObject = (value: unknown): value is Fields =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isNumber = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value);
const isString = (value: unknown): value is string => typeof value === 'string';
const invalid = (field: string): Invalid => ({
  invalid: `${field} is missing or of the wrong type`,
});

/** The first field of `value` whose check fails, or undefined. */
function firstBad(
  value: Fields,
  checks: Readonly<Record<string, (v: unknown) => boolean>>,
): string | undefined {
  return Object.keys(checks).find((field) => !checks[field]?.(value[field]));
}

export const decodeSolutionSet: Decoder<SolutionSet> = (value) => {
  if (!isObject(value)) return invalid('solution set');
  const bad = firstBad(value, {
    key: isString,
    location: (v) => isObject(v) && isString(v.label) && isString(v.country) && isNumber(v.lat),
    weekday: (v) => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 6,
    priceLevel: isPriceLevel,
    radiusMeters: isNumber,
    nearbyCities: Array.isArray,
    template: (v) => Array.isArray(v) && v.every(isString),
    dataSource: (v) => isObject(v) && isString(v.kind) && isString(v.id),
    sampleData: (v) => typeof v === 'boolean',
    plans: (v) => Array.isArray(v) && v.every(isPlanView),
    stoppedEarly: (v) => typeof v === 'boolean',
  });
  return bad === undefined
    ? (value as unknown as SolutionSet)
    : invalid(`solution set field ${bad}`);
};

function isPlanView(value: unknown): boolean {
  return (
    isObject(value) &&
    isString(value.id) &&
    isNumber(value.score) &&
    Array.isArray(value.places) &&
    value.places.every(
      (p) =>
        isObject(p) && isString(p.id) && isString(p.name) && isNumber(p.lat) && isNumber(p.lon),
    )
  );
}

export const decodePlaces: Decoder<readonly Place[]> = (value) => {
  if (!Array.isArray(value)) return invalid('places');
  for (const [index, place] of value.entries()) {
    if (!isObject(place)) return invalid(`places[${index}]`);
    const bad = firstBad(place, {
      id: isString,
      name: isString,
      category: (v) => PLACE_CATEGORIES.includes(v as never),
      lat: isNumber,
      lon: isNumber,
      address: isString,
      priceLevel: isPriceLevel,
      rating: isNumber,
      ratingsCount: isNumber,
      url: isString,
      hours: (v) =>
        Array.isArray(v) &&
        v.length === 7 &&
        v.every(
          (day) =>
            Array.isArray(day) &&
            day.every((r) => isObject(r) && isNumber(r.open) && isNumber(r.close)),
        ),
    });
    if (bad !== undefined) return invalid(`places[${index}].${bad}`);
  }
  return value as readonly Place[];
};

export const decodeReport: Decoder<AnalyticsReport> = (value) => {
  if (!isObject(value)) return invalid('report');
  const bad = firstBad(value, {
    generatedAt: isNumber,
    windowStart: isNumber,
    totalRequests: isNumber,
    topCities: Array.isArray,
    byPriceLevel: Array.isArray,
    byHour: Array.isArray,
    cacheHits: isNumber,
    computeMs: isNumber,
  });
  return bad === undefined ? (value as unknown as AnalyticsReport) : invalid(`report field ${bad}`);
};

export const decodeEvent: Decoder<PlanningEvent> = (value) => {
  if (!isObject(value)) return invalid('event');
  const bad = firstBad(value, {
    city: isString,
    country: isString,
    priceLevel: isPriceLevel,
    at: isNumber,
    cacheHit: (v) => typeof v === 'boolean',
  });
  if (bad !== undefined) return invalid(`event field ${bad}`);
  const { city, country, priceLevel, at, cacheHit } = value as unknown as PlanningEvent;
  return { city, country, priceLevel, at, cacheHit };
};
