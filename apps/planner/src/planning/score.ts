/**
 * Scores, ported from the original planner. A place scores `log10(1 + ratingsCount) * boost`,
 * where boost is `rating / 5` for a free place and `rating / expectedPrice(level)` otherwise. A
 * plan scores the mean of its places' scores minus the mean great-circle distance between
 * consecutive places divided by a distance normaliser (the search radius). Both are pure; the
 * solver's fast path adds the same numbers in the same order, so its scores equal these exactly.
 */
import { distanceMeters, type LatLon } from '../places/geo.js';
import type { Place, PriceLevel } from '../places/place.js';

/** The original's expected spend for price levels 0-4. */
export const EXPECTED_PRICES: Readonly<Record<PriceLevel, number>> = {
  0: 0,
  1: 10,
  2: 30,
  3: 50,
  4: 100,
};
export const MAX_RATING = 5;

export function expectedPrice(level: PriceLevel): number {
  return EXPECTED_PRICES[level];
}

export function placeScore(place: Pick<Place, 'rating' | 'ratingsCount' | 'priceLevel'>): number {
  const price = expectedPrice(place.priceLevel);
  const boost = price === 0 ? place.rating / MAX_RATING : place.rating / price;
  return Math.log10(1 + place.ratingsCount) * boost;
}

/** The reference plan score: places in slot order, `distanceNormMeters` > 0. */
export function planScore(
  places: readonly (LatLon & Pick<Place, 'rating' | 'ratingsCount' | 'priceLevel'>)[],
  distanceNormMeters: number,
): number {
  return combineScores(
    places.map((place) => placeScore(place)),
    places.slice(1).map((place, i) => distanceMeters(places[i] ?? place, place)),
    distanceNormMeters,
  );
}

/** Mean place score minus normalised mean leg distance; sums run left to right. */
export function combineScores(
  placeScores: readonly number[],
  legMeters: readonly number[],
  distanceNormMeters: number,
): number {
  let scoreSum = 0;
  for (const s of placeScores) scoreSum += s;
  let legSum = 0;
  for (const d of legMeters) legSum += d;
  const meanLeg = legMeters.length === 0 ? 0 : legSum / legMeters.length;
  return scoreSum / placeScores.length - meanLeg / distanceNormMeters;
}
