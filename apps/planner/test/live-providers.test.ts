/**
 * Planning with the live place providers end to end, against local stubs that answer in each
 * API's format on a real loopback port: Overpass and Google Places (New) plans, opening hours
 * honoured on the weekday, one fetch per city and category (the cache), and provider failures
 * and timeouts answered 502/503 naming the provider.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { Geocoder } from '../src/places/geocoding.js';
import type { PlacesConfig } from '../src/places/open-provider.js';
import type { Service } from '../src/service.js';
import { googlePlaces, overpassAnswer } from './fixtures/provider-fixtures.js';
import { planningUrl, startTestService } from './http-helpers.js';
import { type ProviderStub, overpassQueryOf, startProviderStub } from './provider-stub.js';

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
// Probed before any test runs (a busy event loop would time the probe out). Under CI a missing
// Redis is a failure, not a skip.
const redisSkip =
  (await redisAnswers()) || process.env['CI'] === 'true'
    ? false
    : `no Redis answers at ${REDIS_URL}`;

const geocoder = new Geocoder();

/** The next date, at least two days ahead, that falls on `weekday` (0 Sunday). */
function nextWeekday(weekday: number): string {
  const day = new Date(Date.now() + 2 * 24 * 60 * 60 * 1000);
  while (day.getUTCDay() !== weekday) day.setUTCDate(day.getUTCDate() + 1);
  return day.toISOString().slice(0, 10);
}
const MONDAY = nextWeekday(1);
const TUESDAY = nextWeekday(2);
const SUNDAY = nextWeekday(0);

interface Body {
  readonly dataSource: string;
  readonly notice?: string;
  readonly travelPlans: {
    places: { id: string; name: string; category: string; priceLevel: number; url: string }[];
  }[];
  readonly backgroundJobs: { jobId: string | null }[];
  readonly error?: { code: string; message: string; provider?: string };
}

function live(provider: 'overpass' | 'google', url: string, extra: Partial<PlacesConfig> = {}) {
  return {
    places: {
      provider,
      ...(provider === 'overpass' ? { overpassUrl: url } : { googlePlacesUrl: url }),
      googleApiKey: 'test-key',
      timeoutMs: 3000,
      maxConcurrent: 2,
      perSecond: 100,
      ...extra,
    } satisfies PlacesConfig,
  };
}

async function plan(service: Service, query: Record<string, string | number>) {
  const response = await service.app.inject(planningUrl({ numberResults: 20, ...query }));
  return { response, body: response.json<Body>() };
}

/** Waits for the background jobs of an answer to end (their outcome does not matter here). */
async function settle(service: Service, body: Body): Promise<void> {
  for (const { jobId } of body.backgroundJobs) {
    if (jobId !== null) await service.dispatcher.wait(jobId).catch(() => undefined);
  }
}

const names = (body: Body): string[] =>
  body.travelPlans.flatMap((p) => p.places.map((place) => place.name));

