/**
 * `jobdispatch/otel`: OpenTelemetry tracing of jobs (`@opentelemetry/api` is an optional peer
 * dependency: only this module needs it). A producer span at submit and a consumer span per
 * attempt, in one trace, across processes on Redis:
 *
 *     const job = await submitTraced(dispatcher, { name: 'plan', params: { city } });
 *     dispatcher.register(tracedHandler(planHandler), { retries: 2 });
 *
 * How the trace crosses: the W3C `traceparent` of the producer span rides on the job record, in
 * its params, under the reserved key `TRACEPARENT_KEY` (`"_traceparent"`). A job record has no
 * field for metadata, and the backends (their Lua scripts and record codecs) are the store's: params are
 * stored and returned as given by both, so carrying it there needs no change to the backend seam
 * or the record format, and works with records written by any version. The cost: the key is
 * visible in the stored params (`get()`, `list()`, the dashboard), and traced params must be a
 * plain object (or absent) that does not use that key itself. `tracedHandler` removes the key
 * before its handler sees the job, so a handler sees exactly the params that were submitted.
 *
 * The consumer span is a child of the producer span (so the whole run is one trace) and also
 * links to it, as the messaging conventions ask for a message's processing.
 */
import {
  type Context,
  type Link,
  type Span,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  context,
  isSpanContextValid,
  trace,
} from '@opentelemetry/api';
import { invalidArgument } from './errors.js';
import type { Dispatcher, Job, JobContext, JobHandler, JobSpec } from './index.js';

/** The params key that carries the producer's W3C traceparent. Reserved in traced params. */
export const TRACEPARENT_KEY = '_traceparent';

/** The instrumentation scope name of the default tracer. */
export const TRACER_NAME = 'jobdispatch';

export interface TracingOptions {
  /** Default: `trace.getTracer('jobdispatch')` from the global tracer provider. */
  readonly tracer?: Tracer;
}

const MESSAGING_SYSTEM = 'jobdispatch';

/**
 * Submits `spec` inside a producer span named `publish <name>` (a child of the active context),
 * with the span's traceparent added to its params under `TRACEPARENT_KEY`. Resolves with the job
 * record as `submit()` does; a submit that throws ends the span with an error status and rethrows.
 * `INVALID_ARGUMENT` when params are not a plain object or already use the reserved key.
 */
