/**
 * `jobdispatch/otel`: a producer span at submit and a consumer span per attempt, in one trace,
 * recorded by the SDK's in-memory exporter; on Redis, one trace crosses two dispatchers (each with
 * its own tracer provider, as two processes would have), and two processes (a worker started by
 * the test, otel-worker.ts).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { Dispatcher, RedisBackend, isDispatchError } from '../src/index.js';
import {
  TRACEPARENT_KEY,
  formatTraceparent,
  parseTraceparent,
  submitTraced,
  traceparentOf,
  tracedHandler,
} from '../src/otel.js';
import { REDIS_URL, deleteQueues, randomQueue, redisSuite } from './redis/redis-env.js';

function tracing(): { exporter: InMemorySpanExporter; provider: BasicTracerProvider } {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  return { exporter, provider };
}

function only(spans: ReadableSpan[], kind: SpanKind): ReadableSpan[] {
  return spans.filter((span) => span.kind === kind);
}

describe('tracing jobs in process', () => {
  it('links the consumer span of each attempt to the producer span of the submit, in one trace', async () => {
    const { exporter, provider } = tracing();
    const tracer = provider.getTracer('test');
    const dispatcher = new Dispatcher({ workers: 1 });
    const seen: unknown[] = [];
    let calls = 0;
    dispatcher.register(
      tracedHandler(
        {
          jobType: 'plan',
          execute: (job) => {
            seen.push(job.params);
            calls++;
            return calls === 1 ? Promise.reject(new Error('flaky')) : Promise.resolve('ok');
          },
        },
        { tracer },
      ),
      { retries: 1, backoff: { type: 'fixed', delayMs: 0 } },
    );
    await dispatcher.start();
    const job = await submitTraced(
      dispatcher,
      { name: 'plan', params: { city: 'Oslo' } },
      { tracer },
    );
    assert.equal(await dispatcher.wait(job.id), 'ok');
    await dispatcher.stop();

    const spans = exporter.getFinishedSpans();
    const [producer] = only(spans, SpanKind.PRODUCER);
    const consumers = only(spans, SpanKind.CONSUMER);
    assert.ok(producer);
    assert.equal(producer.name, 'publish plan');
    assert.equal(producer.attributes['messaging.message.id'], job.id);
    assert.equal(consumers.length, 2, 'one consumer span per attempt');
    for (const consumer of consumers) {
      assert.equal(consumer.name, 'process plan');
      assert.equal(consumer.spanContext().traceId, producer.spanContext().traceId);
      assert.equal(consumer.parentSpanContext?.spanId, producer.spanContext().spanId);
      assert.equal(consumer.links[0]?.context.spanId, producer.spanContext().spanId);
      assert.equal(consumer.attributes['messaging.message.id'], job.id);
    }
    assert.deepEqual(
      consumers.map((span) => span.attributes['jobdispatch.job.attempt']),
      [1, 2],
    );
    assert.equal(consumers[0]?.status.code, SpanStatusCode.ERROR);
    assert.equal(consumers[0]?.status.message, 'flaky');
    assert.equal(consumers[1]?.status.code, SpanStatusCode.UNSET);
    // The record carries the traceparent; the handler saw the params as submitted.
    const record = await dispatcher.get(job.id);
    assert.equal(traceparentOf(record ?? job), formatTraceparent(producer.spanContext()));
    assert.deepEqual(seen, [{ city: 'Oslo' }, { city: 'Oslo' }]);
  });

  it('runs a job submitted without a traceparent in a root consumer span', async () => {
    const { exporter, provider } = tracing();
    const tracer = provider.getTracer('test');
    const dispatcher = new Dispatcher({ workers: 1 });
    dispatcher.register(
      tracedHandler({ jobType: 'plain', execute: () => Promise.resolve(1) }, { tracer }),
    );
    await dispatcher.start();
    const job = await dispatcher.submit({ name: 'plain', params: { a: 1 } });
    await dispatcher.wait(job.id);
    await dispatcher.stop();
    const [consumer] = exporter.getFinishedSpans();
    assert.equal(consumer?.kind, SpanKind.CONSUMER);
    assert.equal(consumer?.parentSpanContext, undefined);
    assert.deepEqual(consumer?.links, []);
  });

  it('refuses params that cannot carry a traceparent, naming the field', async () => {
    const dispatcher = new Dispatcher({ workers: 0 });
    await assert.rejects(
      submitTraced(dispatcher, { name: 'x', params: [1, 2] }),
      (error: unknown) =>
        isDispatchError(error, 'INVALID_ARGUMENT') &&
        /params must be a plain object/.test(error.message),
    );
    await assert.rejects(
      submitTraced(dispatcher, { name: 'x', params: { [TRACEPARENT_KEY]: 'mine' } }),
      (error: unknown) =>
        isDispatchError(error, 'INVALID_ARGUMENT') &&
        error.message.includes(`params.${TRACEPARENT_KEY}`),
    );
    await dispatcher.stop();
  });

  it('ends the producer span with an error when the submit is refused', async () => {
    const { exporter, provider } = tracing();
    const dispatcher = new Dispatcher({ workers: 0 });
    await dispatcher.stop();
    await assert.rejects(
      submitTraced(dispatcher, { name: 'x' }, { tracer: provider.getTracer('test') }),
      (error: unknown) => isDispatchError(error, 'QUEUE_CLOSED'),
    );
    const [producer] = exporter.getFinishedSpans();
    assert.equal(producer?.status.code, SpanStatusCode.ERROR);
    assert.equal(producer?.attributes['error.type'], 'QUEUE_CLOSED');
  });

  it('reads back the traceparent it writes and rejects malformed ones', () => {
    const context = {
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags: 1,
    };
    const text = formatTraceparent(context);
    assert.equal(text, '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
    assert.deepEqual(parseTraceparent(text), { ...context, isRemote: true });
    assert.equal(
      parseTraceparent('00-00000000000000000000000000000000-00f067aa0ba902b7-01'),
      undefined,
    );
    assert.equal(parseTraceparent('garbage'), undefined);
    assert.equal(parseTraceparent(`ff-${text.slice(3)}`), undefined);
  });
});

describe('tracing jobs across two dispatchers on one Redis queue', redisSuite(), () => {
  const queue = randomQueue('otel');
  after(() => deleteQueues([queue]));

  it('puts the producer span of one and the consumer span of the other in one trace', async () => {
    const producerSide = tracing();
    const consumerSide = tracing();
    const producer = new Dispatcher({
      workers: 0,
      backend: new RedisBackend({ url: REDIS_URL, queue }),
    });
    const consumer = new Dispatcher({
      workers: 1,
      backend: new RedisBackend({ url: REDIS_URL, queue }),
    });
    consumer.register(
      tracedHandler(
        { jobType: 'geocode', execute: (job) => Promise.resolve(job.params) },
        { tracer: consumerSide.provider.getTracer('worker') },
      ),
    );
    await producer.start();
    await consumer.start();
    try {
      const job = await submitTraced(
        producer,
        { name: 'geocode', params: { q: 'Lisbon' } },
        { tracer: producerSide.provider.getTracer('api') },
      );
      assert.deepEqual(await producer.wait(job.id), { q: 'Lisbon' });
    } finally {
      await producer.stop();
      await consumer.stop();
    }
    const [sent] = producerSide.exporter.getFinishedSpans();
    const [processed] = consumerSide.exporter.getFinishedSpans();
    assert.equal(sent?.kind, SpanKind.PRODUCER);
    assert.equal(processed?.kind, SpanKind.CONSUMER);
    assert.equal(processed?.spanContext().traceId, sent?.spanContext().traceId);
    assert.equal(processed?.parentSpanContext?.spanId, sent?.spanContext().spanId);
    assert.equal(processed?.parentSpanContext?.isRemote, true);
  });
});

describe('tracing jobs across two processes on one Redis queue', redisSuite(), () => {
  const queue = randomQueue('otel-proc');
  after(() => deleteQueues([queue]));

  it('continues the trace of a submit in this process in the consumer span of a worker process', async () => {
    const child = spawn(
      process.execPath,
      [
        '--conditions=source',
        '--import',
        'tsx',
        join(import.meta.dirname, 'otel-worker.ts'),
        queue,
      ],
      { env: { ...process.env, REDIS_URL }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const ready = new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.startsWith('ready\n')) resolve();
      });
      void exited.then((code) => reject(new Error(`worker exited ${code}: ${stderr}`)));
    });
    const producerSide = tracing();
    const producer = new Dispatcher({
      workers: 0,
      backend: new RedisBackend({ url: REDIS_URL, queue }),
    });
    await producer.start();
    try {
      await ready;
      const job = await submitTraced(
        producer,
        { name: 'geocode', params: { q: 'Porto' } },
        { tracer: producerSide.provider.getTracer('api') },
      );
      assert.deepEqual(await producer.wait(job.id), { q: 'Porto' });
      assert.equal(await exited, 0, stderr);
      const [sent] = producerSide.exporter.getFinishedSpans();
      const spans = JSON.parse(stdout.split('\n')[1]!) as {
        name: string;
        kind: SpanKind;
        traceId: string;
        parentSpanId?: string;
        parentIsRemote?: boolean;
        jobId: string;
        pid: number;
      }[];
      assert.equal(spans.length, 1);
      const [processed] = spans;
      assert.notEqual(processed?.pid, process.pid);
      assert.equal(processed?.name, 'process geocode');
      assert.equal(processed?.kind, SpanKind.CONSUMER);
      assert.equal(processed?.jobId, job.id);
      assert.equal(processed?.traceId, sent?.spanContext().traceId);
      assert.equal(processed?.parentSpanId, sent?.spanContext().spanId);
      assert.equal(processed?.parentIsRemote, true);
    } finally {
      clearTimeout(killer);
      if (child.exitCode === null) child.kill('SIGKILL');
      await producer.stop();
    }
  });
});
