/**
 * The planner: one planning request from place name to stored-ready solution set, in three steps
 * that run where they belong. `resolve` geocodes once per HTTP request (the city, or the city
 * nearest a precise point, and the nearby cities when asked) and derives the cache key;
 * `atPriceLevel` gives the same resolution at another level without geocoding again. The
 * resolution is plain JSON: it is the Planning job's params. `gather` asks the place provider
 * for each category around every centre (on the handler's thread, where the provider's cache
 * lives; a live provider's misses are PlaceFetch jobs), and `solvePlaces` (pure, also run on solver threads) selects candidates, solves
 * and labels the result with its data source. It holds no state between requests; caching is the
 * caller's (the job handler stores the set under `resolved.key`).
 */
import type { DataSource, PlaceProvider } from '../places/catalog.js';
import type { LatLon } from '../places/geo.js';
import type { City } from '../places/gazetteer.js';
import type { Geocoder } from '../places/geocoding.js';
import type { Place, PlaceCategory, PriceLevel } from '../places/place.js';
import {
  cityLocationKey,
  normalizePoint,
  pointLocationKey,
  solutionCacheKey,
} from './cache-key.js';
import type { PlanningRequest } from './request.js';
import {
  DAY_TEMPLATE,
  DEFAULT_CANDIDATES_PER_SLOT,
  selectCandidates,
  slotLabel,
  type Slot,
} from './slots.js';
import { toPlanView, type SolutionSet } from './solution.js';
import {
  DEFAULT_MAX_PLACE_REPEATS,
  DEFAULT_SOLVE_TIME_LIMIT_MS,
  DEFAULT_TOP_K,
  solve,
  type SolveResult,
} from './solver.js';

export const DEFAULT_MAX_NEARBY_CITIES = 10;

/** What the solve depends on besides the request: part of the cache key, given to solver threads. */
export interface SolverSettings {
  readonly template: readonly Slot[];
  readonly candidatesPerSlot: number;
  /** Plans kept per solution. */
  readonly topK: number;
  readonly maxPlaceRepeats: number;
  readonly timeLimitMs: number;
}

export const DEFAULT_SOLVER_SETTINGS: SolverSettings = {
  template: DAY_TEMPLATE,
  candidatesPerSlot: DEFAULT_CANDIDATES_PER_SLOT,
  topK: DEFAULT_TOP_K,
  maxPlaceRepeats: DEFAULT_MAX_PLACE_REPEATS,
  timeLimitMs: DEFAULT_SOLVE_TIME_LIMIT_MS,
};

export interface PlannerOptions extends Partial<SolverSettings> {
  readonly geocoder: Pick<Geocoder, 'geocode' | 'reverse' | 'nearby'>;
  readonly catalog: PlaceProvider;
  /** Nearby cities searched at most, most populous first. Default `DEFAULT_MAX_NEARBY_CITIES`. */
  readonly maxNearbyCities?: number;
  /** Milliseconds since the epoch; also times the solver. Default `Date.now`. */
  readonly now?: () => number;
}

/** A request with its location resolved and its cache key computed: a Planning job's params. */
export interface ResolvedPlanning {
  readonly request: PlanningRequest;
  /** The geocoded city, or the city nearest to a precise point. */
  readonly city: City;
  readonly center: LatLon;
  readonly precise: boolean;
  /** The nearby cities whose places are searched too (empty unless `request.nearby`). */
  readonly nearbyCities: readonly City[];
  readonly key: string;
}

/** Each category's places around every centre of a resolved request. */
export type GatheredPlaces = Readonly<Partial<Record<PlaceCategory, readonly Place[]>>>;

export interface SolveHooks {
  readonly signal?: AbortSignal;
  /** Percent 0-95 while solving; awaited. */
  readonly onProgress?: (percent: number, message: string) => void | Promise<void>;
}

export class Planner {
  readonly settings: SolverSettings;
  private readonly geocoder: PlannerOptions['geocoder'];
  private readonly provider: PlaceProvider;
  private readonly maxNearbyCities: number;
  private readonly now: () => number;

  constructor(options: PlannerOptions) {
    const { geocoder, catalog, maxNearbyCities, now, ...settings } = options;
    this.settings = { ...DEFAULT_SOLVER_SETTINGS, ...definedOnly(settings) };
    this.geocoder = geocoder;
    this.provider = catalog;
    this.maxNearbyCities = maxNearbyCities ?? DEFAULT_MAX_NEARBY_CITIES;
    this.now = now ?? Date.now;
  }

  /** The settings and data source every solve of this planner uses (a solver pool's workerData). */
  get solverConfig(): SolverConfig {
    return { settings: this.settings, source: this.provider.source };
  }

  get catalog(): PlaceProvider {
    return this.provider;
  }

  /** Geocodes the request's location (once) and derives its cache key. Throws `UNKNOWN_LOCATION`. */
  resolve(request: PlanningRequest): ResolvedPlanning {
    const { location } = request;
    let city: City;
    let center: LatLon;
    if (location.kind === 'place') {
      city = this.geocoder.geocode(location.query);
      center = { lat: city.lat, lon: city.lon };
    } else {
      center = normalizePoint(location);
      city = this.geocoder.reverse(center);
    }
    const nearbyCities = request.nearby
      ? this.geocoder
          .nearby(center, request.radiusMeters)
          .filter((other) => other.id !== city.id)
          .slice(0, this.maxNearbyCities)
      : [];
    const resolved = { request, city, center, precise: location.kind === 'point', nearbyCities };
    return { ...resolved, key: this.keyOf(resolved) };
  }

