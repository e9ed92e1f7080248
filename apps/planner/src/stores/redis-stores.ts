/**
 * The planner's shared stores on Redis, for a service of several processes: solution sets (by
 * cache key, with their TTL), planning events (a sorted set by time, trimmed to the analytics
 * window) and the latest analytics report. Keys live under the queue's hash tag,
 * `jd:{queue}:planner:...`, next to the dispatcher's own keys.
 */
import { Redis } from 'ioredis';
import type { PlanningEvent, PlanningEventLog } from '../analytics/event-log.js';
import type { AnalyticsReport } from '../analytics/report.js';
import type { AnalyticsReportStore } from '../analytics/report-store.js';
import type { SolutionSet } from '../planning/solution.js';
import type { SolutionStore } from '../planning/solution-store.js';

/** Planning events older than this are dropped from Redis (the analytics window is at most 7 days). */
export const EVENT_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

export interface RedisStores {
  readonly solutions: SolutionStore;
  readonly events: PlanningEventLog;
  readonly reports: AnalyticsReportStore;
  close(): Promise<void>;
}

export function redisStores(url: string, queue: string): RedisStores {
  const redis = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 2 });
  redis.on('error', () => undefined); // surfaced by the failing command instead
  const prefix = `jd:{${queue}}:planner`;
  return {
    solutions: new RedisSolutionStore(redis, `${prefix}:solution:`),
    events: new RedisPlanningEventLog(redis, `${prefix}:events`),
    reports: new RedisAnalyticsReportStore(redis, `${prefix}:report`),
    close: async () => {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

class RedisSolutionStore implements SolutionStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  async get(key: string): Promise<SolutionSet | undefined> {
    const raw = await this.redis.get(this.prefix + key);
    return raw === null ? undefined : (JSON.parse(raw) as SolutionSet);
  }

  async set(key: string, value: SolutionSet, ttlMs: number): Promise<void> {
    await this.redis.set(this.prefix + key, JSON.stringify(value), 'PX', Math.ceil(ttlMs));
  }
}

class RedisPlanningEventLog implements PlanningEventLog {
  private sequence = 0;

  constructor(
    private readonly redis: Redis,
    private readonly key: string,
  ) {}

  async record(event: PlanningEvent): Promise<void> {
    // The member must be unique even for identical events in the same millisecond.
    const member = JSON.stringify({ ...event, n: `${process.pid}.${++this.sequence}` });
    await this.redis
      .multi()
      .zadd(this.key, event.at, member)
      .zremrangebyscore(this.key, '-inf', event.at - EVENT_RETENTION_MS)
      .exec();
  }

  async list(sinceMs: number): Promise<readonly PlanningEvent[]> {
    const members = await this.redis.zrangebyscore(this.key, sinceMs, '+inf');
    return members.map((member) => {
      const { n: _n, ...event } = JSON.parse(member) as PlanningEvent & { n: string };
      return event;
    });
  }
}

class RedisAnalyticsReportStore implements AnalyticsReportStore {
  constructor(
    private readonly redis: Redis,
    private readonly key: string,
  ) {}

  async latest(): Promise<AnalyticsReport | undefined> {
    const raw = await this.redis.get(this.key);
    return raw === null ? undefined : (JSON.parse(raw) as AnalyticsReport);
  }

  async save(report: AnalyticsReport): Promise<void> {
    await this.redis.set(this.key, JSON.stringify(report));
  }
}
