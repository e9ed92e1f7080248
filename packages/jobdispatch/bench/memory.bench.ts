/**
 * Memory benchmark: what a default Dispatcher holds after a million jobs.
 *
 *   npm run bench:memory              1,000,000 no-op jobs per run (about a minute on 2 cores)
 *   npm run bench:memory -- --smoke   20,000 jobs per run (a few seconds); `npm test` runs it
 *
 * Two runs, each in a fresh child process (`--expose-gc`), each pushing the same no-op jobs (seeded
 * random priorities, no params) through `new Dispatcher()` with 10 workers and a no-op handler,
 * completion counted on `completed` events, at most 900 jobs submitted and not completed:
 *
 * - **default retention** (completed records: 24 h and 10,000): what a service keeps;
 * - **no records kept** (every `maxCount` 0): the same process with no finished record retained.
 *
 * Per run: V8 heap in use and RSS right after the last job completed, then again after a full GC.
 * Bytes per retained record = (heap after GC with default retention − heap after GC with none
 * kept) / records retained: the marginal cost of one kept record (its object, its id, its place in
 * the id map and in its status indexes), with everything else the same.
 *
 * Targets (issue 10): RSS after the run under 200 MB with default retention; at most 300 bytes of
 * heap per retained record. The machine may be shared: heap figures are stable, RSS less so.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Dispatcher, type DispatcherOptions, isDispatchError } from '../src/index.js';
import { randomPriorities } from './workloads.js';

const SMOKE = process.argv.includes('--smoke');
const JOBS = SMOKE ? 20_000 : 1_000_000;
const MAX_OUTSTANDING = 900;
const RSS_TARGET_MB = 200;
const BYTES_PER_RECORD_TARGET = 300;

type Mode = 'default' | 'none';

interface RunResult {
  readonly mode: Mode;
  readonly jobs: number;
  readonly retained: number;
  readonly seconds: number;
  readonly heapMB: number;
  readonly rssMB: number;
  readonly heapGcBytes: number;
  readonly rssGcMB: number;
}

const MB = 1024 * 1024;

async function run(mode: Mode, jobs: number): Promise<RunResult> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with --expose-gc');
  const none = { maxCount: 0 };
  const options: DispatcherOptions =
    mode === 'none' ? { retention: { completed: none, failed: none, cancelled: none } } : {};
  const dispatcher = new Dispatcher(options);
  dispatcher.register({ jobType: 'Noop', execute: () => Promise.resolve(undefined) });
  const priorities = randomPriorities(jobs, 42);
  let submitted = 0;
  let completed = 0;
  let wake: (() => void) | undefined;
  dispatcher.on('completed', () => {
    completed++;
    if (
      wake !== undefined &&
      (submitted - completed <= MAX_OUTSTANDING / 2 || completed === jobs)
    ) {
      const resume = wake;
      wake = undefined;
      resume();
    }
  });
  await dispatcher.start();
  const started = performance.now();
  while (completed < jobs) {
    while (submitted < jobs && submitted - completed < MAX_OUTSTANDING) {
      try {
        await dispatcher.submit({ name: 'Noop', priority: priorities[submitted] as number });
        submitted++;
      } catch (error) {
        if (!isDispatchError(error, 'QUEUE_FULL')) throw error;
        break; // a level is full: wait for completions
      }
    }
    if (completed < jobs) await new Promise<void>((resolve) => (wake = resolve));
  }
  const seconds = (performance.now() - started) / 1000;
  const after = process.memoryUsage();
  gc();
  await new Promise((resolve) => setImmediate(resolve));
  gc();
  const collected = process.memoryUsage();
  const counts = await dispatcher.counts();
  const result: RunResult = {
    mode,
    jobs,
    retained: counts.completed,
    seconds,
    heapMB: after.heapUsed / MB,
    rssMB: after.rss / MB,
    heapGcBytes: collected.heapUsed,
    rssGcMB: collected.rss / MB,
  };
  await dispatcher.stop({ timeoutMs: 1000 });
  return result;
}

async function inChild(mode: Mode): Promise<RunResult> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), `--child=${mode}`, `--jobs=${JOBS}`],
    { maxBuffer: 1024 * 1024, timeout: 15 * 60_000 },
  );
  const line = stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as RunResult;
}

const fmt = (value: number, digits = 1): string =>
  value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const int = (value: number): string => Math.round(value).toLocaleString('en-US');

async function main(): Promise<void> {
  const childArg = process.argv.find((arg) => arg.startsWith('--child='));
  if (childArg !== undefined) {
    const jobs = Number(process.argv.find((arg) => arg.startsWith('--jobs='))?.slice(7) ?? JOBS);
    console.log(JSON.stringify(await run(childArg.slice(8) as Mode, jobs)));
    return;
  }
  console.log(
    `Memory: ${int(JOBS)} no-op jobs through a default Dispatcher (memory backend, 10 workers), per run in a fresh process; node ${process.version}`,
  );
  console.log('');
  const kept = await inChild('default');
  const none = await inChild('none');
  const header = [
    'run'.padEnd(22),
    'jobs'.padStart(10),
    'retained'.padStart(9),
    'jobs/s'.padStart(9),
    'heap MB'.padStart(8),
    'RSS MB'.padStart(8),
    'heap after GC MB'.padStart(17),
    'RSS after GC MB'.padStart(16),
  ].join('  ');
  console.log(header);
  console.log('-'.repeat(header.length));
  for (const [label, r] of [
    ['default retention', kept],
    ['no records kept', none],
  ] as const) {
    console.log(
      [
        label.padEnd(22),
        int(r.jobs).padStart(10),
        int(r.retained).padStart(9),
        int(r.jobs / r.seconds).padStart(9),
        fmt(r.heapMB).padStart(8),
        fmt(r.rssMB).padStart(8),
        fmt(r.heapGcBytes / MB).padStart(17),
        fmt(r.rssGcMB).padStart(16),
      ].join('  '),
    );
  }
  const perRecord = kept.retained > 0 ? (kept.heapGcBytes - none.heapGcBytes) / kept.retained : NaN;
  console.log('');
  console.log(
    `bytes per retained record: (${int(kept.heapGcBytes)} - ${int(none.heapGcBytes)}) / ${int(kept.retained)} = ${int(perRecord)}`,
  );
  const rssMet = kept.rssMB < RSS_TARGET_MB;
  const bytesMet = perRecord <= BYTES_PER_RECORD_TARGET;
  console.log(
    `Targets: RSS after the run < ${RSS_TARGET_MB} MB with default retention: ${rssMet ? 'met' : 'missed'} (${fmt(kept.rssMB)} MB); heap per retained record <= ${BYTES_PER_RECORD_TARGET} B: ${bytesMet ? 'met' : 'missed'} (${int(perRecord)} B)`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
