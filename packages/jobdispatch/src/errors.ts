/**
 * Errors. Every failure the library reports is a `DispatchError` with a stable `code`; callers
 * branch on the code, never on the message. Codes are also what a failed job records in
 * `job.error.code`, so they cross process boundaries as plain strings.
 */

/** Every code, in one list: the type below and `isDispatchErrorCode` both come from it. */
export const DISPATCH_ERROR_CODES = [
  'QUEUE_FULL',
  'QUEUE_CLOSED',
  'UNKNOWN_JOB_TYPE',
  'JOB_NOT_FOUND',
  'DUPLICATE_HANDLER',
  'INVALID_ARGUMENT',
  'JOB_FAILED',
  'JOB_TIMEOUT',
  'JOB_CANCELLED',
  'LEASE_LOST',
  'BACKEND_UNAVAILABLE',
  'MALFORMED_RECORD',
  'DISPATCHER_STOPPED',
] as const;

export type DispatchErrorCode = (typeof DISPATCH_ERROR_CODES)[number];

const CODES: ReadonlySet<string> = new Set(DISPATCH_ERROR_CODES);

/** True for a string that is one of the library's codes (job records carry codes as strings). */
export function isDispatchErrorCode(code: string): code is DispatchErrorCode {
  return CODES.has(code);
}

export class DispatchError extends Error {
  override readonly name = 'DispatchError';
  readonly code: DispatchErrorCode;
  /** The job concerned, when there is one. */
  readonly jobId: string | undefined;

  constructor(
    code: DispatchErrorCode,
    message: string,
    options: { cause?: unknown; jobId?: string } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.jobId = options.jobId;
  }
}

export function isDispatchError(value: unknown, code?: DispatchErrorCode): value is DispatchError {
  return value instanceof DispatchError && (code === undefined || value.code === code);
}

/**
 * Thrown by a handler to fail its job at once, without the retries its type allows
 * (a bad parameter, a missing resource: trying again would not help).
 */
export class UnrecoverableError extends Error {
  override readonly name = 'UnrecoverableError';
}

/** Builds the `INVALID_ARGUMENT` error whose message names the field, the rule and the value. */
export function invalidArgument(field: string, rule: string, value: unknown): DispatchError {
  return new DispatchError('INVALID_ARGUMENT', `${field} must be ${rule}, got ${describe(value)}`);
}

/** The value as it appears in a message: at most about 80 characters (it may come from a caller). */
function describe(value: unknown): string {
  const cap = (text: string): string => (text.length > 80 ? `${text.slice(0, 77)}...` : text);
  if (typeof value === 'string') return JSON.stringify(cap(value));
  if (typeof value === 'number' || typeof value === 'boolean' || value == null)
    return String(value);
  try {
    return cap(JSON.stringify(value) ?? typeof value);
  } catch {
    return typeof value;
  }
}
