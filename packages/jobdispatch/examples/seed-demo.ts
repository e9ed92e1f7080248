/**
 * A mixed scenario, end to end: each user request for a one-day plan queues its own price
 * level at HIGH priority and the other four levels at LOW priority. Requests keep arriving while
 * the workers are busy, so later HIGH jobs overtake earlier LOW ones. Prints the order in which
 * jobs ran and the per-priority stats.
 */
import { Dispatcher, type Job, JobPriority } from 'jobdispatch';

interface PlanningParams {
  readonly request: number;
  readonly priceLevel: number;
}

const REQUESTS = [2, 0, 4, 3]; // the price level each user asks for
const WORKERS = 2;
const WORK_MS = 15;

const dispatcher = new Dispatcher({ workers: WORKERS });
const ran: string[] = [];

dispatcher.register({
  jobType: 'Planning',
  async execute(job: Job<PlanningParams>) {
    const { request, priceLevel } = job.params;
    const label = job.priority === JobPriority.High ? 'HIGH' : 'LOW ';
    ran.push(`${label} request ${request} price level ${priceLevel}`);
    await new Promise((resolve) => setTimeout(resolve, WORK_MS)); // stands in for the solver
    return `plans for price level ${priceLevel}`;
  },
});

await dispatcher.start();
const ids: string[] = [];
for (const [index, asked] of REQUESTS.entries()) {
  const request = index + 1;
  // As the planner does: the level the user asked for first, then the other four.
  for (const priceLevel of [asked, ...[0, 1, 2, 3, 4].filter((level) => level !== asked)]) {
    const job = await dispatcher.submit<PlanningParams>({
      name: 'Planning',
      params: { request, priceLevel },
      priority: priceLevel === asked ? JobPriority.High : JobPriority.Low,
    });
    ids.push(job.id);
  }
  // The next user arrives while the workers are still busy with this one's jobs.
  await new Promise((resolve) => setTimeout(resolve, WORK_MS * 2));
}
await Promise.all(ids.map((id) => dispatcher.wait(id)));
const stats = await dispatcher.stats();
await dispatcher.stop();

console.log(
  `Ran ${ran.length} jobs for ${REQUESTS.length} requests on ${WORKERS} workers, in this order:`,
);
ran.forEach((line, i) => console.log(`${String(i + 1).padStart(3)}. ${line}`));
console.log('\nWait from queued to started, per priority (ms):');
console.log('level    jobs   p50    p99    max');
for (const [name, level] of Object.entries(stats.levels)) {
  const { count, p50, p99, max } = level.wait;
  console.log(
    `${name.padEnd(8)} ${String(count).padStart(4)} ${String(p50).padStart(5)} ${String(p99).padStart(6)} ${String(max).padStart(6)}`,
  );
}
console.log('\nPer type:', JSON.stringify(stats.types));
