import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Service } from '../src/service.js';
import { startTestService } from './http-helpers.js';
import {
  type PrometheusServer,
  startPrometheus,
} from '../../../packages/jobdispatch/test/prometheus-server.js';

/** The value of one exposition line, `name{labels} value`, or undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const close = line.indexOf('} ');
    const found = new Map(
      [...line.slice(name.length + 1, close).matchAll(/(\w+)="([^"]*)"/g)].map(
        (m): [string, string] => [m[1]!, m[2]!],
      ),
    );
    if (Object.entries(labels).every(([key, value]) => found.get(key) === value))
      return Number(line.slice(close + 2));
  }
  return undefined;
}

describe('GET /metrics', () => {
  let service: Service;
  let base: string;
  before(async () => {
    service = await startTestService({ workers: 2, http: true, port: 0, host: '127.0.0.1' });
    base = service.url!;
  });
  after(() => service.close());

  it('serves the job metrics of the queue and the process metrics in the Prometheus text format', async () => {
    const planned = await fetch(
      `${base}/v1/planning?location=Paris&date=${new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10)}&price=2&numberResults=1`,
    );
    assert.equal(planned.status, 200);
    const { jobId } = (await planned.json()) as { jobId: string };
    await service.dispatcher.wait(jobId);

    const response = await fetch(`${base}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const text = await response.text();

    assert.match(text, /^# TYPE jobdispatch_jobs gauge$/m);
    assert.ok(
      (sample(text, 'jobdispatch_jobs', { state: 'completed', type: 'Planning' }) ?? 0) >= 1,
    );
    assert.equal(sample(text, 'jobdispatch_jobs', { state: 'failed', type: 'Analytics' }), 0);
    assert.ok(
      (sample(text, 'jobdispatch_jobs_finished_total', {
        type: 'Planning',
        outcome: 'completed',
      }) ?? 0) >= 1,
    );
    assert.ok(
      (sample(text, 'jobdispatch_wait_seconds_count', { priority: 'high', type: 'Planning' }) ??
        0) >= 1,
    );
    assert.ok(
      (sample(text, 'jobdispatch_run_seconds_count', { type: 'Planning', outcome: 'completed' }) ??
        0) >= 1,
    );
    assert.match(text, /^process_resident_memory_bytes \d+/m);
  });
});

describe('GET /metrics scraped by a real Prometheus server', () => {
  let service: Service;
  let prometheus: PrometheusServer;
  before(async () => {
    service = await startTestService({ workers: 2, http: true, port: 0, host: '127.0.0.1' });
    const planned = await fetch(
      `${service.url!}/v1/planning?location=Lyon&date=${new Date(Date.now() + 9 * 86_400_000).toISOString().slice(0, 10)}&price=2&numberResults=1`,
    );
    assert.equal(planned.status, 200);
    const body = (await planned.json()) as {
      jobId: string;
      backgroundJobs: { jobId: string | null }[];
    };
    await service.dispatcher.wait(body.jobId);
    for (const { jobId } of body.backgroundJobs) if (jobId) await service.dispatcher.wait(jobId);
    prometheus = await startPrometheus(new URL(service.url!).host, 'planner');
  });
  after(async () => {
    await prometheus?.stop();
    await service?.close();
  });

  it('finds one series of each kind through the Prometheus HTTP API', async () => {
    const gauge = await prometheus.eventually(
      'jobdispatch_jobs{job="planner",state="completed",type="Planning"}',
    );
    assert.equal(gauge[0]?.value[1], '5', 'the HIGH job and the four LOW ones');
    const counter = await prometheus.eventually(
      'jobdispatch_jobs_finished_total{type="Planning",outcome="completed"}',
    );
    assert.equal(counter[0]?.value[1], '5');
    const high = await prometheus.eventually(
      'jobdispatch_wait_seconds_count{priority="high",type="Planning"}',
    );
    assert.equal(high[0]?.value[1], '1');
    const low = await prometheus.query(
      'jobdispatch_wait_seconds_count{priority="low",type="Planning"}',
    );
    assert.equal(low[0]?.value[1], '4');
    const run = await prometheus.eventually(
      'histogram_quantile(0.5, sum by (le) (jobdispatch_run_seconds_bucket{type="Planning",outcome="completed"}))',
    );
    assert.ok(Number(run[0]?.value[1]) >= 0, `median run time ${run[0]?.value[1]}`);
    const runs = await prometheus.query(
      'jobdispatch_run_seconds_count{type="Planning",outcome="completed"}',
    );
    assert.equal(runs[0]?.value[1], '5');
  });
});
