/**
 * The sample catalog: works for any city out of the box by generating the places of the city
 * nearest to the query point (see sample-places.ts). Generated cities are kept in a small LRU
 * cache; the cache changes speed only, never results, since generation is deterministic.
 */
import type { CatalogQuery, DataSource, PlaceProvider } from './catalog.js';
import { SAMPLE_DATA_NOTICE } from './catalog.js';
import { distanceMeters, type LatLon } from './geo.js';
import type { City } from './gazetteer.js';
import type { Place } from './place.js';
import { SAMPLE_GENERATION, generateSamplePlaces } from './sample-places.js';

export const DEFAULT_SAMPLE_CITY_CACHE = 64;

export interface SampleCatalogOptions {
  /** How many cities' places to keep generated. Default `DEFAULT_SAMPLE_CITY_CACHE`. */
  readonly cacheSize?: number;
}

export class SampleCatalog implements PlaceProvider {
  readonly source: DataSource = {
    kind: 'sample',
    id: `sample-${SAMPLE_GENERATION}`,
    notice: SAMPLE_DATA_NOTICE,
  };
  private readonly cache = new Map<number, readonly Place[]>();
  private readonly cacheSize: number;

  /** `cities.reverse` finds the city whose places serve a query point (a `Geocoder` does). */
  constructor(
    private readonly cities: { reverse(point: LatLon): City },
    options: SampleCatalogOptions = {},
  ) {
    this.cacheSize = Math.max(1, options.cacheSize ?? DEFAULT_SAMPLE_CITY_CACHE);
  }

  placesNear(query: CatalogQuery): Promise<readonly Place[]> {
    const city = this.cities.reverse(query.center);
    const places = this.placesOf(city).filter(
      (place) =>
        place.category === query.category &&
        distanceMeters(query.center, place) <= query.radiusMeters,
    );
    return Promise.resolve(places);
  }

  /** Every sample place of a city (both categories). */
  placesOf(city: City): readonly Place[] {
    let places = this.cache.get(city.id);
    if (places === undefined) {
      places = generateSamplePlaces(city);
      if (this.cache.size >= this.cacheSize) {
        const oldest = this.cache.keys().next();
        if (oldest.done !== true) this.cache.delete(oldest.value);
      }
    } else {
      this.cache.delete(city.id); // re-inserted below: most recently used last
    }
    this.cache.set(city.id, places);
    return places;
  }
}
