/**
 * The `jobdispatch` command, as built by `npm run build` and run as a child process against a real
 * Redis on a queue of its own; a dispatcher in this process runs the jobs it inspects.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { type AddressInfo, createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { Dispatcher, type Job, RedisBackend } from '../src/index.js';
import { type Deferred, deferred } from './helpers.js';
import { REDIS_URL, deleteQueues, randomQueue, redisSuite } from './redis/redis-env.js';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(packageDir, 'dist', 'cli', 'main.js');

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function cli(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { env: { ...process.env, ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

describe('the jobdispatch command against Redis', redisSuite(), () => {
  const queue = randomQueue('cli');
  const on = ['--redis', REDIS_URL, '--queue', queue];
  const gates = new Map<string, Deferred<string>>();
  const worker = new Dispatcher({
    workers: 4,
    backend: new RedisBackend({ url: REDIS_URL, queue }),
  });
  let failedJob: Job;
  let completedJob: Job;

  before(async () => {
    execFileSync('npm', ['run', 'build'], { cwd: packageDir, stdio: 'ignore' });
    worker.register({ jobType: 'ok', execute: (job) => Promise.resolve({ echo: job.params }) });
    worker.register({ jobType: 'boom', execute: () => Promise.reject(new Error('it broke')) });
    worker.register({
      jobType: 'gated',
      execute: (job) => {
        const gate = deferred<string>();
        gates.set(job.id, gate);
        return gate.promise;
      },
    });
    await worker.start();
    completedJob = await worker.submit({ name: 'ok', params: { n: 1 } });
    failedJob = await worker.submit({ name: 'boom' });
    await worker.wait(completedJob.id);
    await assert.rejects(worker.wait(failedJob.id));
  });

  after(async () => {
    for (const gate of gates.values()) gate.resolve('released');
    await worker.stop({ timeoutMs: 5000 });
    await deleteQueues([queue]);
  });

  it('prints counts by state as a table, and as JSON equal to counts()', async () => {
    const human = await cli(['counts', ...on]);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /^STATE\s+COUNT$/m);
    assert.match(human.stdout, /^completed\s+1$/m);
    assert.match(human.stdout, /^failed\s+1$/m);
    const json = await cli(['counts', '--json', ...on]);
    assert.deepEqual(JSON.parse(json.stdout), await worker.counts());
    const one = await cli(['counts', '--name', 'boom', '--json', ...on]);
    assert.deepEqual(JSON.parse(one.stdout), await worker.counts({ name: 'boom' }));
  });

  it('prints stats: queued per level, counts and pauses', async () => {
    const run = await cli(['stats', '--json', ...on]);
    assert.equal(run.code, 0, run.stderr);
    const stats = JSON.parse(run.stdout) as { queued: unknown; counts: unknown; paused: unknown };
    assert.deepEqual(stats.queued, { high: 0, normal: 0, low: 0 });
    assert.deepEqual(stats.counts, await worker.counts());
    assert.deepEqual(stats.paused, { queue: false, types: [] });
    const human = await cli(['stats', ...on]);
    assert.match(human.stdout, new RegExp(`queue ${queue}: running`));
    assert.match(human.stdout, /^LEVEL\s+QUEUED$/m);
  });

  it('lists jobs by status and type, with the page cursor', async () => {
    const failed = await cli(['list', '--status', 'failed', ...on]);
    assert.equal(failed.code, 0, failed.stderr);
    assert.match(failed.stdout, /^ID\s+TYPE\s+STATUS\s+PRIORITY\s+ATTEMPTS\s+UPDATED$/m);
    assert.ok(failed.stdout.includes(failedJob.id));
    assert.ok(!failed.stdout.includes(completedJob.id));
    const page = await cli([
      'list',
      '--status',
      'completed,failed',
      '--limit',
      '1',
      '--json',
      ...on,
    ]);
    const first = JSON.parse(page.stdout) as { jobs: Job[]; cursor?: string };
    assert.equal(first.jobs.length, 1);
    assert.ok(first.cursor !== undefined);
    const rest = await cli([
      'list',
      '--status',
      'completed,failed',
      '--cursor',
      first.cursor,
      '--json',
      ...on,
    ]);
    const second = JSON.parse(rest.stdout) as { jobs: Job[] };
    assert.deepEqual(
      [...first.jobs, ...second.jobs].map((job) => job.id).sort(),
      [completedJob.id, failedJob.id].sort(),
    );
  });

  it('shows one job, and says when there is none (exit 3)', async () => {
    const shown = await cli(['show', completedJob.id, ...on]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /^status:\s+completed$/m);
    assert.match(shown.stdout, /^result:\s+\{"echo":\{"n":1\}\}$/m);
    const failed = await cli(['show', failedJob.id, '--json', ...on]);
    assert.equal((JSON.parse(failed.stdout) as Job).error?.message, 'it broke');
    const missing = await cli(['show', 'no-such-job', ...on]);
    assert.equal(missing.code, 3);
    assert.match(missing.stderr, /no job with id "no-such-job"/);
  });

  it('retries a failed job (exit 0) and refuses a completed one (exit 4)', async () => {
    const job = await worker.submit({ name: 'boom' });
    await assert.rejects(worker.wait(job.id));
    const retried = await cli(['retry', job.id, '--json', ...on]);
    assert.equal(retried.code, 0, retried.stderr);
    assert.equal((JSON.parse(retried.stdout) as Job).id, job.id);
    await assert.rejects(worker.wait(job.id));
    assert.equal((await worker.get(job.id))?.attempts, 2);
    const refused = await cli(['retry', completedJob.id, ...on]);
    assert.equal(refused.code, 4);
    assert.match(refused.stderr, /completed/);
  });

  it('pauses and resumes a type; a cancel of a queued job is 0, of a finished one 4', async () => {
    const paused = await cli(['pause', 'ok', ...on]);
    assert.equal(paused.code, 0, paused.stderr);
    assert.deepEqual(await worker.paused(), { queue: false, types: ['ok'] });
    const held = await worker.submit({ name: 'ok' });
    assert.equal((await worker.get(held.id))?.status, 'queued');
    const cancelled = await cli(['cancel', held.id, '--json', ...on]);
    assert.equal(cancelled.code, 0, cancelled.stderr);
    assert.equal((JSON.parse(cancelled.stdout) as { outcome: string }).outcome, 'cancelled');
    assert.equal((await worker.get(held.id))?.status, 'cancelled');
    const again = await cli(['cancel', held.id, ...on]);
    assert.equal(again.code, 4);
    const resumed = await cli(['resume', 'ok', ...on]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.deepEqual(await worker.paused(), { queue: false, types: [] });
    const queuePause = await cli(['pause', '--json', ...on]);
    assert.deepEqual(JSON.parse(queuePause.stdout), { queue: true, types: [] });
    await cli(['resume', ...on]);
    assert.deepEqual(await worker.paused(), { queue: false, types: [] });
  });

  it('removes a record (0), then finds none (3); a running job is refused (4)', async () => {
    const job = await worker.submit({ name: 'ok' });
    await worker.wait(job.id);
    assert.equal((await cli(['remove', job.id, ...on])).code, 0);
    assert.equal(await worker.get(job.id), undefined);
    assert.equal((await cli(['remove', job.id, ...on])).code, 3);
    const running = await worker.submit({ name: 'gated' });
    await waitFor(() => gates.has(running.id));
    const refused = await cli(['remove', running.id, ...on]);
    assert.equal(refused.code, 4);
    gates.get(running.id)?.resolve('done');
    await worker.wait(running.id);
  });

  it('watches a running job until it completes (exit 0), printing its events', async () => {
    const job = await worker.submit({ name: 'gated' });
    await waitFor(() => gates.has(job.id));
    const watching = watchProcess(['watch', job.id, ...on]);
    await watching.printed(new RegExp(`${job.id}\\s+gated\\s+running`));
    gates.get(job.id)?.resolve('finished');
    const run = await watching.done;
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`completed\\s+${job.id}\\s+attempt 1`));
  });

  it('watches with --json: a snapshot line then events, exit 6 when the job fails', async () => {
    const job = await worker.submit({ name: 'gated' });
    await waitFor(() => gates.has(job.id));
    const watching = watchProcess(['watch', job.id, '--json', ...on]);
    await watching.printed(/"type":"snapshot"/);
    gates.get(job.id)?.reject(new Error('gate failed'));
    const run = await watching.done;
    assert.equal(run.code, 6, run.stderr);
    const lines = run.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; jobId: string });
    assert.equal(lines[0]?.type, 'snapshot');
    assert.equal(lines.at(-1)?.type, 'failed');
    assert.ok(lines.every((line) => line.jobId === job.id));
  });

  it('ends a watch of a finished job at once with its outcome, and says when there is no such job', async () => {
    const completed = await cli(['watch', completedJob.id, ...on]);
    assert.equal(completed.code, 0, completed.stderr);
    assert.match(completed.stdout, new RegExp(`^${completedJob.id}\\s+ok\\s+completed`, 'm'));
    assert.equal((await cli(['watch', failedJob.id, ...on])).code, 6);
    const missing = await cli(['watch', 'no-such-job', ...on]);
    assert.equal(missing.code, 3);
    assert.match(missing.stderr, /no job with id "no-such-job"/);
    const missingJson = await cli(['watch', 'no-such-job', '--json', ...on]);
    assert.equal(missingJson.code, 3);
    assert.deepEqual(JSON.parse(missingJson.stderr), {
      error: { code: 'JOB_NOT_FOUND', message: 'no job with id "no-such-job"' },
    });
  });

  it('ends a watch when the job is cancelled (exit 6) or removed (exit 3)', async () => {
    await worker.pause('ok');
    try {
      const queued = await worker.submit({ name: 'ok' });
      const cancelWatch = watchProcess(['watch', queued.id, ...on]);
      await cancelWatch.printed(new RegExp(`${queued.id}\\s+ok\\s+queued`));
      await worker.cancel(queued.id);
      const cancelled = await cancelWatch.done;
      assert.equal(cancelled.code, 6, cancelled.stderr);
      assert.match(cancelled.stdout, new RegExp(`cancelled\\s+${queued.id}`));

      const doomed = await worker.submit({ name: 'ok' });
      const removeWatch = watchProcess(['watch', doomed.id, '--json', ...on]);
      await removeWatch.printed(/"type":"snapshot"/);
      assert.equal(await worker.remove(doomed.id), true);
      const gone = await removeWatch.done;
      assert.equal(gone.code, 3, gone.stderr);
      assert.equal(
        (JSON.parse(gone.stdout.trim().split('\n').at(-1)!) as { type: string }).type,
        'removed',
      );
      assert.match(gone.stderr, /was removed while it was watched/);
    } finally {
      await worker.resume('ok');
    }
  });

  it('follows a duplicate to the execution it joined', async () => {
    const dedupKey = `cli-dedup-${Date.now()}`;
    const original = await worker.submit({ name: 'gated', dedupKey });
    await waitFor(() => gates.has(original.id));
    const duplicate = await worker.submit({ name: 'gated', dedupKey });
    assert.equal(duplicate.status, 'duplicated');
    const watching = watchProcess(['watch', duplicate.id, ...on]);
    await watching.printed(new RegExp(`${original.id}\\s+gated\\s+running`));
    gates.get(original.id)?.resolve('shared');
    const run = await watching.done;
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`${duplicate.id}\\s+gated\\s+duplicated`));
    assert.match(run.stdout, new RegExp(`completed\\s+${original.id}`));
  });

  it('exits 2 on bad usage, naming what is wrong', async () => {
    const cases: [string[], RegExp][] = [
      [[], /a command is required/],
      [['frobnicate'], /unknown command "frobnicate"/],
      [['show'], /show needs a job ID/],
      [['list', '--limit', 'ten'], /--limit must be an integer >= 1, got "ten"/],
      [['list', '--status', 'lost'], /--status must be one of/],
      [['counts', '--bogus'], /Unknown option '--bogus'/],
      [['show', 'x', '--status', 'failed'], /--status is an option of list only/],
    ];
    for (const [args, message] of cases) {
      const run = await cli([...args, ...on]);
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, message);
    }
    const help = await cli(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Exit status: 0 ok/);
  });

  it('exits 5 when Redis does not answer', async () => {
    const port = await freePort();
    const run = await cli(['counts', '--redis', `redis://127.0.0.1:${port}`, '--queue', queue]);
    assert.equal(run.code, 5, run.stderr);
    assert.match(run.stderr, /unavailable/);
  });
});

function watchProcess(args: readonly string[]): {
  printed: (pattern: RegExp) => Promise<void>;
  done: Promise<Run>;
} {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    for (const waiter of waiters) if (waiter.pattern.test(stdout)) waiter.resolve();
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const done = new Promise<Run>((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(killer);
      resolve({ code: code ?? -1, stdout, stderr });
    }),
  );
  return {
    printed: (pattern) =>
      new Promise<void>((resolve, reject) => {
        if (pattern.test(stdout)) return resolve();
        waiters.push({ pattern, resolve });
        void done.then((run) =>
          reject(new Error(`exited ${run.code} before printing ${String(pattern)}: ${run.stderr}`)),
        );
      }),
    done,
  };
}

async function waitFor(predicate: () => boolean, limitMs = 10_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`not true within ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
