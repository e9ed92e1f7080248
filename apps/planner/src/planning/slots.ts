/**
 * The day template and the choice of candidate places for each of its slots. A slot's
 * candidates are places of its category that are open for the whole slot on the travel weekday
 * and have at least one rating; eateries must also have the requested price level (the original
 * filtered only eateries on price). At most `limit` are kept, best place score first, ties by id,
 * so the same places always give the same candidates in the same order.
 */
import type { Place, PlaceCategory, PriceLevel, Weekday } from '../places/place.js';
import { isOpenDuring } from '../places/place.js';
import { placeScore } from './score.js';

export interface Slot {
  readonly category: PlaceCategory;
  /** Minutes after midnight. */
  readonly start: number;
  readonly end: number;
}

/** Visit 10-12, Eatery 12-13, Visit 14-17, Eatery 18-20. */
export const DAY_TEMPLATE: readonly Slot[] = [
  { category: 'Visit', start: 10 * 60, end: 12 * 60 },
  { category: 'Eatery', start: 12 * 60, end: 13 * 60 },
  { category: 'Visit', start: 14 * 60, end: 17 * 60 },
  { category: 'Eatery', start: 18 * 60, end: 20 * 60 },
];

export const DEFAULT_CANDIDATES_PER_SLOT = 30;

/** "Visit 10:00-12:00". */
export function slotLabel(slot: Slot): string {
  return `${slot.category} ${clock(slot.start)}-${clock(slot.end)}`;
}

/** A compact, stable text for a template, used in cache keys: "V600-720.E720-780...". */
export function templateKey(template: readonly Slot[]): string {
  return template.map((slot) => `${slot.category.charAt(0)}${slot.start}-${slot.end}`).join('.');
}

export function selectCandidates(
  places: readonly Place[],
  slot: Slot,
  weekday: Weekday,
  priceLevel: PriceLevel,
  limit: number = DEFAULT_CANDIDATES_PER_SLOT,
): Place[] {
  return places
    .filter(
      (place) =>
        place.category === slot.category &&
        place.ratingsCount >= 1 &&
        (slot.category !== 'Eatery' || place.priceLevel === priceLevel) &&
        isOpenDuring(place.hours, weekday, slot.start, slot.end),
    )
    .map((place) => ({ place, score: placeScore(place) }))
    .sort((a, b) => b.score - a.score || compareIds(a.place.id, b.place.id))
    .slice(0, limit)
    .map(({ place }) => place);
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function clock(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}
