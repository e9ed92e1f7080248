/**
 * Service configuration, read from environment variables and validated once at start by a JSON
 * schema (env-schema, on Ajv). A bad value stops the start with a message that names the
 * variable, the rule and the value: each variable's rule is written once, in its schema's
 * `description`, and the first Ajv error is turned into `<NAME> must be <rule>, got "<value>"`.
 * Nothing else in the service reads the environment.
 */
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import envSchema from 'env-schema';
import { PROVIDER_NAMES, type ProviderName } from './places/catalog.js';
import type { PlacesConfig } from './places/open-provider.js';
import { DEFAULT_PLACES_TTL_MS } from './places/place-cache.js';
import { DEFAULT_SOLUTION_CACHE_BYTES } from './planning/solution-store.js';

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
  /** A JSON or CSV file of real places (for `PLACES_PROVIDER=file`). */
  readonly placesFile: string | undefined;
  /** Which place provider, and its endpoint, key, deadline and call limits. */
  readonly places: PlacesConfig;
  /** Bytes the in-memory solution cache keeps (without Redis). */
  readonly solutionCacheBytes: number;
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
const NAME_RULE = "1-64 letters, digits, '_', '.' or '-'";
const HTTP_URL = '^https?://[^\\s]+$';

const integer = (min: number, max: number) =>
  ({
    type: 'integer',
    minimum: min,
    maximum: max,
    description: `an integer ${min}-${max}`,
  }) as const;

/** The variables, each with its rule (the `description` is the rule quoted in errors). */
const SCHEMA = {
  type: 'object',
  properties: {
    PORT: integer(0, 65535),
    HOST: { type: 'string', description: 'a host name or address' },
    REDIS_URL: {
      type: 'string',
      pattern: '^rediss?://',
      description: 'a redis:// or rediss:// URL',
    },
    QUEUE: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$', description: NAME_RULE },
    WORKERS: integer(0, 1000),
    PLANNING_THREADS: integer(0, 64),
    QUEUE_CAPACITY: integer(1, 1_000_000),
    REQUEST_TIMEOUT_MS: integer(1, 600_000),
    PLACES_PROVIDER: {
      type: 'string',
      enum: PROVIDER_NAMES,
      description: `one of ${PROVIDER_NAMES.join(', ')}`,
    },
    PLACES_FILE: { type: 'string', description: 'a path' },
    OVERPASS_URL: { type: 'string', pattern: HTTP_URL, description: 'an http:// or https:// URL' },
    GOOGLE_PLACES_URL: {
      type: 'string',
      pattern: HTTP_URL,
      description: 'an http:// or https:// URL',
    },
    GOOGLE_PLACES_API_KEY: { type: 'string', minLength: 1, description: 'a key' },
    PLACES_TIMEOUT_MS: integer(100, 120_000),
    PLACES_MAX_CONCURRENT: integer(1, 100),
    PLACES_PER_SECOND: integer(1, 1000),
    PLACES_CACHE_TTL_MS: integer(1000, 30 * 24 * 60 * 60 * 1000),
    SOLUTION_CACHE_MB: integer(1, 65_536),
    ADMIN_TOKEN: { type: 'string', minLength: 16, description: 'at least 16 characters' },
    LOG_LEVEL: { type: 'string', enum: LOG_LEVELS, description: `one of ${LOG_LEVELS.join(', ')}` },
  },
} as const;

type Variable = keyof typeof SCHEMA.properties;
type Values = Partial<Record<Variable, string | number>>;

