/**
 * The CPU-bound job of the event-loop benchmark: it spins for `params.ms` without yielding, the
 * way a solver holds its thread. The benchmark runs this same handler inline and on threads.
 */
import type { Job, JobHandler } from '../src/index.js';

export interface SpinParams {
  readonly ms: number;
}

export default {
  jobType: 'Spin',
  execute(job: Job<SpinParams>): Promise<number> {
    const start = performance.now();
    let turns = 0;
    while (performance.now() - start < job.params.ms) turns++;
    return Promise.resolve(turns);
  },
} satisfies JobHandler<SpinParams, number>;
