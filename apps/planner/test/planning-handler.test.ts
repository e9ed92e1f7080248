import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Dispatcher, JobPriority, UnrecoverableError, isDispatchError } from 'jobdispatch';
import { FileCatalog } from '../src/places/file-catalog.js';
import { Geocoder } from '../src/places/geocoding.js';
import { SampleCatalog } from '../src/places/sample-catalog.js';
import { PlanningJobHandler } from '../src/handlers/planning-job-handler.js';
import { createPlanningDomain } from '../src/planning-domain.js';
import { Planner } from '../src/planning/planner.js';
import type { PlanningParams } from '../src/planning/request.js';
import type { PlanningResult } from '../src/planning/solution.js';
import { MemorySolutionStore, SOLUTION_TTL_MS } from '../src/planning/solution-store.js';
import { makeJob, makePlace, planningJob, recordingContext } from './helpers.js';

const geocoder = new Geocoder();
const SAN_JOSE: PlanningParams = {
  location: 'San Jose, CA, USA',
  date: '2026-12-05',
  priceLevel: 2,
};

function setup(now: () => number = () => 0) {
  const solutions = new MemorySolutionStore({ now });
  const planner = new Planner({ geocoder, catalog: new SampleCatalog(geocoder) });
  return { solutions, planner, handler: new PlanningJobHandler({ planner, solutions }) };
}

describe('Planning job handler', () => {
  before(() => {
    geocoder.geocode('Paris'); // load the gazetteer once, outside the tests' own work
  });

  it('solves a request, labels sample data, and returns the requested number of plans', async () => {
    const { handler, planner } = setup();
    assert.equal(handler.jobType, 'Planning');
    const ctx = recordingContext();
    const result = await handler.execute(
      planningJob(planner, { ...SAN_JOSE, numberOfPlans: 3 }),
      ctx,
    );
    assert.equal(result.fromCache, false);
    assert.equal(result.sampleData, true);
    assert.match(result.notice ?? '', /^Sample data/);
    assert.equal(result.location.label, 'San Jose, CA, United States');
    assert.equal(result.weekday, 6);
    assert.equal(result.plans.length, 3);
    assert.equal(result.totalPlans, 100);
    for (const plan of result.plans) {
      assert.deepEqual(
        plan.places.map((p) => p.category),
        ['Visit', 'Eatery', 'Visit', 'Eatery'],
      );
      assert.ok(
        plan.places.filter((p) => p.category === 'Eatery').every((p) => p.priceLevel === 2),
      );
      assert.equal(new Set(plan.places.map((p) => p.id)).size, 4);
    }
    const scores = result.plans.map((p) => p.score);
    assert.deepEqual(
      scores,
      [...scores].sort((a, b) => b - a),
    );
    const percents = ctx.reports.map((r) => r.percent);
    assert.deepEqual(
      percents,
      [...percents].sort((a, b) => a - b),
    );
    assert.equal(percents[percents.length - 1], 100);
  });

  it('stores the solutions under their cache key for 24 h and answers the next request from them', async () => {
    let now = 0;
    const { handler, solutions, planner } = setup(() => now);
    const first = await handler.execute(planningJob(planner, SAN_JOSE), recordingContext());
    const stored = await solutions.get(first.key);
    assert.equal(stored?.plans.length, 100);
    // Another Saturday, more plans: the same key, served from the store.
    const second = await handler.execute(
      planningJob(planner, { ...SAN_JOSE, date: '2026-12-12', numberOfPlans: 10 }),
      recordingContext(),
    );
    assert.equal(second.fromCache, true);
    assert.equal(second.key, first.key);
    assert.deepEqual(second.plans.slice(0, 5), first.plans);
    now = SOLUTION_TTL_MS;
    assert.equal(await solutions.get(first.key), undefined);
    assert.equal(
      (await handler.execute(planningJob(planner, SAN_JOSE), recordingContext())).fromCache,
      false,
    );
  });

  it('gives the same plans for the same request in every run', async () => {
    const one = setup();
    const two = setup();
    const a = await one.handler.execute(planningJob(one.planner, SAN_JOSE), recordingContext());
    const b = await two.handler.execute(planningJob(two.planner, SAN_JOSE), recordingContext());
    assert.deepEqual(a.plans, b.plans);
  });

  it('plans around a precise point, keyed by the rounded point', async () => {
    const { handler, planner } = setup();
    const result = await handler.execute(
      planningJob(planner, { ...SAN_JOSE, location: { lat: 37.33412, lon: -121.88871 } }),
      recordingContext(),
    );
    assert.equal(result.location.precise, true);
    assert.deepEqual([result.location.lat, result.location.lon], [37.334, -121.889]);
    assert.match(result.key, /:pt37\.334,-121\.889:/);
    assert.ok(result.plans.length > 0);
  });

  it('searches nearby cities too when asked', async () => {
    const { handler, planner } = setup();
    const result = await handler.execute(
      planningJob(planner, { ...SAN_JOSE, nearby: true }),
      recordingContext(),
    );
    assert.ok(
      result.nearbyCities.some((label) => label.startsWith('Santa Clara')),
      result.nearbyCities.join('; '),
    );
    assert.match(result.key, /:n1:/);
  });

  it('fails at once, without retries, for params that are not a resolved request', async () => {
    const { handler, planner } = setup();
    await assert.rejects(
      handler.execute(makeJob('Planning', SAN_JOSE as never), recordingContext()),
      (e: unknown) => e instanceof UnrecoverableError && /^params\.request must be/.test(e.message),
    );
    const good = planningJob(planner, SAN_JOSE);
    const tampered = {
      ...good,
      params: { ...good.params, request: { ...good.params.request, priceLevel: 'cheap' } },
    };
    await assert.rejects(
      handler.execute(tampered as never, recordingContext()),
      (e: unknown) =>
        e instanceof UnrecoverableError &&
        e.message === 'priceLevel must be an integer 0-4, got "cheap"',
    );
    const noKey = { ...good, params: { ...good.params, key: 'x' } };
    await assert.rejects(
      handler.execute(noKey, recordingContext()),
      (e: unknown) => e instanceof UnrecoverableError && /params\.key must be/.test(e.message),
    );
  });

  it('stops when the job is cancelled', async () => {
    const { handler, planner } = setup();
    const controller = new AbortController();
    controller.abort(new Error('job cancelled'));
    await assert.rejects(
      handler.execute(planningJob(planner, SAN_JOSE), recordingContext(controller.signal)),
      /job cancelled/,
    );
  });

  it('plans with real places from a file catalog, without the sample label', async () => {
    const places = [
      makePlace({ id: 'museum', lat: 48.86, lon: 2.34 }),
      makePlace({ id: 'park', lat: 48.85, lon: 2.35, priceLevel: 0 }),
      makePlace({ id: 'bistro', category: 'Eatery', priceLevel: 2, lat: 48.855, lon: 2.345 }),
      makePlace({ id: 'brasserie', category: 'Eatery', priceLevel: 2, lat: 48.857, lon: 2.35 }),
    ];
    const catalog = new FileCatalog(places, { kind: 'file', id: 'file-test', name: 'paris.json' });
    const planner = new Planner({ geocoder, catalog });
    const handler = new PlanningJobHandler({ planner, solutions: new MemorySolutionStore() });
    const result = await handler.execute(
      planningJob(planner, { ...SAN_JOSE, location: 'Paris, France' }),
      recordingContext(),
    );
    assert.equal(result.sampleData, false);
    assert.equal(result.notice, undefined);
    assert.match(result.key, /^plans:v1:file-test:/);
    // Four orders of the same four places exist; a reordering of a kept plan is not kept again.
    assert.equal(result.plans.length, 1);
    assert.deepEqual(result.plans[0]?.places.map((p) => p.id).sort(), [
      'bistro',
      'brasserie',
      'museum',
      'park',
    ]);
  });
});

