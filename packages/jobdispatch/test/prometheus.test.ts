/**
 * `jobdispatch/prometheus`, scraped by a real Prometheus server: the registry is served on a
 * loopback port, Debian's `prometheus` binary scrapes it every second, and its HTTP API is asked
 * for one series of each metric. Skipped only when the binary is missing outside CI.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { type Server, createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { Dispatcher, JobPriority } from '../src/index.js';
import { type DispatcherMetrics, registerMetrics } from '../src/prometheus.js';

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

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createNetServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The end of the Prometheus server's log, for failure messages. */
let prometheusLog = '';
/** Set once the Prometheus process has ended (or could not start): polling stops at once. */
let prometheusEnded = false;

interface Sample {
  readonly metric: Record<string, string>;
  readonly value: [number, string];
}

async function query(base: string, promql: string): Promise<Sample[]> {
  const response = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const body = (await response.json()) as {
    status: string;
    data?: { resultType: string; result: Sample[] };
  };
  assert.equal(body.status, 'success', `query ${promql}`);
  return body.data?.result ?? [];
}

/** Polls Prometheus until `promql` returns a series (a scrape every second; a generous bound). */
async function eventually(base: string, promql: string, limitMs = 60_000): Promise<Sample[]> {
  const deadline = Date.now() + limitMs;
  let last: unknown;
  while (Date.now() < deadline && !prometheusEnded) {
    try {
      const result = await query(base, promql);
      if (result.length > 0) return result;
    } catch (error) {
      last = error; // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(
    `no series for ${promql} within ${limitMs} ms${prometheusEnded ? ' (prometheus ended)' : ''} (${String(last)}); prometheus said: ${prometheusLog.slice(-1000)}`,
  );
}

describe('Prometheus metrics scraped by a real Prometheus server', { skip }, () => {
  const registry = new Registry();
  const dispatcher = new Dispatcher({ workers: 2 });
  let metrics: DispatcherMetrics;
  let server: Server;
  let prometheus: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let storage: string;
  let base: string;

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

    storage = mkdtempSync(join(tmpdir(), 'jobdispatch-prometheus-'));
    const config = join(storage, 'prometheus.yml');
    writeFileSync(
      config,
      [
        'global:',
        '  scrape_interval: 1s',
        '  scrape_timeout: 1s',
        'scrape_configs:',
        '  - job_name: jobdispatch',
        '    static_configs:',
        `      - targets: ['${target}']`,
        '',
      ].join('\n'),
    );
    const webPort = await freePort();
    base = `http://127.0.0.1:${webPort}`;
    const child = spawn(
      'prometheus',
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${join(storage, 'data')}`,
        `--web.listen-address=127.0.0.1:${webPort}`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    prometheus = child;
    child.stderr?.on('data', (chunk: Buffer) => {
      prometheusLog = (prometheusLog + chunk.toString()).slice(-4000);
    });
    // A missing binary (under CI=true) fails the queries below with this reason, not a crash.
    child.once(
      'error',
      (error) => (prometheusLog += `could not start prometheus: ${error.message}`),
    );
    exited = new Promise((resolve) => {
      const ended = (): void => {
        prometheusEnded = true;
        resolve();
      };
      child.once('close', ended);
      child.once('error', ended);
    });
  });

  after(async () => {
    if (prometheus !== undefined && prometheus.exitCode === null) {
      prometheus.kill('SIGTERM');
      const killer = setTimeout(() => prometheus?.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
    }
    metrics?.detach();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await dispatcher.stop();
    if (storage) rmSync(storage, { recursive: true, force: true });
  });

  it('reports record counts by state and type as a gauge read at scrape', async () => {
    const completed = await eventually(base, 'jobdispatch_jobs{state="completed",type="plan"}');
    assert.equal(completed[0]?.value[1], '1');
    const failed = await query(base, 'jobdispatch_jobs{state="failed",type="plan"}');
    assert.equal(failed[0]?.value[1], '1');
    const queued = await query(base, 'jobdispatch_jobs{state="queued",type="idle-type"}');
    assert.equal(queued[0]?.value[1], '0', 'a type given in `types` is reported before any event');
  });

  it('counts finished jobs by type and outcome', async () => {
    const failed = await eventually(
      base,
      'jobdispatch_jobs_finished_total{type="plan",outcome="failed"}',
    );
    assert.equal(failed[0]?.value[1], '1');
    const completed = await query(
      base,
      'jobdispatch_jobs_finished_total{type="plan",outcome="completed"}',
    );
    assert.equal(completed[0]?.value[1], '1');
  });

  it('records the wait from queued to started by priority name and type', async () => {
    const high = await eventually(
      base,
      'jobdispatch_wait_seconds_count{priority="high",type="plan"}',
    );
    assert.equal(high[0]?.value[1], '1');
    const normal = await query(
      base,
      'jobdispatch_wait_seconds_count{priority="normal",type="plan"}',
    );
    assert.equal(normal[0]?.value[1], '1');
    const bucket = await query(base, 'jobdispatch_wait_seconds_bucket{priority="high",le="+Inf"}');
    assert.equal(bucket[0]?.value[1], '1');
  });

  it('records each attempt run time by type and outcome', async () => {
    const completed = await eventually(
      base,
      'jobdispatch_run_seconds_count{type="plan",outcome="completed"}',
    );
    assert.equal(completed[0]?.value[1], '1');
    const failed = await query(base, 'jobdispatch_run_seconds_count{type="plan",outcome="failed"}');
    assert.equal(failed[0]?.value[1], '1');
    const sum = await query(base, 'jobdispatch_run_seconds_sum{type="plan",outcome="completed"}');
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
