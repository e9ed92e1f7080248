/**
 * Typed job definitions: each line after a `@ts-expect-error` must not compile.
 */
/* eslint-disable @typescript-eslint/no-unsafe-argument -- a misspelt definition is error-typed on purpose */
/* eslint-disable @typescript-eslint/require-await -- handlers written as users write them */
import { type Dispatcher, defineJob, defineJobs } from 'jobdispatch';

interface PlanParams {
  readonly city: string;
  readonly days: number;
}
interface Plan {
  readonly city: string;
}

const jobs = defineJobs({
  planning: defineJob<PlanParams, Plan>('planning'),
  report: defineJob<{ readonly quarter: number }, number>('report'),
});

export async function misuse(dispatcher: Dispatcher, id: string): Promise<void> {
  // @ts-expect-error a misspelt job type is an unknown property of the definitions
  await dispatcher.submit(jobs.planing, { city: 'x', days: 1 });

  // @ts-expect-error params of the wrong type: days is a number
  await dispatcher.submit(jobs.planning, { city: 'x', days: '1' });
  // @ts-expect-error params missing a field
  await dispatcher.submit(jobs.planning, { city: 'x' });
  // @ts-expect-error params of another job type
  await dispatcher.submit(jobs.planning, { quarter: 3 });
  // @ts-expect-error no params at all
  await dispatcher.submit(jobs.planning);
  // @ts-expect-error the spec gives no name: the definition does
  await dispatcher.submit(jobs.planning, { city: 'x', days: 1 }, { name: 'report' });
  // @ts-expect-error the spec gives no params: the second argument does
  await dispatcher.submit(jobs.planning, { city: 'x', days: 1 }, { params: {} });

  // @ts-expect-error the handler reads a field the params do not have
  dispatcher.register(jobs.planning, async (job) => ({ city: String(job.params.quarter) }));
  // @ts-expect-error the handler resolves with something other than the result type
  dispatcher.register(jobs.report, async () => 'three');
  // @ts-expect-error a handler annotated with other params
  dispatcher.register(
    jobs.report,
    async (job: { params: { city: string } }) => job.params.city.length,
  );
  // @ts-expect-error a definition needs a handler function
  dispatcher.register(jobs.report);

  const plan = await dispatcher.wait(jobs.planning, id);
  // @ts-expect-error the result is a Plan, which has no days
  void plan.days;
  // @ts-expect-error the result of report is a number
  const quarter: string = await dispatcher.wait(jobs.report, id);
  void quarter;
  // @ts-expect-error wait(def, id) needs the id
  await dispatcher.wait(jobs.planning);
}
