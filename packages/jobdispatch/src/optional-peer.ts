/**
 * Optional peer dependencies: ioredis (RedisBackend) and piscina (threadedHandler) are loaded only
 * when those are used, so an in-process user installs neither. A missing one is a clear error
 * naming the package and how to add it.
 */
import { DispatchError, type DispatchErrorCode } from './errors.js';

/**
 * The error for an optional peer dependency that is not installed (a module resolution failure of
 * that package itself); any other failure to load it is returned unchanged.
 */
export function missingPeer(
  pkg: string,
  user: string,
  cause: unknown,
  code: DispatchErrorCode,
): unknown {
  const failure = cause as { code?: unknown; message?: unknown } | null;
  const notFound = failure?.code === 'ERR_MODULE_NOT_FOUND' || failure?.code === 'MODULE_NOT_FOUND';
  // Only when the package itself is missing, not a module it failed to load in turn.
  if (!notFound || !String(failure?.message).includes(`'${pkg}'`)) return cause;
  return new DispatchError(
    code,
    `${user} needs the package "${pkg}", an optional peer dependency of jobdispatch that is not installed: run \`npm install ${pkg}\``,
    { cause },
  );
}
