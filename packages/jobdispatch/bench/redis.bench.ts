/**
 * Redis benchmark (issues 4 and 12): this library's RedisBackend against BullMQ (with priorities)
 * and Bee-Queue (no priorities), on the same Redis, in one run. Every job carries the same
 * 200-byte payload (a string in its params / data).
 *
 *   npm run bench:redis              the full run (a few minutes on 2 idle cores)
 *   npm run bench:redis -- --smoke   tiny counts (a few seconds); a test runs it so it cannot rot
 *
 * 1. Throughput: 50,000 no-op jobs with mixed priorities (LOW/NORMAL/HIGH, uniform, seeded) added in
 *    batches of 1,000 (our `submit` calls of one tick go to Redis as one script call; BullMQ
 *    `addBulk`; Bee-Queue `saveAll`), then processed by one worker at concurrency 10, then 50. Per
 *    row: submit jobs/s, process jobs/s (worker start to the last completion), total jobs/s (jobs
 *    over submit + process time), Redis memory per waiting job (the sum of `MEMORY USAGE` over
 *    the contender's own keys after the adds, over the jobs: every key and index it keeps, exact
 *    whatever else runs on the server), and the Node process's CPU time (user + system) per job
 *    over submit and process.
 * 2. HIGH behind LOW: 50,000 LOW jobs waiting, a worker at concurrency 10 running them, then one
 *    HIGH job added: the time from the add until its body begins; run several times (issue 12's
 *    target holds in every run).
 * 3. Memory of finished jobs: 200,000 no-op jobs added, then run to completion (concurrency 50),
 *    ours with its default retention (10,000 completed records kept), BullMQ with
 *    `removeOnComplete: { count: 10000 }`. Redis `used_memory` after the last completion minus
 *    before the first add (the whole server: noisy when others share it), and the sum of
 *    `MEMORY USAGE` over the contender's own keys (exact, whatever else runs).
 *
 * Every task runs in a fresh child process with its own key prefix, deleted afterwards. The
 * machine may be shared and noisy: read the ratios, which compare contenders measured in the
 * same run, rather than the absolute figures.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { JobPriority } from '../src/index.js';
import {
  CONTENDER_NAMES,
  type ContenderName,
  PAYLOAD_BYTES,
  makeContender,
} from './redis-contenders.js';

const SMOKE = process.argv.includes('--smoke');
const CONFIG = SMOKE
  ? {
      jobs: 300,
      batch: 100,
      backlog: 300,
      warm: 20,
      concurrencies: [10, 50],
      retained: 3000,
      highRuns: 1,
    }
  : {
      jobs: 50_000,
      batch: 1000,
      backlog: 50_000,
      warm: 1000,
      concurrencies: [10, 50],
      retained: 200_000,
      highRuns: 3,
    };
/** Issue 12's figures are at this concurrency. */
const TARGET_CONCURRENCY = 50;
/** Issue 12's targets. */
const TARGET = { totalVsBullmq: 4, memoryVsBullmq: 0.45, highMs: 2 } as const;
/** BullMQ's removeOnComplete count: the same number of completed jobs our default retention keeps. */
const KEEP_COMPLETED = 10_000;
const RETAINED_CONTENDERS = ['jobdispatch', 'BullMQ'] as const;
const HIGH_LIMIT_MS = 120_000;
const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

type Task =
  | { kind: 'throughput'; contender: ContenderName; concurrency: number }
  | { kind: 'high'; contender: ContenderName }
  | { kind: 'retained'; contender: ContenderName };
interface ThroughputResult {
  submitMs: number;
  processMs: number;
  bytesPerJob: number;
  cpuUsPerJob: number;
}
interface RetainedResult {
  usedMemory: number;
  keyBytes: number;
  keys: number;
}
interface HighResult {
  waitMs: number | undefined;
  lowStartedBetween: number;
}

function address() {
  const url = new URL(REDIS_URL);
  return { url: REDIS_URL, host: url.hostname, port: Number(url.port || 6379) };
}

/** Uniform LOW/NORMAL/HIGH from a fixed seed: every contender gets the same sequence. */
function priorities(count: number): number[] {
  let state = 42;
  return Array.from({ length: count }, () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state % 3;
  });
}

async function usedMemory(redis: Redis): Promise<number> {
  return Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1] ?? 0);
}

