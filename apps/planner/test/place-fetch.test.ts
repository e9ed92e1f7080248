/**
 * Live provider calls as PlaceFetch jobs, limited by the library's own `rateLimit` and
 * `globalConcurrency`: against a local Overpass stub on a real port, on dispatchers sharing one
 * backend (the in-process counterpart of several processes on one Redis queue).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Dispatcher, type JobEvent, MemoryBackend } from 'jobdispatch';
import { isPlannerError } from '../src/errors.js';
import { PLACE_FETCH_JOB_TYPE } from '../src/job-types.js';
import { Geocoder } from '../src/places/geocoding.js';
import { OverpassProvider } from '../src/places/live/overpass.js';
import { openProvider, type PlacesConfig } from '../src/places/open-provider.js';
import { CachedPlaceProvider, memoryPlaceCache } from '../src/places/place-cache.js';
import {
  PlaceFetchJobHandler,
  placeFetchHandlerOptions,
  queuedFetch,
} from '../src/places/place-fetch.js';
import { overpassAnswer } from './fixtures/provider-fixtures.js';
import { type ProviderStub, overpassQueryOf, startProviderStub } from './provider-stub.js';

const cities = new Geocoder();

function overpassStub(delayMs = 0): Promise<ProviderStub> {
  return startProviderStub((request) => {
    const query = overpassQueryOf(request);
    const around = /around:\d+,(-?[\d.]+),(-?[\d.]+)/.exec(query);
    const center = { lat: Number(around?.[1]), lon: Number(around?.[2]) };
    return {
      delayMs,
      json: overpassAnswer(center, query.includes('amenity') ? 'Eatery' : 'Visit'),
    };
  });
}

const visitsAt = (lat: number) =>
  ({ category: 'Visit', center: { lat, lon: 2 }, radiusMeters: 20_000 }) as const;

function overpassConfig(url: string, limits: Partial<PlacesConfig> = {}): PlacesConfig {
  return {
    provider: 'overpass',
    overpassUrl: url,
    timeoutMs: 3000,
    maxConcurrent: 2,
    perSecond: 100,
    ...limits,
  };
}

/** Starts of PlaceFetch jobs, as the backend reported them. */
function fetchStarts(dispatcher: Dispatcher): JobEvent[] {
  const starts: JobEvent[] = [];
  dispatcher.on('started', (event) => {
    if (event.name === PLACE_FETCH_JOB_TYPE) starts.push(event);
  });
  return starts;
}