export function loadConfig(env: Env = process.env, defaults: Partial<Config> = {}): Config {
  const values = validate(env);
  const str = (key: Variable): string | undefined => {
    const value = values[key];
    return value === undefined ? undefined : String(value);
  };
  const int = (key: Variable, fallback: number): number => {
    const value = values[key];
    return typeof value === 'number' ? value : fallback;
  };
  const placesFile = str('PLACES_FILE')?.trim() || undefined;
  const apiKey = str('GOOGLE_PLACES_API_KEY');
  // Unset: the file when one is named, else Google when a key is given, else the sample.
  const provider = (str('PLACES_PROVIDER') ??
    (placesFile !== undefined
      ? 'file'
      : apiKey !== undefined
        ? 'google'
        : 'sample')) as ProviderName;
  if (provider === 'file' && placesFile === undefined) {
    throw new ConfigError('PLACES_FILE must be set when PLACES_PROVIDER=file, got nothing');
  }
  if (provider === 'google' && apiKey === undefined) {
    throw new ConfigError(
      'GOOGLE_PLACES_API_KEY must be set when PLACES_PROVIDER=google, got nothing',
    );
  }
  const workers = int('WORKERS', defaults.workers ?? 10);
  if ((provider === 'overpass' || provider === 'google') && workers === 1) {
    // A Planning job waits for its PlaceFetch jobs: with one slot, they would have none to run in.
    throw new ConfigError(
      `WORKERS must be 0 or at least 2 when PLACES_PROVIDER=${provider} (a Planning job waits for its PlaceFetch jobs in another slot), got "1"`,
    );
  }
  const adminToken = str('ADMIN_TOKEN');
  return {
    port: int('PORT', defaults.port ?? 8080),
    host: str('HOST') ?? defaults.host ?? '0.0.0.0',
    redisUrl: str('REDIS_URL'),
    queue: str('QUEUE') ?? defaults.queue ?? 'planner',
    workers,
    planningThreads: int('PLANNING_THREADS', defaults.planningThreads ?? availableParallelism()),
    capacityPerLevel: int('QUEUE_CAPACITY', defaults.capacityPerLevel ?? 1000),
    requestTimeoutMs: int('REQUEST_TIMEOUT_MS', defaults.requestTimeoutMs ?? 10_000),
    placesFile,
    places: {
      provider,
      placesFile,
      overpassUrl: str('OVERPASS_URL'),
      googlePlacesUrl: str('GOOGLE_PLACES_URL'),
      googleApiKey: apiKey,
      timeoutMs: int('PLACES_TIMEOUT_MS', 8_000),
      maxConcurrent: int('PLACES_MAX_CONCURRENT', 2),
      perSecond: int('PLACES_PER_SECOND', 1),
      cacheTtlMs: int('PLACES_CACHE_TTL_MS', DEFAULT_PLACES_TTL_MS),
    },
    solutionCacheBytes:
      values.SOLUTION_CACHE_MB === undefined
        ? (defaults.solutionCacheBytes ?? DEFAULT_SOLUTION_CACHE_BYTES)
        : int('SOLUTION_CACHE_MB', 0) * 1024 * 1024,
    adminToken: adminToken ?? randomBytes(18).toString('base64url'),
    adminTokenGenerated: adminToken === undefined,
    logLevel: str('LOG_LEVEL') ?? defaults.logLevel ?? 'info',
    http: defaults.http ?? true,
  };
}

/** The schema's variables that are set (an empty value counts as unset), validated and coerced. */
function validate(env: Env): Values {
  const data: Record<string, string> = {};
  for (const key of Object.keys(SCHEMA.properties)) {
    const value = env[key];
    if (value !== undefined && value !== '') data[key] = value;
  }
  let values: Values;
  try {
    values = envSchema<Values>({ schema: SCHEMA, data, env: false, dotenv: false });
  } catch (error) {
    throw configErrorOf(error, data);
  }
  for (const [key, spec] of Object.entries(SCHEMA.properties)) {
    // Ajv coerces "0x10" and " 12 " to numbers; only plain decimal digits are integers here.
    const raw = data[key];
    if (spec.type === 'integer' && raw !== undefined && !/^\d+$/.test(raw)) {
      throw new ConfigError(`${key} must be ${spec.description}, got ${JSON.stringify(raw)}`);
    }
  }
  return values;
}

function configErrorOf(error: unknown, data: Readonly<Record<string, string>>): ConfigError {
  const [first] = (error as { errors?: { instancePath?: string }[] }).errors ?? [];
  const key = first?.instancePath?.replace(/^\//, '') as Variable | undefined;
  const spec = key === undefined ? undefined : SCHEMA.properties[key];
  if (key === undefined || spec === undefined) {
    return new ConfigError(`configuration is invalid: ${(error as Error).message}`);
  }
  const raw = data[key] ?? '';
  const got = key === 'ADMIN_TOKEN' ? String(raw.length) : JSON.stringify(raw);
  return new ConfigError(`${key} must be ${spec.description}, got ${got}`);
}
