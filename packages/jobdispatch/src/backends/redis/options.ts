/**
 * RedisBackend options: the public, optional shape with its defaults, and `resolveOptions()`, which
 * fills the defaults and validates once so the backend only ever sees the resolved type.
 */
import { safeString } from '../../describe.js';
import {
  DEFAULT_DEDUP_TTL_MS,
  type ResolvedRetention,
  type RetentionOptions,
} from '../../backend.js';
import { checkAging, checkCapacity, invalidArgument } from '../../errors.js';
import { DEFAULT_CAPACITY_PER_LEVEL } from '../../priority-queue.js';
import { type EventLogOptions, type ResolvedEventLog, resolveEventLog } from '../../event-log.js';
import { resolveRetention } from '../../retention.js';
import { type ConnectionSource, type RedisConnection, resolveConnection } from './client.js';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
export const DEFAULT_QUEUE = 'default';
/**
 * How long a claimed job is held without renewal before another worker may take it over. The
 * dispatcher renews every third of it, so a worker must stall for two renewals in a row to lose a
 * job; a crashed worker's jobs run again within about this long (plus one reaper tick).
 */
export const DEFAULT_LEASE_MS = 15_000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 3000;

export interface RedisBackendOptions {
  /**
   * What to connect to: a `redis://` / `rediss://` URL, ioredis `RedisOptions` (Sentinel:
   * `{ sentinels: [{ host, port }], name: 'mymaster' }`), or an ioredis `Redis` or `Cluster` the
   * caller configured. The backend opens its own connections from it (a given client is
   * `duplicate()`d) and never closes a client it was given. Default `redis://127.0.0.1:6379`.
   */
  readonly connection?: RedisConnection;
  /** Shorthand for a URL `connection` (give one of the two). */
  readonly url?: string;
  /**
   * The queue: every process using the same Redis and queue name shares its jobs. All of its keys
   * are `jd:{queue}:...` (one Redis Cluster hash tag). No braces. Default `'default'`.
   */
  readonly queue?: string;
  /** How long a claim holds a job without renewal (see `DEFAULT_LEASE_MS`). Default 15000, min 100. */
  readonly leaseMs?: number;
  /** Jobs each level may hold, across all processes. Default 1000. */
  readonly capacityPerLevel?: number;
  /** Opt-in aging, as for the in-process backend: a job that waited this long competes one level up. */
  readonly maxWaitMs?: { readonly normal?: number; readonly low?: number };
  /**
   * How long a completed execution keeps absorbing submits with its dedupKey (while its record is
   * kept). Default 24 h.
   */
  readonly dedupTtlMs?: number;
  /** How long, and how many, finished records the queue keeps (see `RetentionOptions`). */
  readonly retention?: RetentionOptions;
  /** How many events the queue's log (a Redis Stream) keeps. Default 10,000. */
  readonly events?: EventLogOptions;
  /**
   * The clock for records, due times, dedup, retention and aging (only leases use the Redis
   * server's, the one clock every process shares).
   */
  readonly now?: () => number;
  /**
   * A timer on that clock: calls `callback` once `ms` have passed on it, and returns its cancel.
   * The backend sets one, for the next due time, only while a scheduled job waits. Default: an
   * unref'd `setTimeout`. Give it with `now` when the clock is not the real one.
   */
  readonly setTimer?: (callback: () => void, ms: number) => () => void;
  /** How long `open()` waits for Redis before failing with BACKEND_UNAVAILABLE. Default 3000. */
  readonly connectTimeoutMs?: number;
  /** Where errors that belong to no caller go (a lost connection, a malformed record). Default: a process warning. */
  readonly onError?: (error: unknown) => void;
}

export interface ResolvedRedisOptions {
  /** How messages name the server (no password). */
  readonly url: string;
  readonly source: ConnectionSource;
  readonly queue: string;
  readonly leaseMs: number;
  readonly capacityPerLevel: number;
  readonly agingNormalMs: number;
  readonly agingLowMs: number;
  readonly dedupTtlMs: number;
  readonly retention: ResolvedRetention;
  readonly events: ResolvedEventLog;
  readonly now: () => number;
  readonly setTimer: (callback: () => void, ms: number) => () => void;
  readonly connectTimeoutMs: number;
  readonly onError: (error: unknown) => void;
}

export function resolveOptions(options: RedisBackendOptions): ResolvedRedisOptions {
  const source = resolveConnection(options.connection, options.url, DEFAULT_REDIS_URL);
  const capacityPerLevel = checkCapacity(options.capacityPerLevel ?? DEFAULT_CAPACITY_PER_LEVEL);
  const dedupTtlMs = options.dedupTtlMs ?? DEFAULT_DEDUP_TTL_MS;
  if (typeof dedupTtlMs !== 'number' || !(dedupTtlMs > 0)) {
    throw invalidArgument('dedupTtlMs', 'a number > 0', dedupTtlMs);
  }
  return {
    url: source.label,
    source,
    queue: options.queue ?? DEFAULT_QUEUE,
    leaseMs: atLeast('leaseMs', options.leaseMs ?? DEFAULT_LEASE_MS, 100),
    capacityPerLevel,
    agingNormalMs: aging('maxWaitMs.normal', options.maxWaitMs?.normal),
    agingLowMs: aging('maxWaitMs.low', options.maxWaitMs?.low),
    dedupTtlMs,
    retention: resolveRetention(options.retention),
    events: resolveEventLog(options.events),
    now: options.now ?? Date.now,
    setTimer: options.setTimer ?? realTimer,
    connectTimeoutMs: atLeast(
      'connectTimeoutMs',
      options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      1,
    ),
    onError:
      options.onError ??
      ((error) => process.emitWarning(`jobdispatch redis: ${safeString(error)}`)),
  };
}

function realTimer(callback: () => void, ms: number): () => void {
  const timer = setTimeout(callback, ms);
  timer.unref();
  return () => clearTimeout(timer);
}

function atLeast(field: string, value: number, min: number): number {
  if (!(Number.isFinite(value) && value >= min))
    throw invalidArgument(field, `a number >= ${min}`, value);
  return value;
}

/** 0 means off (what the claim script expects). */
function aging(field: string, value: number | undefined): number {
  const limit = checkAging(field, value);
  return limit === Infinity ? 0 : limit;
}
