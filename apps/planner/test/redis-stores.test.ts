/**
 * The planner's shared stores on a real Redis: their own key prefix outside the library's
 * `jd:`, a corrupt entry read as a logged miss, and a connection failure reported as
 * STORE_UNAVAILABLE rather than swallowed.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { isPlannerError } from '../src/errors.js';
import type { PlaceProvider } from '../src/places/catalog.js';
import { CachedPlaceProvider } from '../src/places/place-cache.js';
import { redisStores, type StoreLog } from '../src/stores/redis-stores.js';
import { makePlace } from './helpers.js';

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

async function redisAnswers(): Promise<boolean> {
  const probe = new Redis(REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: 1000,
  });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}
const available = await redisAnswers();
const skip = available || process.env['CI'] === 'true' ? false : `no Redis answers at ${REDIS_URL}`;

function recordingLog(): StoreLog & {
  lines: { fields: Record<string, unknown>; message: string }[];
} {
  const lines: { fields: Record<string, unknown>; message: string }[] = [];
  return { lines, warn: (fields, message) => lines.push({ fields, message }) };
}

describe('planner stores on Redis', { skip }, () => {
  const queue = `test-stores-${randomUUID()}`;
  const log = recordingLog();
  const stores = redisStores({ url: REDIS_URL, connectTimeoutMs: 2000 }, { queue, log });
  const raw = new Redis(REDIS_URL);
  after(async () => {
    const keys = await raw.keys(`planner:{${queue}}:*`);
    if (keys.length > 0) await raw.del(...keys);
    raw.disconnect();
    await stores.close();
  });

  it('writes under planner:{queue}:, outside the library prefix', async () => {
    await stores.places.set('places:k1', [makePlace({ id: 'a' })], 60_000);
    assert.equal(stores.prefix, `planner:{${queue}}:`);
    assert.deepEqual(await raw.keys(`*${queue}*`), [`planner:{${queue}}:places:places:k1`]);
    assert.equal((await stores.places.get('places:k1'))?.[0]?.id, 'a');
  });

  it('reads a corrupt entry as a logged miss', async () => {
    await raw.set(`planner:{${queue}}:solution:bad-json`, '{not json');
    await raw.set(
      `planner:{${queue}}:solution:bad-shape`,
      JSON.stringify({ key: 'x', plans: 'no' }),
    );
    await raw.set(`planner:{${queue}}:report`, JSON.stringify([1, 2]));
    assert.equal(await stores.solutions.get('bad-json'), undefined);
    assert.equal(await stores.solutions.get('bad-shape'), undefined);
    assert.equal(await stores.reports.latest(), undefined);
    const messages = log.lines.map((line) => line.message);
    assert.ok(
      messages.some((m) => /solution cache: entry is not JSON/.test(m)),
      messages.join('; '),
    );
    assert.ok(messages.some((m) => /solution cache: corrupt entry/.test(m)));
    assert.ok(messages.some((m) => /report store: corrupt entry/.test(m)));
  });

  it('shares fetched places between providers on the same Redis: one fetch for both', async () => {
    let fetches = 0;
    const live: PlaceProvider = {
      source: { kind: 'live', id: 'osm-test', name: 'overpass' },
      placesNear: () => {
        fetches++;
        return Promise.resolve([makePlace({ id: `fetched-${fetches}` })]);
      },
    };
    const other = redisStores({ url: REDIS_URL, connectTimeoutMs: 2000 }, { queue, log });
    try {
      const query = {
        category: 'Eatery',
        center: { lat: 51.05, lon: 3.72 },
        radiusMeters: 20_000,
      } as const;
      const first = await new CachedPlaceProvider(live, stores.places).placesNear(query);
      const second = await new CachedPlaceProvider(live, other.places).placesNear(query);
      assert.equal(fetches, 1);
      assert.deepEqual(second, first);
    } finally {
      await other.close();
    }
  });

  it('skips a corrupt planning event and lists the good ones', async () => {
    const event = {
      city: 'Paris, France',
      country: 'FR',
      priceLevel: 1 as const,
      at: Date.now(),
      cacheHit: false,
    };
    await stores.events.record(event);
    await raw.zadd(`planner:{${queue}}:events`, Date.now(), '{"city":42}');
    assert.deepEqual(await stores.events.list(0), [event]);
  });
});

describe('planner stores without a Redis', () => {
  it('report a refused connection as STORE_UNAVAILABLE and log it', async () => {
    const log = recordingLog();
    const stores = redisStores(
      { url: 'redis://127.0.0.1:1', connectTimeoutMs: 300 },
      { queue: 'q', log },
    );
    try {
      await assert.rejects(
        stores.solutions.get('k'),
        (e: unknown) =>
          isPlannerError(e, 'STORE_UNAVAILABLE') &&
          /the solution cache on Redis is unavailable/.test(e.message),
      );
      assert.ok(log.lines.some((line) => /Redis connection error/.test(line.message)));
    } finally {
      await stores.close();
    }
  });
});
