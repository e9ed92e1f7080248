/** Starting the service for HTTP tests: in memory, sample places, no listening unless asked. */
import { type JobEvent, JobPriority } from 'jobdispatch';
import { type Config, loadConfig } from '../src/config.js';
import { type Service, startService } from '../src/service.js';
import type { PlanningJobParams } from '../src/planning/job-params.js';
import { parsePlanningRequest, type PlanningParams } from '../src/planning/request.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

/** A travel date a week from now (never "in the past"). */
export const DATE = new Date(Date.now() + 7 * 24 * 60 * 60 * 1000).toISOString().slice(0, 10);

export function testConfig(overrides: Partial<Config> = {}): Config {
  return {
    ...loadConfig({ ADMIN_TOKEN }),
    http: false,
    workers: 2,
    planningThreads: 0,
    requestTimeoutMs: 20_000,
    logLevel: 'silent',
    ...overrides,
  };
}

export function startTestService(
  overrides: Partial<Config> = {},
  options: { deferWorkers?: boolean } = {},
): Promise<Service> {
  return startService(testConfig(overrides), { logger: false, ...options });
}

export function planningUrl(params: Record<string, string | number | boolean>): string {
  const query = new URLSearchParams(
    Object.entries({ date: DATE, ...params }).map(([key, value]): [string, string] => [
      key,
      String(value),
    ]),
  );
  return `/v1/planning?${query.toString()}`;
}

/** Resolves with the first event that matches; rejects after `limitMs` as a safety net. */
export function nextEvent(
  service: Service,
  match: (event: JobEvent) => boolean,
  limitMs = 20_000,
): Promise<JobEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no matching event within ${limitMs} ms`));
    }, limitMs);
    const off = service.dispatcher.on('*', (event) => {
      if (!match(event)) return;
      clearTimeout(timer);
      off();
      resolve(event);
    });
  });
}

export const isHighQueued = (event: JobEvent): boolean =>
  event.type === 'queued' && event.priority === JobPriority.High;

/** Planning job params as the service's planning flow makes them: resolved once, key included. */
export function resolvedParams(service: Service, params: PlanningParams): PlanningJobParams {
  return service.domain.planner.resolve(parsePlanningRequest(params));
}
