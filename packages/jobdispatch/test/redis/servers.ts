/**
 * Redis servers of a test's own, on free loopback ports in temporary directories: a Redis Cluster
 * of three masters, or a Sentinel group. Each is stopped and its directory removed by `stop()`.
 * The shared server at REDIS_URL is never touched.
 */
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Cluster, Redis } from 'ioredis';

const run = promisify(execFile);

const missingTools = ['redis-server', 'redis-cli'].filter(
  (tool) => spawnSync(tool, ['--version'], { stdio: 'ignore' }).error !== undefined,
);

/**
 * `{ skip: reason }` for a suite that starts servers of its own, when `redis-server` or
 * `redis-cli` is not on the PATH (outside CI only: under CI=true it runs, and fails, so that CI
 * cannot skip it silently).
 */
export function ownServersSuite(): { skip?: string } {
  if (missingTools.length === 0 || process.env['CI'] === 'true') return {};
  return {
    skip: `no ${missingTools.join(' or ')} on PATH to start servers (.ci/run installs them)`,
  };
}

/** A loopback port nobody listens on, with `port + 10000` (the cluster bus) free too. */
export async function freePort(withBus = false): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 30_000);
    if ((await isFree(port)) && (!withBus || (await isFree(port + 10_000)))) return port;
  }
  throw new Error('no free loopback port found in 50 tries');
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

export interface ServerProcess {
  readonly port: number;
  readonly child: ChildProcess;
}

/** Starts one `redis-server` (or sentinel, with `--sentinel` in args) and waits until it answers. */
export async function startServer(
  port: number,
  dir: string,
  args: readonly string[] = [],
): Promise<ServerProcess> {
  const child = spawn(
    'redis-server',
    [
      ...args,
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'no',
      '--logfile',
      join(dir, `redis-${port}.log`),
    ],
    { stdio: 'ignore' },
  );
  await waitFor(`redis-server on ${port} answers PING`, async () => {
    const client = new Redis({
      port,
      host: '127.0.0.1',
      lazyConnect: true,
      retryStrategy: () => null,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      return (await client.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      client.disconnect();
    }
  });
  return { port, child };
}

export async function stopServer(
  server: ServerProcess,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<void> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => server.child.once('exit', () => resolve()));
  server.child.kill(signal);
  const timer = setTimeout(() => server.child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/** Polls `check` every 100 ms until it is true; fails after `ms`, naming what it waited for. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  ms = 20_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out after ${ms} ms waiting until ${what}`);
}

export interface LocalCluster {
  readonly ports: readonly number[];
  /** A new ioredis Cluster client on the three masters (the test disconnects it). */
  client(): Cluster;
  stop(): Promise<void>;
}

/**
 * Three `redis-server --cluster-enabled yes` joined by `redis-cli --cluster create` with no
 * replicas: the 16384 slots are split between them.
 */
export async function startCluster(): Promise<LocalCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'jobdispatch-cluster-'));
  const servers: ServerProcess[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(servers.map((server) => stopServer(server)));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < 3; i++) {
      const port = await freePort(true);
      const nodeDir = await mkdtemp(join(dir, `node-${port}-`));
      servers.push(
        await startServer(port, nodeDir, [
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          join(nodeDir, 'nodes.conf'),
          '--cluster-node-timeout',
          '5000',
        ]),
      );
    }
    const ports = servers.map((server) => server.port);
    await run(
      'redis-cli',
      [
        '--cluster',
        'create',
        ...ports.map((port) => `127.0.0.1:${port}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ],
      { timeout: 60_000 },
    );
    for (const port of ports) {
      await waitFor(`the cluster node on ${port} reports cluster_state:ok`, async () => {
        const { stdout } = await run('redis-cli', ['-p', String(port), 'cluster', 'info']);
        return stdout.includes('cluster_state:ok');
      });
    }
    return {
      ports,
      client: () =>
        new Cluster(
          ports.map((port) => ({ host: '127.0.0.1', port })),
          { redisOptions: { maxRetriesPerRequest: 3 } },
        ),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
