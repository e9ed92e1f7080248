/**
 * OpenStreetMap through the Overpass API (no key). Visits are tourism attractions, museums,
 * galleries and viewpoints, and named parks; eateries are restaurants and cafes. One POST per
 * query (`data=<Overpass QL>`), answered as `{ elements: [{ type, id, lat, lon | center, tags }] }`.
 *
 * What OSM does not say is filled by documented defaults (README, "Places providers"):
 * - **Price level**: OSM has no price scale. Visits are 0 (free) when `fee=no` or for parks and
 *   viewpoints, else 1; cafes are 1 and restaurants 2 (`OSM_DEFAULT_PRICE`).
 * - **Rating**: OSM has no ratings. Every place rates `OSM_RATING` (4.0) and counts
 *   1 + 10 for a `wikidata` or `wikipedia` tag + 1 for a `website` as its "ratings", so places
 *   notable enough for an encyclopedia rank first.
 * - **Hours**: the `opening_hours` tag, parsed by the `opening_hours` package; a park, viewpoint
 *   or attraction without it is open all day; any other place without it, or with a value the
 *   parser rejects, is left out (it cannot be planned on a day it may be closed).
 */
import { providerError } from '../../errors.js';
import type { CatalogQuery, DataSource, PlaceProvider } from '../catalog.js';
import { distanceMeters } from '../geo.js';
import type { Place, PlaceCategory, PriceLevel } from '../place.js';
import { fetchJson } from './http.js';
import { LeftOut, type ProviderLog } from './left-out.js';
import { ALWAYS_OPEN, weeklyHoursOf } from './opening-hours.js';

export const DEFAULT_OVERPASS_URL = 'https://overpass-api.de/api/interpreter';
/** Bumped when the mapping from OSM tags to places changes (it is part of cache keys). */
export const OVERPASS_MAPPING_VERSION = 1;
export const OSM_RATING = 4;
/** At most this many elements per query. */
export const OVERPASS_MAX_ELEMENTS = 500;

export const OSM_DEFAULT_PRICE = {
  freeVisit: 0,
  visit: 1,
  cafe: 1,
  restaurant: 2,
} as const satisfies Record<string, PriceLevel>;

export interface OverpassOptions {
  readonly url?: string;
  readonly timeoutMs: number;
  /** The day whose week opening hours are read for. Default: now. */
  readonly now?: () => number;
  /** Where the places left out of an answer are counted, by reason. */
  readonly log?: ProviderLog;
}

interface OsmElement {
  readonly type?: unknown;
  readonly id?: unknown;
  readonly lat?: unknown;
  readonly lon?: unknown;
  readonly center?: { readonly lat?: unknown; readonly lon?: unknown };
  readonly tags?: Readonly<Record<string, unknown>>;
}

export class OverpassProvider implements PlaceProvider {
  readonly source: DataSource = {
    kind: 'live',
    id: `osm-${OVERPASS_MAPPING_VERSION}`,
    name: 'overpass',
  };
  /** HTTP calls one `placesNear` makes at most (its deadline is this many call deadlines). */
  readonly callsPerFetch = 1;
  private readonly url: string;

  constructor(private readonly options: OverpassOptions) {
    this.url = options.url ?? DEFAULT_OVERPASS_URL;
  }

  async placesNear(query: CatalogQuery): Promise<readonly Place[]> {
    const body = await fetchJson({
      provider: 'overpass',
      url: this.url,
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'user-agent': 'jobdispatch-planner/0.1',
      },
      body: `data=${encodeURIComponent(overpassQuery(query, this.options.timeoutMs))}`,
      timeoutMs: this.options.timeoutMs,
      ...(query.signal === undefined ? {} : { signal: query.signal }),
    });
    const elements = elementsOf(body);
    const reference = new Date(this.options.now?.() ?? Date.now());
    const places: Place[] = [];
    const skipped = new LeftOut();
    for (const element of elements) {
      const place = placeOf(element, query.category, reference);
      if (typeof place === 'string') skipped.add(place);
      else if (distanceMeters(query.center, place) <= query.radiusMeters) places.push(place);
      else skipped.add('outside the radius');
    }
    skipped.report(this.options.log, 'overpass', query, elements.length);
    return places;
  }
}

