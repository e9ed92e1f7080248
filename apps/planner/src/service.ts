/**
 * Wires the planning service from its configuration: the job backend (in memory, or Redis shared
 * by every process), the shared stores, the planning domain and its two job types, the
 * dispatcher, and the HTTP app. `startService` is what `npm start`, `npm run worker` and the
 * end-to-end tests run; `close()` stops it all with a deadline.
 */
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { Dispatcher, RedisBackend } from 'jobdispatch';
import { createApp } from './app.js';
import type { Config } from './config.js';
import { type PlanningDomain, createPlanningDomain } from './planning-domain.js';
import { PlanningService } from './planning-service.js';
import { planningRoutes } from './routes/planning.js';
import { type RedisStores, redisStores } from './stores/redis-stores.js';

/** How long a Planning job may run before it fails with JOB_TIMEOUT (the solver stops itself at 5 s). */
export const PLANNING_TIMEOUT_MS = 60_000;
/** How long an Analytics job may run. */
export const ANALYTICS_TIMEOUT_MS = 60_000;
/** How long shutdown lets running jobs finish. */
export const SHUTDOWN_TIMEOUT_MS = 10_000;

export interface Service {
  readonly config: Config;
  readonly dispatcher: Dispatcher;
  readonly domain: PlanningDomain;
  /** The HTTP app (also when it does not listen). */
  readonly app: FastifyInstance;
  /** Where it listens, when `config.http`. */
  readonly url: string | undefined;
  close(): Promise<void>;
}

export interface ServiceOptions {
  readonly logger?: FastifyServerOptions['logger'];
  /** Open the backend but leave the workers idle until `dispatcher.start()` (tests fill the queue first). */
  readonly deferWorkers?: boolean;
}

export async function startService(config: Config, options: ServiceOptions = {}): Promise<Service> {
  const stores: RedisStores | undefined =
    config.redisUrl === undefined ? undefined : redisStores(config.redisUrl, config.queue);
  const domain = await createPlanningDomain({
    ...(config.placesFile !== undefined && { placesFile: config.placesFile }),
    ...(stores !== undefined && {
      solutions: stores.solutions,
      events: stores.events,
      reports: stores.reports,
    }),
    planningThreads: config.workers > 0 ? config.planningThreads : 0,
  });
  const dispatcher = new Dispatcher({
    workers: config.workers,
    ...(config.redisUrl === undefined
      ? { capacityPerLevel: config.capacityPerLevel }
      : {
          backend: new RedisBackend({
            url: config.redisUrl,
            queue: config.queue,
            capacityPerLevel: config.capacityPerLevel,
          }),
        }),
  });
  const { planningHandler, analyticsHandler } = domain;
  dispatcher
    .register(planningHandler, {
      // At most one solve per planning thread; a producer-only process (WORKERS=0) registers it too.
      concurrency: Math.max(
        1,
        Math.min(planningHandler.maxConcurrency ?? config.workers, config.workers),
      ),
      timeoutMs: PLANNING_TIMEOUT_MS,
      retries: 1,
    })
    .register(analyticsHandler, { concurrency: 1, timeoutMs: ANALYTICS_TIMEOUT_MS });

  const closeAll = async (): Promise<void> => {
    await dispatcher.stop({ timeoutMs: SHUTDOWN_TIMEOUT_MS });
    await Promise.all([domain.close(), stores?.close()]);
  };
  try {
    if (options.deferWorkers !== true) await dispatcher.start();
    domain.geocoder.geocode('Paris, France'); // loads the gazetteer now, not on the first request
  } catch (error) {
    await closeAll();
    throw error;
  }

  const planning = new PlanningService({
    dispatcher,
    planner: domain.planner,
    solutions: domain.solutions,
    events: domain.events,
    requestTimeoutMs: config.requestTimeoutMs,
  });
  const app = await createApp({
    dispatcher,
    adminToken: config.adminToken,
    logger: options.logger ?? { level: config.logLevel },
    routes: (instance, helpers) =>
      planningRoutes(instance, helpers, { dispatcher, planning, reports: domain.reports }),
  });
  let url: string | undefined;
  if (config.http) {
    try {
      await app.listen({ port: config.port, host: config.host });
    } catch (error) {
      await app.close();
      await closeAll();
      throw error;
    }
    const address = app.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : config.port;
    const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
    url = `http://${host}:${port}`;
  }
  return {
    config,
    dispatcher,
    domain,
    app,
    url,
    close: async () => {
      await app.close();
      await closeAll();
    },
  };
}
