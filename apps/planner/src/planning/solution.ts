/**
 * A solution set: what the Planning job computes and stores under its cache key. It is plain
 * JSON (it crosses process boundaries and lives in the dispatcher's backend), self-describing
 * (location, weekday, price level, template, data source) and labelled: a set computed from
 * sample data carries `sampleData: true` and the sample-data notice.
 */
import { createHash } from 'node:crypto';
import type { DataSource } from '../places/catalog.js';
import type { Place, PriceLevel, Weekday } from '../places/place.js';
import { slotLabel, type Slot } from './slots.js';

/** A place as shown in a plan: everything but its weekly hours, plus the slot it fills. */
export interface PlannedPlace extends Omit<Place, 'hours'> {
  /** "Visit 10:00-12:00". */
  readonly slot: string;
}

export interface PlanView {
  /** Derived from the place ids: the same plan has the same id in every run. */
  readonly id: string;
  readonly score: number;
  readonly places: readonly PlannedPlace[];
}

export interface SolvedLocation {
  /** "San Jose, CA, United States" (for a precise point: the nearest city's label). */
  readonly label: string;
  readonly city: string;
  readonly country: string;
  readonly adminCode: string;
  /** Where places were searched from: the city centre, or the rounded precise point. */
  readonly lat: number;
  readonly lon: number;
  readonly precise: boolean;
}

export interface SolutionSet {
  readonly key: string;
  readonly location: SolvedLocation;
  readonly weekday: Weekday;
  readonly priceLevel: PriceLevel;
  readonly radiusMeters: number;
  readonly nearby: boolean;
  /** Labels of the nearby cities whose places were searched too (empty unless `nearby`). */
  readonly nearbyCities: readonly string[];
  readonly template: readonly string[];
  readonly dataSource: DataSource;
  /** True when the places come from the sample catalog: they do not exist. */
  readonly sampleData: boolean;
  /** The sample-data notice, present exactly when `sampleData`. */
  readonly notice?: string;
  /** Best first. */
  readonly plans: readonly PlanView[];
  readonly candidatesPerSlot: readonly number[];
  readonly combinations: number;
  /** True when the time limit stopped the solver: the plans are the best found in time. */
  readonly stoppedEarly: boolean;
  readonly computeMs: number;
  /** Milliseconds since the epoch. */
  readonly computedAt: number;
}

export function toPlanView(
  score: number,
  places: readonly Place[],
  template: readonly Slot[],
): PlanView {
  const id = createHash('sha256')
    .update(places.map((place) => place.id).join('\n'))
    .digest('hex')
    .slice(0, 16);
  return {
    id,
    score,
    places: places.map(({ hours: _hours, ...place }, i) => {
      const slot = template[i];
      return { ...place, slot: slot === undefined ? '' : slotLabel(slot) };
    }),
  };
}

/** What a Planning job returns: the first `numberOfPlans` plans of a solution set. */
export interface PlanningResult {
  readonly key: string;
  /** True when the solution set was already stored and nothing was computed. */
  readonly fromCache: boolean;
  readonly sampleData: boolean;
  readonly notice?: string;
  readonly dataSource: SolutionSet['dataSource'];
  readonly location: SolvedLocation;
  readonly date: string;
  readonly weekday: Weekday;
  readonly priceLevel: PriceLevel;
  readonly nearbyCities: readonly string[];
  readonly template: readonly string[];
  readonly plans: readonly PlanView[];
  /** Plans in the stored set (a later request may ask for more of them). */
  readonly totalPlans: number;
  readonly stoppedEarly: boolean;
  readonly computeMs: number;
  readonly computedAt: number;
}

export function planningResultOf(
  set: SolutionSet,
  request: { readonly date: string; readonly numberOfPlans: number },
  fromCache: boolean,
): PlanningResult {
  return {
    key: set.key,
    fromCache,
    sampleData: set.sampleData,
    ...(set.notice === undefined ? {} : { notice: set.notice }),
    dataSource: set.dataSource,
    location: set.location,
    date: request.date,
    weekday: set.weekday,
    priceLevel: set.priceLevel,
    nearbyCities: set.nearbyCities,
    template: set.template,
    plans: set.plans.slice(0, request.numberOfPlans),
    totalPlans: set.plans.length,
    stoppedEarly: set.stoppedEarly,
    computeMs: set.computeMs,
    computedAt: set.computedAt,
  };
}
