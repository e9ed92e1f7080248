/**
 * Fetched places, cached per point and category: a live provider wrapped so that the same
 * question ("the eateries within 20 km of this city centre") is asked of the network once per
 * TTL, whatever the number of requests, price levels or processes (the cache is shared through
 * Redis when `REDIS_URL` is set). Concurrent misses for one key in this process share one fetch
 * (and in the service, a fetch is a PlaceFetch job whose dedupKey is the key: place-fetch.ts). A
 * failed fetch is not cached: the next request asks again.
 */
import { decodePlaces } from '../stores/decode.js';
import { type ExpiringStore, MemoryJsonStore } from '../stores/json-store.js';
import type { CatalogQuery, DataSource, PlaceProvider } from './catalog.js';
import type { Place } from './place.js';

export type PlaceCache = ExpiringStore<readonly Place[]>;

/** Fetched places live this long (opening hours and openings change, slowly). */
export const DEFAULT_PLACES_TTL_MS = 24 * 60 * 60 * 1000;
/**
 * A place is about 460 B of JSON (`npm run bench:stores`): a full Overpass answer of 500 places
 * is about 225 KB, so 32 MiB keeps at least 145 fetches (a city's two categories are two).
 */
export const DEFAULT_PLACE_CACHE_BYTES = 32 * 1024 * 1024;

export function memoryPlaceCache(
  options: { maxBytes?: number; now?: () => number } = {},
): PlaceCache {
  return new MemoryJsonStore<readonly Place[]>({
    maxBytes: options.maxBytes ?? DEFAULT_PLACE_CACHE_BYTES,
    decode: decodePlaces,
    ...(options.now === undefined ? {} : { now: options.now }),
  });
}

/** The cache key of one fetch: provider data version, point (0.001 degree), category, radius. */
export function placesCacheKey(source: DataSource, query: CatalogQuery): string {
  const { lat, lon } = query.center;
  return `places:${source.id}:${lat.toFixed(3)},${lon.toFixed(3)}:${query.category}:r${Math.round(query.radiusMeters)}`;
}

/**
 * How a miss is answered: the places of `query`, stored under `key` in the cache. Default: ask
 * the provider in this process (`directFetch`); the service runs it as a PlaceFetch job.
 */
export type FetchPlaces = (key: string, query: CatalogQuery) => Promise<readonly Place[]>;

/** Asks the provider here and stores its answer for `ttlMs`. */
export function directFetch(
  provider: PlaceProvider,
  cache: PlaceCache,
  ttlMs: number = DEFAULT_PLACES_TTL_MS,
): FetchPlaces {
  return async (key, query) => {
    const places = await provider.placesNear(query);
    await cache.set(key, places, ttlMs);
    return places;
  };
}

export class CachedPlaceProvider implements PlaceProvider {
  readonly source: DataSource;
  private readonly inFlight = new Map<string, Promise<readonly Place[]>>();
  private readonly fetch: FetchPlaces;

  constructor(
    provider: PlaceProvider,
    private readonly cache: PlaceCache,
    ttlMs: number = DEFAULT_PLACES_TTL_MS,
    fetch?: FetchPlaces,
  ) {
    this.source = provider.source;
    this.fetch = fetch ?? directFetch(provider, cache, ttlMs);
  }

  async placesNear(query: CatalogQuery): Promise<readonly Place[]> {
    const { signal, ...shared } = query;
    const key = placesCacheKey(this.source, shared);
    const cached = await this.cache.get(key);
    if (cached !== undefined) return cached;
    let pending = this.inFlight.get(key);
    if (pending === undefined) {
      // The fetch is shared by every waiter: one waiter's abort must not end it for the others.
      pending = this.fetch(key, shared).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    return signal === undefined ? pending : untilAborted(pending, signal);
  }
}

/** `promise`, or the signal's reason as soon as it aborts. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    promise
      .then(resolve, reject)
      .finally(() => signal.removeEventListener('abort', onAbort))
      .catch(() => undefined);
  });
}
