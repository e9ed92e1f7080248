/**
 * Chooses the place provider from the configuration (`PLACES_PROVIDER`): the sample catalog
 * (default), the file catalog (`PLACES_FILE`), or a live provider (Overpass, Google Places)
 * behind the place cache, its misses fetched by PlaceFetch jobs that the library limits in rate
 * and concurrency (place-fetch.ts): `fetchJobs` is that job type's handler and options, to
 * register. Bad rows of a places file are returned, not thrown, so the service can log them and
 * start. Nothing here reads the environment.
 */
import type { HandlerOptions } from 'jobdispatch';
import { PlannerError } from '../errors.js';
import type { PlaceProvider, ProviderName } from './catalog.js';
import { loadPlacesFile } from './file-catalog.js';
import type { LatLon } from './geo.js';
import type { City } from './gazetteer.js';
import { GooglePlacesProvider } from './live/google.js';
import type { ProviderLog } from './live/left-out.js';
import { OverpassProvider } from './live/overpass.js';
import {
  CachedPlaceProvider,
  DEFAULT_PLACES_TTL_MS,
  memoryPlaceCache,
  type PlaceCache,
} from './place-cache.js';
import {
  PlaceFetchJobHandler,
  placeFetchHandlerOptions,
  queuedFetch,
  type PlaceFetchJobs,
} from './place-fetch.js';
import type { RowIssue } from './place-rows.js';
import { SampleCatalog } from './sample-catalog.js';

export interface PlacesConfig {
  readonly provider: ProviderName;
  /** For `file`. */
  readonly placesFile?: string | undefined;
  /** For `overpass`; default the public interpreter. */
  readonly overpassUrl?: string | undefined;
  /** For `google`; default Google's endpoint. */
  readonly googlePlacesUrl?: string | undefined;
  /** For `google`: required. */
  readonly googleApiKey?: string | undefined;
  /** One live call's deadline, and how long a fetch may wait in the queue for the limits. */
  readonly timeoutMs: number;
  /** Live fetches running at once, over every process of the queue (`globalConcurrency`). */
  readonly maxConcurrent: number;
  /** Live fetches started per second, over every process of the queue (`rateLimit`). */
  readonly perSecond: number;
  /** How long fetched places are kept. Default 24 h. */
  readonly cacheTtlMs?: number;
}

export const DEFAULT_PLACES_CONFIG: PlacesConfig = {
  provider: 'sample',
  timeoutMs: 8_000,
  maxConcurrent: 2,
  perSecond: 1,
};

export interface OpenedProvider {
  readonly provider: PlaceProvider;
  readonly issues: readonly RowIssue[];
  /** For a live provider: the PlaceFetch job type, to register on the dispatcher given as `jobs`. */
  readonly fetchJobs?: {
    readonly handler: PlaceFetchJobHandler;
    readonly options: HandlerOptions;
  };
}

export async function openProvider(
  config: PlacesConfig,
  deps: {
    /** Used by the sample catalog to find the city of a query point. */
    readonly cities: { reverse(point: LatLon): City };
    /** Where fetched places are cached. Default: in memory. */
    readonly cache?: PlaceCache;
    /** Where a live provider counts the places it left out of an answer. */
    readonly log?: ProviderLog;
    /** Where a live provider's fetches run as PlaceFetch jobs: required for a live provider. */
    readonly jobs?: PlaceFetchJobs;
  },
): Promise<OpenedProvider> {
  switch (config.provider) {
    case 'sample':
      return { provider: new SampleCatalog(deps.cities), issues: [] };
    case 'file': {
      if (config.placesFile === undefined) {
        throw new PlannerError(
          'CATALOG_FILE',
          'PLACES_PROVIDER=file needs PLACES_FILE, got nothing',
        );
      }
      const { catalog, issues } = await loadPlacesFile(config.placesFile);
      return { provider: catalog, issues };
    }
    case 'overpass':
    case 'google': {
      if (deps.jobs === undefined) {
        throw new Error(
          `PLACES_PROVIDER=${config.provider} needs a dispatcher to run its PlaceFetch jobs, got none`,
        );
      }
      const live =
        config.provider === 'overpass'
          ? new OverpassProvider({
              timeoutMs: config.timeoutMs,
              ...(deps.log === undefined ? {} : { log: deps.log }),
              ...(config.overpassUrl === undefined ? {} : { url: config.overpassUrl }),
            })
          : new GooglePlacesProvider({
              apiKey: requireKey(config.googleApiKey),
              timeoutMs: config.timeoutMs,
              ...(deps.log === undefined ? {} : { log: deps.log }),
              ...(config.googlePlacesUrl === undefined ? {} : { url: config.googlePlacesUrl }),
            });
      const cache = deps.cache ?? memoryPlaceCache();
      const ttlMs = config.cacheTtlMs ?? DEFAULT_PLACES_TTL_MS;
      const fetchDeadlineMs = config.timeoutMs * live.callsPerFetch;
      const limits = { maxConcurrent: config.maxConcurrent, perSecond: config.perSecond };
      const fetch = queuedFetch({
        provider: config.provider,
        jobs: deps.jobs,
        cache,
        limits,
        // As long in the queue as one call may take, then the fetch's own deadline.
        waitMs: config.timeoutMs + fetchDeadlineMs + 1000,
      });
      return {
        provider: new CachedPlaceProvider(live, cache, ttlMs, fetch),
        issues: [],
        fetchJobs: {
          handler: new PlaceFetchJobHandler(live, cache, ttlMs),
          options: placeFetchHandlerOptions(limits, fetchDeadlineMs),
        },
      };
    }
  }
}

function requireKey(key: string | undefined): string {
  if (key === undefined || key === '') {
    throw new PlannerError(
      'CATALOG_FILE',
      'PLACES_PROVIDER=google needs GOOGLE_PLACES_API_KEY, got nothing',
    );
  }
  return key;
}
