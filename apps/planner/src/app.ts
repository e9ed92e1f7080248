/**
 * The HTTP app: `createApp(deps)` builds the Fastify instance with every route, its schemas (which
 * also give the OpenAPI document at /docs), request limits, the admin check and the one error
 * handler. Dependencies are injected, so tests run it with `inject()` and main.ts with a real port.
 */
import { timingSafeEqual } from 'node:crypto';
import swagger from '@fastify/swagger';
import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyServerOptions,
} from 'fastify';
import type { Dispatcher } from 'jobdispatch';
import { registerDocs } from './docs.js';
import { echo, truncate } from './echo.js';
import { HttpError, errorAnswer } from './http-errors.js';
import { guardRoute } from './route-guards.js';
import { dashboardRoutes } from './routes/dashboard.js';
import { jobRoutes } from './routes/jobs.js';
import { metricsRoutes } from './routes/metrics.js';
import { queueRoutes } from './routes/queue.js';
import { systemRoutes } from './routes/system.js';
import { webRoutes } from './web/pages.js';

/** Longest request URL accepted (path and query). */
export const MAX_URL_LENGTH = 2048;
/** Longest path parameter accepted (a job id). */
export const MAX_PARAM_LENGTH = 200;
/** Largest request body accepted. */
export const MAX_BODY_BYTES = 16 * 1024;

/**
 * Limits on slow and idle clients. A request (headers and body) must arrive in full within
 * `requestTimeoutMs`, its headers within `headersTimeoutMs`; Node checks every `checkIntervalMs`
 * and answers 408 (then closes). A response may take as long as it needs (an SSE stream, a
 * planning request that waits for its job). At most `maxConnections` sockets are open at once; one
 * more is closed at once.
 */
export interface HttpLimits {
  readonly requestTimeoutMs: number;
  readonly headersTimeoutMs: number;
  readonly checkIntervalMs: number;
  readonly maxConnections: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
  checkIntervalMs: 1000,
  maxConnections: 2048,
};

export interface AppDeps {
  readonly dispatcher: Dispatcher;
  readonly adminToken: string;
  /** Routes of the planning domain (planning, analytics), registered after the generic ones. */
  readonly routes?: (app: FastifyInstance, helpers: RouteHelpers) => void;
  readonly logger?: FastifyServerOptions['logger'];
  /** Default DEFAULT_HTTP_LIMITS. */
  readonly limits?: Partial<HttpLimits>;
  /** How often an open SSE stream re-reads its job's record (default SSE_RECHECK_MS, 15 s). */
  readonly sseRecheckMs?: number;
  /** How often an open SSE stream sends a heartbeat comment (default SSE_HEARTBEAT_MS, 15 s). */
  readonly sseHeartbeatMs?: number;
}

export interface RouteHelpers {
  /** Throws 401 unless the Authorization header carries the admin bearer token. */
  readonly requireAdmin: (authorization: string | undefined) => void;
}

export async function createApp(deps: AppDeps): Promise<FastifyInstance> {
  const limits = { ...DEFAULT_HTTP_LIMITS, ...deps.limits };
  const app = Fastify({
    logger: deps.logger ?? false,
    bodyLimit: MAX_BODY_BYTES,
    requestTimeout: limits.requestTimeoutMs,
    http: {
      headersTimeout: Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs),
      connectionsCheckingInterval: limits.checkIntervalMs,
    },
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // The router's own errors get the service's error format, and do not repeat the URL.
    frameworkErrors: (error, _request, reply) => {
      const answer = errorAnswer(
        error.code === 'FST_ERR_MAX_PARAM_LENGTH'
          ? new HttpError(
              'URI_TOO_LONG',
              `a path parameter must be at most ${MAX_PARAM_LENGTH} characters`,
            )
          : new HttpError(
              'BAD_REQUEST',
              'the request URL is not valid (check its percent-encoding)',
            ),
      );
      void (reply as FastifyReply).code(answer.status).headers(answer.headers).send(answer.body);
    },
    ajv: {
      customOptions: {
        verbose: true,
        removeAdditional: false,
        coerceTypes: true,
        allErrors: false,
      },
    },
    schemaErrorFormatter: (errors, dataVar) => {
      const [first] = errors;
      const field = first?.instancePath.replace(/^\//, '').replace(/\//g, '.') || dataVar;
      if (first?.keyword === 'additionalProperties') {
        const extra = String((first.params as { additionalProperty?: unknown }).additionalProperty);
        return new HttpError('BAD_REQUEST', `${dataVar} has an unknown parameter ${echo(extra)}`);
      }
      if (first?.keyword === 'required') {
        const missing = String((first.params as { missingProperty?: unknown }).missingProperty);
        return new HttpError('BAD_REQUEST', `${missing} is required`);
      }
      const value = (first as { data?: unknown } | undefined)?.data;
      return new HttpError(
        'BAD_REQUEST',
        `${field} ${first?.message ?? 'is invalid'}, got ${echo(value)}`,
      );
    },
  });

  app.server.maxConnections = limits.maxConnections;

  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Vacation planner',
        version: '0.1.0',
        description: 'Planning service on jobdispatch',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });

  app.addHook('onRequest', (request, _reply, done) => {
    if (request.url.length <= MAX_URL_LENGTH) return done();
    const message = `the request URL must be at most ${MAX_URL_LENGTH} characters, got ${request.url.length}`;
    done(new HttpError('URI_TOO_LONG', message));
  });

  app.setErrorHandler((error, request, reply) => {
    const answer = errorAnswer(error);
    if (answer.status >= 500 && answer.status !== 503)
      request.log.error({ err: error }, 'request failed');
    void reply.code(answer.status).headers(answer.headers).send(answer.body);
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({
      error: {
        code: 'NOT_FOUND',
        message: truncate(`no route ${request.method} ${request.url.split('?')[0]}`, 200),
      },
    });
  });

  const helpers: RouteHelpers = { requireAdmin: adminCheck(deps.adminToken) };
  // Admin token before the body, plain-decimal numbers: see route-guards.ts.
  app.addHook('onRoute', (route) => guardRoute(route, helpers.requireAdmin));
  systemRoutes(app, deps.dispatcher);
  jobRoutes(app, {
    dispatcher: deps.dispatcher,
    requireAdmin: helpers.requireAdmin,
    ...(deps.sseRecheckMs !== undefined && { sseRecheckMs: deps.sseRecheckMs }),
    ...(deps.sseHeartbeatMs !== undefined && { sseHeartbeatMs: deps.sseHeartbeatMs }),
  });
  queueRoutes(app, { dispatcher: deps.dispatcher, requireAdmin: helpers.requireAdmin });
  dashboardRoutes(app, { dispatcher: deps.dispatcher, requireAdmin: helpers.requireAdmin });
  metricsRoutes(app, deps.dispatcher);
  deps.routes?.(app, helpers);
  webRoutes(app, deps.dispatcher);
  await registerDocs(app);
  return app;
}

function adminCheck(token: string): (authorization: string | undefined) => void {
  const expected = Buffer.from(`Bearer ${token}`);
  return (authorization) => {
    const given = Buffer.from(authorization ?? '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new HttpError(
        'UNAUTHORIZED',
        'this endpoint needs the header Authorization: Bearer <ADMIN_TOKEN>',
      );
    }
  };
}
