/** Dispatcher contract, part: typed job definitions (`defineJob`) registered, submitted and waited. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DispatchError, JobPriority, defineJob, defineJobs } from '../../src/index.js';
import type { Harness } from './harness.js';

interface PlanParams {
  readonly city: string;
  readonly days: number;
}
interface Plan {
  readonly city: string;
  readonly stops: readonly string[];
}

/** A fresh set of definitions per test, so that a test's options cannot leak into another. */
function definitions() {
  return defineJobs({
    planning: defineJob<PlanParams, Plan>('planning'),
    flaky: defineJob<{ readonly failures: number }, number>('flaky', {
      retries: 2,
      backoff: { type: 'fixed', delayMs: 0 },
    }),
  });
}

const plan = ({ params }: { params: PlanParams }): Promise<Plan> =>
  Promise.resolve({
    city: params.city,
    stops: Array.from({ length: params.days }, (_, day) => `${params.city} day ${day + 1}`),
  });

export function definedJobsContract({ make }: Harness): void {
  describe('typed job definitions', () => {
    it('registers, submits and waits a defined job, giving the handler its params and wait its result', async () => {
      const jobs = definitions();
      const d = await make({ workers: 2 });
      d.register(jobs.planning, plan);
      await d.start();
      const job = await d.submit(jobs.planning, { city: 'San Jose', days: 2 });
      assert.equal(job.name, 'planning');
      assert.deepEqual(job.params, { city: 'San Jose', days: 2 });
      const result = await d.wait(jobs.planning, job.id);
      assert.deepEqual(result, { city: 'San Jose', stops: ['San Jose day 1', 'San Jose day 2'] });
      assert.equal((await d.get(job.id))?.status, 'completed');
    });

    it('passes the rest of the spec through: priority, description and dedupKey', async () => {
      const jobs = definitions();
      const d = await make({ workers: 1 });
      d.register(jobs.planning, plan);
      const first = await d.submit(
        jobs.planning,
        { city: 'Lisbon', days: 1 },
        { priority: JobPriority.High, description: 'Lisbon weekend', dedupKey: 'lisbon' },
      );
      const second = await d.submit(
        jobs.planning,
        { city: 'Lisbon', days: 1 },
        { dedupKey: 'lisbon' },
      );
      assert.equal(first.priority, JobPriority.High);
      assert.equal(first.description, 'Lisbon weekend');
      assert.equal(second.status, 'duplicated');
      assert.equal(second.duplicateOf, first.id);
      await d.start();
      assert.deepEqual(await d.wait(jobs.planning, second.id), {
        city: 'Lisbon',
        stops: ['Lisbon day 1'],
      });
    });

    it("applies the definition's handler options, and register's options over them", async () => {
      const jobs = definitions();
      const d = await make({ workers: 1 });
      const failing = (job: { params: { failures: number }; attempts: number }) =>
        job.attempts <= job.params.failures
          ? Promise.reject(new Error(`attempt ${job.attempts} fails`))
          : Promise.resolve(job.attempts);
      d.register(jobs.flaky, failing);
      await d.start();
      // retries: 2 from the definition: two failures, then the third attempt completes.
      const retried = await d.submit(jobs.flaky, { failures: 2 });
      assert.equal(await d.wait(jobs.flaky, retried.id), 3);

      const other = await make({ workers: 1 });
      other.register(jobs.flaky, failing, { retries: 0 });
      await other.start();
      const once = await other.submit(jobs.flaky, { failures: 1 });
      await assert.rejects(other.wait(jobs.flaky, once.id), /attempt 1 fails/);
      assert.equal((await other.get(once.id))?.attempts, 1);
    });

    it('runs a defined job submitted through the plain string API, and the other way round', async () => {
      const jobs = definitions();
      const d = await make({ workers: 1 });
      d.register(jobs.planning, plan);
      await d.start();
      const plain = await d.submit({ name: 'planning', params: { city: 'Oslo', days: 1 } });
      assert.deepEqual(await d.wait(jobs.planning, plain.id), {
        city: 'Oslo',
        stops: ['Oslo day 1'],
      });
      const defined = await d.submit(jobs.planning, { city: 'Rome', days: 1 });
      assert.deepEqual(await d.wait(defined.id), { city: 'Rome', stops: ['Rome day 1'] });
    });

    it('refuses a spec carrying a name or params, and a definition registered without a handler function', async () => {
      const jobs = definitions();
      const d = await make({ workers: 1 });
      const spec = { name: 'flaky' } as object;
      await assert.rejects(
        d.submit(jobs.planning, { city: 'x', days: 1 }, spec),
        (error: unknown) =>
          error instanceof DispatchError &&
          error.code === 'INVALID_ARGUMENT' &&
          /spec\.name must be absent .*"flaky"/.test(error.message),
      );
      assert.throws(
        () => d.register(jobs.planning, { execute: plan } as unknown as typeof plan),
        (error: unknown) =>
          error instanceof DispatchError &&
          error.code === 'INVALID_ARGUMENT' &&
          /register handler must be a function/.test(error.message),
      );
      assert.equal((await d.list()).jobs.length, 0, 'nothing was submitted');
    });
  });
}
