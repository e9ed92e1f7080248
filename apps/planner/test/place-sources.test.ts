/**
 * The parts behind the live providers: what an answer left out, the place cache, and opening hours
 * from OSM's `opening_hours` tag and from Google's `regularOpeningHours.periods`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PlaceProvider } from '../src/places/catalog.js';
import { hoursOf } from '../src/places/live/google.js';
import { OverpassProvider } from '../src/places/live/overpass.js';
import { weeklyHoursOf } from '../src/places/live/opening-hours.js';
import type { Place } from '../src/places/place.js';
import { CachedPlaceProvider, memoryPlaceCache } from '../src/places/place-cache.js';
import { overpassAnswer } from './fixtures/provider-fixtures.js';
import { makePlace } from './helpers.js';
import { startProviderStub } from './provider-stub.js';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => undefined;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('the live providers', () => {
  it('counts the places an answer held that cannot be planned, by reason', async () => {
    const stub = await startProviderStub(() => ({
      json: overpassAnswer({ lat: 1, lon: 1 }, 'Visit'),
    }));
    const lines: string[] = [];
    try {
      const provider = new OverpassProvider({
        url: stub.url,
        timeoutMs: 5000,
        log: { info: (_fields, message) => lines.push(message) },
      });
      const places = await provider.placesNear({
        category: 'Visit',
        center: { lat: 1, lon: 1 },
        radiusMeters: 20_000,
      });
      assert.equal(places.length, 24);
      assert.deepEqual(lines, [
        'overpass: 1 of 25 places left out (opening_hours the parser rejects: 1)',
      ]);
    } finally {
      await stub.close();
    }
  });
});

describe('the place cache', () => {
  class CountingProvider implements PlaceProvider {
    readonly source = { kind: 'live', id: 'osm-test', name: 'overpass' } as const;
    calls = 0;
    placesNear(): Promise<readonly Place[]> {
      this.calls++;
      return Promise.resolve([makePlace({ id: `p${this.calls}` })]);
    }
  }
  const query = { category: 'Visit', center: { lat: 1, lon: 2 }, radiusMeters: 20_000 } as const;

  it('asks the provider once per point and category until the TTL passes', async () => {
    let now = 0;
    const inner = new CountingProvider();
    const cached = new CachedPlaceProvider(inner, memoryPlaceCache({ now: () => now }), 1000);
    const [a, b] = await Promise.all([cached.placesNear(query), cached.placesNear(query)]);
    assert.equal(inner.calls, 1, 'concurrent misses share one fetch');
    assert.deepEqual(a, b);
    await cached.placesNear(query);
    await cached.placesNear({ ...query, category: 'Eatery' });
    assert.equal(inner.calls, 2, 'another category is another fetch');
    now = 1000;
    assert.equal((await cached.placesNear(query))[0]?.id, 'p3');
  });

  it('stops one waiter on its abort while the shared fetch goes on for the others', async () => {
    const gate = deferred();
    let calls = 0;
    const slow: PlaceProvider = {
      source: { kind: 'live', id: 'osm-test', name: 'overpass' },
      placesNear: async () => {
        calls++;
        await gate.promise;
        return [makePlace({ id: 'slow' })];
      },
    };
    const cached = new CachedPlaceProvider(slow, memoryPlaceCache());
    const controller = new AbortController();
    const cancelled = cached.placesNear({ ...query, signal: controller.signal });
    const other = cached.placesNear(query);
    controller.abort(new Error('job cancelled'));
    await assert.rejects(cancelled, /job cancelled/);
    gate.resolve();
    assert.equal((await other)[0]?.id, 'slow');
    assert.equal(calls, 1);
  });

  it('does not cache a failure', async () => {
    let fail = true;
    const provider: PlaceProvider = {
      source: { kind: 'live', id: 'osm-test', name: 'overpass' },
      placesNear: () => (fail ? Promise.reject(new Error('down')) : Promise.resolve([])),
    };
    const cached = new CachedPlaceProvider(provider, memoryPlaceCache());
    await assert.rejects(cached.placesNear(query), /down/);
    fail = false;
    assert.deepEqual(await cached.placesNear(query), []);
  });
});

describe('opening hours', () => {
  // A Wednesday, so the seven days read are Wed..Tue.
  const reference = new Date(2026, 11, 2);

  it('reads OSM opening_hours per weekday with the opening_hours parser', () => {
    const museum = weeklyHoursOf('Tu-Su 10:00-18:00; Mo off', reference);
    assert.deepEqual(museum?.[1], []);
    assert.deepEqual(museum?.[2], [{ open: 600, close: 1080 }]);
    const split = weeklyHoursOf('Mo-Sa 12:00-14:30,18:00-22:30; Su off', reference);
    assert.deepEqual(split?.[3], [
      { open: 720, close: 870 },
      { open: 1080, close: 1350 },
    ]);
    assert.deepEqual(split?.[0], []);
    assert.deepEqual(weeklyHoursOf('24/7', reference)?.[4], [{ open: 0, close: 1440 }]);
    assert.deepEqual(weeklyHoursOf('Fr 18:00-02:00', reference)?.[5], [
      { open: 1080, close: 1440 },
    ]);
    assert.equal(weeklyHoursOf('whenever we feel like it', reference), undefined);
  });

  it("reads Google's periods: day 0 is Sunday, a period without close is always open", () => {
    const hours = hoursOf([
      { open: { day: 2, hour: 10, minute: 0 }, close: { day: 2, hour: 18, minute: 30 } },
      { open: { day: 5, hour: 19, minute: 0 }, close: { day: 6, hour: 1, minute: 0 } },
    ]);
    assert.deepEqual(hours?.[2], [{ open: 600, close: 1110 }]);
    assert.deepEqual(hours?.[5], [{ open: 1140, close: 1440 }]);
    assert.deepEqual(hours?.[1], []);
    assert.deepEqual(hoursOf([{ open: { day: 0, hour: 0, minute: 0 } }])?.[3], [
      { open: 0, close: 1440 },
    ]);
  });
});
