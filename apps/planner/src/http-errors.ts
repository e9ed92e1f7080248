/**
 * The one place that maps an error to an HTTP status: routes throw (or return) errors with codes,
 * never invent statuses. Every error answer has the same body: `{ error: { code, message } }`.
 */
import { isDispatchError } from 'jobdispatch';
import { MAX_MESSAGE_LENGTH, truncate } from './echo.js';

/** An error a route raises on purpose, with its code; its status comes from `errorAnswer`. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly code: HttpErrorCode,
    message: string,
    readonly details?: Readonly<Record<string, unknown>>,
  ) {
    super(message);
  }
}

export type HttpErrorCode =
  | 'BAD_REQUEST'
  | 'UNAUTHORIZED'
  | 'NOT_FOUND'
  | 'NO_PLAN'
  | 'URI_TOO_LONG'
  | 'NOT_READY'
  | 'BACKEND_UNAVAILABLE'
  | 'PLANNING_FAILED'
  | 'PLACES_PROVIDER_FAILED'
  | 'PLACES_PROVIDER_UNAVAILABLE';

const STATUS: Readonly<Record<string, number>> = {
  BAD_REQUEST: 400,
  INVALID_ARGUMENT: 400,
  FST_ERR_VALIDATION: 400,
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  JOB_NOT_FOUND: 404,
  NO_PLAN: 404,
  INVALID_STATE: 409,
  URI_TOO_LONG: 414,
  FST_ERR_CTP_BODY_TOO_LARGE: 413,
  QUEUE_FULL: 503,
  QUEUE_CLOSED: 503,
  BACKEND_UNAVAILABLE: 503,
  NOT_READY: 503,
  PLANNING_FAILED: 500,
  INVALID_REQUEST: 400,
  UNKNOWN_LOCATION: 400,
  PLACES_PROVIDER_FAILED: 502,
  PLACES_PROVIDER_UNAVAILABLE: 503,
  STORE_UNAVAILABLE: 503,
};

/** Seconds a client should wait before retrying a 503. */
export const RETRY_AFTER_SECONDS = 5;

export interface ErrorAnswer {
  readonly status: number;
  readonly body: {
    readonly error: { readonly code: string; readonly message: string } & Record<string, unknown>;
  };
  readonly headers: Readonly<Record<string, string>>;
}

export function errorAnswer(error: unknown): ErrorAnswer {
  if (isStoreUnavailable(error)) {
    return errorAnswer(
      new HttpError('NOT_READY', 'a store the service needs is unavailable; try again later'),
    );
  }
  const code = codeOf(error);
  if (code === 'BACKEND_UNAVAILABLE' && !(error instanceof HttpError)) {
    // The library's message names the Redis address and its client's text: for the log only.
    return errorAnswer(
      new HttpError('BACKEND_UNAVAILABLE', 'the job backend is unavailable; try again later'),
    );
  }
  const known = STATUS[code] ?? statusFromFramework(error);
  const status = known ?? 500;
  // An error nobody raised on purpose keeps its details in the log, not in the answer; and no
  // answer repeats more than MAX_MESSAGE_LENGTH characters (a message may quote the request).
  const message =
    known === undefined
      ? 'internal error'
      : truncate(error instanceof Error ? error.message : String(error), MAX_MESSAGE_LENGTH);
  const details = error instanceof HttpError && error.details !== undefined ? error.details : {};
  return {
    status,
    body: { error: { code: known === undefined ? 'INTERNAL' : code, message, ...details } },
    headers: status === 503 ? { 'retry-after': String(RETRY_AFTER_SECONDS) } : {},
  };
}

function codeOf(error: unknown): string {
  if (error instanceof HttpError || isDispatchError(error)) return error.code;
  if (typeof error === 'object' && error !== null && 'validation' in error) return 'BAD_REQUEST';
  if (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as { code?: unknown }).code === 'string'
  ) {
    return (error as { code: string }).code;
  }
  return 'INTERNAL';
}

/** Fastify's own client errors (bad JSON, too large) carry a 4xx statusCode. */
function statusFromFramework(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : undefined;
}

/** Network error codes of a connection to a store that went away. */
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTCONN']);

/**
 * A raw client error from a store outside the library (the planner's own Redis stores): its
 * connection is down or its retries ran out. The service answers 503 with Retry-After, as for the
 * job backend's BACKEND_UNAVAILABLE, without repeating the client's text.
 */
function isStoreUnavailable(error: unknown): boolean {
  if (!(error instanceof Error) || error instanceof HttpError || isDispatchError(error))
    return false;
  const code = (error as { code?: unknown }).code;
  return (
    error.name === 'MaxRetriesPerRequestError' ||
    error.message === 'Connection is closed.' ||
    (typeof code === 'string' && CONNECTION_CODES.has(code))
  );
}
