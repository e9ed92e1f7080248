import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { JobEvent } from 'jobdispatch';
import type { Service } from '../src/service.js';
import {
  DATE,
  isHighQueued,
  nextEvent,
  planningUrl,
  resolvedParams,
  startTestService,
} from './http-helpers.js';
import type { PlanningJobParams } from '../src/planning/job-params.js';

interface PlanningBody {
  travelDestination: string;
  priceLevel: number;
  fromCache: boolean;
  jobId: string | null;
  dataSource: string;
  notice?: string;
  travelPlans: {
    id: string;
    score: number;
    places: {
      id: string;
      name: string;
      category: string;
      startTime: string;
      endTime: string;
      location: { latitude: number; longitude: number };
      priceLevel: number;
    }[];
  }[];
  backgroundJobs: { priceLevel: number; jobId: string | null; status: string }[];
}

describe('GET /v1/planning', () => {
  let service: Service;
  before(async () => {
    service = await startTestService();
  });
  after(() => service.close());

  it('answers plans for the requested price level and queues the other four at LOW priority', async () => {
    const response = await service.app.inject(
      planningUrl({ location: 'San Jose, CA, USA', price: 2, numberResults: 3 }),
    );
    assert.equal(response.statusCode, 200, response.body);
    const body = response.json<PlanningBody>();
    assert.equal(body.travelDestination, 'San Jose, CA, United States');
    assert.equal(body.priceLevel, 2);
    assert.equal(body.fromCache, false);
    assert.equal(typeof body.jobId, 'string');
    assert.equal(body.dataSource, 'sample');
    assert.match(body.notice ?? '', /sample/i);
    assert.equal(body.travelPlans.length, 3);
    const scores = body.travelPlans.map((plan) => plan.score);
    assert.deepEqual(
      scores,
      [...scores].sort((a, b) => b - a),
      'plans sorted by score',
    );
    for (const plan of body.travelPlans) {
      assert.deepEqual(
        plan.places.map((place) => place.category),
        ['Visit', 'Eatery', 'Visit', 'Eatery'],
      );
      assert.deepEqual(
        plan.places.map((place) => place.startTime),
        ['10:00', '12:00', '14:00', '18:00'],
      );
      for (const place of plan.places)
        if (place.category === 'Eatery') assert.equal(place.priceLevel, 2);
      assert.equal(
        new Set(plan.places.map((place) => place.id)).size,
        4,
        'no place twice in a plan',
      );
    }
    assert.deepEqual(
      body.backgroundJobs.map((job) => job.priceLevel),
      [0, 1, 3, 4],
    );
    for (const job of body.backgroundJobs) {
      assert.ok(['queued', 'running', 'duplicated'].includes(job.status), job.status);
      assert.equal(
        (await service.dispatcher.get(job.jobId!))?.priority,
        0,
        'background jobs run at LOW',
      );
    }
  });

  it('answers another price level from cache once the background jobs have finished', async () => {
    const first = await service.app.inject(planningUrl({ location: 'Paris, France', price: 1 }));
    assert.equal(first.statusCode, 200, first.body);
    const background = first.json<PlanningBody>().backgroundJobs;
    await Promise.all(background.map((job) => service.dispatcher.wait(job.jobId!)));
    const second = await service.app.inject(planningUrl({ location: 'Paris, France', price: 3 }));
    assert.equal(second.statusCode, 200, second.body);
    const body = second.json<PlanningBody>();
    assert.equal(body.fromCache, true);
    assert.equal(body.jobId, null);
    assert.ok(body.travelPlans.length > 0);
    assert.deepEqual(
      body.backgroundJobs.map((job) => job.status),
      ['cached', 'cached', 'cached', 'cached'],
    );
  });

  it('answers 400 naming the parameter, the rule and the value for every bad input', async () => {
    const cases: [Record<string, string | number>, RegExp][] = [
      [
        { location: 'Qzxqzx Qzxville', price: 2 },
        /location "Qzxqzx Qzxville" matches no known city/,
      ],
      [
        { location: 'Paris', price: 2, date: '05/12/2026' },
        /date must be a calendar date YYYY-MM-DD, got "05\/12\/2026"/,
      ],
      [
        { location: 'Paris', price: 2, date: '2020-01-01' },
        /date must be today or later.*got "2020-01-01"/,
      ],
      [
        { location: 'Paris', price: 'cheap' },
        /price must be an integer 0-4 in plain decimal digits, got "cheap"/,
      ],
      [
        { location: 'Paris', price: 7 },
        /price must be an integer 0-4 in plain decimal digits, got "7"/,
      ],
      [
        { location: 'Paris', price: 2, numberResults: 0 },
        /numberResults must be an integer 1-20 in plain decimal digits, got "0"/,
      ],
      [
        { location: 'Paris', price: 2, numberResults: 21 },
        /numberResults must be an integer 1-20 in plain decimal digits, got "21"/,
      ],
      [{ location: 'Paris', price: 2, nearby: 'maybe' }, /nearby must be boolean, got "maybe"/],
      [
        { location: 'north pole', price: 2, precise: 'true' },
        /location must be "longitude,latitude".*got "north pole"/,
      ],
      [{ location: 'Paris', price: 2, colour: 'blue' }, /unknown parameter "colour"/],
      [{ price: 2 }, /location is required/],
    ];
    for (const [params, message] of cases) {
      const response = await service.app.inject(planningUrl(params));
      assert.equal(response.statusCode, 400, `${JSON.stringify(params)}: ${response.body}`);
      const { error } = response.json<{ error: { message: string } }>();
      assert.match(error.message, message);
    }
    const unknown = await service.app.inject(planningUrl({ location: 'Pariss, France', price: 2 }));
    assert.ok(unknown.json<{ error: { suggestions: string[] } }>().error.suggestions.length > 0);
  });

  it('geocodes once per request: the other levels, the handler and the solver reuse the resolution', async () => {
    const { geocoder } = service.domain;
    const calls: string[] = [];
    const original = geocoder.geocode.bind(geocoder);
    geocoder.geocode = (query: string) => {
      calls.push(query);
      return original(query);
    };
    try {
      const response = await service.app.inject(
        planningUrl({ location: 'Seville', price: 1, numberResults: 1 }),
      );
      assert.equal(response.statusCode, 200, response.body);
      const body = response.json<{
        travelDestination: string;
        backgroundJobs: { jobId: string | null }[];
      }>();
      assert.equal(body.travelDestination, 'Sevilla, Spain');
      for (const { jobId } of body.backgroundJobs) {
        if (jobId !== null) await service.dispatcher.wait(jobId);
      }
      assert.deepEqual(calls, ['Seville'], 'one geocode for the request and its five jobs');
    } finally {
      geocoder.geocode = original;
    }
  });

  it('plans around a precise point given as longitude,latitude', async () => {
    const response = await service.app.inject(
      planningUrl({ location: '2.3522,48.8566', precise: true, price: 2, numberResults: 1 }),
    );
    assert.equal(response.statusCode, 200, response.body);
    assert.match(response.json<PlanningBody>().travelDestination, /Paris/);
  });

  it('records a planning event per request for analytics', async () => {
    const events = await service.domain.events.list(0);
    assert.ok(events.length >= 3);
    assert.ok(
      events.some(
        (event) =>
          event.city === 'San Jose, CA, United States' && event.priceLevel === 2 && !event.cacheHit,
      ),
    );
    assert.ok(
      events.some(
        (event) => event.city.startsWith('Paris') && event.priceLevel === 3 && event.cacheHit,
      ),
    );
  });
});

