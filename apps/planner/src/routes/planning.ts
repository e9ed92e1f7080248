/**
 * GET /v1/planning (the original endpoint and query parameters) and the analytics endpoints.
 */
import type { FastifyInstance } from 'fastify';
import { type Dispatcher, JobPriority } from 'jobdispatch';
import type { AnalyticsReportStore } from '../analytics/report-store.js';
import type { RouteHelpers } from '../app.js';
import { HttpError } from '../http-errors.js';
import { ANALYTICS_JOB_TYPE } from '../job-types.js';
import type { PlanningQuery, PlanningService } from '../planning-service.js';

export const MAX_NUMBER_RESULTS = 20;

const planningQuerySchema = {
  type: 'object',
  required: ['location', 'date', 'price'],
  additionalProperties: false,
  properties: {
    location: {
      type: 'string',
      minLength: 1,
      maxLength: 200,
      description: 'A place ("San Jose, CA, USA"), or "longitude,latitude" with precise=true',
    },
    date: { type: 'string', description: 'Travel date, YYYY-MM-DD, today or later' },
    price: { type: 'integer', minimum: 0, maximum: 4, description: 'Price level 0-4' },
    numberResults: { type: 'integer', minimum: 1, maximum: MAX_NUMBER_RESULTS, default: 5 },
    nearby: { type: 'boolean', default: false, description: 'Also search nearby cities' },
    precise: { type: 'boolean', default: false, description: 'location is "longitude,latitude"' },
  },
} as const;

const placeSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    category: { type: 'string', enum: ['Visit', 'Eatery'] },
    startTime: { type: 'string' },
    endTime: { type: 'string' },
    address: { type: 'string' },
    location: {
      type: 'object',
      properties: { latitude: { type: 'number' }, longitude: { type: 'number' } },
    },
    rating: { type: 'number' },
    priceLevel: { type: 'integer' },
    url: { type: 'string' },
  },
} as const;

const backgroundSchema = {
  type: 'array',
  items: {
    type: 'object',
    properties: {
      priceLevel: { type: 'integer' },
      jobId: { type: ['string', 'null'] },
      status: { type: 'string' },
      duplicateOf: { type: 'string' },
    },
  },
} as const;

const planningResponse = {
  200: {
    type: 'object',
    properties: {
      travelDestination: { type: 'string' },
      date: { type: 'string' },
      priceLevel: { type: 'integer' },
      travelPlans: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            id: { type: 'string' },
            score: { type: 'number' },
            places: { type: 'array', items: placeSchema },
          },
        },
      },
      fromCache: { type: 'boolean' },
      jobId: { type: ['string', 'null'] },
      backgroundJobs: backgroundSchema,
      dataSource: { type: 'string' },
      notice: { type: 'string' },
      stoppedEarly: { type: 'boolean' },
    },
  },
  202: {
    type: 'object',
    properties: {
      message: { type: 'string' },
      jobId: { type: 'string' },
      status: { type: 'string' },
      priceLevel: { type: 'integer' },
      backgroundJobs: backgroundSchema,
    },
  },
} as const;

export interface PlanningRoutesDeps {
  readonly dispatcher: Dispatcher;
  readonly planning: PlanningService;
  readonly reports: AnalyticsReportStore;
}

export function planningRoutes(
  app: FastifyInstance,
  helpers: RouteHelpers,
  deps: PlanningRoutesDeps,
): void {
  app.get<{ Querystring: PlanningQuery }>(
    '/v1/planning',
    {
      schema: {
        summary: 'One-day plans for a place, a date and a price level',
        querystring: planningQuerySchema,
        response: planningResponse,
      },
    },
    async (request, reply) => {
      const answer = await deps.planning.plan(request.query);
      return reply.code(answer.kind === 'done' ? 200 : 202).send(answer.body);
    },
  );

  app.post<{ Body: { windowHours?: number; topCities?: number } | undefined }>(
    '/v1/analytics',
    {
      schema: {
        summary: 'Queue an Analytics job at NORMAL priority (admin)',
        security: [{ bearer: [] }],
        body: {
          type: ['object', 'null'],
          additionalProperties: false,
          properties: {
            windowHours: { type: 'integer', minimum: 1, maximum: 168 },
            topCities: { type: 'integer', minimum: 1, maximum: 100 },
          },
        },
        response: {
          202: {
            type: 'object',
            properties: { jobId: { type: 'string' }, status: { type: 'string' } },
          },
        },
      },
    },
    async (request, reply) => {
      // Checked first in onRequest too (route-guards.ts: the schema's security); kept here as well.
      helpers.requireAdmin(request.headers.authorization);
      const job = await deps.dispatcher.submit({
        name: ANALYTICS_JOB_TYPE,
        params: request.body ?? {},
        priority: JobPriority.Normal,
      });
      return reply.code(202).send({ jobId: job.id, status: job.status });
    },
  );

  app.get(
    '/v1/analytics/latest',
    { schema: { summary: 'The latest analytics report' } },
    async () => {
      const report = await deps.reports.latest();
      if (report === undefined) {
        throw new HttpError(
          'NOT_FOUND',
          'no analytics report yet: POST /v1/analytics to compute one',
        );
      }
      return report;
    },
  );
}