/** The number of keys matching `pattern` and the sum of their MEMORY USAGE (every element sampled). */
async function keyMemory(redis: Redis, pattern: string): Promise<{ keys: number; bytes: number }> {
  let cursor = '0';
  let keys = 0;
  let bytes = 0;
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    const pipeline = redis.pipeline();
    for (const key of found) pipeline.memory('USAGE', key, 'SAMPLES', '0');
    for (const [error, usage] of (await pipeline.exec()) ?? []) {
      if (error) throw error;
      keys++;
      bytes += Number(usage ?? 0);
    }
  } while (cursor !== '0');
  return { keys, bytes };
}

/** CPU time (user + system) of this process since `since`, in microseconds. */
function cpuSince(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return used.user + used.system;
}

async function deleteKeys(redis: Redis, pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.unlink(...keys);
  } while (cursor !== '0');
}

function untilCount(target: number): { tick: () => void; reached: Promise<void> } {
  let count = 0;
  let resolve!: () => void;
  const reached = new Promise<void>((r) => (resolve = r));
  return { tick: () => void (++count === target && resolve()), reached };
}

async function submitAll(
  submit: (batch: readonly number[]) => Promise<void>,
  all: readonly number[],
): Promise<void> {
  for (let start = 0; start < all.length; start += CONFIG.batch) {
    await submit(all.slice(start, start + CONFIG.batch));
  }
}

async function runThroughput(
  redis: Redis,
  contender: ContenderName,
  concurrency: number,
): Promise<ThroughputResult> {
  const prefix = `bench-${randomBytes(4).toString('hex')}`;
  const c = await makeContender(contender, address(), prefix, CONFIG.jobs);
  try {
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    await submitAll((batch) => c.submitBatch(batch), priorities(CONFIG.jobs));
    const submitMs = performance.now() - start;
    let cpu = cpuSince(cpuStart);
    const bytesPerJob = (await keyMemory(redis, c.keys)).bytes / CONFIG.jobs;
    await c.closeProducer();
    const done = untilCount(CONFIG.jobs);
    const processCpu = process.cpuUsage();
    const processStart = performance.now();
    await c.startWorker(concurrency, () => undefined, done.tick);
    await done.reached;
    const processMs = performance.now() - processStart;
    cpu += cpuSince(processCpu);
    return { submitMs, processMs, bytesPerJob, cpuUsPerJob: cpu / CONFIG.jobs };
  } finally {
    await c.close();
    await deleteKeys(redis, c.keys);
  }
}

async function runRetained(redis: Redis, contender: ContenderName): Promise<RetainedResult> {
  const prefix = `bench-${randomBytes(4).toString('hex')}`;
  const c = await makeContender(contender, address(), prefix, CONFIG.retained, {
    keepCompleted: KEEP_COMPLETED,
  });
  try {
    const before = await usedMemory(redis);
    await submitAll((batch) => c.submitBatch(batch), priorities(CONFIG.retained));
    await c.closeProducer();
    const done = untilCount(CONFIG.retained);
    await c.startWorker(50, () => undefined, done.tick);
    await done.reached;
    await c.close(); // lets the last finishes and trims land
    const usedAfter = await usedMemory(redis);
    const { keys, bytes } = await keyMemory(redis, c.keys);
    return { usedMemory: usedAfter - before, keyBytes: bytes, keys };
  } finally {
    await c.close();
    await deleteKeys(redis, c.keys);
  }
}

async function runHigh(redis: Redis, contender: ContenderName): Promise<HighResult> {
  const prefix = `bench-${randomBytes(4).toString('hex')}`;
  const c = await makeContender(contender, address(), prefix, CONFIG.backlog + 1);
  try {
    await submitAll(
      (batch) => c.submitBatch(batch),
      Array.from({ length: CONFIG.backlog }, () => JobPriority.Low),
    );
    const warm = untilCount(CONFIG.warm);
    const clock = { addedAt: undefined as number | undefined, lowStartedBetween: 0 };
    let highStarted: (at: number) => void = () => undefined;
    const high = new Promise<number>((resolve) => (highStarted = resolve));
    await c.startWorker(
      10,
      (priority) => {
        if (priority === JobPriority.High) highStarted(performance.now());
        else if (clock.addedAt !== undefined) clock.lowStartedBetween++;
      },
      warm.tick,
    );
    await warm.reached;
    const addedAt = performance.now();
    clock.addedAt = addedAt;
    await c.submitOne(JobPriority.High);
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), HIGH_LIMIT_MS);
    });
    const startedAt = await Promise.race([high, limit]);
    clearTimeout(timer);
    const { lowStartedBetween } = clock;
    return {
      waitMs: startedAt === undefined ? undefined : startedAt - addedAt,
      lowStartedBetween,
    };
  } finally {
    await c.close();
    await deleteKeys(redis, c.keys);
  }
}

