/**
 * Retention: how long, and how many, finished records a queue keeps. Given once, to the backend's
 * constructor; both backends resolve it here so that they agree on defaults and on what is valid.
 */
import type { ResolvedRetention, RetentionOptions, RetentionRule } from './backend.js';
import { invalidArgument } from './errors.js';

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

/** Completed (and duplicated) 24 h and 10,000 records; failed and cancelled 7 days and 10,000. */
export const DEFAULT_RETENTION: ResolvedRetention = {
  completed: { maxAgeMs: DAY_MS, maxCount: 10_000 },
  failed: { maxAgeMs: 7 * DAY_MS, maxCount: 10_000 },
  cancelled: { maxAgeMs: 7 * DAY_MS, maxCount: 10_000 },
};

/** Fills defaults and checks every value: INVALID_ARGUMENT names the field, rule and value. */
export function resolveRetention(options: RetentionOptions | undefined): ResolvedRetention {
  if (options === undefined) return DEFAULT_RETENTION;
  if (options === null || typeof options !== 'object')
    throw invalidArgument('retention', 'an object', options);
  for (const key of Object.keys(options)) {
    if (key !== 'completed' && key !== 'failed' && key !== 'cancelled') {
      throw invalidArgument(`retention.${key}`, 'one of completed, failed, cancelled', key);
    }
  }
  return {
    completed: rule('completed', options.completed),
    failed: rule('failed', options.failed),
    cancelled: rule('cancelled', options.cancelled),
  };
}

function rule(
  status: keyof ResolvedRetention,
  given: RetentionRule | undefined,
): Required<RetentionRule> {
  const fallback = DEFAULT_RETENTION[status];
  if (given === undefined) return fallback;
  if (given === null || typeof given !== 'object')
    throw invalidArgument(`retention.${status}`, 'an object', given);
  const maxAgeMs = given.maxAgeMs ?? fallback.maxAgeMs;
  const maxCount = given.maxCount ?? fallback.maxCount;
  if (typeof maxAgeMs !== 'number' || !(maxAgeMs > 0) || Number.isNaN(maxAgeMs)) {
    throw invalidArgument(
      `retention.${status}.maxAgeMs`,
      'a number > 0 (Infinity: no limit)',
      maxAgeMs,
    );
  }
  if (
    typeof maxCount !== 'number' ||
    !(maxCount >= 0) ||
    !(Number.isInteger(maxCount) || maxCount === Infinity)
  ) {
    throw invalidArgument(
      `retention.${status}.maxCount`,
      'an integer >= 0 (Infinity: no limit)',
      maxCount,
    );
  }
  return { maxAgeMs, maxCount };
}
