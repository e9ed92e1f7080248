import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPlannerError } from '../src/errors.js';
import {
  cityLocationKey,
  normalizePoint,
  pointLocationKey,
  solutionCacheKey,
  type SolutionKeyParts,
} from '../src/planning/cache-key.js';
import {
  DEFAULT_RADIUS_METERS,
  parsePlanningRequest,
  toPlanningParams,
  weekdayOf,
} from '../src/planning/request.js';
import { DAY_TEMPLATE } from '../src/planning/slots.js';

function invalid(params: unknown, message: string): void {
  assert.throws(
    () => parsePlanningRequest(params),
    (error: unknown) => isPlannerError(error, 'INVALID_REQUEST') && error.message === message,
  );
}

describe('planning request', () => {
  it('fills the defaults and derives the weekday of the date', () => {
    const request = parsePlanningRequest({
      location: 'San Jose, CA, USA',
      date: '2026-12-05',
      priceLevel: 2,
    });
    assert.deepEqual(request, {
      location: { kind: 'place', query: 'San Jose, CA, USA' },
      date: '2026-12-05',
      weekday: 6,
      priceLevel: 2,
      numberOfPlans: 5,
      radiusMeters: DEFAULT_RADIUS_METERS,
      nearby: false,
    });
    assert.deepEqual(parsePlanningRequest(toPlanningParams(request)), request);
  });

  it('accepts a precise point as the location', () => {
    const request = parsePlanningRequest({
      location: { lat: 37.33, lon: -121.89 },
      date: '2024-02-29',
      priceLevel: 0,
      nearby: true,
    });
    assert.deepEqual(request.location, { kind: 'point', lat: 37.33, lon: -121.89 });
    assert.equal(request.weekday, 4);
    assert.equal(request.nearby, true);
  });

  it('names the field, the rule and the value of a bad field', () => {
    const base = { location: 'Paris', date: '2026-12-05', priceLevel: 1 };
    invalid({ ...base, priceLevel: 'cheap' }, 'priceLevel must be an integer 0-4, got "cheap"');
    invalid({ ...base, priceLevel: 5 }, 'priceLevel must be an integer 0-4, got 5');
    invalid(
      { ...base, date: '2026-02-30' },
      'date must be a calendar date YYYY-MM-DD, got "2026-02-30"',
    );
    invalid(
      { ...base, date: '5/12/2026' },
      'date must be a calendar date YYYY-MM-DD, got "5/12/2026"',
    );
    invalid({ ...base, numberOfPlans: 0 }, 'numberOfPlans must be an integer 1-100, got 0');
    invalid({ ...base, radiusMeters: 100 }, 'radiusMeters must be an integer 1000-50000, got 100');
    invalid({ ...base, nearby: 'yes' }, 'nearby must be true or false, got "yes"');
    invalid(
      { ...base, location: '  ' },
      'location must be a place name of 1-200 characters, got "  "',
    );
    invalid(
      { ...base, location: { lat: 99, lon: 0 } },
      'location must be a place name or { lat: -90..90, lon: -180..180 }, got {"lat":99,"lon":0}',
    );
    invalid(
      { ...base, price: 2 },
      'params must be an object with only the fields location, date, priceLevel, numberOfPlans, radiusMeters, nearby, got "price"',
    );
    invalid(null, 'params must be an object, got null');
  });

  it('gives the weekday of a date, Sunday 0 to Saturday 6', () => {
    assert.equal(weekdayOf('2024-01-07'), 0);
    assert.equal(weekdayOf('2024-01-08'), 1);
    assert.equal(weekdayOf('2026-12-05'), 6);
  });
});

describe('solution cache key', () => {
  const parts: SolutionKeyParts = {
    catalogId: 'sample-1',
    location: cityLocationKey({ id: 5392171 }),
    weekday: 6,
    priceLevel: 2,
    radiusMeters: 20_000,
    nearby: false,
    template: DAY_TEMPLATE,
    solver: { topK: 100, maxPlaceRepeats: 10, candidatesPerSlot: 30 },
  };

  it('is readable and stable', () => {
    assert.equal(
      solutionCacheKey(parts),
      'plans:v1:sample-1:city-5392171:wd6:p2:r20000:n0:V600-720.E720-780.V840-1020.E1080-1200:k100.r10.c30',
    );
  });

  it('changes with everything that changes the plans', () => {
    const base = solutionCacheKey(parts);
    const variants: Partial<SolutionKeyParts>[] = [
      { catalogId: 'file-abc' },
      { location: cityLocationKey({ id: 1 }) },
      { weekday: 0 },
      { priceLevel: 3 },
      { radiusMeters: 5000 },
      { nearby: true },
      { template: DAY_TEMPLATE.slice(0, 3) },
      { solver: { topK: 50, maxPlaceRepeats: 10, candidatesPerSlot: 30 } },
    ];
    const keys = variants.map((v) => solutionCacheKey({ ...parts, ...v }));
    assert.equal(new Set([base, ...keys]).size, variants.length + 1);
  });

  it('rounds a precise point to 0.001 degree', () => {
    assert.equal(pointLocationKey({ lat: 37.33941, lon: -121.89449 }), 'pt37.339,-121.894');
    assert.equal(
      pointLocationKey({ lat: 37.3394, lon: -121.8944 }),
      pointLocationKey({ lat: 37.33949, lon: -121.89436 }),
    );
    assert.deepEqual(normalizePoint({ lat: -0.0001, lon: 0.0004 }), { lat: 0, lon: 0 });
    assert.equal(pointLocationKey({ lat: -0.0001, lon: 0 }), 'pt0.000,0.000');
  });
});
