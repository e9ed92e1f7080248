/**
 * A Redis server of a test's own, on a free loopback port: the shared server (REDIS_URL) is never
 * frozen, restarted or killed; this one may be. `OwnRedis.start()` spawns `redis-server` (no
 * persistence) and resolves once it answers PING; `stop()` kills it and waits for its exit.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { type Server, type Socket, createConnection, createServer } from 'node:net';
import { Redis } from 'ioredis';

const missing =
  spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).error === undefined
    ? undefined
    : "no redis-server on PATH to start a server of the test's own (.ci/run installs it)";

/**
 * `{ skip: reason }` for a test that starts its own server, when `redis-server` cannot be run
 * (outside CI only: under CI=true the test runs, and fails, so that CI cannot skip it silently).
 */
export function ownRedisTest(): { skip?: string } {
  return missing === undefined || process.env['CI'] === 'true' ? {} : { skip: missing };
}

/** A loopback port where nothing listens right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export class OwnRedis {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();

  private constructor(
    readonly port: number,
    /** With a directory: append-only persistence there, so a restart keeps the data. */
    private readonly dir: string | undefined,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts a server on a free port (or on `port`, to restart one where it was). */
  static async start(port?: number, dir?: string): Promise<OwnRedis> {
    const server = new OwnRedis(port ?? (await freePort()), dir);
    await server.spawn();
    return server;
  }

  /** SIGSTOP: the server keeps its connections open but answers nothing. */
  freeze(): void {
    this.child?.kill('SIGSTOP');
  }

  /** SIGCONT: the frozen server answers again. */
  thaw(): void {
    this.child?.kill('SIGCONT');
  }

  /** Kills the server (SIGKILL after a SIGCONT, so a frozen one dies too) and waits for its exit. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child === undefined) return;
    child.kill('SIGCONT');
    child.kill('SIGKILL');
    await this.exited;
  }

  /** Stops the server and starts a new, empty one on the same port. */
  async restart(): Promise<void> {
    await this.stop();
    await this.spawn();
  }

  /** A plain client on this server; disconnect it when done. */
  client(): Redis {
    return new Redis(this.url, { maxRetriesPerRequest: 1, retryStrategy: () => null });
  }

  private async spawn(): Promise<void> {
    const persistence =
      this.dir === undefined
        ? ['--appendonly', 'no']
        : ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', this.dir];
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', ...persistence],
      { stdio: 'ignore' },
    );
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const started = Date.now();
    for (;;) {
      if (child.exitCode !== null) throw new Error(`redis-server on port ${this.port} exited`);
      const probe = new Redis(this.url, {
        lazyConnect: true,
        retryStrategy: () => null,
        maxRetriesPerRequest: 0,
      });
      probe.on('error', () => undefined);
      try {
        await probe.connect();
        await probe.ping();
        return;
      } catch {
        if (Date.now() - started > 10_000) {
          await this.stop();
          throw new Error(`redis-server on port ${this.port} did not answer within 10 s`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      } finally {
        probe.disconnect();
      }
    }
  }
}

/**
 * A TCP proxy in front of a Redis server that holds every chunk, each way, for `delayMs` (a slow
 * network or an overloaded server), keeping the order of the bytes.
 */
export class SlowProxy {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  delayMs: number;

  constructor(
    private readonly target: { port: number },
    delayMs: number,
  ) {
    this.delayMs = delayMs;
    this.server = createServer((client) => {
      const upstream = createConnection(this.target.port, '127.0.0.1');
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => {
          this.sockets.delete(socket);
          client.destroy();
          upstream.destroy();
        });
        socket.on('error', () => undefined);
      }
      const relay = (from: Socket, to: Socket): void => {
        from.on('data', (chunk) => {
          setTimeout(() => {
            if (!to.destroyed) to.write(chunk);
          }, this.delayMs);
        });
      };
      relay(client, upstream);
      relay(upstream, client);
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `redis://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }
}
