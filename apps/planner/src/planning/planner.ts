/**
 * The planner: one planning request from place name to stored-ready solution set. It resolves
 * the location (geocoding or reverse geocoding), gathers each slot's candidates from the catalog
 * (around the city, and around nearby cities when asked), runs the solver and labels the result
 * with its data source. It holds no state between requests; caching is the caller's (the job
 * handler stores what `solve` returns under `resolved.key`).
 */
import type { PlaceCatalog } from '../places/catalog.js';
import type { LatLon } from '../places/geo.js';
import type { City } from '../places/gazetteer.js';
import type { Geocoder } from '../places/geocoding.js';
import type { Place, PlaceCategory } from '../places/place.js';
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
  type SolveOptions,
  type SolveResult,
} from './solver.js';

export const DEFAULT_MAX_NEARBY_CITIES = 10;

export interface PlannerOptions {
  readonly geocoder: Pick<Geocoder, 'geocode' | 'reverse' | 'nearby'>;
  readonly catalog: PlaceCatalog;
  /** Default `DAY_TEMPLATE`. */
  readonly template?: readonly Slot[];
  /** Default `DEFAULT_CANDIDATES_PER_SLOT` (30). */
  readonly candidatesPerSlot?: number;
  /** Plans kept per solution. Default `DEFAULT_TOP_K` (100). */
  readonly topK?: number;
  /** Default `DEFAULT_MAX_PLACE_REPEATS`. */
  readonly maxPlaceRepeats?: number;
  /** Default `DEFAULT_SOLVE_TIME_LIMIT_MS`. */
  readonly timeLimitMs?: number;
  /** Nearby cities searched at most, most populous first. Default `DEFAULT_MAX_NEARBY_CITIES`. */
  readonly maxNearbyCities?: number;
  /** Milliseconds since the epoch; also times the solver. Default `Date.now`. */
  readonly now?: () => number;
}

/** A request with its location resolved and its cache key computed. */
export interface ResolvedPlanning {
  readonly request: PlanningRequest;
  /** The geocoded city, or the city nearest to a precise point. */
  readonly city: City;
  readonly center: LatLon;
  readonly precise: boolean;
  readonly key: string;
}

export interface SolveHooks {
  readonly signal?: SolveOptions['signal'];
  /** Percent 0-95 while solving; awaited. */
  readonly onProgress?: (percent: number, message: string) => void | Promise<void>;
}

export class Planner {
  private readonly o: Required<PlannerOptions>;

  constructor(options: PlannerOptions) {
    this.o = {
      template: DAY_TEMPLATE,
      candidatesPerSlot: DEFAULT_CANDIDATES_PER_SLOT,
      topK: DEFAULT_TOP_K,
      maxPlaceRepeats: DEFAULT_MAX_PLACE_REPEATS,
      timeLimitMs: DEFAULT_SOLVE_TIME_LIMIT_MS,
      maxNearbyCities: DEFAULT_MAX_NEARBY_CITIES,
      now: Date.now,
      ...options,
    };
  }

  get catalog(): PlaceCatalog {
    return this.o.catalog;
  }

  /** Geocodes the request's location and derives its cache key. Throws `UNKNOWN_LOCATION`. */
  resolve(request: PlanningRequest): ResolvedPlanning {
    const { location } = request;
    let city: City;
    let center: LatLon;
    let locationKey: string;
    if (location.kind === 'place') {
      city = this.o.geocoder.geocode(location.query);
      center = { lat: city.lat, lon: city.lon };
      locationKey = cityLocationKey(city);
    } else {
      center = normalizePoint(location);
      city = this.o.geocoder.reverse(center);
      locationKey = pointLocationKey(center);
    }
    const key = solutionCacheKey({
      catalogId: this.o.catalog.source.id,
      location: locationKey,
      weekday: request.weekday,
      priceLevel: request.priceLevel,
      radiusMeters: request.radiusMeters,
      nearby: request.nearby,
      template: this.o.template,
      solver: {
        topK: this.o.topK,
        maxPlaceRepeats: this.o.maxPlaceRepeats,
        candidatesPerSlot: this.o.candidatesPerSlot,
      },
    });
    return { request, city, center, precise: location.kind === 'point', key };
  }

  /** Computes the solution set of a resolved request. */
  async solve(resolved: ResolvedPlanning, hooks: SolveHooks = {}): Promise<SolutionSet> {
    const started = this.o.now();
    const { request, city, center } = resolved;
    const nearbyCities = request.nearby
      ? this.o.geocoder
          .nearby(center, request.radiusMeters)
          .filter((other) => other.id !== city.id)
          .slice(0, this.o.maxNearbyCities)
      : [];
    const centers = [center, ...nearbyCities];
    const places = await this.gather(centers, request.radiusMeters);
    const candidates = this.o.template.map((slot) =>
      selectCandidates(
        places.get(slot.category) ?? [],
        slot,
        request.weekday,
        request.priceLevel,
        this.o.candidatesPerSlot,
      ),
    );
    await hooks.onProgress?.(5, `${candidates.map((c) => c.length).join(' x ')} candidates`);
    const result = await solve(candidates, {
      distanceNormMeters: request.radiusMeters,
      topK: this.o.topK,
      maxPlaceRepeats: this.o.maxPlaceRepeats,
      timeLimitMs: this.o.timeLimitMs,
      now: this.o.now,
      ...(hooks.signal === undefined ? {} : { signal: hooks.signal }),
      onProgress: (percent, message) => hooks.onProgress?.(5 + Math.floor(percent * 0.9), message),
    });
    return this.solutionSet(resolved, {
      nearbyCities,
      candidates,
      result,
      computeMs: Math.max(0, this.o.now() - started),
      computedAt: started,
    });
  }

  private solutionSet(
    resolved: ResolvedPlanning,
    computed: {
      nearbyCities: readonly City[];
      candidates: readonly (readonly Place[])[];
      result: SolveResult;
      computeMs: number;
      computedAt: number;
    },
  ): SolutionSet {
    const { request, city, center } = resolved;
    const { source } = this.o.catalog;
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
      nearbyCities: computed.nearbyCities.map((c) => c.label),
      template: this.o.template.map(slotLabel),
      dataSource: source,
      sampleData: source.kind === 'sample',
      ...(source.kind === 'sample' ? { notice: source.notice } : {}),
      plans: computed.result.plans.map((plan) =>
        toPlanView(plan.score, plan.places, this.o.template),
      ),
      candidatesPerSlot: computed.candidates.map((c) => c.length),
      combinations: computed.result.combinations,
      stoppedEarly: computed.result.stoppedEarly,
      computeMs: computed.computeMs,
      computedAt: computed.computedAt,
    };
  }

  /** Places of each category within the radius of any center, each place once. */
  private async gather(
    centers: readonly LatLon[],
    radiusMeters: number,
  ): Promise<Map<PlaceCategory, Place[]>> {
    const byCategory = new Map<PlaceCategory, Place[]>();
    const categories = [...new Set(this.o.template.map((slot) => slot.category))];
    for (const category of categories) {
      const seen = new Map<string, Place>();
      for (const center of centers) {
        for (const place of await this.o.catalog.placesNear({ category, center, radiusMeters })) {
          if (!seen.has(place.id)) seen.set(place.id, place);
        }
      }
      byCategory.set(category, [...seen.values()]);
    }
    return byCategory;
  }
}
