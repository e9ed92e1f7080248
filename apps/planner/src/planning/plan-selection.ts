/**
 * Picks the kept plans from a ranking, best first, under the original's dedupe rules: a plan
 * that reorders the places of a plan already kept is skipped, and no place may appear in more
 * than `maxPlaceRepeats` kept plans. The selection is greedy over the ranking, so feeding the
 * ranking in consecutive pages gives the same result as feeding it whole; and since a place's
 * use count only grows, a later page may leave out every plan with a saturated place.
 */
import type { RankedPlan } from './top-plans.js';

export class PlanSelection {
  readonly kept: RankedPlan[] = [];
  private readonly uses = new Map<number, number>();
  private readonly placeSets = new Set<string>();

  /** `placeOf(slot, choice)` maps a candidate to a number that identifies its place. */
  constructor(
    private readonly topK: number,
    private readonly maxPlaceRepeats: number,
    private readonly placeOf: (slot: number, choice: number) => number,
  ) {}

  get done(): boolean {
    return this.kept.length >= this.topK;
  }

  /** True once a place is in `maxPlaceRepeats` kept plans: no later plan with it can be kept. */
  saturated(place: number): boolean {
    return (this.uses.get(place) ?? 0) >= this.maxPlaceRepeats;
  }

  /** Considers plans in rank order until `topK` are kept. */
  consider(ranking: readonly RankedPlan[]): void {
    for (const plan of ranking) {
      if (this.done) return;
      const places = plan.choices.map((choice, slot) => this.placeOf(slot, choice));
      if (places.some((place) => this.saturated(place))) continue;
      const setKey = [...places].sort((a, b) => a - b).join(',');
      if (this.placeSets.has(setKey)) continue;
      this.placeSets.add(setKey);
      for (const place of places) this.uses.set(place, (this.uses.get(place) ?? 0) + 1);
      this.kept.push(plan);
    }
  }
}
