/**
 * Child worker processes for the multi-process tests (fixtures/worker.ts), and a small TCP proxy
 * that can make Redis unreachable for one client on demand. No sleeps: callers wait for lines a
 * child prints, with a bound.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { type Server, type Socket, createConnection, createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { REDIS_URL } from './redis-env.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

export interface WorkerLine {
  readonly type: 'ready' | 'started' | 'aborted' | 'stopped';
  readonly id?: string;
  readonly attempt?: number;
  readonly code?: string;
  readonly pid?: number;
}

export interface WorkerConfig {
  readonly queue: string;
  readonly workers: number;
  readonly leaseMs?: number;
  readonly stopTimeoutMs?: number;
  readonly hangs?: boolean;
  readonly url?: string;
}

export class WorkerProcess {
  readonly lines: WorkerLine[] = [];
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;
  private readonly watchers = new Set<() => void>();
  private stderr = '';

  constructor(config: WorkerConfig, script = 'worker.ts') {
    this.child = spawn(
      process.execPath,
      [
        '--conditions=source',
        '--import',
        'tsx',
        join(fixtures, script),
        JSON.stringify({ url: REDIS_URL, ...config }),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      this.lines.push(JSON.parse(line) as WorkerLine);
      for (const watcher of [...this.watchers]) watcher();
    });
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** The first line (already printed or still to come) matching `predicate`, within `limitMs`. */
  waitFor(predicate: (line: WorkerLine) => boolean, limitMs = 20_000): Promise<WorkerLine> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const found = this.lines.find(predicate);
        if (found === undefined) return;
        done();
        resolve(found);
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new Error(`worker ${this.pid}: no matching line within ${limitMs} ms\n${this.stderr}`),
        );
      }, limitMs);
      const done = (): void => {
        clearTimeout(timer);
        this.watchers.delete(check);
      };
      this.watchers.add(check);
      check();
    });
  }

  ready(): Promise<WorkerLine> {
    return this.waitFor((line) => line.type === 'ready');
  }

  kill(signal: NodeJS.Signals): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }
}

/** A TCP proxy to Redis; `cut()` drops every connection and refuses new ones. */
export class RedisProxy {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private port = 0;

  constructor() {
    const target = new URL(REDIS_URL);
    this.server = createServer((client) => {
      const upstream = createConnection(Number(target.port || 6379), target.hostname);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
    const url = new URL(REDIS_URL);
    url.hostname = '127.0.0.1';
    url.port = String(this.port);
    return url.toString();
  }

  /** Redis becomes unreachable through this proxy: connections drop, new ones are refused. */
  async cut(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }
}
