/**
 * The HTTP app: `createApp(deps)` builds the Fastify instance with every route, its schemas (which
 * also give the OpenAPI document at /docs), request limits, the admin check and the one error
 * handler. Dependencies are injected, so tests run it with `inject()` and main.ts with a real port.
 */
import { timingSafeEqual } from 'node:crypto';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Dispatcher } from 'jobdispatch';
import { HttpError, errorAnswer } from './http-errors.js';
import { dashboardRoutes } from './routes/dashboard.js';
import { jobRoutes } from './routes/jobs.js';
import { queueRoutes } from './routes/queue.js';
import { systemRoutes } from './routes/system.js';
import { webRoutes } from './web/pages.js';

/** Longest request URL accepted (path and query). */
export const MAX_URL_LENGTH = 2048;
/** Largest request body accepted. */
export const MAX_BODY_BYTES = 16 * 1024;

export interface AppDeps {
  readonly dispatcher: Dispatcher;
  readonly adminToken: string;
  /** Routes of the planning domain (planning, analytics), registered after the generic ones. */
  readonly routes?: (app: FastifyInstance, helpers: RouteHelpers) => void;
  readonly logger?: FastifyServerOptions['logger'];
}

export interface RouteHelpers {
  /** Throws 401 unless the Authorization header carries the admin bearer token. */
  readonly requireAdmin: (authorization: string | undefined) => void;
}

export async function createApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: deps.logger ?? false,
    bodyLimit: MAX_BODY_BYTES,
    routerOptions: { maxParamLength: 200 },
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
        return new HttpError('BAD_REQUEST', `${dataVar} has an unknown parameter "${extra}"`);
      }
      if (first?.keyword === 'required') {
        const missing = String((first.params as { missingProperty?: unknown }).missingProperty);
        return new HttpError('BAD_REQUEST', `${missing} is required`);
      }
      const value = (first as { data?: unknown } | undefined)?.data;
      return new HttpError(
        'BAD_REQUEST',
        `${field} ${first?.message ?? 'is invalid'}, got ${JSON.stringify(value)}`,
      );
    },
  });

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
        message: `no route ${request.method} ${request.url.split('?')[0]}`,
      },
    });
  });

  const helpers: RouteHelpers = { requireAdmin: adminCheck(deps.adminToken) };
  systemRoutes(app, deps.dispatcher);
  jobRoutes(app, { dispatcher: deps.dispatcher, requireAdmin: helpers.requireAdmin });
  queueRoutes(app, { dispatcher: deps.dispatcher, requireAdmin: helpers.requireAdmin });
  dashboardRoutes(app, { dispatcher: deps.dispatcher, requireAdmin: helpers.requireAdmin });
  deps.routes?.(app, helpers);
  webRoutes(app, deps.dispatcher);
  app.get('/docs', { schema: { hide: true } }, () => app.swagger());
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
