/**
 * The solver's search: candidates precomputed into flat arrays (place scores, leg distances,
 * place numbers), and one pass of depth-first enumeration over every combination in a fixed
 * order (slot 0 slowest), keeping the best `pageSize` eligible plans. A branch is pruned when it
 * repeats a place, uses a blocked place, or cannot score above the worst kept plan; none of
 * these can drop a plan the pass would have kept, so a pass keeps exactly the top of the
 * eligible ranking. A pass yields to the event loop between first-slot candidates, so an abort
 * is seen and progress is reported while it runs.
 */
import { PlannerError } from '../errors.js';
import { distanceMeters } from '../places/geo.js';
import type { Place } from '../places/place.js';
import { placeScore } from './score.js';
import { TopPlans, ranksBelow, type RankedPlan } from './top-plans.js';

/** Percent between progress reports. */
const PROGRESS_STEP = 5;

/** Candidates with their scores, distances and place numbers precomputed. */
export class SearchSpace {
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

export interface PassResult {
  readonly top: TopPlans;
  readonly stopped: boolean;
  readonly explored: number;
}

export interface PassSettings {
  readonly pageSize: number;
  /** The pass stops once `now() >= deadline`. */
  readonly now: () => number;
  readonly deadline: number;
  readonly signal: { readonly aborted: boolean; readonly reason?: unknown } | undefined;
  /** Progress callback for this pass, or undefined for none. */
  readonly onProgress: ((percent: number, message: string) => void | Promise<void>) | undefined;
  /** Only plans ranked below this one are eligible (undefined: all). */
  readonly cursor: RankedPlan | undefined;
  /** blocked[place] = 1: plans with this place are left out. */
  readonly blocked: Uint8Array;
}

/** One enumeration of every combination, keeping the best `pageSize` eligible plans. */
export async function runPass(space: SearchSpace, settings: PassSettings): Promise<PassResult> {
  const { deadline, now, signal, onProgress } = settings;
  const top = new TopPlans(settings.pageSize, space.n);
  const walker = new Walker(space, top, settings.cursor, settings.blocked, () => now() >= deadline);
  const first = space.lengths[0] ?? 0;
  let reported = 0;
  for (let i = 0; i < first; i++) {
    throwIfAborted(signal);
    walker.walkFirst(i);
    if (walker.stopped) break;
    const percent = Math.floor((100 * (i + 1)) / first);
    if (onProgress !== undefined && percent >= reported + PROGRESS_STEP && percent < 100) {
      reported = percent;
      await onProgress(
        percent,
        `scored ${((i + 1) * (space.strides[0] ?? 1)).toLocaleString('en-US')} of ${space.combinations.toLocaleString('en-US')} combinations`,
      );
    }
    await yieldToEventLoop();
  }
  throwIfAborted(signal);
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

function throwIfAborted(signal: PassSettings['signal']): void {
  if (signal?.aborted !== true) return;
  throw signal.reason instanceof Error
    ? signal.reason
    : new PlannerError('ABORTED', 'planning was aborted');
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
