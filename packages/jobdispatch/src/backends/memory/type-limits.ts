/**
 * The memory backend's type limits (see "Type limits" in backend.ts): how many more jobs of each
 * limited type a claim may start now, a sliding log of each rate-limited type's starts, and when
 * the earliest full window frees.
 *
 * Invariant: a type's log holds the times of its starts in the last `perMs` (oldest first; older
 * ones are trimmed when the type is next looked at), so `max - log.length` is what may start now.
 */
import type { TypeLimits } from '../../backend.js';

export class TypeLimitGate {
  /** Start times per rate-limited type, oldest first. */
  private readonly starts = new Map<string, number[]>();

  /**
   * How many more jobs of each limited type may start at `now`: the least of its rate room and
   * its global room (`running(type)` is how many of its jobs run, over the backend).
   */
  room(
    limits: ReadonlyMap<string, TypeLimits>,
    now: number,
    running: (type: string) => number,
  ): Map<string, number> {
    const room = new Map<string, number>();
    for (const [type, limit] of limits) {
      let left = Infinity;
      if (limit.rateLimit !== undefined) {
        left = limit.rateLimit.max - this.log(type, now, limit.rateLimit.perMs).length;
      }
      if (limit.globalConcurrency !== undefined) {
        left = Math.min(left, limit.globalConcurrency - running(type));
      }
      if (left !== Infinity) room.set(type, Math.max(0, left));
    }
    return room;
  }

  /** A job of `type` started at `now` (the caller checked `room`). */
  started(type: string, now: number, limits: ReadonlyMap<string, TypeLimits>): void {
    if (limits.get(type)?.rateLimit === undefined) return;
    let log = this.starts.get(type);
    if (log === undefined) this.starts.set(type, (log = []));
    log.push(now);
  }

  /**
   * The earliest time a rate-limited type with waiting jobs (`waiting(type) > 0`) may start one
   * again, when it may not now; undefined when no waiting type is held by its rate.
   */
  freesAt(
    limits: ReadonlyMap<string, TypeLimits>,
    now: number,
    waiting: (type: string) => number,
  ): number | undefined {
    let earliest: number | undefined;
    for (const [type, limit] of limits) {
      const rate = limit.rateLimit;
      if (rate === undefined || waiting(type) === 0) continue;
      const log = this.log(type, now, rate.perMs);
      if (log.length < rate.max) continue;
      // The start whose expiry brings the window below max.
      const at = (log[log.length - rate.max] as number) + rate.perMs;
      if (earliest === undefined || at < earliest) earliest = at;
    }
    return earliest;
  }

  private log(type: string, now: number, perMs: number): number[] {
    const log = this.starts.get(type);
    if (log === undefined) return [];
    let drop = 0;
    while (drop < log.length && (log[drop] as number) <= now - perMs) drop++;
    if (drop > 0) log.splice(0, drop);
    return log;
  }
}