/** The Overpass QL query for one category around one point. */
export function overpassQuery(query: CatalogQuery, timeoutMs: number): string {
  const around = `(around:${Math.round(query.radiusMeters)},${query.center.lat},${query.center.lon})`;
  const selectors =
    query.category === 'Visit'
      ? [
          `nwr["tourism"~"^(attraction|museum|gallery|viewpoint)$"]["name"]${around};`,
          `nwr["leisure"="park"]["name"]${around};`,
        ]
      : [`nwr["amenity"~"^(restaurant|cafe)$"]["name"]${around};`];
  const seconds = Math.max(1, Math.ceil(timeoutMs / 1000));
  return `[out:json][timeout:${seconds}];(${selectors.join('')});out center tags qt ${OVERPASS_MAX_ELEMENTS};`;
}

function elementsOf(body: unknown): readonly OsmElement[] {
  const record = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const remark = typeof record.remark === 'string' ? record.remark : '';
  if (/runtime error|timed out|out of memory/i.test(remark)) {
    const busy = /timed out|out of memory/i.test(remark);
    throw providerError(
      busy ? 'PLACES_PROVIDER_UNAVAILABLE' : 'PLACES_PROVIDER_FAILED',
      'overpass',
      `the query did not complete: ${JSON.stringify(remark.slice(0, 200))}`,
    );
  }
  if (!Array.isArray(record.elements)) {
    throw providerError(
      'PLACES_PROVIDER_FAILED',
      'overpass',
      'the answer has no "elements" array (not an Overpass JSON answer)',
    );
  }
  return record.elements as OsmElement[];
}

/** The place an element maps to, or why it is left out. */
function placeOf(element: OsmElement, category: PlaceCategory, reference: Date): Place | string {
  const tags = element.tags ?? {};
  const text = (key: string): string => {
    const value = tags[key];
    return typeof value === 'string' ? value.trim() : '';
  };
  const lat = typeof element.lat === 'number' ? element.lat : element.center?.lat;
  const lon = typeof element.lon === 'number' ? element.lon : element.center?.lon;
  const name = text('name');
  if (typeof lat !== 'number' || typeof lon !== 'number' || name === '')
    return 'no name or position';
  if (typeof element.type !== 'string' || typeof element.id !== 'number') return 'no type or id';
  const amenity = text('amenity');
  const tourism = text('tourism');
  const leisure = text('leisure');
  const outdoor = leisure === 'park' || tourism === 'viewpoint' || tourism === 'attraction';
  const eatery = amenity === 'restaurant' || amenity === 'cafe';
  if ((category === 'Eatery') !== eatery) return 'another category';
  const tag = text('opening_hours');
  const hours = tag === '' ? (outdoor ? ALWAYS_OPEN : undefined) : weeklyHoursOf(tag, reference);
  if (hours === undefined) {
    return tag === '' ? 'no opening_hours' : 'opening_hours the parser rejects';
  }
  const priceLevel: PriceLevel = eatery
    ? amenity === 'cafe'
      ? OSM_DEFAULT_PRICE.cafe
      : OSM_DEFAULT_PRICE.restaurant
    : text('fee') === 'no' || leisure === 'park' || tourism === 'viewpoint'
      ? OSM_DEFAULT_PRICE.freeVisit
      : OSM_DEFAULT_PRICE.visit;
  const notable = text('wikidata') !== '' || text('wikipedia') !== '';
  const website = webUrl(text('website') || text('contact:website'));
  const street = [text('addr:housenumber'), text('addr:street')].filter(Boolean).join(' ');
  return {
    id: `osm-${element.type}-${element.id}`,
    name: name.slice(0, 300),
    category,
    lat,
    lon,
    address: [street, text('addr:city')].filter(Boolean).join(', ').slice(0, 500),
    priceLevel,
    rating: OSM_RATING,
    ratingsCount: 1 + (notable ? 10 : 0) + (website === undefined ? 0 : 1),
    hours,
    url: website ?? `https://www.openstreetmap.org/${element.type}/${element.id}`,
  };
}

function webUrl(value: string): string | undefined {
  if (value === '') return undefined;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}
