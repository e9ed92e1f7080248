/**
 * What a raw ioredis error means to a caller of the library. Every error out of the Redis backend
 * is a `DispatchError` (the README's promise): a lost or refused connection, a command that ran
 * out of retries, a server that is loading, out of memory, read-only or busy is
 * `BACKEND_UNAVAILABLE` (retry later: the HTTP layer answers 503); a key of the wrong type or a
 * script that failed on what it read is `MALFORMED_RECORD` (the data, not the server, is at fault).
 * The raw error stays as the `cause`.
 */
import { DispatchError } from '../../errors.js';
import { safeString } from '../../describe.js';

/** Reply prefixes that say the data read is not what the backend wrote. */
const DATA_PROBLEMS = ['WRONGTYPE', 'ERR user_script', 'ERR Error running script'];

export function redisFailure(url: string, cause: unknown): DispatchError {
  if (cause instanceof DispatchError) return cause;
  const reason = safeString(cause);
  const isReply = (cause as { name?: unknown } | null)?.name === 'ReplyError';
  if (isReply && DATA_PROBLEMS.some((prefix) => reason.startsWith(prefix))) {
    return new DispatchError('MALFORMED_RECORD', `Redis at ${redactUrl(url)}: ${reason}`, {
      cause,
    });
  }
  return new DispatchError(
    'BACKEND_UNAVAILABLE',
    `Redis at ${redactUrl(url)} is unavailable: ${reason}`,
    {
      cause,
    },
  );
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}
