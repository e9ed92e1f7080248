/**
 * The solver: the best plans of a day template, one candidate place per slot. It enumerates every
 * combination (30 candidates over 4 slots is 810,000), skips those that use a place twice,
 * scores the rest (score.ts) and keeps the best in a bounded heap, pruning any branch whose
 * score bound cannot reach the heap's worst; the kept plans then go through the dedupe rules
 * (plan-selection.ts). When dedupe leaves fewer than `topK` plans and more exist,
 * it enumerates again for the next page of the ranking below the last plan seen, leaving out
 * places that dedupe has saturated, so the result is always the greedy selection over the
 * exhaustive ranking. It stops at a time limit with the best
 * found so far, reports progress, and throws when its signal is aborted. It depends on no job
 * library: the job handler adapts its signal and progress callback.
 */
import { PlannerError } from '../errors.js';
import { distanceMeters } from '../places/geo.js';
import type { Place } from '../places/place.js';
import { PlanSelection } from './plan-selection.js';
import { placeScore } from './score.js';
import { TopPlans, ranksBelow, type RankedPlan } from './top-plans.js';

export const DEFAULT_TOP_K = 100;
/** A place may appear in at most this many kept plans (the original allowed one per top-5). */
export const DEFAULT_MAX_PLACE_REPEATS = 10;
export const DEFAULT_SOLVE_TIME_LIMIT_MS = 5000;
/** Plans ranked per enumeration pass, as a multiple of `topK` (small pages bound sooner). */
export const DEFAULT_PAGE_FACTOR = 2;
const PROGRESS_STEP = 5;

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

