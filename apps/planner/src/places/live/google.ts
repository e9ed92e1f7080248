/**
 * Google Places (New), when `GOOGLE_PLACES_API_KEY` is set. Visits come from one Nearby Search
 * (`POST /v1/places:searchNearby`, types tourist_attraction, museum, art_gallery, park, ranked
 * by popularity, at most 20: the API's limit); eateries from a Text Search
 * (`POST /v1/places:searchText`, "restaurants and cafes" biased to the circle, 20 a page, up to
 * `GOOGLE_MAX_PAGES` pages through `nextPageToken`). Both answer `{ places: [...] }` with the
 * fields the field mask asks for: `id`, `displayName.text`, `formattedAddress`,
 * `location.latitude/longitude`, `rating`, `userRatingCount`, `priceLevel` (`PRICE_LEVEL_*`),
 * `regularOpeningHours.periods`, `types`, `googleMapsUri`.
 *
 * An eatery without a price level is left out (the plan filters eateries by price); a visit
 * without one is free (0). A place without regular opening hours is open all day if it is a park
 * or a tourist attraction, and is left out otherwise. A place without ratings is never planned
 * (the solver's rule), as with every catalog.
 */
import { providerError } from '../../errors.js';
import type { CatalogQuery, DataSource, PlaceProvider } from '../catalog.js';
import { distanceMeters } from '../geo.js';
import type { OpeningRange, Place, PlaceCategory, PriceLevel, WeeklyHours } from '../place.js';
import { fetchJson } from './http.js';
import { LeftOut, type ProviderLog } from './left-out.js';
import { ALWAYS_OPEN } from './opening-hours.js';

export const DEFAULT_GOOGLE_PLACES_URL = 'https://places.googleapis.com';
export const GOOGLE_MAPPING_VERSION = 1;
export const GOOGLE_MAX_PAGES = 3;
/** Nearby Search's circle is at most 50 km. */
const MAX_RADIUS = 50_000;

export const VISIT_TYPES = ['tourist_attraction', 'museum', 'art_gallery', 'park'] as const;
const ALWAYS_OPEN_TYPES = new Set(['park', 'tourist_attraction']);
const EATERY_TYPES = new Set(['restaurant', 'cafe', 'coffee_shop']);

const FIELDS = [
  'id',
  'displayName',
  'formattedAddress',
  'location',
  'rating',
  'userRatingCount',
  'priceLevel',
  'regularOpeningHours',
  'types',
  'googleMapsUri',
].map((field) => `places.${field}`);

export const PRICE_LEVEL: Readonly<Record<string, PriceLevel>> = {
  PRICE_LEVEL_FREE: 0,
  PRICE_LEVEL_INEXPENSIVE: 1,
  PRICE_LEVEL_MODERATE: 2,
  PRICE_LEVEL_EXPENSIVE: 3,
  PRICE_LEVEL_VERY_EXPENSIVE: 4,
};

export interface GooglePlacesOptions {
  readonly apiKey: string;
  readonly url?: string;
  readonly timeoutMs: number;
  /** Where the places left out of an answer are counted, by reason. */
  readonly log?: ProviderLog;
}

interface GooglePoint {
  readonly day?: unknown;
  readonly hour?: unknown;
  readonly minute?: unknown;
}

interface GooglePlace {
  readonly id?: unknown;
  readonly displayName?: { readonly text?: unknown };
  readonly formattedAddress?: unknown;
  readonly location?: { readonly latitude?: unknown; readonly longitude?: unknown };
  readonly rating?: unknown;
  readonly userRatingCount?: unknown;
  readonly priceLevel?: unknown;
  readonly regularOpeningHours?: {
    readonly periods?: readonly { readonly open?: GooglePoint; readonly close?: GooglePoint }[];
  };
  readonly types?: unknown;
  readonly googleMapsUri?: unknown;
}

export class GooglePlacesProvider implements PlaceProvider {
  readonly source: DataSource = {
    kind: 'live',
    id: `google-${GOOGLE_MAPPING_VERSION}`,
    name: 'google',
  };
  /** HTTP calls one `placesNear` makes at most: an eatery fetch pages through Text Search. */
  readonly callsPerFetch = GOOGLE_MAX_PAGES;
  private readonly base: string;

  constructor(private readonly options: GooglePlacesOptions) {
    this.base = (options.url ?? DEFAULT_GOOGLE_PLACES_URL).replace(/\/+$/, '');
  }

  async placesNear(query: CatalogQuery): Promise<readonly Place[]> {
    const circle = {
      center: { latitude: query.center.lat, longitude: query.center.lon },
      radius: Math.min(MAX_RADIUS, query.radiusMeters),
    };
    const found: GooglePlace[] = [];
    if (query.category === 'Visit') {
      const body = await this.call(query.signal, 'searchNearby', {
        includedTypes: VISIT_TYPES,
        maxResultCount: 20,
        rankPreference: 'POPULARITY',
        locationRestriction: { circle },
      });
      found.push(...placesOf(body));
    } else {
      let pageToken: string | undefined;
      for (let page = 0; page < GOOGLE_MAX_PAGES; page++) {
        const body = await this.call(query.signal, 'searchText', {
          textQuery: 'restaurants and cafes',
          pageSize: 20,
          locationBias: { circle },
          ...(pageToken === undefined ? {} : { pageToken }),
        });
        found.push(...placesOf(body));
        const next = (body as { nextPageToken?: unknown }).nextPageToken;
        if (typeof next !== 'string' || next === '') break;
        pageToken = next;
      }
    }
    const places: Place[] = [];
    const seen = new Set<string>();
    const skipped = new LeftOut();
    for (const raw of found) {
      const place = placeOf(raw, query.category);
      if (typeof place === 'string') skipped.add(place);
      else if (seen.has(place.id)) skipped.add('a repeat');
      else if (distanceMeters(query.center, place) > query.radiusMeters)
        skipped.add('outside the radius');
      else {
        seen.add(place.id);
        places.push(place);
      }
    }
    skipped.report(this.options.log, 'google', query, found.length);
    return places;
  }

