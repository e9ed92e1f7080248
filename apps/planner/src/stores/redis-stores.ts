/**
 * The planner's shared stores on Redis, for a service of several processes: solution sets and
 * fetched places (by key, with their TTL), planning events (a sorted set by time, trimmed to the
 * analytics window) and the latest analytics report. All use one connection, opened from the
 * connection configuration the service gives, and keys of their own under
 * `planner:{<queue>}:` (outside the library's `jd:` prefix, which belongs to the job backend).
 *
 * What is read back is decoded with a check: a corrupt or foreign entry is logged and treated as
 * a miss (or, in the event log, skipped), never a crash. A command that fails (Redis down,
 * refusing, timing out) rejects with `STORE_UNAVAILABLE` naming the store, which the HTTP layer
 * answers with 503; connection errors are logged when the connection state changes, not swallowed.
 */
import { Redis } from 'ioredis';
import type { PlanningEvent, PlanningEventLog } from '../analytics/event-log.js';
import type { AnalyticsReport } from '../analytics/report.js';
import type { AnalyticsReportStore } from '../analytics/report-store.js';
import { PlannerError } from '../errors.js';
import type { Place } from '../places/place.js';
import type { PlaceCache } from '../places/place-cache.js';
import type { SolutionSet } from '../planning/solution.js';
import type { SolutionStore } from '../planning/solution-store.js';
import { decodeEvent, decodePlaces, decodeReport, decodeSolutionSet } from './decode.js';
import { type Decoder, type ExpiringStore, isInvalid } from './json-store.js';

/** Planning events older than this are dropped from Redis (the analytics window is at most 7 days). */
export const EVENT_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

/** The one Redis connection configuration of a service, shared by the job backend and the stores. */
export interface RedisConnection {
  readonly url: string;
  /** Milliseconds to connect before a command fails. */
  readonly connectTimeoutMs: number;
}

/** Where the stores report what they could not read or reach (a pino logger fits). */
export interface StoreLog {
  warn(fields: Record<string, unknown>, message: string): void;
}

export interface RedisStores {
  readonly solutions: SolutionStore;
  readonly places: PlaceCache;
  readonly events: PlanningEventLog;
  readonly reports: AnalyticsReportStore;
  /** The key prefix every store writes under. */
  readonly prefix: string;
  close(): Promise<void>;
}

export function storePrefix(queue: string): string {
  return `planner:{${queue}}:`;
}

export function redisStores(
  connection: RedisConnection,
  options: { readonly queue: string; readonly log: StoreLog },
): RedisStores {
  const redis = new Redis(connection.url, {
    connectTimeout: connection.connectTimeoutMs,
    maxRetriesPerRequest: 1,
    // A command waits for a reply (or a reconnect) only this long, then fails.
    commandTimeout: Math.max(1000, connection.connectTimeoutMs),
  });
  const { log } = options;
  let lastError: string | undefined;
  redis.on('error', (error: Error) => {
    // Logged once per outage, not once per reconnect attempt.
    if (error.message === lastError) return;
    lastError = error.message;
    log.warn({ err: error.message }, 'planner stores: Redis connection error');
  });
  redis.on('ready', () => {
    if (lastError !== undefined) log.warn({}, 'planner stores: Redis connection restored');
    lastError = undefined;
  });
  const prefix = storePrefix(options.queue);
  const link: Link = { redis, log };
  return {
    prefix,
    solutions: new RedisJsonStore<SolutionSet>(
      link,
      `${prefix}solution:`,
      'solution cache',
      decodeSolutionSet,
    ),
    places: new RedisJsonStore<readonly Place[]>(
      link,
      `${prefix}places:`,
      'place cache',
      decodePlaces,
    ),
    events: new RedisPlanningEventLog(link, `${prefix}events`),
    reports: new RedisAnalyticsReportStore(link, `${prefix}report`),
    close: async () => {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

interface Link {
  readonly redis: Redis;
  readonly log: StoreLog;
}

/** Runs one command; any failure becomes STORE_UNAVAILABLE naming the store. */
async function command<T>(store: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    // The client's text (it names the address) stays in the cause, for the log, not the answer.
    throw new PlannerError('STORE_UNAVAILABLE', `the ${store} on Redis is unavailable`, {
      cause: error,
    });
  }
}

function decodeText<T>(
  link: Link,
  store: string,
  key: string,
  raw: string,
  decode: Decoder<T>,
): T | undefined {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    link.log.warn({ key, store }, `${store}: entry is not JSON; treated as a miss`);
    return undefined;
  }
  const decoded = decode(value);
  if (isInvalid(decoded)) {
    link.log.warn(
      { key, store, problem: decoded.invalid },
      `${store}: corrupt entry; treated as a miss`,
    );
    return undefined;
  }
  return decoded;
}

class RedisJsonStore<T> implements ExpiringStore<T> {
  constructor(
    private readonly link: Link,
    private readonly prefix: string,
    private readonly name: string,
    private readonly decode: Decoder<T>,
  ) {}

  async get(key: string): Promise<T | undefined> {
    const raw = await command(this.name, () => this.link.redis.get(this.prefix + key));
    return raw === null
      ? undefined
      : decodeText(this.link, this.name, this.prefix + key, raw, this.decode);
  }

  async set(key: string, value: T, ttlMs: number): Promise<void> {
    if (!(Number.isFinite(ttlMs) && ttlMs > 0)) {
      throw new RangeError(`ttlMs must be a number > 0, got ${ttlMs}`);
    }
    const text = JSON.stringify(value);
    await command(this.name, () =>
      this.link.redis.set(this.prefix + key, text, 'PX', Math.ceil(ttlMs)),
    );
  }
}

class RedisPlanningEventLog implements PlanningEventLog {
  private sequence = 0;

  constructor(
    private readonly link: Link,
    private readonly key: string,
  ) {}

  async record(event: PlanningEvent): Promise<void> {
    // The member must be unique even for identical events in the same millisecond.
    const member = JSON.stringify({ ...event, n: `${process.pid}.${++this.sequence}` });
    await command('planning event log', () =>
      this.link.redis
        .multi()
        .zadd(this.key, event.at, member)
        .zremrangebyscore(this.key, '-inf', event.at - EVENT_RETENTION_MS)
        .exec(),
    );
  }

  async list(sinceMs: number): Promise<readonly PlanningEvent[]> {
    const members = await command('planning event log', () =>
      this.link.redis.zrangebyscore(this.key, sinceMs, '+inf'),
    );
    const events: PlanningEvent[] = [];
    for (const member of members) {
      const event = decodeText(this.link, 'planning event log', this.key, member, decodeEvent);
      if (event !== undefined) events.push(event);
    }
    return events;
  }
}

class RedisAnalyticsReportStore implements AnalyticsReportStore {
  constructor(
    private readonly link: Link,
    private readonly key: string,
  ) {}

  async latest(): Promise<AnalyticsReport | undefined> {
    const raw = await command('report store', () => this.link.redis.get(this.key));
    return raw === null
      ? undefined
      : decodeText(this.link, 'report store', this.key, raw, decodeReport);
  }

  async save(report: AnalyticsReport): Promise<void> {
    await command('report store', () => this.link.redis.set(this.key, JSON.stringify(report)));
  }
}
