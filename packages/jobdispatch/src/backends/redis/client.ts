/**
 * What a RedisBackend connects to (its `connection` option), and how it builds each of its own
 * connections from it: a URL, ioredis `RedisOptions` (Sentinel options included), or a client the
 * caller already configured (a `Redis` or a `Cluster`: TLS, auth, retry strategy, NAT map...).
 *
 * Invariant: the backend never uses, changes or closes a caller's client. Every connection it
 * needs (commands, the event log reader, the blocking one) is its own `duplicate()` of it, with the
 * caller's settings and the backend's few overrides (a name, fail fast before the first
 * connection, retries per role), so `close()` / `dispatcher.stop()` leave the caller's client as
 * it was. This costs one connection more than sharing the caller's for commands, and buys a
 * caller's client that is never blocked behind a backend's work, nor left with our listeners.
 *
 * ioredis is an optional peer dependency: it is imported here, lazily, on the first connection,
 * and its absence is a clear error naming the package. Nothing here imports it at load time
 * (instances are recognised by shape, not `instanceof`), so an in-process user needs none of it.
 */
import type { Cluster, ClusterOptions, Redis, RedisOptions } from 'ioredis';
import { invalidArgument } from '../../errors.js';
import { missingPeer } from '../../optional-peer.js';
import { redactUrl } from './redis-errors.js';

/** The `connection` option: a URL, ioredis options (Sentinel included), a Redis or a Cluster. */
export type RedisConnection = string | RedisOptions | Redis | Cluster;

/** A connection the backend sends commands on: a plain or Sentinel-managed one, or a Cluster. */
export type RedisClient = Redis | Cluster;

/** The `connection` option, checked: what kind it is and how messages name it. */
export type ConnectionSource =
  | { readonly kind: 'url'; readonly url: string; readonly label: string }
  | { readonly kind: 'options'; readonly options: RedisOptions; readonly label: string }
  | { readonly kind: 'client'; readonly client: RedisClient; readonly label: string };

/** What a connection is for: commands, reading the event log (XREAD BLOCK), or blocking on the wake list. */
export type ConnectionRole = 'command' | 'events' | 'blocking';

export interface ClientSettings {
  /** `<name>:<role>` names the connection in CLIENT LIST. */
  readonly name: string;
  readonly connectTimeoutMs: number;
  /** True once the connection was open: from then on it reconnects with backoff. */
  readonly opened: () => boolean;
}

/**
 * Checks `connection` (or its `url` shorthand). A client or options with an ioredis `keyPrefix`
 * are refused: the Lua scripts build most of a queue's keys themselves, and a prefix would put
 * those apart from the rest.
 */
export function resolveConnection(
  connection: RedisConnection | undefined,
  url: string | undefined,
  defaultUrl: string,
): ConnectionSource {
  if (connection !== undefined && url !== undefined) {
    throw invalidArgument('url', 'left out when connection is given (url is its shorthand)', url);
  }
  const given = connection ?? url ?? defaultUrl;
  const field = connection !== undefined ? 'connection' : 'url';
  if (typeof given === 'string') {
    if (!/^rediss?:\/\//.test(given)) {
      throw invalidArgument(field, 'a redis:// or rediss:// URL', given);
    }
    return { kind: 'url', url: given, label: redactUrl(given) };
  }
  if (given === null || typeof given !== 'object') {
    throw invalidArgument(
      field,
      'a redis:// URL, ioredis RedisOptions, a Redis or a Cluster instance',
      given,
    );
  }
  if (isClient(given)) {
    const prefix = given.isCluster
      ? (given as Cluster).options.keyPrefix
      : (given as Redis).options.keyPrefix;
    checkNoPrefix(prefix);
    return { kind: 'client', client: given, label: clientLabel(given) };
  }
  const options = given;
  checkNoPrefix(options.keyPrefix);
  return { kind: 'options', options, label: optionsLabel(options) };
}

