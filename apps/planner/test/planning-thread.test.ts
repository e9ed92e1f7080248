import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Dispatcher, JobPriority, type ThreadedHandler } from 'jobdispatch';
import { PlanningJobHandler } from '../src/handlers/planning-job-handler.js';
import { planningThreadPool } from '../src/handlers/planning-thread.js';
import { Geocoder } from '../src/places/geocoding.js';
import { SampleCatalog } from '../src/places/sample-catalog.js';
import { Planner, type SolveInput } from '../src/planning/planner.js';
import type { PlanningParams } from '../src/planning/request.js';
import type { PlanningResult, SolutionSet } from '../src/planning/solution.js';
import { MemorySolutionStore } from '../src/planning/solution-store.js';
import { planningJob, recordingContext } from './helpers.js';

describe('Planning on worker threads', () => {
  const geocoder = new Geocoder();
  // Settings other than the defaults: the thread must use the ones its pool was given.
  const settings = { topK: 2, candidatesPerSlot: 4 };
  const planner = new Planner({ geocoder, catalog: new SampleCatalog(geocoder), ...settings });
  let pool: ThreadedHandler<SolveInput, SolutionSet> | undefined;
  let dispatcher: Dispatcher | undefined;
  after(async () => {
    await dispatcher?.stop({ timeoutMs: 1000 });
    await pool?.close();
  });

  it('solves in a thread, stores on the main thread, and gives the in-process plans', async (t) => {
    // The thread is given its input with each job and its settings once, as the pool's workerData:
    // an environment it could misread changes nothing.
    const saved = process.env['PLACES_FILE'];
    process.env['PLACES_FILE'] = '/nonexistent/places.json';
    t.after(() => {
      if (saved === undefined) delete process.env['PLACES_FILE'];
      else process.env['PLACES_FILE'] = saved;
    });
    // The main thread only gathers: solving there would fail the job.
    class ResolveOnly extends Planner {
      override solveTask(): Promise<SolutionSet> {
        return Promise.reject(new Error('solved on the main thread'));
      }
    }
    const mainPlanner = new ResolveOnly({
      geocoder,
      catalog: new SampleCatalog(geocoder),
      ...settings,
    });
    pool = planningThreadPool(mainPlanner, 1);
    const solutions = new MemorySolutionStore();
    const handler = new PlanningJobHandler({ planner: mainPlanner, solutions, compute: pool });
    assert.equal(handler.maxConcurrency, 1);
    dispatcher = new Dispatcher({ workers: 2 });
    dispatcher.register(handler);
    await dispatcher.start();
    const params: PlanningParams = { location: 'Paris, France', date: '2026-12-07', priceLevel: 1 };
    const job = await dispatcher.submit({
      name: 'Planning',
      params: planningJob(mainPlanner, params).params,
      priority: JobPriority.High,
    });
    const result = await dispatcher.wait<PlanningResult>(job.id);
    assert.equal(result.fromCache, false);
    assert.equal((await solutions.get(result.key))?.plans.length, result.totalPlans);
    const inProcess = await new PlanningJobHandler({
      planner,
      solutions: new MemorySolutionStore(),
    }).execute(planningJob(planner, params), recordingContext());
    assert.equal(inProcess.key, result.key);
    assert.deepEqual(inProcess.plans, result.plans);
    assert.equal(
      result.totalPlans,
      settings.topK,
      'the thread kept topK plans, as its pool was told',
    );
  });
});
