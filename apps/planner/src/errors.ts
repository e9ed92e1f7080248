/**
 * The planner's errors: one class, `PlannerError`, with a stable `code` that the HTTP layer maps
 * to a status and a job records as its failure code. Callers branch on the code, never on the
 * message; the message names the field, the rule and the value received.
 */

export type PlannerErrorCode =
  /** A request field breaks its rule (bad price level, malformed date, ...). */
  | 'INVALID_REQUEST'
  /** The location names no city in the gazetteer; `suggestions` holds close names. */
  | 'UNKNOWN_LOCATION'
  /** A places file cannot be read at all (missing, not JSON, no header). Bad rows are not errors. */
  | 'CATALOG_FILE'
  /** The solver was aborted through its signal. */
  | 'ABORTED'
  /** A live place provider answered with an error or with data that does not parse (HTTP 502). */
  | 'PLACES_PROVIDER_FAILED'
  /** A live place provider timed out, could not be reached, or its call limit kept a fetch too long (HTTP 503). */
  | 'PLACES_PROVIDER_UNAVAILABLE'
  /** A shared store (Redis) could not be reached or refused the command (HTTP 503). */
  | 'STORE_UNAVAILABLE';

export class PlannerError extends Error {
  override readonly name = 'PlannerError';
  readonly code: PlannerErrorCode;
  /** For `UNKNOWN_LOCATION`: up to three close place names, best first. */
  readonly suggestions: readonly string[];

  constructor(
    code: PlannerErrorCode,
    message: string,
    options: { cause?: unknown; suggestions?: readonly string[] } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.suggestions = options.suggestions ?? [];
  }
}

export function isPlannerError(value: unknown, code?: PlannerErrorCode): value is PlannerError {
  return value instanceof PlannerError && (code === undefined || value.code === code);
}

/** `INVALID_REQUEST` whose message reads `<field> must be <rule>, got <value>`. */
export function invalidField(field: string, rule: string, value: unknown): PlannerError {
  return new PlannerError(
    'INVALID_REQUEST',
    `${field} must be ${rule}, got ${describeValue(value)}`,
  );
}

/** A short, quoted rendering of a received value for error messages. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string')
    return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null)
    return String(value);
  try {
    const text = JSON.stringify(value) ?? typeof value;
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    return typeof value;
  }
}

/** The provider errors, the two codes whose failure crosses a job and reaches the user. */
export type ProviderErrorCode = 'PLACES_PROVIDER_FAILED' | 'PLACES_PROVIDER_UNAVAILABLE';

/**
 * A live place provider's failure, naming the provider. The library records a handler's error
 * as `JOB_FAILED` with its message only, so the kind and the provider travel in the message's
 * fixed opening, `places provider "<name>" failed: ...` or `... is unavailable: ...`, which
 * `providerErrorOf` reads back on the side that waits for the job.
 */
export function providerError(
  code: ProviderErrorCode,
  provider: string,
  detail: string,
  cause?: unknown,
): PlannerError {
  const verb = code === 'PLACES_PROVIDER_FAILED' ? 'failed' : 'is unavailable';
  return new PlannerError(code, `places provider "${provider}" ${verb}: ${detail}`, { cause });
}

const PROVIDER_MESSAGE = /places provider "([a-z]+)" (failed|is unavailable): /;

/** The provider error a job failure's message carries, if it carries one. */
export function providerErrorOf(
  message: string,
): { code: ProviderErrorCode; provider: string; message: string } | undefined {
  const match = PROVIDER_MESSAGE.exec(message);
  if (match === null) return undefined;
  const code = match[2] === 'failed' ? 'PLACES_PROVIDER_FAILED' : 'PLACES_PROVIDER_UNAVAILABLE';
  return { code, provider: match[1] ?? '', message: message.slice(match.index) };
}
