/**
 * The solution cache key. Two requests get the same key exactly when they must get the same
 * plans: same data (catalog id), same normalised location (a city by its GeoNames id, a precise
 * point rounded to 0.001 degree, about 100 m), same weekday, price level, radius, nearby flag,
 * slot template and solver settings. The date itself is not in the key: only its weekday matters.
 */
import type { LatLon } from '../places/geo.js';
import type { City } from '../places/gazetteer.js';
import type { PriceLevel, Weekday } from '../places/place.js';
import { templateKey, type Slot } from './slots.js';

/** Bumped whenever the solver or the stored format changes meaning. */
export const SOLUTION_KEY_VERSION = 1;

export interface SolutionKeyParts {
  readonly catalogId: string;
  /** From `cityLocationKey` or `pointLocationKey`. */
  readonly location: string;
  readonly weekday: Weekday;
  readonly priceLevel: PriceLevel;
  readonly radiusMeters: number;
  readonly nearby: boolean;
  readonly template: readonly Slot[];
  readonly solver: {
    readonly topK: number;
    readonly maxPlaceRepeats: number;
    readonly candidatesPerSlot: number;
  };
}

export function solutionCacheKey(parts: SolutionKeyParts): string {
  const { solver } = parts;
  return [
    'plans',
    `v${SOLUTION_KEY_VERSION}`,
    parts.catalogId,
    parts.location,
    `wd${parts.weekday}`,
    `p${parts.priceLevel}`,
    `r${parts.radiusMeters}`,
    `n${parts.nearby ? 1 : 0}`,
    templateKey(parts.template),
    `k${solver.topK}.r${solver.maxPlaceRepeats}.c${solver.candidatesPerSlot}`,
  ].join(':');
}

export function cityLocationKey(city: Pick<City, 'id'>): string {
  return `city-${city.id}`;
}

export function pointLocationKey(point: LatLon): string {
  const { lat, lon } = normalizePoint(point);
  return `pt${lat.toFixed(3)},${lon.toFixed(3)}`;
}

/** A precise point rounded to 0.001 degree: plans are computed around the rounded point. */
export function normalizePoint(point: LatLon): LatLon {
  const round = (value: number): number => Math.round(value * 1000) / 1000 + 0; // + 0 turns -0 into 0
  return { lat: round(point.lat), lon: round(point.lon) };
}
