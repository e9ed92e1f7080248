/**
 * `jobdispatch/prometheus`, scraped by a real Prometheus server: the registry is served on a
 * loopback port, Debian's `prometheus` binary scrapes it every second, and its HTTP API is asked
 * for one series of each metric. Skipped only when the binary is missing outside CI.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { Dispatcher, JobPriority } from '../src/index.js';
import { type DispatcherMetrics, registerMetrics } from '../src/prometheus.js';
import { type PrometheusServer, startPrometheus } from './prometheus-server.js';

function hasPrometheus(): boolean {
  try {
    execFileSync('sh', ['-c', 'command -v prometheus'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const skip =
  !hasPrometheus() && process.env['CI'] !== 'true'
    ? 'the prometheus binary is not installed (apt-get install prometheus, or run .ci/run)'
    : undefined;

describe('Prometheus metrics scraped by a real Prometheus server', { skip }, () => {
  const registry = new Registry();
  const dispatcher = new Dispatcher({ workers: 2 });
  let metrics: DispatcherMetrics;
  let server: Server;
  let prometheus: PrometheusServer;

  before(async () => {
    metrics = registerMetrics(dispatcher, { registry, types: ['idle-type'] });
    dispatcher.register({
      jobType: 'plan',
      execute: (job) =>
        (job.params as { fail?: boolean }).fail
          ? Promise.reject(new Error('no route'))
          : Promise.resolve('ok'),
    });
    await dispatcher.start();
    const ok = await dispatcher.submit({ name: 'plan', params: {}, priority: JobPriority.High });
    const bad = await dispatcher.submit({ name: 'plan', params: { fail: true } });
    await dispatcher.wait(ok.id);
    await assert.rejects(dispatcher.wait(bad.id));

    server = createServer((request, response) => {
      if (request.url !== '/metrics') {
        response.writeHead(404).end();
        return;
      }
      registry.metrics().then(
        (text) => {
          response.writeHead(200, { 'content-type': registry.contentType }).end(text);
        },
        (error: unknown) => response.writeHead(500).end(String(error)),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const target = `127.0.0.1:${(server.address() as AddressInfo).port}`;

    prometheus = await startPrometheus(target);
  });

  after(async () => {
    await prometheus?.stop();
    metrics?.detach();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await dispatcher.stop();
  });

  it('reports record counts by state and type as a gauge read at scrape', async () => {
    const completed = await prometheus.eventually(
      'jobdispatch_jobs{state="completed",type="plan"}',
    );
    assert.equal(completed[0]?.value[1], '1');
    const failed = await prometheus.query('jobdispatch_jobs{state="failed",type="plan"}');
    assert.equal(failed[0]?.value[1], '1');
    const queued = await prometheus.query('jobdispatch_jobs{state="queued",type="idle-type"}');
    assert.equal(queued[0]?.value[1], '0', 'a type given in `types` is reported before any event');
  });

  it('counts finished jobs by type and outcome', async () => {
    const failed = await prometheus.eventually(
      'jobdispatch_jobs_finished_total{type="plan",outcome="failed"}',
    );
    assert.equal(failed[0]?.value[1], '1');
    const completed = await prometheus.query(
      'jobdispatch_jobs_finished_total{type="plan",outcome="completed"}',
    );
    assert.equal(completed[0]?.value[1], '1');
  });

  it('records the wait from queued to started by priority name and type', async () => {
    const high = await prometheus.eventually(
      'jobdispatch_wait_seconds_count{priority="high",type="plan"}',
    );
    assert.equal(high[0]?.value[1], '1');
    const normal = await prometheus.query(
      'jobdispatch_wait_seconds_count{priority="normal",type="plan"}',
    );
    assert.equal(normal[0]?.value[1], '1');
    const bucket = await prometheus.query(
      'jobdispatch_wait_seconds_bucket{priority="high",le="+Inf"}',
    );
    assert.equal(bucket[0]?.value[1], '1');
  });

  it('records each attempt run time by type and outcome', async () => {
    const completed = await prometheus.eventually(
      'jobdispatch_run_seconds_count{type="plan",outcome="completed"}',
    );
    assert.equal(completed[0]?.value[1], '1');
    const failed = await prometheus.query(
      'jobdispatch_run_seconds_count{type="plan",outcome="failed"}',
    );
    assert.equal(failed[0]?.value[1], '1');
    const sum = await prometheus.query(
      'jobdispatch_run_seconds_sum{type="plan",outcome="completed"}',
    );
    assert.ok(Number(sum[0]?.value[1]) >= 0);
  });

  it('detach() removes the metrics from the registry and stops observing', async () => {
    const local = new Registry();
    const d = new Dispatcher({ workers: 1 });
    const m = registerMetrics(d, { registry: local });
    d.register({ jobType: 'x', execute: () => Promise.resolve(1) });
    await d.start();
    await d.wait((await d.submit({ name: 'x' })).id);
    assert.match(
      await local.metrics(),
      /jobdispatch_jobs_finished_total\{type="x",outcome="completed"\} 1/,
    );
    m.detach();
    assert.equal((await local.metrics()).trim(), '');
    assert.equal(local.getSingleMetric('jobdispatch_jobs'), undefined);
    // Registering again after detach works (the names are free).
    const again = registerMetrics(d, { registry: local });
    await d.wait((await d.submit({ name: 'x' })).id);
    assert.match(await local.metrics(), /outcome="completed"\} 1/);
    again.detach();
    await d.stop();
  });

  it('refuses a missing registry with an error naming it', () => {
    assert.throws(
      () => registerMetrics(dispatcher, {} as never),
      /options\.registry must be a prom-client Registry/,
    );
  });
});
