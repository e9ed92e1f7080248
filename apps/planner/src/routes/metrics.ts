/**
 * `GET /metrics`: the Prometheus exposition of this process. The job metrics come from the
 * library's `jobdispatch/prometheus` (record counts per state and type, finished jobs, wait and
 * run histograms); Node's own process metrics (CPU, memory, event-loop lag, GC) come from
 * prom-client's defaults. One registry per app, so two apps in one process (tests) never share
 * series.
 *
 * On Redis every process of the queue sees every event, so each process's counter and histograms
 * count the whole queue: aggregate them across processes with `max`, not `sum` (the gauge is the
 * same from any process).
 */
import type { FastifyInstance } from 'fastify';
import type { Dispatcher } from 'jobdispatch';
import { registerMetrics } from 'jobdispatch/prometheus';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { ANALYTICS_JOB_TYPE, PLANNING_JOB_TYPE } from '../job-types.js';

export function metricsRoutes(app: FastifyInstance, dispatcher: Dispatcher): void {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const metrics = registerMetrics(dispatcher, {
    registry,
    types: [PLANNING_JOB_TYPE, ANALYTICS_JOB_TYPE],
  });
  app.addHook('onClose', (_app, done) => {
    metrics.detach();
    registry.clear();
    done();
  });
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    const text = await registry.metrics();
    return reply.type(registry.contentType).send(text);
  });
}
