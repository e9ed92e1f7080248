/**
 * A place of the catalog and its weekly opening hours. A `Place` is immutable data with every
 * field in range (price level 0-4, rating 0-5, hours as minutes of the day with open < close):
 * the catalogs validate before they build one, so the solver never re-checks.
 */
import type { LatLon } from './geo.js';

export const PlaceCategory = { Visit: 'Visit', Eatery: 'Eatery' } as const;
export type PlaceCategory = (typeof PlaceCategory)[keyof typeof PlaceCategory];
export const PLACE_CATEGORIES: readonly PlaceCategory[] = [
  PlaceCategory.Visit,
  PlaceCategory.Eatery,
];

/** 0 free, 1 inexpensive, 2 moderate, 3 expensive, 4 very expensive (the Google Places scale). */
export type PriceLevel = 0 | 1 | 2 | 3 | 4;
export const PRICE_LEVELS: readonly PriceLevel[] = [0, 1, 2, 3, 4];

export function isPriceLevel(value: unknown): value is PriceLevel {
  return value === 0 || value === 1 || value === 2 || value === 3 || value === 4;
}

/** An opening interval in minutes after midnight, `open < close <= 1440`. */
export interface OpeningRange {
  readonly open: number;
  readonly close: number;
}

/** Opening ranges for each weekday, index 0 Sunday ... 6 Saturday (as `Date#getUTCDay`). */
export type WeeklyHours = readonly [
  readonly OpeningRange[],
  readonly OpeningRange[],
  readonly OpeningRange[],
  readonly OpeningRange[],
  readonly OpeningRange[],
  readonly OpeningRange[],
  readonly OpeningRange[],
];

export type Weekday = 0 | 1 | 2 | 3 | 4 | 5 | 6;
/** Short day names in `Weekday` order, as used by the places file format. */
export const WEEKDAY_KEYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export const WEEKDAY_NAMES = [
  'Sunday',
  'Monday',
  'Tuesday',
  'Wednesday',
  'Thursday',
  'Friday',
  'Saturday',
] as const;

export interface Place extends LatLon {
  readonly id: string;
  readonly name: string;
  readonly category: PlaceCategory;
  readonly address: string;
  readonly priceLevel: PriceLevel;
  /** Average rating, 0-5. */
  readonly rating: number;
  /** How many ratings the average is made of. */
  readonly ratingsCount: number;
  readonly hours: WeeklyHours;
  /** A web page for the place; empty when none is known. */
  readonly url: string;
}

/** True when one opening range of that weekday covers the whole of [start, end) (minutes). */
export function isOpenDuring(
  hours: WeeklyHours,
  day: Weekday,
  start: number,
  end: number,
): boolean {
  return hours[day].some((range) => range.open <= start && range.close >= end);
}

const RANGE = /^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$/;

/**
 * Parses one day's hours: "closed" or "" (closed), or ranges "09:00-12:00, 13:00-17:00". A range
 * whose end is not after its start runs past midnight and counts as open until 24:00 that day.
 * Returns the ranges, or a message naming the rule and the value.
 */
export function parseDayHours(text: string): OpeningRange[] | string {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed.toLowerCase() === 'closed') return [];
  const ranges: OpeningRange[] = [];
  for (const part of trimmed.split(/[,;]/)) {
    const match = RANGE.exec(part.trim());
    if (match === null)
      return `must be "closed" or ranges like "09:00-17:00", got ${JSON.stringify(text)}`;
    const open = minutes(match[1], match[2]);
    const close = minutes(match[3], match[4]);
    if (open === undefined || close === undefined || open >= 24 * 60) {
      return `has a time outside 00:00-24:00 in ${JSON.stringify(text)}`;
    }
    ranges.push({ open, close: close <= open ? 24 * 60 : close });
  }
  return ranges.sort((a, b) => a.open - b.open);
}

function minutes(hours: string | undefined, mins: string | undefined): number | undefined {
  const h = Number(hours);
  const m = Number(mins);
  if (!(h >= 0 && h <= 24 && m >= 0 && m < 60) || (h === 24 && m !== 0)) return undefined;
  return h * 60 + m;
}
