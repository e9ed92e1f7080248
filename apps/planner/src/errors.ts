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
  | 'ABORTED';

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
