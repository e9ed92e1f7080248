/**
 * Schedules and queue-wide limits: uses that must compile, and each line after a
 * `@ts-expect-error` that must not.
 */
import type { Dispatcher, HandlerOptions, ScheduleInfo, ScheduleOptions } from 'jobdispatch';

type Digest = ScheduleOptions<{ readonly city: string }>;

export async function controls(dispatcher: Dispatcher): Promise<ScheduleInfo[]> {
  const options: Digest = {
    cron: '0 7 * * *',
    timezone: 'Europe/Paris',
    job: { name: 'Digest', params: { city: 'Paris' } },
  };
  await dispatcher.schedule('digest', options);
  await dispatcher.schedule('beat', { everyMs: 1000, job: { name: 'Beat' } });
  const limits: HandlerOptions = { rateLimit: { max: 10, perMs: 1000 }, globalConcurrency: 2 };
  void limits;

  // @ts-expect-error a schedule needs the job it submits
  await dispatcher.schedule('no-job', { everyMs: 1000 });
  // @ts-expect-error the job's params are checked against the schedule's type
  const wrong: Digest = { everyMs: 1, job: { name: 'D', params: { city: 1 } } };
  void wrong;
  // @ts-expect-error a rate limit has both max and perMs
  const half: HandlerOptions = { rateLimit: { max: 10 } };
  void half;
  // @ts-expect-error globalConcurrency is a number
  const text: HandlerOptions = { globalConcurrency: 'two' };
  void text;
  return dispatcher.schedules();
}