describe('planning with OpenStreetMap through Overpass', () => {
  let stub: ProviderStub;
  let service: Service;
  before(async () => {
    stub = await startProviderStub((request) => {
      const query = overpassQueryOf(request);
      const around = /around:\d+,(-?[\d.]+),(-?[\d.]+)/.exec(query);
      const center = { lat: Number(around?.[1]), lon: Number(around?.[2]) };
      return { json: overpassAnswer(center, query.includes('amenity') ? 'Eatery' : 'Visit') };
    });
    service = await startTestService(live('overpass', stub.url));
  });
  after(async () => {
    await service.close();
    await stub.close();
  });

  it('plans with OSM places, honours Monday closings, and fetches each category once', async () => {
    const { response, body } = await plan(service, {
      location: 'Paris, France',
      date: MONDAY,
      price: 2,
    });
    assert.equal(response.statusCode, 200, response.body);
    assert.equal(body.dataSource, 'overpass');
    assert.equal(body.notice, undefined);
    assert.ok(body.travelPlans.length > 0);
    for (const place of body.travelPlans.flatMap((p) => p.places)) {
      assert.match(place.id, /^osm-(node|way)-\d+$/);
      if (place.category === 'Eatery') {
        assert.equal(place.priceLevel, 2, 'restaurants are level 2');
        assert.match(place.name, /^Restaurant /);
      }
    }
    assert.ok(
      names(body).every((name) => !name.startsWith('Museum')),
      'museums are closed on Mondays',
    );
    assert.ok(!names(body).some((name) => name.includes('Bad Hours')));
    // The request as Overpass got it.
    const [first] = stub.requests;
    assert.equal(first?.method, 'POST');
    assert.match(String(first?.headers['content-type']), /application\/x-www-form-urlencoded/);
    const paris = geocoder.geocode('Paris, France');
    assert.match(overpassQueryOf(first), /^\[out:json\]\[timeout:\d+\];/);
    assert.ok(overpassQueryOf(first).includes(`around:20000,${paris.lat},${paris.lon}`));
    await settle(service, body);
    assert.equal(stub.requests.length, 2, 'one fetch per category for all five price levels');
    // Each call was a PlaceFetch job (the library's rate limit and global concurrency bound them).
    const fetches = await service.app.inject('/v1/jobs?name=PlaceFetch&status=completed');
    const listed = fetches.json<{ jobs: { dedupKey: string; priority: number }[] }>().jobs;
    assert.deepEqual(listed.map((job) => job.dedupKey.split(':').at(-2)).sort(), [
      'Eatery',
      'Visit',
    ]);
    assert.ok(
      listed.every((job) => job.priority === 2 && job.dedupKey.startsWith('places:osm-1:')),
    );
  });

  it('plans museums on Tuesdays from the cached places, without asking Overpass again', async () => {
    const before = stub.requests.length;
    const { response, body } = await plan(service, {
      location: 'Paris, France',
      date: TUESDAY,
      price: 1,
    });
    assert.equal(response.statusCode, 200, response.body);
    assert.ok(
      names(body).some((name) => name.startsWith('Museum')),
      names(body).join(', '),
    );
    assert.ok(
      body.travelPlans.every((p) =>
        p.places.filter((x) => x.category === 'Eatery').every((x) => x.name.startsWith('Cafe')),
      ),
      'cafes are level 1',
    );
    await settle(service, body);
    assert.equal(stub.requests.length, before);
  });

  it('keeps a worker slot for the fetches: three cities asked at once on two workers all get plans', async () => {
    // Planning jobs wait in their slots for their PlaceFetch jobs; were both slots Planning, no
    // fetch could start and every request would wait out its bound.
    assert.equal(service.config.workers, 2);
    const answers = await Promise.all(
      ['Marseille, France', 'Nice, France', 'Rennes, France'].map((location) =>
        plan(service, { location, date: TUESDAY, price: 1 }),
      ),
    );
    for (const { response } of answers) assert.equal(response.statusCode, 200, response.body);
    for (const answer of answers) await settle(service, answer.body);
  });

  it('answers 404 on a Sunday at level 2: every restaurant is closed then', async () => {
    const { response, body } = await plan(service, {
      location: 'Paris, France',
      date: SUNDAY,
      price: 2,
    });
    assert.equal(response.statusCode, 404, response.body);
    assert.equal(body.error?.code, 'NO_PLAN');
    assert.match(body.error?.message ?? '', /no Eatery .* candidate is open at price level 2/);
  });
});

