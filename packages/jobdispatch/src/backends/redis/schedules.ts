/**
 * Argument and reply encodings of the Redis backend's type limits (claim.lua) and schedules
 * (schedule.lua), kept out of index.ts.
 */
import type { StoredSchedule, TypeLimits } from '../../backend.js';

/**
 * Appends the claim's type limits as claim.lua reads them: their number, then per type: name,
 * rate max, rate perMs, global concurrency (0 where a limit is absent).
 */
export function pushLimits(
  args: (string | number)[],
  limits: ReadonlyMap<string, TypeLimits> | undefined,
): void {
  args.push(limits?.size ?? 0);
  if (limits === undefined) return;
  for (const [type, limit] of limits) {
    args.push(type, limit.rateLimit?.max ?? 0, limit.rateLimit?.perMs ?? 0);
    args.push(limit.globalConcurrency ?? 0);
  }
}

/** schedule.lua's 'list' reply: flat key, definition, nextRunAt. */
export function decodeSchedules(flat: readonly unknown[]): StoredSchedule[] {
  const schedules: StoredSchedule[] = [];
  for (let i = 0; i + 2 < flat.length; i += 3) {
    schedules.push({
      key: String(flat[i]),
      definition: String(flat[i + 1]),
      nextRunAt: Number(flat[i + 2]),
    });
  }
  return schedules;
}