async function child(task: Task): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    const result =
      task.kind === 'throughput'
        ? await runThroughput(redis, task.contender, task.concurrency)
        : task.kind === 'retained'
          ? await runRetained(redis, task.contender)
          : await runHigh(redis, task.contender);
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    redis.disconnect();
  }
  process.exit(0); // peers' clients may hold the loop open after close
}

async function inChild<R>(task: Task): Promise<R> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      ...process.execArgv,
      fileURLToPath(import.meta.url),
      ...(SMOKE ? ['--smoke'] : []),
      '--child',
      JSON.stringify(task),
    ],
    { timeout: 600_000, maxBuffer: 1 << 20 },
  );
  return JSON.parse(stdout.trim().split('\n').pop()!) as R;
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const ratio = (a: number, b: number): string => `${(a / b).toFixed(1)}x`;

async function main(): Promise<void> {
  const redis = new Redis(REDIS_URL);
  const version = /redis_version:(\S+)/.exec(await redis.info('server'))?.[1] ?? '?';
  redis.disconnect();
  console.log(
    `Redis benchmark${SMOKE ? ' (smoke)' : ''}: ${fmt(CONFIG.jobs)} no-op jobs with a ` +
      `${PAYLOAD_BYTES}-byte payload, mixed priorities, added in batches of ${fmt(CONFIG.batch)}, ` +
      `then processed by one worker; Redis ${version}\n`,
  );
  const header = `${'contender'.padEnd(12)} ${'conc'.padStart(4)} ${'submit/s'.padStart(9)} ${'process/s'.padStart(9)} ${'total/s'.padStart(9)} ${'bytes/waiting job'.padStart(17)} ${'CPU us/job'.padStart(10)}`;
  console.log(header);
  const totals = new Map<string, number>();
  const cpu = new Map<string, number>();
  const memory = new Map<ContenderName, number>();
  for (const concurrency of CONFIG.concurrencies) {
    for (const contender of CONTENDER_NAMES) {
      const task: Task = { kind: 'throughput', contender, concurrency };
      const r = await inChild<ThroughputResult>(task);
      const total = (CONFIG.jobs / (r.submitMs + r.processMs)) * 1000;
      totals.set(`${contender}@${concurrency}`, total);
      cpu.set(`${contender}@${concurrency}`, r.cpuUsPerJob);
      if (!memory.has(contender)) memory.set(contender, r.bytesPerJob);
      console.log(
        `${contender.padEnd(12)} ${String(concurrency).padStart(4)} ${fmt((CONFIG.jobs / r.submitMs) * 1000).padStart(9)} ` +
          `${fmt((CONFIG.jobs / r.processMs) * 1000).padStart(9)} ${fmt(total).padStart(9)} ${fmt(r.bytesPerJob).padStart(17)} ` +
          `${r.cpuUsPerJob.toFixed(1).padStart(10)}`,
      );
    }
  }
  console.log(
    `\nHIGH job added behind ${fmt(CONFIG.backlog)} waiting LOW jobs (worker at concurrency 10):`,
  );
  const waits = new Map<ContenderName, (number | undefined)[]>();
  for (const contender of CONTENDER_NAMES) {
    // Bee-Queue has no priorities: one run shows its FIFO wait.
    const runs = contender === 'Bee-Queue' ? 1 : CONFIG.highRuns;
    for (let run = 1; run <= runs; run++) {
      const r = await inChild<HighResult>({ kind: 'high', contender });
      waits.set(contender, [...(waits.get(contender) ?? []), r.waitMs]);
      const wait = r.waitMs === undefined ? `> ${fmt(HIGH_LIMIT_MS)}` : r.waitMs.toFixed(1);
      const note = contender === 'Bee-Queue' ? ' (no priorities: FIFO)' : ` (run ${run})`;
      console.log(
        `${contender.padEnd(12)} waited ${wait.padStart(9)} ms, ${fmt(r.lowStartedBetween)} LOW jobs started first${note}`,
      );
    }
  }
  console.log(
    `\nMemory after ${fmt(CONFIG.retained)} completed jobs (ours: default retention; BullMQ: ` +
      `removeOnComplete { count: ${fmt(KEEP_COMPLETED)} }):`,
  );
  console.log(
    `${'contender'.padEnd(12)} ${'used_memory'.padStart(12)} ${'keys'.padStart(7)} ${'key bytes'.padStart(12)}`,
  );
  const kept = new Map<ContenderName, RetainedResult>();
  for (const contender of RETAINED_CONTENDERS) {
    const r = await inChild<RetainedResult>({ kind: 'retained', contender });
    kept.set(contender, r);
    console.log(
      `${contender.padEnd(12)} ${fmt(r.usedMemory).padStart(12)} ${fmt(r.keys).padStart(7)} ${fmt(r.keyBytes).padStart(12)}`,
    );
  }
  console.log('\nOurs / peer:');
  for (const peer of ['BullMQ', 'Bee-Queue'] as const) {
    const parts = CONFIG.concurrencies.map(
      (c) =>
        `total at ${c}: ${ratio(totals.get(`jobdispatch@${c}`)!, totals.get(`${peer}@${c}`)!)}`,
    );
    const mem = ratio(memory.get('jobdispatch')!, memory.get(peer)!);
    console.log(`  vs ${peer.padEnd(9)} ${parts.join(', ')}; memory per waiting job: ${mem}`);
  }
  const keptRatio = kept.get('jobdispatch')!.keyBytes / kept.get('BullMQ')!.keyBytes;
  const usedRatio = kept.get('jobdispatch')!.usedMemory / kept.get('BullMQ')!.usedMemory;
  console.log(
    `  vs BullMQ    memory after ${fmt(CONFIG.retained)} completed: key bytes ` +
      `${keptRatio.toFixed(2)}x, used_memory ${usedRatio.toFixed(2)}x`,
  );
  printTargets({ totals, cpu, memory, waits, keptRatio });
}