/** Builds one (not yet connected) connection of the backend's own. */
export async function createClient(
  source: ConnectionSource,
  role: ConnectionRole,
  settings: ClientSettings,
): Promise<RedisClient> {
  const overrides = {
    lazyConnect: true,
    connectionName: `${settings.name}:${role}`,
    connectTimeout: settings.connectTimeoutMs,
    // Before the first connection: fail at once (open() reports it). After: reconnect with backoff.
    retryStrategy: (times: number) => (settings.opened() ? Math.min(100 * times, 2000) : null),
    // A blocking BLPOP or XREAD waits as long as it has to, and is sent again after a reconnect
    // (the reader's XREAD with the id it last delivered); commands fail after a few reconnects
    // instead of queueing forever while Redis is away.
    maxRetriesPerRequest: role === 'command' ? 3 : null,
    // The backend batches its own writes (batch.ts); RESP2 works with every Redis from 6.2 on.
    enableAutoPipelining: false,
    protocol: 2,
  } satisfies RedisOptions;
  if (source.kind === 'client') {
    const client = source.client;
    if (!client.isCluster) return (client as Redis).duplicate(overrides);
    const cluster = client as Cluster;
    const { retryStrategy, lazyConnect, enableAutoPipelining, ...nodeOverrides } = overrides;
    void retryStrategy;
    const clusterOverrides = {
      lazyConnect,
      enableAutoPipelining,
      clusterRetryStrategy: (times: number) =>
        settings.opened() ? Math.min(100 * times, 2000) : null,
      redisOptions: { ...cluster.options.redisOptions, ...nodeOverrides },
    } as ClusterOptions & { redisOptions: { replyMapping?: 'legacy' } };
    return cluster.duplicate(undefined, clusterOverrides);
  }
  const { Redis: RedisClass } = await loadIoredis();
  if (source.kind === 'url') return new RedisClass(source.url, overrides);
  return new RedisClass({ ...source.options, ...overrides } as RedisOptions & {
    replyMapping?: 'legacy';
  });
}

/**
 * Loads every script on every master of a Cluster (a script lives in one node's cache), or on
 * the one server; a node that joins later gets them on its first NOSCRIPT (see scripts.ts).
 */
export function scriptTargets(client: RedisClient): readonly Redis[] {
  return client.isCluster ? (client as Cluster).nodes('master') : [client as Redis];
}

interface Ioredis {
  readonly Redis: typeof Redis;
  readonly Cluster: typeof Cluster;
}

let ioredis: Promise<Ioredis> | undefined;

/** ioredis, imported on first use; a clear error naming the package when it is not installed. */
export function loadIoredis(): Promise<Ioredis> {
  const loading = (ioredis ??= import('ioredis').catch((cause: unknown) => {
    ioredis = undefined;
    throw missingPeer('ioredis', 'RedisBackend', cause, 'BACKEND_UNAVAILABLE');
  }));
  return loading;
}

function isClient(value: object): value is RedisClient {
  const candidate = value as { duplicate?: unknown; isCluster?: unknown };
  return typeof candidate.duplicate === 'function' && typeof candidate.isCluster === 'boolean';
}

function checkNoPrefix(prefix: unknown): void {
  if (prefix !== undefined && prefix !== '') {
    throw invalidArgument(
      'connection.keyPrefix',
      'not set (the queue option names the keys; its scripts build them without the prefix)',
      prefix,
    );
  }
}

function clientLabel(client: RedisClient): string {
  if (client.isCluster) return 'the given Redis Cluster';
  return optionsLabel((client as Redis).options);
}

function optionsLabel(options: RedisOptions): string {
  if (options.sentinels !== undefined && options.sentinels !== null) {
    const sentinels = options.sentinels.map((s) => `${s.host ?? '127.0.0.1'}:${s.port ?? 26379}`);
    return `the master "${options.name ?? 'mymaster'}" of sentinels ${sentinels.join(', ')}`;
  }
  if (options.path !== undefined) return `the socket ${options.path}`;
  return `${options.host ?? '127.0.0.1'}:${options.port ?? 6379}`;
}
