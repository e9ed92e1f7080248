/**
 * A planning request: what the Planning job's params hold, validated. `parsePlanningRequest` is
 * the one place that checks params and fills defaults; everything after it sees a
 * `PlanningRequest` whose every field is present and in range. A bad field is an
 * `INVALID_REQUEST` error naming the field, the rule and the value.
 */
import { invalidField } from '../errors.js';
import { isValidLatLon } from '../places/geo.js';
import { isPriceLevel, type PriceLevel, type Weekday } from '../places/place.js';
import { DEFAULT_TOP_K } from './solver.js';

export const DEFAULT_NUMBER_OF_PLANS = 5;
/** Requests may ask for at most as many plans as a solution keeps. */
export const MAX_NUMBER_OF_PLANS = DEFAULT_TOP_K;
export const DEFAULT_RADIUS_METERS = 20_000;
export const MIN_RADIUS_METERS = 1_000;
export const MAX_RADIUS_METERS = 50_000;
export const MAX_LOCATION_LENGTH = 200;

/** A place name to geocode, or a precise point (planned around the point itself). */
export type PlanningLocation =
  | { readonly kind: 'place'; readonly query: string }
  | { readonly kind: 'point'; readonly lat: number; readonly lon: number };

/** The JSON params of a Planning job, as submitted. */
export interface PlanningParams {
  /** "San Jose, CA, USA", or a precise `{ lat, lon }`. */
  readonly location: string | { readonly lat: number; readonly lon: number };
  /** Travel date, YYYY-MM-DD; its weekday decides opening hours. */
  readonly date: string;
  /** 0-4; eateries must have exactly this level. */
  readonly priceLevel: number;
  /** Plans to return, 1-100. Default `DEFAULT_NUMBER_OF_PLANS`. */
  readonly numberOfPlans?: number;
  /** Place search radius, 1000-50000 m. Default `DEFAULT_RADIUS_METERS`. */
  readonly radiusMeters?: number;
  /** Also search the places of nearby cities (over 15,000 inhabitants). Default false. */
  readonly nearby?: boolean;
}

export interface PlanningRequest {
  readonly location: PlanningLocation;
  readonly date: string;
  readonly weekday: Weekday;
  readonly priceLevel: PriceLevel;
  readonly numberOfPlans: number;
  readonly radiusMeters: number;
  readonly nearby: boolean;
}

const KNOWN_FIELDS = ['location', 'date', 'priceLevel', 'numberOfPlans', 'radiusMeters', 'nearby'];

/** Validates Planning params and fills the defaults. Throws `INVALID_REQUEST`. */
export function parsePlanningRequest(input: unknown): PlanningRequest {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw invalidField('params', 'an object', input);
  }
  const params = input as Record<string, unknown>;
  const unknown = Object.keys(params).find((key) => !KNOWN_FIELDS.includes(key));
  if (unknown !== undefined) {
    throw invalidField(
      'params',
      `an object with only the fields ${KNOWN_FIELDS.join(', ')}`,
      unknown,
    );
  }
  const { date, weekday } = parseDate(params.date);
  if (!isPriceLevel(params.priceLevel))
    throw invalidField('priceLevel', 'an integer 0-4', params.priceLevel);
  return {
    location: parseLocation(params.location),
    date,
    weekday,
    priceLevel: params.priceLevel,
    numberOfPlans: integerIn(
      'numberOfPlans',
      params.numberOfPlans,
      1,
      MAX_NUMBER_OF_PLANS,
      DEFAULT_NUMBER_OF_PLANS,
    ),
    radiusMeters: integerIn(
      'radiusMeters',
      params.radiusMeters,
      MIN_RADIUS_METERS,
      MAX_RADIUS_METERS,
      DEFAULT_RADIUS_METERS,
    ),
    nearby: booleanOr('nearby', params.nearby, false),
  };
}

/** The params that describe `request` (for submitting the same request at another price level). */
export function toPlanningParams(request: PlanningRequest): PlanningParams {
  const { location } = request;
  return {
    location: location.kind === 'place' ? location.query : { lat: location.lat, lon: location.lon },
    date: request.date,
    priceLevel: request.priceLevel,
    numberOfPlans: request.numberOfPlans,
    radiusMeters: request.radiusMeters,
    nearby: request.nearby,
  };
}

/** The weekday (0 Sunday ... 6 Saturday) of a YYYY-MM-DD date; throws on a bad date. */
export function weekdayOf(date: string): Weekday {
  return parseDate(date).weekday;
}

function parseLocation(value: unknown): PlanningLocation {
  if (typeof value === 'string') {
    const query = value.trim();
    if (query === '' || query.length > MAX_LOCATION_LENGTH) {
      throw invalidField('location', `a place name of 1-${MAX_LOCATION_LENGTH} characters`, value);
    }
    return { kind: 'place', query };
  }
  if (typeof value === 'object' && value !== null) {
    const { lat, lon } = value as { lat?: unknown; lon?: unknown };
    if (isValidLatLon(lat, lon)) return { kind: 'point', lat: lat as number, lon: lon as number };
  }
  throw invalidField('location', 'a place name or { lat: -90..90, lon: -180..180 }', value);
}

function parseDate(value: unknown): { date: string; weekday: Weekday } {
  const match = typeof value === 'string' ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(value) : null;
  if (match !== null) {
    const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
    const time = Date.UTC(year, month - 1, day);
    const parsed = new Date(time);
    if (year >= 1970 && parsed.getUTCMonth() === month - 1 && parsed.getUTCDate() === day) {
      return { date: value as string, weekday: parsed.getUTCDay() as Weekday };
    }
  }
  throw invalidField('date', 'a calendar date YYYY-MM-DD', value);
}

function integerIn(
  field: string,
  value: unknown,
  min: number,
  max: number,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max)
    return value;
  throw invalidField(field, `an integer ${min}-${max}`, value);
}

function booleanOr(field: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value === 'boolean') return value;
  throw invalidField(field, 'true or false', value);
}