interface Figures {
  readonly totals: ReadonlyMap<string, number>;
  readonly cpu: ReadonlyMap<string, number>;
  readonly memory: ReadonlyMap<ContenderName, number>;
  readonly waits: ReadonlyMap<ContenderName, readonly (number | undefined)[]>;
  readonly keptRatio: number;
}

/** Issue 12's Redis rows (at concurrency 50), each with its target and met/missed. */
function printTargets({ totals, cpu, memory, waits, keptRatio }: Figures): void {
  const at = TARGET_CONCURRENCY;
  const totalRatio = totals.get(`jobdispatch@${at}`)! / totals.get(`BullMQ@${at}`)!;
  const memoryRatio = memory.get('jobdispatch')! / memory.get('BullMQ')!;
  const ours = waits.get('jobdispatch') ?? [];
  const measured = ours.filter((w): w is number => w !== undefined);
  const worstWait = measured.length === ours.length ? Math.max(...measured) : Infinity;
  const waitText =
    measured.length === 0
      ? '?'
      : `${Math.min(...measured).toFixed(1)}-${Math.max(...measured).toFixed(1)} ms (${ours.length} run${ours.length === 1 ? '' : 's'})`;
  const verdict = (ok: boolean): string => (ok ? 'met' : 'MISSED');
  const rows: [string, string, string, string][] = [
    [
      `Redis: submit + process, total jobs/s vs BullMQ (conc ${at})`,
      `${totalRatio.toFixed(2)}x`,
      `>= ${TARGET.totalVsBullmq}x`,
      verdict(totalRatio >= TARGET.totalVsBullmq),
    ],
    [
      `Redis: memory per waiting job vs BullMQ (${PAYLOAD_BYTES}-byte payload)`,
      `${memoryRatio.toFixed(2)}x`,
      `<= ${TARGET.memoryVsBullmq}x`,
      verdict(memoryRatio <= TARGET.memoryVsBullmq),
    ],
    [
      `Redis: HIGH job behind ${fmt(CONFIG.backlog)} waiting LOW jobs`,
      waitText,
      `<= ${TARGET.highMs} ms in every run`,
      verdict(worstWait <= TARGET.highMs),
    ],
    [
      `Redis: memory after ${fmt(CONFIG.retained)} completed vs BullMQ (key bytes)`,
      `${keptRatio.toFixed(2)}x`,
      '<= 1x',
      verdict(keptRatio <= 1),
    ],
    [
      `Redis: CPU per job, Node side (conc ${at}; BullMQ ${cpu.get(`BullMQ@${at}`)!.toFixed(1)} us)`,
      `${cpu.get(`jobdispatch@${at}`)!.toFixed(1)} us`,
      '(reported)',
      '',
    ],
  ];
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((row) => row[i]!.length)));
  console.log('\nTargets (issue 12):');
  for (const row of [['measure', 'now', 'target', ''] as const, ...rows]) {
    console.log(
      `  ${row[0].padEnd(widths[0]!)}  ${row[1].padEnd(widths[1]!)}  ${row[2].padEnd(widths[2]!)}  ${row[3]}`.trimEnd(),
    );
  }
}

const childAt = process.argv.indexOf('--child');
if (childAt >= 0) await child(JSON.parse(process.argv[childAt + 1]!) as Task);
else await main();