describe('planning with Google Places (New)', () => {
  let stub: ProviderStub;
  let service: Service;
  before(async () => {
    stub = await startProviderStub((request) => {
      const body = JSON.parse(request.body) as {
        locationRestriction?: { circle: { center: { latitude: number; longitude: number } } };
        locationBias?: { circle: { center: { latitude: number; longitude: number } } };
        pageToken?: string;
      };
      const circle = (body.locationRestriction ?? body.locationBias)!.circle.center;
      const center = { lat: circle.latitude, lon: circle.longitude };
      if (request.path === '/v1/places:searchNearby') {
        return { json: { places: googlePlaces(center, 'Visit') } };
      }
      if (request.path === '/v1/places:searchText') {
        return body.pageToken === 'page-2'
          ? { json: { places: googlePlaces(center, 'Eatery', 1) } }
          : { json: { places: googlePlaces(center, 'Eatery', 0), nextPageToken: 'page-2' } };
      }
      return { status: 404, json: { error: { code: 404, message: 'no such method' } } };
    });
    service = await startTestService(live('google', stub.url));
  });
  after(async () => {
    await service.close();
    await stub.close();
  });

  it('plans with Google places, keyed and field-masked, honouring Monday closings', async () => {
    const { response, body } = await plan(service, {
      location: 'Ghent',
      date: MONDAY,
      price: 2,
    });
    assert.equal(response.statusCode, 200, response.body);
    assert.equal(body.dataSource, 'google');
    const places = body.travelPlans.flatMap((p) => p.places);
    assert.ok(places.length > 0);
    for (const place of places) {
      assert.match(place.id, /^google-ChIJ/);
      assert.match(place.url, /^https:\/\/maps\.google\.com\//);
      if (place.category === 'Eatery') assert.equal(place.priceLevel, 2);
    }
    assert.ok(!names(body).some((name) => name.startsWith('Museum')), 'museums close on Mondays');
    const nearby = stub.requests.find((r) => r.path === '/v1/places:searchNearby');
    assert.equal(nearby?.headers['x-goog-api-key'], 'test-key');
    assert.match(String(nearby?.headers['x-goog-fieldmask']), /places\.displayName/);
    assert.match(String(nearby?.headers['x-goog-fieldmask']), /places\.regularOpeningHours/);
    const request = JSON.parse(nearby.body) as { includedTypes: string[]; maxResultCount: number };
    assert.ok(request.includedTypes.includes('museum'));
    assert.equal(request.maxResultCount, 20);
    await settle(service, body);
    const paths = stub.requests.map((r) => r.path).sort();
    assert.deepEqual(paths, [
      '/v1/places:searchNearby',
      '/v1/places:searchText',
      '/v1/places:searchText',
    ]);
  });
});

describe('a failing place provider', () => {
  let stub: ProviderStub;
  let service: Service;
  before(async () => {
    stub = await startProviderStub(() => ({ status: 500, text: '<html>Internal error</html>' }));
    service = await startTestService(live('overpass', stub.url, { timeoutMs: 300 }));
  });
  after(async () => {
    await service.close();
    await stub.close();
  });

  it('answers 502 naming the provider when it answers with an error', async () => {
    const { response, body } = await plan(service, { location: 'Lyon, France', price: 2 });
    assert.equal(response.statusCode, 502, response.body);
    assert.equal(body.error?.code, 'PLACES_PROVIDER_FAILED');
    assert.equal(body.error?.provider, 'overpass');
    assert.match(body.error?.message ?? '', /places provider "overpass" failed: HTTP 500 from/);
  });

  it('answers 502 when the answer is not JSON', async () => {
    stub.answer = () => ({ status: 200, text: 'surprise' });
    const { response, body } = await plan(service, { location: 'Nantes, France', price: 2 });
    assert.equal(response.statusCode, 502, response.body);
    assert.match(body.error?.message ?? '', /is not JSON/);
  });

  it('answers 503 with Retry-After when it does not answer in time', async () => {
    stub.answer = () => ({ hang: true });
    const { response, body } = await plan(service, { location: 'Bordeaux, France', price: 2 });
    assert.equal(response.statusCode, 503, response.body);
    assert.equal(response.headers['retry-after'], '5');
    assert.equal(body.error?.code, 'PLACES_PROVIDER_UNAVAILABLE');
    assert.match(
      body.error?.message ?? '',
      /"overpass" is unavailable: no answer .* within 300 ms/,
    );
  });

  it('answers 503 when Overpass reports that the query timed out on its side', async () => {
    stub.answer = () => ({
      json: {
        version: 0.6,
        generator: 'Overpass API 0.7.62.1 084b4234',
        elements: [],
        remark: 'runtime error: Query timed out in "query" at line 1 after 3 seconds.',
      },
    });
    const { response, body } = await plan(service, { location: 'Lille, France', price: 2 });
    assert.equal(response.statusCode, 503, response.body);
    assert.match(
      body.error?.message ?? '',
      /"overpass" is unavailable: the query did not complete/,
    );
  });

  it('answers 503 when the provider is busy (429), and plans once it answers again', async () => {
    stub.answer = () => ({ status: 429, text: 'rate limited' });
    const busy = await plan(service, { location: 'Toulouse, France', price: 2 });
    assert.equal(busy.response.statusCode, 503, busy.response.body);
    stub.answer = (request) => ({
      json: overpassAnswer(
        geocoder.geocode('Toulouse, France'),
        overpassQueryOf(request).includes('amenity') ? 'Eatery' : 'Visit',
      ),
    });
    const again = await plan(service, { location: 'Toulouse, France', date: TUESDAY, price: 2 });
    assert.equal(again.response.statusCode, 200, again.response.body);
  });
});

describe('a failing Google Places answer', () => {
  it('answers 502 naming google, with the API status', async () => {
    const stub = await startProviderStub(() => ({
      status: 403,
      json: {
        error: {
          code: 403,
          message: 'Places API (New) has not been used in project 0 before or it is disabled.',
          status: 'PERMISSION_DENIED',
        },
      },
    }));
    const service = await startTestService(live('google', stub.url));
    try {
      const { response, body } = await plan(service, { location: 'Koln', price: 2 });
      assert.equal(response.statusCode, 502, response.body);
      assert.equal(body.error?.provider, 'google');
      assert.match(body.error?.message ?? '', /HTTP 403 .*PERMISSION_DENIED/);
    } finally {
      await service.close();
      await stub.close();
    }
  });
});

describe('live calls from two processes on one Redis', { skip: redisSkip }, () => {
  const queue = `planner-test-${randomUUID().slice(0, 8)}`;
  let stub: ProviderStub;
  let services: Service[] = [];
  before(async () => {
    stub = await startProviderStub((request) => {
      const query = overpassQueryOf(request);
      const around = /around:\d+,(-?[\d.]+),(-?[\d.]+)/.exec(query);
      const center = { lat: Number(around?.[1]), lon: Number(around?.[2]) };
      return {
        delayMs: 100,
        json: overpassAnswer(center, query.includes('amenity') ? 'Eatery' : 'Visit'),
      };
    });
    const config = {
      ...live('overpass', stub.url, { maxConcurrent: 1 }),
      redisUrl: REDIS_URL,
      queue,
      workers: 4,
    };
    services = [await startTestService(config), await startTestService(config)];
  });
  after(async () => {
    await Promise.all(services.map((service) => service.close()));
    await stub.close();
    const redis = new Redis(REDIS_URL);
    for (const pattern of [`jd:{${queue}}:*`, `planner:{${queue}}:*`]) {
      const keys = await redis.keys(pattern);
      if (keys.length > 0) await redis.del(...keys);
    }
    redis.disconnect();
  });

  it('holds PLACES_MAX_CONCURRENT over both processes, and shares the fetched places', async () => {
    const cities = ['Lyon, France', 'Nantes, France', 'Lille, France', 'Toulouse, France'];
    const answers = await Promise.all(
      cities.map((location, i) => plan(services[i % 2]!, { location, date: TUESDAY, price: 1 })),
    );
    for (const { response } of answers) assert.equal(response.statusCode, 200, response.body);
    assert.equal(stub.requests.length, 8, 'two categories for each of four cities');
    assert.equal(stub.concurrency.max, 1, 'one call at a time over both processes');
    for (const answer of answers) await settle(services[0]!, answer.body);
    // The other process plans the same city from the places on Redis: no call.
    const again = await plan(services[1]!, { location: 'Lyon, France', date: MONDAY, price: 1 });
    assert.equal(again.response.statusCode, 200, again.response.body);
    assert.equal(stub.requests.length, 8);
  });
});

describe('PLACES_PROVIDER=overpass from the environment', () => {
  it('starts the service process with only PLACES_PROVIDER and OVERPASS_URL set, and plans with OSM places', async () => {
    const stub = await startProviderStub((request) => {
      const query = overpassQueryOf(request);
      const around = /around:\d+,(-?[\d.]+),(-?[\d.]+)/.exec(query);
      const center = { lat: Number(around?.[1]), lon: Number(around?.[2]) };
      return { json: overpassAnswer(center, query.includes('amenity') ? 'Eatery' : 'Visit') };
    });
    const main = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'main.ts');
    const env: Record<string, string | undefined> = { ...process.env };
    for (const name of ['REDIS_URL', 'PLACES_FILE', 'GOOGLE_PLACES_API_KEY', 'WORKERS']) {
      delete env[name];
    }
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', main], {
      env: {
        ...env,
        PLACES_PROVIDER: 'overpass',
        OVERPASS_URL: stub.url,
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let output = '';
      const url = await new Promise<string>((resolve, reject) => {
        const onData = (chunk: Buffer): void => {
          output += chunk.toString();
          const match = /listening on (http:\/\/\S+)/.exec(output);
          if (match !== null) resolve(match[1]!);
        };
        child.stdout.on('data', onData);
        child.stderr.on('data', onData);
        child.on('exit', (code) => reject(new Error(`main.ts exited with ${code}:\n${output}`)));
      });
      const query = new URLSearchParams({ location: 'Cologne', date: TUESDAY, price: '1' });
      const response = await fetch(`${url}/v1/planning?${query.toString()}`);
      const body = (await response.json()) as Body;
      assert.equal(response.status, 200, JSON.stringify(body));
      assert.equal(body.dataSource, 'overpass');
      assert.ok(body.travelPlans.every((p) => p.places.every((x) => x.id.startsWith('osm-'))));
      const koln = geocoder.geocode('Köln, Germany');
      assert.ok(
        overpassQueryOf(stub.requests[0]!).includes(`around:20000,${koln.lat},${koln.lon}`),
      );
    } finally {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
      await stub.close();
    }
  });
});