  /** The same resolution at another price level: no geocoding, a new key. */
  atPriceLevel(resolved: ResolvedPlanning, priceLevel: PriceLevel): ResolvedPlanning {
    const request = { ...resolved.request, priceLevel };
    return { ...resolved, request, key: this.keyOf({ ...resolved, request }) };
  }

  /** Places of each category within the radius of any centre, each place once. */
  async gather(resolved: ResolvedPlanning, signal?: AbortSignal): Promise<GatheredPlaces> {
    const centers: LatLon[] = [resolved.center, ...resolved.nearbyCities];
    const radiusMeters = resolved.request.radiusMeters;
    const gathered: Partial<Record<PlaceCategory, Place[]>> = {};
    for (const category of [...new Set(this.settings.template.map((slot) => slot.category))]) {
      const seen = new Map<string, Place>();
      for (const center of centers) {
        const query = {
          category,
          center,
          radiusMeters,
          ...(signal === undefined ? {} : { signal }),
        };
        for (const place of await this.provider.placesNear(query)) {
          if (!seen.has(place.id)) seen.set(place.id, place);
        }
      }
      gathered[category] = [...seen.values()];
    }
    return gathered;
  }

  /** Computes the solution set of a resolved request: gather, then solve in process. */
  async solve(resolved: ResolvedPlanning, hooks: SolveHooks = {}): Promise<SolutionSet> {
    const places = await this.gather(resolved, hooks.signal);
    return solvePlaces(
      { resolved, places, settings: this.settings, source: this.provider.source },
      hooks,
      this.now,
    );
  }

  /** Solves a gathered task in process, on this planner's clock. */
  solveTask(task: SolveTask, hooks: SolveHooks = {}): Promise<SolutionSet> {
    return solvePlaces(task, hooks, this.now);
  }

  private keyOf(resolved: Omit<ResolvedPlanning, 'key'>): string {
    const { request } = resolved;
    return solutionCacheKey({
      catalogId: this.provider.source.id,
      location: resolved.precise
        ? pointLocationKey(resolved.center)
        : cityLocationKey(resolved.city),
      weekday: request.weekday,
      priceLevel: request.priceLevel,
      radiusMeters: request.radiusMeters,
      nearby: request.nearby,
      template: this.settings.template,
      solver: {
        topK: this.settings.topK,
        maxPlaceRepeats: this.settings.maxPlaceRepeats,
        candidatesPerSlot: this.settings.candidatesPerSlot,
      },
    });
  }
}

/** What changes from one solve to the next: a job's params for a solver thread. */
export interface SolveInput {
  readonly resolved: ResolvedPlanning;
  readonly places: GatheredPlaces;
}

/** What every solve of one planner shares: a solver thread's pool is given it once, as workerData. */
export interface SolverConfig {
  readonly settings: SolverSettings;
  readonly source: DataSource;
}

/** Everything a solve needs, as plain data. */
export interface SolveTask extends SolveInput, SolverConfig {}

/** Selects each slot's candidates, solves, and labels the set. Pure but for the clock. */
export async function solvePlaces(
  task: SolveTask,
  hooks: SolveHooks = {},
  now: () => number = Date.now,
): Promise<SolutionSet> {
  const started = now();
  const { resolved, places, settings, source } = task;
  const { request, city, center } = resolved;
  const candidates = settings.template.map((slot) =>
    selectCandidates(
      places[slot.category] ?? [],
      slot,
      request.weekday,
      request.priceLevel,
      settings.candidatesPerSlot,
    ),
  );
  await hooks.onProgress?.(5, `${candidates.map((c) => c.length).join(' x ')} candidates`);
  const result: SolveResult = await solve(candidates, {
    distanceNormMeters: request.radiusMeters,
    topK: settings.topK,
    maxPlaceRepeats: settings.maxPlaceRepeats,
    timeLimitMs: settings.timeLimitMs,
    now,
    ...(hooks.signal === undefined ? {} : { signal: hooks.signal }),
    onProgress: (percent, message) => hooks.onProgress?.(5 + Math.floor(percent * 0.9), message),
  });
  return {
    key: resolved.key,
    location: {
      label: city.label,
      city: city.name,
      country: city.country,
      adminCode: city.adminCode,
      lat: center.lat,
      lon: center.lon,
      precise: resolved.precise,
    },
    weekday: request.weekday,
    priceLevel: request.priceLevel,
    radiusMeters: request.radiusMeters,
    nearby: request.nearby,
    nearbyCities: resolved.nearbyCities.map((c) => c.label),
    template: settings.template.map(slotLabel),
    dataSource: source,
    sampleData: source.kind === 'sample',
    ...(source.kind === 'sample' ? { notice: source.notice } : {}),
    plans: result.plans.map((plan) => toPlanView(plan.score, plan.places, settings.template)),
    candidatesPerSlot: candidates.map((c) => c.length),
    combinations: result.combinations,
    stoppedEarly: result.stoppedEarly,
    computeMs: Math.max(0, now() - started),
    computedAt: started,
  };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
