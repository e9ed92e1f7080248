/**
 * Describing values that came from code the library does not control (a handler's thrown value,
 * an error passed to a listener) without ever throwing: such a value may have no prototype, a
 * `toString` or `message` getter that throws, or be a Proxy that throws on every trap.
 */
import type { JobError } from './job.js';

/** Longest message kept from a thrown value (a handler may throw megabytes of text). */
export const MAX_ERROR_MESSAGE_LENGTH = 2000;

/** A short text for any value; never throws. */
export function safeString(value: unknown): string {
  try {
    if (typeof value === 'string') return cap(value);
    if (typeof value === 'symbol') return cap(value.toString());
    if (value instanceof Error) {
      const message: unknown = value.message;
      if (typeof message === 'string' && message !== '') return cap(message);
      return cap(typeof value.name === 'string' && value.name !== '' ? value.name : 'Error');
    }
    return cap(String(value));
  } catch {
    return `a value of type ${typeofSafe(value)} that cannot be described`;
  }
}

/**
 * How a handler's thrown value is recorded on its job: `{ code, message }`, both strings. A
 * DispatchError-like value keeps its code (the code must be a string); anything else is JOB_FAILED.
 */
export function thrownToJobError(
  thrown: unknown,
  isDispatch: (value: unknown) => boolean,
): JobError {
  try {
    if (isDispatch(thrown)) {
      const { code, message } = thrown as { code: unknown; message: unknown };
      if (typeof code === 'string') return { code, message: safeString(message) };
    }
    if (thrown instanceof Error) return { code: 'JOB_FAILED', message: safeString(thrown) };
  } catch {
    // a Proxy or a getter that throws: described below
  }
  return {
    code: 'JOB_FAILED',
    message: `the handler threw a non-Error value: ${safeString(thrown)}`,
  };
}

function typeofSafe(value: unknown): string {
  return value === null ? 'null' : typeof value;
}

function cap(text: string): string {
  return text.length > MAX_ERROR_MESSAGE_LENGTH
    ? `${text.slice(0, MAX_ERROR_MESSAGE_LENGTH - 3)}...`
    : text;
}