export function resolveSolveOptions(options: SolveOptions): ResolvedSolveOptions {
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
    const pass = await runPass(space, o, {
      deadline,
      cursor,
      blocked,
      reportProgress: passes === 1,
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

/** Candidates with their scores, distances and place numbers precomputed. */
class SearchSpace {
  readonly n: number;
  readonly lengths: number[];
  /** strides[d]: how many combinations one step of slot d skips. */
  readonly strides: number[];
  readonly combinations: number;
  readonly scores: Float64Array[];
  /** legs[d][i * lengths[d + 1] + j]: metres from candidate i of slot d to j of slot d + 1. */
  readonly legs: Float64Array[];
  readonly places: Int32Array[];
  readonly placeCount: number;
  /** maxScoreAfter[d]: the sum over slots after d of their best place score (for bounds). */
  readonly maxScoreAfter: number[];
  /** sortedDesc[d]: slot d's candidates come best place score first. */
  readonly sortedDesc: boolean[];

  constructor(
    private readonly slots: readonly (readonly Place[])[],
    readonly distanceNormMeters: number,
  ) {
    this.n = slots.length;
    this.lengths = slots.map((s) => s.length);
    this.strides = this.lengths.map((_, d) => this.lengths.slice(d + 1).reduce((a, b) => a * b, 1));
    this.combinations = this.n === 0 ? 0 : this.lengths.reduce((a, b) => a * b, 1);
    this.scores = slots.map((s) => Float64Array.from(s, (place) => placeScore(place)));
    this.legs = slots.slice(0, -1).map((from, d) => {
      const to = slots[d + 1] ?? [];
      const legs = new Float64Array(from.length * to.length);
      from.forEach((a, i) =>
        to.forEach((b, j) => (legs[i * to.length + j] = distanceMeters(a, b))),
      );
      return legs;
    });
    const ids = new Map<string, number>();
    this.places = slots.map((s) =>
      Int32Array.from(s, (place) => {
        const known = ids.get(place.id);
        if (known !== undefined) return known;
        ids.set(place.id, ids.size);
        return ids.size - 1;
      }),
    );
    this.placeCount = ids.size;
    const best = this.scores.map((scores) =>
      scores.reduce((max, s) => Math.max(max, s), -Infinity),
    );
    this.maxScoreAfter = best.map((_, d) => best.slice(d + 1).reduce((sum, s) => sum + s, 0));
    this.sortedDesc = this.scores.map((scores) =>
      scores.every((s, i) => i === 0 || s <= (scores[i - 1] ?? s)),
    );
  }

  placeIndex(slot: number, choice: number): number {
    return this.places[slot]?.[choice] ?? -1;
  }

  placesOf(choices: readonly number[]): Place[] {
    return choices.map((choice, slot) => {
      const place = this.slots[slot]?.[choice];
      if (place === undefined) throw new RangeError(`no candidate ${choice} in slot ${slot}`);
      return place;
    });
  }
}

interface PassResult {
  readonly top: TopPlans;
  readonly stopped: boolean;
  readonly explored: number;
}

interface PassSettings {
  readonly deadline: number;
  /** Only plans ranked below this one are eligible (undefined: all). */
  readonly cursor: RankedPlan | undefined;
  /** blocked[place] = 1: plans with this place are left out. */
  readonly blocked: Uint8Array;
  readonly reportProgress: boolean;
}

/** One enumeration of every combination, keeping the best `pageSize` eligible plans. */
async function runPass(
  space: SearchSpace,
  o: ResolvedSolveOptions,
  settings: PassSettings,
): Promise<PassResult> {
  const { deadline, cursor, blocked, reportProgress } = settings;
  const walker = new Walker(
    space,
    new TopPlans(o.pageSize, space.n),
    cursor,
    blocked,
    () => o.now() >= deadline,
  );
  const first = space.lengths[0] ?? 0;
  let reported = 0;
  for (let i = 0; i < first; i++) {
    throwIfAborted(o.signal);
    walker.walkFirst(i);
    if (walker.stopped) break;
    const percent = Math.floor((100 * (i + 1)) / first);
    if (reportProgress && percent >= reported + PROGRESS_STEP && percent < 100) {
      reported = percent;
      await o.onProgress?.(
        percent,
        `scored ${((i + 1) * (space.strides[0] ?? 1)).toLocaleString('en-US')} of ${space.combinations.toLocaleString('en-US')} combinations`,
      );
    }
    await yieldToEventLoop();
  }
  throwIfAborted(o.signal);
  return {
    top: walker.top,
    stopped: walker.stopped,
    explored: walker.stopped ? walker.position : space.combinations,
  };
}

/**
 * The synchronous depth-first walk under one first-slot candidate. A place already used higher
 * in the plan prunes its whole subtree. The clock is read before each run of the last slot.
 */
class Walker {
  stopped = false;
  /** Sequence number of the next combination not yet looked at (valid once stopped). */
  position = 0;
  private readonly used: Int32Array;
  private readonly choices: Int32Array;
  private readonly scoreSums: Float64Array;
  private readonly legSums: Float64Array;

  constructor(
    private readonly space: SearchSpace,
    readonly top: TopPlans,
    private readonly cursor: RankedPlan | undefined,
    blocked: Uint8Array,
    private readonly outOfTime: () => boolean,
  ) {
    // A blocked place counts as already used: every combination with it is pruned.
    this.used = Int32Array.from(blocked);
    this.choices = new Int32Array(space.n);
    this.scoreSums = new Float64Array(space.n);
    this.legSums = new Float64Array(space.n);
  }

  walkFirst(i: number): void {
    const { space } = this;
    const place = space.places[0]?.[i] ?? 0;
    if ((this.used[place] ?? 0) > 0) return;
    this.choices[0] = i;
    this.scoreSums[0] = space.scores[0]?.[i] ?? 0;
    this.legSums[0] = 0;
    const seq = i * (space.strides[0] ?? 1);
    if (space.n === 1) {
      if (this.checkClock(seq)) return;
      this.offer(this.scoreSums[0], 0, seq);
      return;
    }
    this.used[place] = (this.used[place] ?? 0) + 1;
    this.walk(1, seq);
    this.used[place] = (this.used[place] ?? 0) - 1;
  }

  private walk(depth: number, seqBase: number): void {
    const { space, used, choices, scoreSums, legSums, top } = this;
    const last = depth === space.n - 1;
    if (last && this.checkClock(seqBase)) return;
    const count = space.lengths[depth] ?? 0;
    const stride = space.strides[depth] ?? 1;
    const scores = space.scores[depth] ?? new Float64Array(0);
    const places = space.places[depth] ?? new Int32Array(0);
    const legs = space.legs[depth - 1] ?? new Float64Array(0);
    const legRow = (choices[depth - 1] ?? 0) * count;
    const scoreBase = scoreSums[depth - 1] ?? 0;
    const legBase = legSums[depth - 1] ?? 0;
    const bound = new Bound(space, depth);
    for (let i = 0; i < count; i++) {
      const place = places[i] ?? 0;
      if ((used[place] ?? 0) > 0) continue;
      const scoreSum = scoreBase + (scores[i] ?? 0);
      const threshold = top.threshold;
      // Branch and bound: legs only lower a score, and later candidates score no higher.
      if (bound.below(scoreSum, legBase, threshold)) {
        if (space.sortedDesc[depth] === true) break;
        continue;
      }
      const legSum = legBase + (legs[legRow + i] ?? 0);
      if (bound.below(scoreSum, legSum, threshold)) continue;
      const seq = seqBase + i * stride;
      choices[depth] = i;
      if (last) {
        this.offer(scoreSum, legSum, seq);
        continue;
      }
      scoreSums[depth] = scoreSum;
      legSums[depth] = legSum;
      used[place] = (used[place] ?? 0) + 1;
      this.walk(depth + 1, seq);
      used[place] = (used[place] ?? 0) - 1;
      if (this.stopped) return;
    }
  }

  /** Scores a full combination exactly as `combineScores` does and offers it to the heap. */
  private offer(scoreSum: number, legSum: number, seq: number): void {
    const { n, distanceNormMeters } = this.space;
    const meanLeg = n === 1 ? 0 : legSum / (n - 1);
    const score = scoreSum / n - meanLeg / distanceNormMeters;
    const cursor = this.cursor;
    if (cursor !== undefined && !ranksBelow(score, seq, cursor.score, cursor.seq)) return;
    this.top.offer(score, seq, this.choices);
  }

  private checkClock(seq: number): boolean {
    if (!this.outOfTime()) return false;
    this.stopped = true;
    this.position = seq;
    return true;
  }
}

/**
 * An upper bound on the score of any plan that completes a partial one: its place scores so far
 * plus the best score of every later slot, minus the legs so far. A little slack keeps float
 * rounding from ever pruning a plan whose computed score could still reach the threshold.
 */
class Bound {
  private readonly rest: number;
  private readonly n: number;
  private readonly legDivisor: number;

  constructor(
    space: SearchSpace,
    depth: number,
    private readonly norm = space.distanceNormMeters,
  ) {
    this.rest = space.maxScoreAfter[depth] ?? 0;
    this.n = space.n;
    this.legDivisor = Math.max(1, space.n - 1);
  }

  /** True when no completion can reach `threshold`. */
  below(scoreSum: number, legSum: number, threshold: number): boolean {
    const bound = (scoreSum + this.rest) / this.n - legSum / this.legDivisor / this.norm;
    return bound + 1e-9 * (1 + Math.abs(bound)) < threshold;
  }
}

function throwIfAborted(signal: SolveOptions['signal']): void {
  if (signal?.aborted !== true) return;
  throw signal.reason instanceof Error
    ? signal.reason
    : new PlannerError('ABORTED', 'planning was aborted');
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
