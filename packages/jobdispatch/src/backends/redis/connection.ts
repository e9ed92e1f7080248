/**
 * Redis connections for one backend. ioredis is imported here, lazily, the first time a backend
 * opens: importing the library or using only the in-process dispatcher never loads it and never
 * connects anywhere.
 *
 * `RedisLink` owns a backend's connections: commands, the event log reader (event-log.ts), and
 * the blocking one an idle worker waits on (opened only in a process that runs workers).
 *
 * Invariants: opening never hangs (a server that does not answer within `connectTimeoutMs` gives a
 * `BACKEND_UNAVAILABLE` error, with no reconnect loop left behind); closing waits a bounded time
 * for commands in flight and for the events they published, then drops the connections (no QUIT);
 * after closing, a command (a late `get()`) uses a one-shot connection, or fails at once when Redis
 * was unreachable at close.
 */
import { DispatchError } from '../../errors.js';
import { redactUrl, redisFailure } from './redis-errors.js';
import {
  type ConnectionRole,
  type ConnectionSource,
  type RedisClient as Redis,
  createClient,
} from './client.js';
import { loadScripts } from './scripts.js';

/** How long `close()` waits for commands in flight and their events before it drops connections. */
const CLOSE_GRACE_MS = 500;

export interface LinkOptions {
  /** Names the server in messages (no password). */
  readonly url: string;
  /** What to connect to: every connection is built from it (client.ts). */
  readonly source: ConnectionSource;
  /** Names the connections in CLIENT LIST: `<name>:command`, `<name>:events`, `<name>:blocking`. */
  readonly name: string;
  readonly connectTimeoutMs: number;
  readonly onError: (error: unknown) => void;
  /** Starts the event log reader on its connection, before the link reports itself open. */
  readonly startEvents: (client: Redis) => Promise<void>;
  /** Resolves once the events written so far reached the listeners (close waits for it, bounded). */
  readonly drainEvents: () => Promise<void>;
}

type State = 'idle' | 'open' | 'closing' | 'closed';

export class RedisLink {
  private state: State = 'idle';
  private opening: Promise<Redis> | undefined;
  private command: Redis | undefined;
  private eventsClient: Redis | undefined;
  private blockingClient: Promise<Redis> | undefined;
  private readonly inflight = new Set<Promise<unknown>>();
  private reachableAtClose = true;
  /** Rejects when close() drops the connections: what is still queued on them never settles. */
  private readonly dropped = rejectLater();

  constructor(private readonly options: LinkOptions) {}

  get isOpen(): boolean {
    return this.state === 'open';
  }

  /** Connects (once; a failed attempt may be retried by calling again). */
  async open(): Promise<void> {
    await this.ready();
  }

  /**
   * Runs `fn` on the command connection; `close()` waits (bounded) for it to settle, and a command
   * still queued when it drops the connections (a client reconnecting) rejects then. Every
   * rejection is a DispatchError (see redis-errors.ts).
   */
  run<T>(fn: (client: Redis) => Promise<T>): Promise<T> {
    const asDispatch = (error: unknown): never => {
      throw redisFailure(this.options.url, error);
    };
    if (this.state === 'closed') return this.runOnce(fn).catch(asDispatch);
    const promise = Promise.race([this.ready().then(fn), this.dropped.promise]).catch(asDispatch);
    this.inflight.add(promise);
    const forget = (): void => void this.inflight.delete(promise);
    promise.then(forget, forget);
    return promise;
  }

  /** The connection an idle worker blocks on, opened on first use. */
  blocking(): Promise<Redis> {
    if (this.state !== 'open') return Promise.reject(closedError());
    this.blockingClient ??= connect('blocking', this.options).catch((error: unknown) => {
      this.blockingClient = undefined;
      throw error;
    });
    return this.blockingClient;
  }

  /**
   * Lets commands in flight settle and the events they published arrive, then drops every
   * connection. Bounded: resolves within about CLOSE_GRACE_MS even when Redis is unreachable.
   */
  async close(beforeDrain: () => Promise<void>): Promise<void> {
    if (this.state === 'closing' || this.state === 'closed') return;
    const wasOpen = this.state === 'open';
    this.state = 'closing';
    if (wasOpen) {
      const drained = beforeDrain()
        .then(() => Promise.allSettled([...this.inflight]))
        .then(() => this.options.drainEvents())
        .then(
          () => true,
          () => false,
        );
      this.reachableAtClose = (await raceTimeout(drained, CLOSE_GRACE_MS)) === true;
    }
    this.state = 'closed';
    this.dropped.reject(closedError('the Redis backend closed before the command was answered'));
    this.command?.disconnect();
    this.eventsClient?.disconnect();
    this.command = this.eventsClient = undefined;
    const blocking = this.blockingClient;
    this.blockingClient = undefined;
    blocking?.then((client) => client.disconnect()).catch(() => undefined);
  }