describe('GET /v1/planning under load', () => {
  let service: Service;
  after(() => service.close());

  it("answers a user's request before the LOW jobs already waiting: its HIGH job starts first", async () => {
    service = await startTestService({ workers: 1 }, { deferWorkers: true });
    const cities = [
      'Lyon, France',
      'Berlin, Germany',
      'Madrid, Spain',
      'Rome, Italy',
      'Vienna, Austria',
      'Oslo, Norway',
    ];
    const waiting = [];
    for (const [i, location] of cities.entries()) {
      const job = await service.dispatcher.submit({
        name: 'Planning',
        params: resolvedParams(service, { location, date: DATE, priceLevel: i % 5 }),
        priority: 0,
      });
      waiting.push(job.id);
    }
    const started: JobEvent[] = [];
    service.dispatcher.on('started', (event) => started.push(event));
    const queued = nextEvent(service, isHighQueued);
    const answer = service.app.inject(
      planningUrl({ location: 'Tokyo, JP', price: 2, numberResults: 1 }),
    );
    const high = await queued;
    await service.dispatcher.start();
    const response = await answer;
    assert.equal(response.statusCode, 200, response.body);
    assert.equal(started[0]?.jobId, high.jobId, 'the HIGH job started before every LOW job');
    const stillWaiting = await Promise.all(waiting.map((id) => service.dispatcher.get(id)));
    assert.ok(
      stillWaiting.some((job) => job?.status === 'queued'),
      'the answer came while LOW jobs still waited',
    );
  });
});

