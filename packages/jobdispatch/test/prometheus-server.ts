/**
 * Debian's `prometheus` binary, run for a test: it scrapes one target every second, and its HTTP
 * API is queried. Storage in a temporary directory, the web port a free loopback port.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Sample {
  readonly metric: Record<string, string>;
  readonly value: [number, string];
}

export interface PrometheusServer {
  /** The instant query's series. */
  query(promql: string): Promise<Sample[]>;
  /** Polls until the query returns a series (Prometheus scrapes every second). */
  eventually(promql: string, limitMs?: number): Promise<Sample[]>;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Starts Prometheus scraping `http://TARGET/metrics` (target `host:port`), its series labelled `job=JOB`. */
export async function startPrometheus(target: string, job = 'test'): Promise<PrometheusServer> {
  const storage = mkdtempSync(join(tmpdir(), 'jobdispatch-prometheus-'));
  const config = join(storage, 'prometheus.yml');
  writeFileSync(
    config,
    [
      'global:',
      '  scrape_interval: 1s',
      '  scrape_timeout: 1s',
      'scrape_configs:',
      `  - job_name: ${job}`,
      '    static_configs:',
      `      - targets: ['${target}']`,
      '',
    ].join('\n'),
  );
  const webPort = await freePort();
  const base = `http://127.0.0.1:${webPort}`;
  let log = '';
  let ended = false;
  const child = spawn(
    'prometheus',
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(storage, 'data')}`,
      `--web.listen-address=127.0.0.1:${webPort}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  child.stderr.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4000)));
  // A missing binary fails the queries with this reason, not a crash.
  child.once('error', (error) => (log += `could not start prometheus: ${error.message}`));
  const exited = new Promise<void>((resolve) => {
    const end = (): void => {
      ended = true;
      resolve();
    };
    child.once('close', end);
    child.once('error', end);
  });

  const query = async (promql: string): Promise<Sample[]> => {
    const response = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await response.json()) as { status: string; data?: { result: Sample[] } };
    assert.equal(body.status, 'success', `query ${promql}`);
    return body.data?.result ?? [];
  };
  return {
    query,
    async eventually(promql, limitMs = 60_000) {
      const deadline = Date.now() + limitMs;
      let last: unknown;
      while (Date.now() < deadline && !ended) {
        try {
          const result = await query(promql);
          if (result.length > 0) return result;
        } catch (error) {
          last = error; // not up yet
        }
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      throw new Error(
        `no series for ${promql} within ${limitMs} ms${ended ? ' (prometheus ended)' : ''} (${String(last)}); prometheus said: ${log.slice(-1000)}`,
      );
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null && !ended) {
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(killer);
      }
      rmSync(storage, { recursive: true, force: true });
    },
  };
}
