/**
 * Typed job definitions: uses that must compile, with the types they must give.
 */
import {
  type Dispatcher,
  defineJob,
  defineJobs,
  type Job,
  type JobDefinition,
  type JobHandler,
  type ParamsOf,
  type ResultOf,
} from 'jobdispatch';

/** Compiles only when A and B are the same type. */
type Equal<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(): T | undefined {
  return undefined;
}

interface PlanParams {
  readonly city: string;
  readonly days: number;
}
interface Plan {
  readonly city: string;
  readonly stops: readonly string[];
}

export const jobs = defineJobs({
  planning: defineJob<PlanParams, Plan>('planning', { retries: 2 }),
  ping: defineJob<void, 'pong'>('ping'),
});

expectType<Equal<typeof jobs.planning, JobDefinition<PlanParams, Plan>>>();
expectType<Equal<ParamsOf<typeof jobs.planning>, PlanParams>>();
expectType<Equal<ResultOf<typeof jobs.planning>, Plan>>();

export async function typedUse(dispatcher: Dispatcher): Promise<void> {
  dispatcher
    .register(jobs.planning, (job) => {
      expectType<Equal<typeof job, Job<PlanParams>>>();
      return Promise.resolve({ city: job.params.city, stops: [`day ${job.params.days}`] });
    })
    .register(jobs.ping, () => Promise.resolve('pong' as const), { concurrency: 1 });

  const submitted = await dispatcher.submit(jobs.planning, { city: 'San Jose', days: 3 });
  expectType<Equal<typeof submitted, Job<PlanParams>>>();
  await dispatcher.submit(
    jobs.planning,
    { city: 'Lisbon', days: 2 },
    { priority: 2, dedupKey: 'l' },
  );
  await dispatcher.submit(jobs.ping, undefined);

  const plan = await dispatcher.wait(jobs.planning, submitted.id);
  expectType<Equal<typeof plan, Plan>>();
  void plan;
  const pong = await dispatcher.wait(jobs.ping, 'some-id');
  expectType<Equal<typeof pong, 'pong'>>();
  void pong;
}

/** The plain string API keeps compiling, unchanged. */
export async function plainUse(dispatcher: Dispatcher): Promise<void> {
  const handler: JobHandler<PlanParams, Plan> = {
    jobType: 'planning-plain',
    execute: (job) => Promise.resolve({ city: job.params.city, stops: [] }),
  };
  dispatcher.register(handler).register(handler, { retries: 1 });
  const job = await dispatcher.submit({ name: 'planning-plain', params: { city: 'x', days: 1 } });
  expectType<Equal<typeof job, Job<{ city: string; days: number }>>>();
  const untyped = await dispatcher.wait(job.id);
  expectType<Equal<typeof untyped, unknown>>();
  void untyped;
  const asserted = await dispatcher.wait<Plan>(job.id);
  expectType<Equal<typeof asserted, Plan>>();
  void asserted;
}