export async function submitTraced<P>(
  dispatcher: Dispatcher,
  spec: JobSpec<P>,
  options: TracingOptions = {},
): Promise<Job<P>> {
  if (spec === null || typeof spec !== 'object')
    throw invalidArgument('job spec', 'an object', spec);
  const params: unknown = spec.params;
  if (params !== undefined && !isPlainObject(params)) {
    throw invalidArgument('params', 'a plain object (or absent) to carry a traceparent', params);
  }
  if (params !== undefined && Object.hasOwn(params, TRACEPARENT_KEY)) {
    throw invalidArgument(
      `params.${TRACEPARENT_KEY}`,
      'absent (the key is reserved for the traceparent)',
      params[TRACEPARENT_KEY],
    );
  }
  const tracer = options.tracer ?? trace.getTracer(TRACER_NAME);
  const span = tracer.startSpan(`publish ${String(spec.name)}`, {
    kind: SpanKind.PRODUCER,
    attributes: {
      'messaging.system': MESSAGING_SYSTEM,
      'messaging.operation.type': 'send',
      'messaging.destination.name': String(spec.name),
    },
  });
  // A no-op tracer (no SDK installed) gives an invalid span context: carry the caller's instead.
  const carried = isSpanContextValid(span.spanContext())
    ? span.spanContext()
    : trace.getSpanContext(context.active());
  const traced: JobSpec<P> =
    carried !== undefined && isSpanContextValid(carried)
      ? { ...spec, params: { ...params, [TRACEPARENT_KEY]: formatTraceparent(carried) } as P }
      : spec;
  try {
    const job = await dispatcher.submit(traced);
    span.setAttributes({
      'messaging.message.id': job.id,
      'jobdispatch.job.priority': job.priority,
      'jobdispatch.job.status': job.status,
    });
    return job;
  } catch (error) {
    failSpan(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/**
 * Wraps a handler so that each attempt runs in a consumer span named `process <jobType>`, a child
 * of the producer span whose traceparent the job carries (a root span when it carries none), with
 * the job id, attempt and priority as attributes. A thrown error is recorded on the span (status
 * error) and rethrown unchanged. The handler sees the params without `TRACEPARENT_KEY`.
 */
export function tracedHandler<P, R>(
  handler: JobHandler<P, R>,
  options: TracingOptions = {},
): JobHandler<P, R> {
  if (handler === null || typeof handler !== 'object' || typeof handler.execute !== 'function') {
    throw invalidArgument('handler', 'an object with an execute(job, ctx) method', handler);
  }
  const tracer = options.tracer ?? trace.getTracer(TRACER_NAME);
  const wrapped: JobHandler<P, R> = {
    jobType: handler.jobType,
    execute: async (job: Job<P>, ctx: JobContext): Promise<R> => {
      const { traceparent, job: plain } = takeTraceparent(job);
      const remote = traceparent === undefined ? undefined : parseTraceparent(traceparent);
      const parent: Context =
        remote === undefined
          ? trace.deleteSpan(context.active())
          : trace.setSpanContext(context.active(), remote);
      const links: Link[] = remote === undefined ? [] : [{ context: remote }];
      const span = tracer.startSpan(
        `process ${job.name}`,
        {
          kind: SpanKind.CONSUMER,
          links,
          attributes: {
            'messaging.system': MESSAGING_SYSTEM,
            'messaging.operation.type': 'process',
            'messaging.destination.name': job.name,
            'messaging.message.id': job.id,
            'jobdispatch.job.attempt': ctx.attempt,
            'jobdispatch.job.priority': job.priority,
          },
        },
        parent,
      );
      try {
        return await context.with(trace.setSpan(parent, span), () => handler.execute(plain, ctx));
      } catch (error) {
        failSpan(span, error);
        throw error;
      } finally {
        if (ctx.signal.aborted) {
          const reason: unknown = ctx.signal.reason;
          const code =
            reason !== null && typeof reason === 'object' && 'code' in reason
              ? String(reason.code)
              : 'ABORTED';
          span.setAttribute('jobdispatch.job.abort_reason', code);
        }
        span.end();
      }
    },
  };
  if (handler.maxConcurrency !== undefined) {
    return { ...wrapped, maxConcurrency: handler.maxConcurrency };
  }
  return wrapped;
}

/** The traceparent a job carries in its params, if any. */
export function traceparentOf(job: Pick<Job, 'params'>): string | undefined {
  const params: unknown = job.params;
  if (!isPlainObject(params)) return undefined;
  const value = params[TRACEPARENT_KEY];
  return typeof value === 'string' ? value : undefined;
}

function takeTraceparent<P>(job: Job<P>): { traceparent: string | undefined; job: Job<P> } {
  const params: unknown = job.params;
  if (!isPlainObject(params) || !Object.hasOwn(params, TRACEPARENT_KEY)) {
    return { traceparent: undefined, job };
  }
  const { [TRACEPARENT_KEY]: value, ...rest } = params;
  return {
    traceparent: typeof value === 'string' ? value : undefined,
    job: { ...job, params: rest as P },
  };
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** W3C Trace Context, version 00. */
export function formatTraceparent(spanContext: SpanContext): string {
  const flags = (spanContext.traceFlags & 0xff).toString(16).padStart(2, '0');
  return `00-${spanContext.traceId}-${spanContext.spanId}-${flags}`;
}

/** A remote span context from a traceparent; undefined when it is malformed or invalid. */
export function parseTraceparent(value: string): SpanContext | undefined {
  const match = TRACEPARENT.exec(value.trim());
  if (match === null || match[1] === 'ff') return undefined;
  const spanContext: SpanContext = {
    traceId: match[2] as string,
    spanId: match[3] as string,
    traceFlags: parseInt(match[4] as string, 16) & 0xff,
    isRemote: true,
  };
  return isSpanContextValid(spanContext) ? spanContext : undefined;
}

function failSpan(span: Span, error: unknown): void {
  if (error instanceof Error) span.recordException(error);
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: error instanceof Error ? error.message : String(error),
  });
  if (error !== null && typeof error === 'object' && 'code' in error) {
    span.setAttribute('error.type', String(error.code));
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