describe('the planning domain on a dispatcher', () => {
  let dispatcher: Dispatcher | undefined;
  let domain: Awaited<ReturnType<typeof createPlanningDomain>> | undefined;
  after(async () => {
    await dispatcher?.stop();
    await domain?.close();
  });

  it('runs Planning and Analytics jobs registered as handlers', async () => {
    domain = await createPlanningDomain({ geocoder });
    assert.equal(domain.catalog.source.kind, 'sample');
    dispatcher = new Dispatcher({ workers: 2 });
    dispatcher.register(domain.planningHandler).register(domain.analyticsHandler);
    await dispatcher.start();
    const job = await dispatcher.submit({
      name: 'Planning',
      params: planningJob(domain.planner, SAN_JOSE).params,
      priority: JobPriority.High,
    });
    const result = await dispatcher.wait<PlanningResult>(job.id);
    assert.equal(result.plans.length, 5);
    assert.ok(await domain.solutions.get(result.key));
    const resolved = planningJob(domain.planner, SAN_JOSE).params;
    const bad = await dispatcher.submit({
      name: 'Planning',
      params: { ...resolved, request: { ...resolved.request, date: 'tomorrow' } },
    });
    await assert.rejects(
      dispatcher.wait(bad.id),
      (e: unknown) => isDispatchError(e) && /date must be a calendar date/.test(e.message),
    );
    await domain.events.record({
      city: result.location.label,
      country: 'US',
      priceLevel: 2,
      at: Date.now(),
      cacheHit: false,
    });
    const analytics = await dispatcher.submit({ name: 'Analytics' });
    await dispatcher.wait(analytics.id);
    assert.equal((await domain.reports.latest())?.totalRequests, 1);
  });
});
