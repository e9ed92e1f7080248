/**
 * A worker process for the cross-process tracing test: runs traced `geocode` jobs of the queue in
 * argv[2] on REDIS_URL with its own tracer provider, prints `ready`, and after its first completed
 * job prints the spans it recorded (one JSON line) and exits.
 */
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { Dispatcher, RedisBackend } from '../src/index.js';
import { tracedHandler } from '../src/otel.js';

const queue = process.argv[2]!;
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const worker = new Dispatcher({
  workers: 1,
  backend: new RedisBackend({ url: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379', queue }),
});
worker.register(
  tracedHandler(
    { jobType: 'geocode', execute: (job) => Promise.resolve(job.params) },
    { tracer: provider.getTracer('worker') },
  ),
);
const done = new Promise<void>((resolve) => {
  const off = worker.on('completed', () => {
    off();
    resolve();
  });
});
await worker.start();
process.stdout.write('ready\n');
await done;
await worker.stop();
const spans = exporter.getFinishedSpans().map((span) => ({
  name: span.name,
  kind: span.kind,
  traceId: span.spanContext().traceId,
  parentSpanId: span.parentSpanContext?.spanId,
  parentIsRemote: span.parentSpanContext?.isRemote,
  jobId: span.attributes['messaging.message.id'],
  pid: process.pid,
}));
process.stdout.write(`${JSON.stringify(spans)}\n`);