describe('GET /v1/planning promotion', () => {
  let service: Service;
  after(() => service.close());

  it('promotes the queued LOW job of a level when a user asks for that level', async () => {
    service = await startTestService({ workers: 1 }, { deferWorkers: true });
    let lowQueued = 0;
    const firstQueued = nextEvent(
      service,
      (event) => event.type === 'queued' && event.priority === 0 && ++lowQueued === 4,
    );
    const first = service.app.inject(
      planningUrl({ location: 'Lisbon, Portugal', price: 2, numberResults: 1 }),
    );
    await firstQueued;
    const low = (await service.dispatcher.stats()).levels.low.queued;
    assert.equal(low, 4, 'levels 0, 1, 3 and 4 wait at LOW');
    const promoted = nextEvent(service, (event) => event.type === 'promoted');
    const second = service.app.inject(
      planningUrl({ location: 'Lisbon, Portugal', price: 3, numberResults: 1 }),
    );
    const event = await promoted;
    assert.equal(event.fromPriority, 0);
    assert.equal(event.priority, 2);
    const promotedJob = await service.dispatcher.get(event.jobId);
    assert.equal((promotedJob?.params as PlanningJobParams).request.priceLevel, 3);
    const started: string[] = [];
    service.dispatcher.on('started', (e) => started.push(e.jobId));
    await service.dispatcher.start();
    const [a, b] = await Promise.all([first, second]);
    assert.equal(a.statusCode, 200, a.body);
    assert.equal(b.statusCode, 200, b.body);
    assert.equal(b.json<PlanningBody>().priceLevel, 3);
    assert.equal(
      started.indexOf(event.jobId),
      1,
      'right after the first HIGH job, before the other LOW jobs',
    );
  });
});

describe('GET /v1/planning with a full queue', () => {
  let service: Service;
  after(() => service.close());

  it('answers 503 with Retry-After when the HIGH level is full', async () => {
    service = await startTestService({ workers: 1, capacityPerLevel: 1 }, { deferWorkers: true });
    const queued = nextEvent(service, isHighQueued);
    const first = service.app.inject(
      planningUrl({ location: 'Dublin, Ireland', price: 2, numberResults: 1 }),
    );
    await queued;
    const second = await service.app.inject(planningUrl({ location: 'Prague, Czechia', price: 2 }));
    assert.equal(second.statusCode, 503, second.body);
    assert.equal(second.headers['retry-after'], '5');
    assert.equal(second.json<{ error: { code: string } }>().error.code, 'QUEUE_FULL');
    await service.dispatcher.start();
    const answered = await first;
    assert.equal(answered.statusCode, 200, answered.body);
    const statuses = answered.json<PlanningBody>().backgroundJobs.map((job) => job.status);
    assert.deepEqual(
      statuses,
      ['queued', 'rejected', 'rejected', 'rejected'],
      'LOW holds one; the rest are refused, not lost silently',
    );
  });
});
