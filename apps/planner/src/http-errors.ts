/**
 * The one place that maps an error to an HTTP status: routes throw (or return) errors with codes,
 * never invent statuses. Every error answer has the same body: `{ error: { code, message } }`.
 */
import { isDispatchError } from 'jobdispatch';

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
  | 'PLANNING_FAILED';

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
  const code = codeOf(error);
  const known = STATUS[code] ?? statusFromFramework(error);
  const status = known ?? 500;
  // An error nobody raised on purpose keeps its details in the log, not in the answer.
  const message =
    known === undefined ? 'internal error' : error instanceof Error ? error.message : String(error);
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