describe('PlaceFetch jobs', () => {
  it('runs each fetch as a job, at most maxConcurrent at once over every dispatcher of the queue', async () => {
    const stub = await overpassStub(100);
    const backend = new MemoryBackend();
    const [a, b] = [
      new Dispatcher({ workers: 4, backend }),
      new Dispatcher({ workers: 4, backend }),
    ];
    try {
      const opened = await openProvider(overpassConfig(stub.url, { maxConcurrent: 1 }), {
        cities,
        jobs: a,
      });
      const fetchJobs = opened.fetchJobs;
      assert.ok(fetchJobs !== undefined);
      assert.deepEqual(fetchJobs.options.rateLimit, { max: 100, perMs: 1000 });
      assert.equal(fetchJobs.options.globalConcurrency, 1);
      // Each dispatcher would run 4 at once by its own slots; the queue-wide limit holds them to 1.
      a.register(fetchJobs.handler, { ...fetchJobs.options, concurrency: 4 });
      b.register(fetchJobs.handler, { ...fetchJobs.options, concurrency: 4 });
      await Promise.all([a.start(), b.start()]);
      const found = await Promise.all(
        [48.1, 48.2, 48.3, 48.4].map((lat) => opened.provider.placesNear(visitsAt(lat))),
      );
      assert.equal(stub.requests.length, 4);
      assert.equal(stub.concurrency.max, 1);
      assert.ok(found.every((places) => places.length > 10));
      assert.equal((await a.counts({ name: PLACE_FETCH_JOB_TYPE })).completed, 4);
      // The same question again is answered from the place cache: no job, no call.
      await opened.provider.placesNear(visitsAt(48.1));
      assert.equal(stub.requests.length, 4);
      assert.equal((await a.counts({ name: PLACE_FETCH_JOB_TYPE })).completed, 4);
    } finally {
      await Promise.all([a.stop({ timeoutMs: 1000 }), b.stop({ timeoutMs: 1000 })]);
      await stub.close();
    }
  });

  it('starts at most PLACES_PER_SECOND fetches in any second', async () => {
    const stub = await overpassStub();
    const dispatcher = new Dispatcher({ workers: 4 });
    try {
      const opened = await openProvider(
        overpassConfig(stub.url, { perSecond: 1, maxConcurrent: 4 }),
        { cities, jobs: dispatcher },
      );
      dispatcher.register(opened.fetchJobs!.handler, opened.fetchJobs!.options);
      const starts = fetchStarts(dispatcher);
      await dispatcher.start();
      await Promise.all([48.1, 48.2].map((lat) => opened.provider.placesNear(visitsAt(lat))));
      assert.equal(starts.length, 2);
      const [first, second] = starts.map((event) => event.at).sort((x, y) => x - y);
      assert.ok(second! - first! >= 1000, `the second fetch started ${second! - first!} ms later`);
      assert.equal(stub.requests.length, 2);
    } finally {
      await dispatcher.stop({ timeoutMs: 1000 });
      await stub.close();
    }
  });

  it('answers 503 naming the limit when a fetch waits too long, and the fetch still fills the cache', async () => {
    const stub = await overpassStub();
    const dispatcher = new Dispatcher({ workers: 3 });
    try {
      const live = new OverpassProvider({ url: stub.url, timeoutMs: 3000 });
      const cache = memoryPlaceCache();
      const limits = { maxConcurrent: 1, perSecond: 1 };
      dispatcher.register(
        new PlaceFetchJobHandler(live, cache, 60_000),
        placeFetchHandlerOptions(limits, 3000),
      );
      const provider = new CachedPlaceProvider(
        live,
        cache,
        60_000,
        queuedFetch({ provider: 'overpass', jobs: dispatcher, cache, limits, waitMs: 200 }),
      );
      await dispatcher.start();
      await provider.placesNear(visitsAt(48.1));
      const done = new Promise<void>((resolve) =>
        dispatcher.on('completed', (event) => {
          if (event.name === PLACE_FETCH_JOB_TYPE) resolve();
        }),
      );
      await assert.rejects(
        provider.placesNear(visitsAt(48.2)),
        (error: unknown) =>
          isPlannerError(error, 'PLACES_PROVIDER_UNAVAILABLE') &&
          /^places provider "overpass" is unavailable: no places fetched within 200 ms \(the call limit is 1 at once and 1 per second; fetch job /.test(
            error.message,
          ),
      );
      await done;
      assert.equal(stub.requests.length, 2, 'the fetch ran after its waiter gave up');
      assert.ok((await provider.placesNear(visitsAt(48.2))).length > 10);
      assert.equal(stub.requests.length, 2, 'and the next request found its places cached');
    } finally {
      await dispatcher.stop({ timeoutMs: 1000 });
      await stub.close();
    }
  });

  it('fetches again when a completed fetch absorbs the submit but its places left the cache', async () => {
    const stub = await overpassStub();
    const dispatcher = new Dispatcher({ workers: 2 });
    let now = Date.now();
    try {
      const opened = await openProvider(overpassConfig(stub.url, { cacheTtlMs: 1000 }), {
        cities,
        jobs: dispatcher,
        cache: memoryPlaceCache({ now: () => now }),
      });
      dispatcher.register(opened.fetchJobs!.handler, opened.fetchJobs!.options);
      await dispatcher.start();
      await opened.provider.placesNear(visitsAt(48.1));
      now += 1000; // the places expire; the completed fetch still holds its dedupKey for a day
      assert.ok((await opened.provider.placesNear(visitsAt(48.1))).length > 10);
      assert.equal(stub.requests.length, 2);
      const counts = await dispatcher.counts({ name: PLACE_FETCH_JOB_TYPE });
      assert.equal(counts.completed, 2);
    } finally {
      await dispatcher.stop({ timeoutMs: 1000 });
      await stub.close();
    }
  });

  it("fails its waiters with the provider's error, caches nothing, and the next miss asks again", async () => {
    const stub = await overpassStub();
    stub.answer = () => ({ status: 500, text: 'down for maintenance' });
    const dispatcher = new Dispatcher({ workers: 2 });
    try {
      const opened = await openProvider(overpassConfig(stub.url), { cities, jobs: dispatcher });
      dispatcher.register(opened.fetchJobs!.handler, opened.fetchJobs!.options);
      await dispatcher.start();
      await assert.rejects(
        opened.provider.placesNear(visitsAt(48.1)),
        (error: unknown) =>
          isPlannerError(error, 'PLACES_PROVIDER_FAILED') &&
          /^places provider "overpass" failed: HTTP 500 from 127\.0\.0\.1:\d+: "down for maintenance"$/.test(
            error.message,
          ),
      );
      const [failed] = (await dispatcher.list({ name: PLACE_FETCH_JOB_TYPE, status: 'failed' }))
        .jobs;
      assert.equal(failed?.attempts, 1, 'a provider error is not retried');
      stub.answer = (request) => ({
        json: overpassAnswer(
          { lat: 48.1, lon: 2 },
          overpassQueryOf(request).includes('amenity') ? 'Eatery' : 'Visit',
        ),
      });
      assert.ok((await opened.provider.placesNear(visitsAt(48.1))).length > 10);
      assert.equal(stub.requests.length, 2);
    } finally {
      await dispatcher.stop({ timeoutMs: 1000 });
      await stub.close();
    }
  });

  it('answers 503 at once when the queue has no room for another fetch', async () => {
    const stub = await overpassStub();
    // Not started: the first fetch stays queued and fills its level.
    const dispatcher = new Dispatcher({ workers: 1, capacityPerLevel: 1 });
    try {
      const live = new OverpassProvider({ url: stub.url, timeoutMs: 3000 });
      const cache = memoryPlaceCache();
      const limits = { maxConcurrent: 1, perSecond: 1 };
      dispatcher.register(
        new PlaceFetchJobHandler(live, cache, 60_000),
        placeFetchHandlerOptions(limits, 3000),
      );
      const provider = new CachedPlaceProvider(
        live,
        cache,
        60_000,
        queuedFetch({ provider: 'overpass', jobs: dispatcher, cache, limits, waitMs: 300 }),
      );
      const first = provider.placesNear(visitsAt(48.1));
      first.catch(() => undefined);
      for (let i = 0; i < 1000; i++) {
        if ((await dispatcher.counts({ name: PLACE_FETCH_JOB_TYPE })).queued === 1) break;
        await new Promise((resolve) => setImmediate(resolve));
      }
      await assert.rejects(
        provider.placesNear(visitsAt(48.2)),
        (error: unknown) =>
          isPlannerError(error, 'PLACES_PROVIDER_UNAVAILABLE') &&
          /^places provider "overpass" is unavailable: too many fetches waiting \(the call limit is 1 at once and 1 per second\)$/.test(
            error.message,
          ),
      );
      await assert.rejects(first, /no places fetched within 300 ms/);
      assert.equal(stub.requests.length, 0);
    } finally {
      await dispatcher.stop({ timeoutMs: 1000 });
      await stub.close();
    }
  });

  it('fails a job with bad params at once, naming the field', async () => {
    const dispatcher = new Dispatcher({ workers: 1 });
    try {
      const live = new OverpassProvider({ url: 'http://127.0.0.1:9', timeoutMs: 100 });
      dispatcher.register(new PlaceFetchJobHandler(live, memoryPlaceCache(), 1000), { retries: 2 });
      await dispatcher.start();
      const job = await dispatcher.submit({
        name: PLACE_FETCH_JOB_TYPE,
        params: { key: 'places:osm-1:1.000,2.000:Visit:r20000', category: 'Shop' },
      });
      await assert.rejects(
        dispatcher.wait(job.id),
        /params\.category must be Visit or Eatery, got "Shop"/,
      );
      assert.equal((await dispatcher.get(job.id))?.attempts, 1);
    } finally {
      await dispatcher.stop({ timeoutMs: 1000 });
    }
  });
});
