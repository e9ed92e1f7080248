/**
 * The solver: the best plans of a day template, one candidate place per slot. Every combination
 * is considered (30 candidates over 4 slots is 810,000; search.ts enumerates and prunes), plans
 * that use a place twice are rejected, and the best are kept in a bounded heap; the kept plans
 * then go through the dedupe rules (plan-selection.ts). When dedupe leaves fewer than `topK` and
 * more plans exist, it enumerates again for the next page of the ranking below the last plan
 * seen, leaving out places that dedupe has saturated. The invariant: the result is always the
 * greedy dedupe selection over the exhaustive ranking (score, then enumeration order), or, when
 * the time limit stops it, over the combinations it reached. It throws when its signal is aborted
 * and depends on no job library: the job handler adapts its signal and progress callback.
 */
import type { Place } from '../places/place.js';
import { PlanSelection } from './plan-selection.js';
import { SearchSpace, runPass } from './search.js';
import type { RankedPlan } from './top-plans.js';

export const DEFAULT_TOP_K = 100;
/** A place may appear in at most this many kept plans (the original allowed one per top-5). */
export const DEFAULT_MAX_PLACE_REPEATS = 10;
export const DEFAULT_SOLVE_TIME_LIMIT_MS = 5000;
/** Plans ranked per enumeration pass, as a multiple of `topK` (small pages bound sooner). */
export const DEFAULT_PAGE_FACTOR = 2;

export interface SolveOptions {
  /** Distance normaliser in metres: the search radius. Required, > 0. */
  readonly distanceNormMeters: number;
  /** Plans to keep. Default `DEFAULT_TOP_K`. */
  readonly topK?: number;
  /** Most kept plans one place may appear in. Default `DEFAULT_MAX_PLACE_REPEATS`. */
  readonly maxPlaceRepeats?: number;
  /** Stop and return the best so far after this long. Default `DEFAULT_SOLVE_TIME_LIMIT_MS`. */
  readonly timeLimitMs?: number;
  /** Plans ranked per enumeration pass. Default `topK * DEFAULT_PAGE_FACTOR`. */
  readonly pageSize?: number;
  /** Milliseconds clock for the time limit. Default `performance.now`. */
  readonly now?: () => number;
  /** When aborted, the solver throws (the abort reason if it is an Error). */
  readonly signal?: { readonly aborted: boolean; readonly reason?: unknown };
  /** Called with a percent that only grows, and a message; awaited. */
  readonly onProgress?: (percent: number, message: string) => void | Promise<void>;
}

interface ResolvedSolveOptions extends Required<Omit<SolveOptions, 'signal' | 'onProgress'>> {
  readonly signal: SolveOptions['signal'] | undefined;
  readonly onProgress: SolveOptions['onProgress'] | undefined;
}

export interface SolvedPlan {
  readonly score: number;
  /** One place per slot, in slot order. */
  readonly places: readonly Place[];
}

export interface SolveResult {
  /** Best first; at most `topK`. */
  readonly plans: readonly SolvedPlan[];
  /** True when the time limit cut enumeration short: the plans are the best found so far. */
  readonly stoppedEarly: boolean;
  /** Combinations in the full enumeration (product of the candidate counts). */
  readonly combinations: number;
  /** Combinations enumerated in the first pass before finishing or stopping. */
  readonly explored: number;
  readonly passes: number;
}

function resolveSolveOptions(options: SolveOptions): ResolvedSolveOptions {
  const topK = options.topK ?? DEFAULT_TOP_K;
  const resolved = {
    distanceNormMeters: options.distanceNormMeters,
    topK,
    maxPlaceRepeats: options.maxPlaceRepeats ?? DEFAULT_MAX_PLACE_REPEATS,
    timeLimitMs: options.timeLimitMs ?? DEFAULT_SOLVE_TIME_LIMIT_MS,
    pageSize: options.pageSize ?? topK * DEFAULT_PAGE_FACTOR,
    now: options.now ?? (() => performance.now()),
    signal: options.signal,
    onProgress: options.onProgress,
  };
  const positive = (name: string, value: number, integer: boolean): void => {
    if (!(Number.isFinite(value) && value > 0 && (!integer || Number.isInteger(value)))) {
      throw new RangeError(
        `${name} must be ${integer ? 'an integer' : 'a number'} > 0, got ${value}`,
      );
    }
  };
  positive('distanceNormMeters', resolved.distanceNormMeters, false);
  positive('topK', resolved.topK, true);
  positive('maxPlaceRepeats', resolved.maxPlaceRepeats, true);
  positive('timeLimitMs', resolved.timeLimitMs, false);
  positive('pageSize', resolved.pageSize, true);
  return resolved;
}

/** The best plans taking one place from each slot's candidates (in the candidates' order). */
export async function solve(
  slots: readonly (readonly Place[])[],
  options: SolveOptions,
): Promise<SolveResult> {
  const o = resolveSolveOptions(options);
  const space = new SearchSpace(slots, o.distanceNormMeters);
  const selection = new PlanSelection(o.topK, o.maxPlaceRepeats, (s, c) => space.placeIndex(s, c));
  const deadline = o.now() + o.timeLimitMs;
  let cursor: RankedPlan | undefined;
  let explored = 0;
  let passes = 0;
  let stoppedEarly = false;
  while (space.combinations > 0) {
    passes++;
    const blocked = Uint8Array.from({ length: space.placeCount }, (_, p) =>
      selection.saturated(p) ? 1 : 0,
    );
    const pass = await runPass(space, {
      pageSize: o.pageSize,
      now: o.now,
      deadline,
      signal: o.signal,
      cursor,
      blocked,
      // Progress follows the first pass: later passes are short and rare.
      onProgress: passes === 1 ? o.onProgress : undefined,
    });
    if (passes === 1) explored = pass.explored;
    const ranking = pass.top.ranked();
    selection.consider(ranking);
    stoppedEarly = pass.stopped;
    cursor = ranking[ranking.length - 1];
    if (selection.done || pass.stopped || !pass.top.full || cursor === undefined) break;
  }
  await o.onProgress?.(100, `kept ${selection.kept.length} plans`);
  return {
    plans: selection.kept.map((plan) => ({
      score: plan.score,
      places: space.placesOf(plan.choices),
    })),
    stoppedEarly,
    combinations: space.combinations,
    explored,
    passes,
  };
}