  private call(
    signal: AbortSignal | undefined,
    method: 'searchNearby' | 'searchText',
    request: object,
  ): Promise<unknown> {
    const mask = method === 'searchText' ? [...FIELDS, 'nextPageToken'] : FIELDS;
    return fetchJson({
      provider: 'google',
      url: `${this.base}/v1/places:${method}`,
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-goog-api-key': this.options.apiKey,
        'x-goog-fieldmask': mask.join(','),
      },
      body: JSON.stringify(request),
      timeoutMs: this.options.timeoutMs,
      ...(signal === undefined ? {} : { signal }),
    });
  }
}

function placesOf(body: unknown): readonly GooglePlace[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw providerError('PLACES_PROVIDER_FAILED', 'google', 'the answer is not a JSON object');
  }
  const places = (body as { places?: unknown }).places;
  if (places === undefined) return []; // the API leaves "places" out when nothing matched
  if (!Array.isArray(places)) {
    throw providerError(
      'PLACES_PROVIDER_FAILED',
      'google',
      '"places" in the answer is not an array',
    );
  }
  return places as GooglePlace[];
}

/** The place an answer's entry maps to, or why it is left out. */
function placeOf(raw: GooglePlace, category: PlaceCategory): Place | string {
  const name = raw.displayName?.text;
  const lat = raw.location?.latitude;
  const lon = raw.location?.longitude;
  if (typeof raw.id !== 'string' || typeof name !== 'string' || name.trim() === '')
    return 'no id or name';
  if (typeof lat !== 'number' || typeof lon !== 'number') return 'no location';
  const types = Array.isArray(raw.types) ? raw.types.filter((t) => typeof t === 'string') : [];
  const isEatery = types.some((type) => EATERY_TYPES.has(type));
  if ((category === 'Eatery') !== isEatery) return 'another category';
  const price = typeof raw.priceLevel === 'string' ? PRICE_LEVEL[raw.priceLevel] : undefined;
  if (category === 'Eatery' && price === undefined) return 'an eatery without a price level';
  const hours =
    raw.regularOpeningHours?.periods === undefined
      ? types.some((type) => ALWAYS_OPEN_TYPES.has(type))
        ? ALWAYS_OPEN
        : undefined
      : hoursOf(raw.regularOpeningHours.periods);
  if (hours === undefined) return 'no regular opening hours';
  const rating =
    typeof raw.rating === 'number' && raw.rating >= 0 && raw.rating <= 5 ? raw.rating : 0;
  const count =
    typeof raw.userRatingCount === 'number' && Number.isInteger(raw.userRatingCount)
      ? Math.max(0, raw.userRatingCount)
      : 0;
  return {
    id: `google-${raw.id}`,
    name: name.trim().slice(0, 300),
    category,
    lat,
    lon,
    address: typeof raw.formattedAddress === 'string' ? raw.formattedAddress.slice(0, 500) : '',
    priceLevel: price ?? 0,
    rating,
    ratingsCount: count,
    hours,
    url: typeof raw.googleMapsUri === 'string' ? raw.googleMapsUri : '',
  };
}

/**
 * `regularOpeningHours.periods` to weekly hours: `day` 0 is Sunday, as here. A period with no
 * `close` opening on Sunday at 00:00 is open around the clock; a period that closes on a later
 * day is open until 24:00 on its opening day (the day template ends at 20:00).
 */
export function hoursOf(
  periods: readonly { readonly open?: GooglePoint; readonly close?: GooglePoint }[],
): WeeklyHours | undefined {
  const days: OpeningRange[][] = [[], [], [], [], [], [], []];
  for (const period of periods) {
    const open = pointOf(period.open);
    if (open === undefined) continue;
    if (period.close === undefined) {
      if (open.day === 0 && open.minutes === 0) return ALWAYS_OPEN;
      continue;
    }
    const close = pointOf(period.close);
    if (close === undefined) continue;
    const end = close.day === open.day && close.minutes > open.minutes ? close.minutes : 24 * 60;
    days[open.day]?.push({ open: open.minutes, close: end });
  }
  for (const day of days) day.sort((a, b) => a.open - b.open);
  const [sun = [], mon = [], tue = [], wed = [], thu = [], fri = [], sat = []] = days;
  return [sun, mon, tue, wed, thu, fri, sat];
}

function pointOf(point: GooglePoint | undefined): { day: number; minutes: number } | undefined {
  const { day, hour, minute = 0 } = point ?? {};
  if (typeof day !== 'number' || !Number.isInteger(day) || day < 0 || day > 6) return undefined;
  if (typeof hour !== 'number' || hour < 0 || hour > 24) return undefined;
  if (typeof minute !== 'number' || minute < 0 || minute > 59) return undefined;
  return { day, minutes: hour * 60 + minute };
}
