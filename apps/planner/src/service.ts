/**
 * The composition root of the planning service, in parts a reader can follow:
 *
 * 1. `openStores`: the shared stores, on the service's one Redis connection configuration
 *    (or none: in memory);
 * 2. `createDispatcher`: the job backend on that same connection;
 * 3. `createPlanningDomain` (planning-domain.ts): geocoder, place provider (a live one runs its
 *    fetches as jobs on that dispatcher), planner, handlers;
 * 4. `registerJobTypes`: Planning, Analytics, and PlaceFetch for a live provider, with their limits;
 * 5. `createHttpApp`: the planning flow and the Fastify app; `listen` serves it.
 *
 * `startService` runs them in order, undoing what was opened when a later part fails;
 * `close()` stops it all with a deadline. It is what `npm start`, `npm run worker` and the
 * end-to-end tests run.
 */
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { DEFAULT_CONNECT_TIMEOUT_MS, Dispatcher, RedisBackend } from 'jobdispatch';
import { pino, type Logger } from 'pino';
import { createApp } from './app.js';
import type { Config } from './config.js';
import { type PlanningDomain, createPlanningDomain } from './planning-domain.js';
import { PlanningService } from './planning-service.js';
import { MemorySolutionStore } from './planning/solution-store.js';
import { planningRoutes } from './routes/planning.js';
import { type RedisConnection, type RedisStores, redisStores } from './stores/redis-stores.js';

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
  /** The shared stores on Redis, when `REDIS_URL` is set. */
  readonly stores: RedisStores | undefined;
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
  const log = serviceLog(config, options);
  const connection = redisConnection(config);
  const stores = openStores(connection, config, log);
  const undo: (() => Promise<unknown>)[] = [async () => stores?.close()];
  const closeAll = async (): Promise<void> => {
    for (const step of undo.splice(0).reverse()) await step();
  };
  try {
    const dispatcher = createDispatcher(config, connection, log);
    const stopDispatcher = () => dispatcher.stop({ timeoutMs: SHUTDOWN_TIMEOUT_MS });
    undo.push(stopDispatcher);
    const domain = await createPlanningDomain({
      places: config.places,
      ...(stores === undefined
        ? { solutions: new MemorySolutionStore({ maxBytes: config.solutionCacheBytes }) }
        : {
            solutions: stores.solutions,
            events: stores.events,
            reports: stores.reports,
            placeCache: stores.places,
          }),
      planningThreads: config.workers > 0 ? config.planningThreads : 0,
      jobs: dispatcher,
      log,
    });
    // Undone in reverse: the running jobs drain before the thread pool that runs them closes.
    undo.splice(undo.indexOf(stopDispatcher), 1, () => domain.close(), stopDispatcher);
    for (const issue of domain.catalogIssues) log.warn(issue, 'places file: row skipped');
    registerJobTypes(dispatcher, config, domain);
    if (options.deferWorkers !== true) await dispatcher.start();
    domain.geocoder.geocode('Paris, France'); // loads the gazetteer now, not on the first request
    const app = await createHttpApp(config, options, dispatcher, domain);
    undo.push(() => app.close());
    const url = config.http ? await listen(app, config) : undefined;
    return {
      config,
      dispatcher,
      domain,
      stores,
      app,
      url,
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/** The one Redis connection configuration, for the job backend and the stores alike. */
function redisConnection(config: Config): RedisConnection | undefined {
  return config.redisUrl === undefined
    ? undefined
    : { url: config.redisUrl, connectTimeoutMs: DEFAULT_CONNECT_TIMEOUT_MS };
}

function openStores(
  connection: RedisConnection | undefined,
  config: Config,
  log: Logger,
): RedisStores | undefined {
  return connection === undefined
    ? undefined
    : redisStores(connection, { queue: config.queue, log });
}

/** The job backend on the service's connection (or in memory), with no job type yet. */
function createDispatcher(
  config: Config,
  connection: RedisConnection | undefined,
  log: Logger,
): Dispatcher {
  return new Dispatcher({
    workers: config.workers,
    ...(connection === undefined
      ? { capacityPerLevel: config.capacityPerLevel }
      : {
          backend: new RedisBackend({
            url: connection.url,
            connectTimeoutMs: connection.connectTimeoutMs,
            queue: config.queue,
            capacityPerLevel: config.capacityPerLevel,
            onError: (error) => log.warn({ err: String(error) }, 'job backend error'),
          }),
        }),
  });
}

/**
 * Planning, Analytics and, with a live provider, PlaceFetch (the library's rate limit and global
 * concurrency bound its calls). A Planning job waits for its PlaceFetch jobs, so with a live
 * provider Planning leaves this process's fetches their slots: otherwise every slot could hold a
 * Planning job waiting for a fetch that has no slot to run in.
 */
function registerJobTypes(dispatcher: Dispatcher, config: Config, domain: PlanningDomain): void {
  const { planningHandler, analyticsHandler, placeFetch } = domain;
  const fetchSlots =
    placeFetch === undefined
      ? 0
      : Math.max(0, Math.min(config.places.maxConcurrent, config.workers - 1));
  const planningSlots = Math.min(
    planningHandler.maxConcurrency ?? config.workers,
    config.workers - fetchSlots,
  );
  dispatcher
    .register(planningHandler, {
      // At most one solve per planning thread; a producer-only process (WORKERS=0) registers it too.
      concurrency: Math.max(1, planningSlots),
      timeoutMs: PLANNING_TIMEOUT_MS,
      retries: 1,
    })
    .register(analyticsHandler, { concurrency: 1, timeoutMs: ANALYTICS_TIMEOUT_MS });
  if (placeFetch !== undefined) {
    dispatcher.register(placeFetch.handler, {
      ...placeFetch.options,
      concurrency: Math.max(1, fetchSlots),
    });
  }
}

function createHttpApp(
  config: Config,
  options: ServiceOptions,
  dispatcher: Dispatcher,
  domain: PlanningDomain,
): Promise<FastifyInstance> {
  const planning = new PlanningService({
    dispatcher,
    planner: domain.planner,
    solutions: domain.solutions,
    events: domain.events,
    requestTimeoutMs: config.requestTimeoutMs,
  });
  return createApp({
    dispatcher,
    adminToken: config.adminToken,
    logger: options.logger ?? { level: config.logLevel },
    routes: (instance, helpers) =>
      planningRoutes(instance, helpers, { dispatcher, planning, reports: domain.reports }),
  });
}

async function listen(app: FastifyInstance, config: Config): Promise<string> {
  await app.listen({ port: config.port, host: config.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  return `http://${host}:${port}`;
}

/** The service's own log (stores, backend errors): silent when the HTTP logger is off. */
function serviceLog(config: Config, options: ServiceOptions): Logger {
  return pino({ level: options.logger === false ? 'silent' : config.logLevel });
}
