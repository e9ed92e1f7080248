/**
 * The Redis test environment: which server (REDIS_URL, default redis://127.0.0.1:6379), whether it
 * answers, a random queue per backend, and cleanup of every key a test created.
 *
 * When no Redis answers, Redis suites are skipped with a one-line reason, except under CI=true,
 * where `redisSuite()` adds one failing test that says why (CI must have a Redis).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { it } from 'node:test';
import { Redis } from 'ioredis';

export const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

async function probe(): Promise<string | undefined> {
  const client = new Redis(REDIS_URL, {
    lazyConnect: true,
    connectTimeout: 1000,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
  });
  let cause: unknown;
  client.on('error', (error: unknown) => (cause ??= error));
  try {
    await client.connect();
    await client.ping();
    return undefined;
  } catch (error) {
    const reason = ((cause ?? error) as Error).message;
    return `no Redis answers at ${REDIS_URL} (${reason}); set REDIS_URL or run .ci/run`;
  } finally {
    client.disconnect();
  }
}

const unavailable = await probe();
const inCi = process.env['CI'] === 'true';

/**
 * `{ skip: reason }` for a Redis suite: the reason when no Redis answers (outside CI), else
 * nothing. Under CI with no Redis, it registers a failing test naming the problem and skips the rest.
 */
export function redisSuite(): { skip?: string } {
  if (unavailable === undefined) return {};
  if (inCi) {
    it('a Redis server answers at REDIS_URL (required under CI=true)', () => {
      assert.fail(unavailable);
    });
  }
  return { skip: unavailable };
}

/** A fresh queue name: each backend of each test gets its own keys. */
export function randomQueue(label = 'test'): string {
  return `${label}-${randomBytes(6).toString('hex')}`;
}

/** A plain client for inspecting Redis in tests; disconnect it when done. */
export function inspector(): Redis {
  return new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
}

/** Deletes every key of the given queues (SCAN by each queue's prefix). */
export async function deleteQueues(queues: Iterable<string>): Promise<number> {
  const names = [...queues];
  if (names.length === 0 || unavailable !== undefined) return 0;
  const client = inspector();
  let deleted = 0;
  try {
    for (const queue of names) {
      let cursor = '0';
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', `jd:{${queue}}:*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) deleted += await client.del(...keys);
      } while (cursor !== '0');
    }
  } finally {
    client.disconnect();
  }
  return deleted;
}
