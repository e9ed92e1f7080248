/**
 * Queue statistics, liveness and readiness.
 */
import type { FastifyInstance } from 'fastify';
import { type Dispatcher, isDispatchError } from 'jobdispatch';
import { HttpError } from '../http-errors.js';

const waitSchema = {
  type: 'object',
  properties: {
    count: { type: 'integer' },
    p50: { type: 'number' },
    p99: { type: 'number' },
    max: { type: 'number' },
  },
} as const;

const levelSchema = {
  type: 'object',
  properties: { queued: { type: 'integer' }, wait: waitSchema },
} as const;

export function systemRoutes(app: FastifyInstance, dispatcher: Dispatcher): void {
  app.get(
    '/v1/queue/stats',
    {
      schema: {
        summary: 'Per priority level: queued and wait (ms); per job type: running and finished',
        response: {
          200: {
            type: 'object',
            properties: {
              levels: {
                type: 'object',
                properties: { high: levelSchema, normal: levelSchema, low: levelSchema },
              },
              types: {
                type: 'object',
                additionalProperties: {
                  type: 'object',
                  properties: {
                    running: { type: 'integer' },
                    completed: { type: 'integer' },
                    failed: { type: 'integer' },
                    cancelled: { type: 'integer' },
                  },
                },
              },
            },
          },
        },
      },
    },
    () => dispatcher.stats(),
  );

  app.get(
    '/healthz',
    { schema: { summary: 'The process is up', response: { 200: okSchema } } },
    () => ({ status: 'ok' }),
  );

  app.get(
    '/readyz',
    { schema: { summary: 'The job backend answers', response: { 200: okSchema } } },
    async (request) => {
      try {
        await dispatcher.stats();
      } catch (cause) {
        // The code only: the client library's own text (addresses, internals) stays in the log.
        const code = isDispatchError(cause) ? cause.code : 'INTERNAL';
        request.log.warn({ err: cause }, 'readiness check failed');
        throw new HttpError('NOT_READY', `the job backend does not answer (${code})`);
      }
      return { status: 'ready' };
    },
  );
}

const okSchema = { type: 'object', properties: { status: { type: 'string' } } } as const;
