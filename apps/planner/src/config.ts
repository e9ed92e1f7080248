/**
 * Service configuration, read from environment variables and validated once at start. A bad value
 * stops the start with a message that names the variable, the rule and the value.
 */
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';

export interface Config {
  readonly port: number;
  readonly host: string;
  /** Unset: the in-memory backend (one process). Set: the Redis backend, shared by every process. */
  readonly redisUrl: string | undefined;
  /** The job queue's name (Redis key namespace). */
  readonly queue: string;
  /** Worker slots in this process; 0 makes an API process that only submits. */
  readonly workers: number;
  /** Threads for the CPU-bound Planning handler; 0 runs it on the main thread. */
  readonly planningThreads: number;
  readonly capacityPerLevel: number;
  /** How long /v1/planning waits for its HIGH job before answering 202. */
  readonly requestTimeoutMs: number;
  /** A JSON or CSV file of real places; unset: the generated sample catalog. */
  readonly placesFile: string | undefined;
  readonly adminToken: string;
  /** True when the token was generated at start (so it is printed once). */
  readonly adminTokenGenerated: boolean;
  readonly logLevel: string;
  /** Serve HTTP (false for `npm run worker`). */
  readonly http: boolean;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

type Env = Readonly<Record<string, string | undefined>>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function loadConfig(env: Env = process.env, defaults: Partial<Config> = {}): Config {
  const adminToken = env['ADMIN_TOKEN'];
  if (adminToken !== undefined && adminToken.length < 16) {
    throw new ConfigError(`ADMIN_TOKEN must be at least 16 characters, got ${adminToken.length}`);
  }
  const cores = availableParallelism();
  return {
    port: integer(env, 'PORT', defaults.port ?? 8080, 0, 65535),
    host: text(env, 'HOST', defaults.host ?? '0.0.0.0'),
    redisUrl: redisUrl(env['REDIS_URL'] || undefined),
    queue: name(env, 'QUEUE', defaults.queue ?? 'planner'),
    workers: integer(env, 'WORKERS', defaults.workers ?? 10, 0, 1000),
    planningThreads: integer(env, 'PLANNING_THREADS', defaults.planningThreads ?? cores, 0, 64),
    capacityPerLevel: integer(
      env,
      'QUEUE_CAPACITY',
      defaults.capacityPerLevel ?? 1000,
      1,
      1_000_000,
    ),
    requestTimeoutMs: integer(
      env,
      'REQUEST_TIMEOUT_MS',
      defaults.requestTimeoutMs ?? 10_000,
      1,
      600_000,
    ),
    placesFile: env['PLACES_FILE'] || undefined,
    adminToken: adminToken ?? randomBytes(18).toString('base64url'),
    adminTokenGenerated: adminToken === undefined,
    logLevel: oneOf(env, 'LOG_LEVEL', defaults.logLevel ?? 'info', LOG_LEVELS),
    http: defaults.http ?? true,
  };
}

function integer(env: Env, key: string, fallback: number, min: number, max: number): number {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${key} must be an integer ${min}-${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

function text(env: Env, key: string, fallback: string): string {
  const raw = env[key];
  return raw === undefined || raw === '' ? fallback : raw;
}

function name(env: Env, key: string, fallback: string): string {
  const value = text(env, key, fallback);
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(value)) {
    throw new ConfigError(
      `${key} must be 1-64 letters, digits, '_', '.' or '-', got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function oneOf(env: Env, key: string, fallback: string, allowed: readonly string[]): string {
  const value = text(env, key, fallback);
  if (!allowed.includes(value)) {
    throw new ConfigError(
      `${key} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function redisUrl(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(
      `REDIS_URL must be a redis:// or rediss:// URL, got ${JSON.stringify(raw)}`,
    );
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new ConfigError(
      `REDIS_URL must be a redis:// or rediss:// URL, got ${JSON.stringify(raw)}`,
    );
  }
  return raw;
}