  private ready(): Promise<Redis> {
    if (this.state === 'closed') return Promise.reject(closedError());
    this.opening ??= this.connectAll().catch((error: unknown) => {
      this.opening = undefined;
      throw error;
    });
    return this.opening;
  }

  private async connectAll(): Promise<Redis> {
    const [command, events] = await Promise.allSettled([
      connect('command', this.options),
      connect('events', this.options),
    ]);
    const drop = (): void => {
      if (command.status === 'fulfilled') command.value.disconnect();
      if (events.status === 'fulfilled') events.value.disconnect();
    };
    if (command.status === 'rejected' || events.status === 'rejected') {
      drop();
      throw command.status === 'rejected'
        ? command.reason
        : (events as PromiseRejectedResult).reason;
    }
    try {
      await Promise.all([loadScripts(command.value), this.options.startEvents(events.value)]);
    } catch (error) {
      drop();
      throw unavailable(this.options.url, error);
    }
    if (this.state !== 'idle') {
      drop();
      throw closedError();
    }
    this.state = 'open';
    this.command = command.value;
    this.eventsClient = events.value;
    return command.value;
  }

  /** After close: one command on a connection of its own. */
  private async runOnce<T>(fn: (client: Redis) => Promise<T>): Promise<T> {
    if (!this.reachableAtClose) {
      throw closedError('the Redis backend is closed, and Redis was unreachable when it closed');
    }
    const client = await connect('command', this.options);
    try {
      // Bounded: a server that froze after accepting the connection must not hang a late get().
      const limit = this.options.connectTimeoutMs;
      const answered = await raceTimeout(
        fn(client).then((value) => ({ value })),
        limit,
      );
      if (answered === undefined) throw closedError(`Redis did not answer within ${limit} ms`);
      return answered.value;
    } finally {
      client.disconnect();
    }
  }
}

export type { ConnectionRole } from './client.js';

export interface ConnectOptions {
  readonly url: string;
  readonly source: ConnectionSource;
  readonly name: string;
  readonly connectTimeoutMs: number;
  /** Errors after the connection was opened (lost connection, failed reconnects). */
  readonly onError: (error: unknown) => void;
}

/** Opens one connection; rejects with BACKEND_UNAVAILABLE when Redis does not answer in time. */
export async function connect(role: ConnectionRole, options: ConnectOptions): Promise<Redis> {
  let opened = false;
  let lastError: unknown;
  const client = await createClient(options.source, role, {
    name: options.name,
    connectTimeoutMs: options.connectTimeoutMs,
    opened: () => opened,
  });
  client.on('error', (error: unknown) => {
    if (opened && lastError === undefined) options.onError(error);
    lastError = error; // before opening: the real reason (ECONNREFUSED...) for the message
  });
  client.on('ready', () => (lastError = undefined));
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.connect(),
      new Promise((_resolve, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${options.connectTimeoutMs} ms`)),
          options.connectTimeoutMs,
        );
      }),
    ]);
  } catch (cause) {
    client.disconnect();
    throw unavailable(options.url, lastError ?? cause);
  } finally {
    clearTimeout(timer);
  }
  opened = true;
  return client;
}

function closedError(why = 'the Redis backend is closed'): DispatchError {
  return new DispatchError('BACKEND_UNAVAILABLE', why);
}

async function raceTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function unavailable(url: string, cause: unknown): DispatchError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new DispatchError(
    'BACKEND_UNAVAILABLE',
    `Redis at ${redactUrl(url)} is unavailable: ${reason}`,
    { cause },
  );
}

/** A promise that only ever rejects, when told to (never an unhandled rejection). */
function rejectLater(): { promise: Promise<never>; reject: (error: unknown) => void } {
  let reject!: (error: unknown) => void;
  const promise = new Promise<never>((_resolve, fail) => (reject = fail));
  promise.catch(() => undefined);
  return { promise, reject };
}
