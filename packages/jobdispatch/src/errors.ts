/**
 * Errors. Every failure the library reports is a `DispatchError` with a stable `code`; callers
 * branch on the code, never on the message. Codes are also what a failed job records in
 * `job.error.code`, so they cross process boundaries as plain strings.
 */

import { type JobError, MAX_STACK_BYTES } from './job.js';
import { thrownToJobError } from './describe.js';

/** Every code, in one list: the type below and `isDispatchErrorCode` both come from it. */
export const DISPATCH_ERROR_CODES = [
  'QUEUE_FULL',
  'QUEUE_CLOSED',
  'UNKNOWN_JOB_TYPE',
  'JOB_NOT_FOUND',
  'DUPLICATE_HANDLER',
  'INVALID_ARGUMENT',
  'INVALID_STATE',
  'JOB_FAILED',
  'JOB_TIMEOUT',
  'JOB_CANCELLED',
  'LEASE_LOST',
  'BACKEND_UNAVAILABLE',
  'MALFORMED_RECORD',
  'DISPATCHER_STOPPED',
  /** `wait(id, { timeoutMs })` passed its bound; the job itself was not touched. */
  'WAIT_TIMEOUT',
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

/*
 * One factory per message built in more than one place, so that every backend and the dispatcher
 * say the same thing in the same words.
 */

/** Builds the `INVALID_ARGUMENT` error whose message names the field, the rule and the value. */
export function invalidArgument(field: string, rule: string, value: unknown): DispatchError {
  return new DispatchError('INVALID_ARGUMENT', `${field} must be ${rule}, got ${describe(value)}`);
}

/** `JOB_NOT_FOUND`: no record with this id (never submitted, removed, or past its retention). */
export function jobNotFound(id: string): DispatchError {
  return new DispatchError('JOB_NOT_FOUND', `no job with id "${id}"`, { jobId: id });
}

/** `INVALID_STATE`: the operation does not apply to a job in this status. */
export function invalidState(
  operation: string,
  id: string,
  status: string,
  allowed: string,
): DispatchError {
  return new DispatchError(
    'INVALID_STATE',
    `cannot ${operation} job "${id}": it is ${status} (only ${allowed} jobs can be)`,
    { jobId: id },
  );
}

/** `QUEUE_FULL`: the job's level holds `capacity` jobs already. */
export function queueFull(priority: number, capacity: number, jobId?: string): DispatchError {
  const level = priority === 2 ? 'HIGH' : priority === 1 ? 'NORMAL' : 'LOW';
  return new DispatchError(
    'QUEUE_FULL',
    `the ${level} level is full (${capacity} jobs); try again later`,
    jobId === undefined ? {} : { jobId },
  );
}

/** `QUEUE_CLOSED`: a submit after `stop()`. */
export function queueClosed(): DispatchError {
  return new DispatchError('QUEUE_CLOSED', 'the dispatcher is stopping and accepts no new jobs');
}

/** `INVALID_ARGUMENT` for an id already recorded. */
export function duplicateId(id: string): DispatchError {
  return new DispatchError(
    'INVALID_ARGUMENT',
    `id must be unique, got "${id}" (already recorded)`,
    {
      jobId: id,
    },
  );
}

/** Checks a level's capacity (`capacityPerLevel`): an integer >= 1. */
export function checkCapacity(value: unknown, field = 'capacityPerLevel'): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw invalidArgument(field, 'an integer >= 1', value);
  }
  return value;
}

/** Checks one aging limit (`maxWaitMs.normal` / `.low`): undefined (no aging) or a number > 0. */
export function checkAging(field: string, value: unknown): number {
  if (value === undefined) return Infinity;
  if (typeof value !== 'number' || !(value > 0))
    throw invalidArgument(field, 'a number > 0', value);
  return value;
}

/**
 * What a failed job records about a value its handler threw: the code of a `DispatchError` (or
 * `JOB_FAILED`), the message, the error's class name and its stack cut to `MAX_STACK_BYTES`.
 * Never throws, whatever was thrown (an object with no prototype, a `toString` that throws).
 */
export function toJobError(thrown: unknown): JobError {
  const error = thrownToJobError(thrown, isDispatchError);
  try {
    if (thrown instanceof Error) return withDetail(error, thrown);
  } catch {
    // a Proxy whose traps throw: no name or stack to read
  }
  return error;
}

function withDetail(error: JobError, thrown: Error): JobError {
  let name: unknown;
  let stack: unknown;
  try {
    name = thrown.name;
    stack = thrown.stack;
  } catch {
    return error;
  }
  return {
    ...error,
    ...(typeof name === 'string' && name !== '' && { name }),
    ...(typeof stack === 'string' && stack !== '' && { stack: cutUtf8(stack, MAX_STACK_BYTES) }),
  };
}

/** The longest prefix of `text` of at most `maxBytes` UTF-8 bytes, cut between characters. */
export function cutUtf8(text: string, maxBytes: number): string {
  if (text.length * 3 <= maxBytes) return text;
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  let end = maxBytes;
  // Step back over continuation bytes (10xxxxxx) so that no character is split.
  while (end > 0 && ((bytes[end] as number) & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
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
