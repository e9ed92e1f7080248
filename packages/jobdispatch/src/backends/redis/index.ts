/**
 * RedisBackend: the queue, job records, dedup index, leases and events of one queue live in Redis,
 * so any number of processes can submit and run its jobs with the semantics of the in-process
 * backend. Every operation that changes state is one Lua script (scripts/*.lua), so priority order,
 * capacity, dedup and promotion hold atomically across processes.
 *
 * Claims carry a lease and a fencing token: a worker that stops renewing (crash, SIGKILL,
 * partition) loses its jobs to the next claim or reaper tick after `leaseMs`, at the front of their
 * level with the attempt counted, and anything it writes later is refused. Events are published by
 * the scripts on the queue's channel, so every process sees every job's progress and outcome.
 */
import type {
  Backend,
  CancelOutcome,
  Claim,
  ClaimRequest,
  Outcome,
  RenewResult,
  SubmitOptions,
  SubmitResult,
} from '../../backend.js';
import { DispatchError } from '../../errors.js';
import { EventHub, type JobEvent, type JobEventListener } from '../../events.js';
import { type Job, type JobError, type JobProgress, JobStatus } from '../../job.js';
import type { QueueStats } from '../../priority-queue.js';
import { Batcher } from './batch.js';
import { RedisLink } from './connection.js';
import { type QueueKeys, queueKeys } from './keys.js';
import { type RedisBackendOptions, type ResolvedRedisOptions, resolveOptions } from './options.js';
import {
  CLAIM_FIELDS,
  decodeRecord,
  encodeOptional,
  encodeOptionalJson,
  rawFromClaim,
  rawFromFlat,
} from './record.js';
import { R, type ScriptName, runScript, scriptError } from './scripts.js';
import { WorkSignal } from './wake.js';

export {
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_LEASE_MS,
  DEFAULT_QUEUE,
  DEFAULT_REDIS_URL,
  type RedisBackendOptions,
} from './options.js';

/** Most jobs one submit or finish script handles (keeps each script call short). */
const MAX_BATCH = 500;
const DAY_MS = 24 * 60 * 60 * 1000;

interface Write {
  readonly now: number;
  readonly options: SubmitOptions;
}
interface SubmitItem extends Write {
  readonly job: Job;
  /** `job.params` encoded before batching: one bad submit must not fail the others. */
  readonly params: string;
}
interface FinishItem extends Write {
  readonly id: string;
  readonly token: string;
  readonly outcome: Outcome;
}
/** R.OK alone, or a code with details (see submit.lua). */
type SubmitReply = number | [number, ...unknown[]];
/** dueInMs, then flat, per claim: id, token, attempt, the CLAIM_FIELDS of its record before the claim. */
type ClaimReply = [number, ...unknown[]];
/** Values per claim in a ClaimReply. */
const CLAIM_STRIDE = 3 + CLAIM_FIELDS.length;

export class RedisBackend implements Backend {
  readonly durable = true;
  readonly leaseMs: number;
  private readonly options: ResolvedRedisOptions;
  private readonly keys: QueueKeys;
  private readonly link: RedisLink;
  private readonly hub = new EventHub();
  private readonly work: WorkSignal;
  private readonly submits: Batcher<SubmitItem, SubmitReply>;
  private readonly finishes: Batcher<FinishItem, boolean>;
  private reaper: NodeJS.Timeout | undefined;
  /** The TTLs of the latest write, for jobs that a claim or release ends (as memory does). */
  private lastOptions: SubmitOptions = { recordTtlMs: DAY_MS, dedupTtlMs: DAY_MS };

  constructor(options: RedisBackendOptions = {}) {
    this.options = resolveOptions(options);
    this.leaseMs = this.options.leaseMs;
    this.keys = queueKeys(this.options.queue);
    this.link = new RedisLink({
      url: this.options.url,
      name: this.keys.prefix,
      connectTimeoutMs: this.options.connectTimeoutMs,
      onError: this.options.onError,
      channel: this.keys.events,
      onMessage: (message) => this.onMessage(message),
    });
    this.work = new WorkSignal(() => this.link.blocking(), this.keys.wake, this.options.onError);
    this.submits = new Batcher((items) => this.sendSubmits(items), MAX_BATCH);
    this.finishes = new Batcher((items) => this.sendFinishes(items), MAX_BATCH);
  }

  /** The queue's key prefix, `jd:{queue}:`: every key of this queue starts with it. */
  get keyPrefix(): string {
    return this.keys.prefix;
  }

  open(): Promise<void> {
    return this.link.open();
  }

  async submit(job: Job, options: SubmitOptions): Promise<SubmitResult> {
    this.lastOptions = options;
    const now = this.options.now();
    const params = encodeOptionalJson('params', job.params);
    const answer = await this.submits.add({ job, params, now, options });
    if (answer === R.OK) {
      return { kind: 'queued', job: { ...job, status: JobStatus.Queued, updatedAt: now } };
    }
    const reply = typeof answer === 'number' ? ([answer] as const) : answer;
    const code = reply[0];
    if (code === R.DUPLICATED) {
      const original = this.decode(String(reply[2]), reply[3] as unknown[], true);
      const duplicate: Job = {
        ...job,
        status: JobStatus.Duplicated,
        duplicateOf: original.id,
        updatedAt: now,
        finishedAt: now,
      };
      return { kind: 'duplicated', job: duplicate, original, promoted: reply[1] === 1 };
    }
    if (code === R.QUEUE_FULL) {
      const level = job.priority === 2 ? 'HIGH' : job.priority === 1 ? 'NORMAL' : 'LOW';
      const message = `the ${level} level is full (${String(reply[1])} jobs); try again later`;
      throw scriptError(code, message, job.id);
    }
    throw scriptError(code, `id must be unique, got "${job.id}" (already recorded)`, job.id);
  }

  async claim(request: ClaimRequest): Promise<Claim[]> {
    this.work.claimBegan();
    const now = this.options.now();
    const reply = (await this.runClaim(request.max, request.remaining, now)) as ClaimReply;
    this.work.claimEnded(reply[0]);
    this.startReaper();
    const claims: Claim[] = [];
    for (let at = 1; at + CLAIM_STRIDE <= reply.length; at += CLAIM_STRIDE) {
      const [id, token, attempt] = [String(reply[at]), String(reply[at + 1]), reply[at + 2]];
      const claim = this.decodeClaim(id, token, reply, at + 3, Number(attempt), now);
      if (claim !== undefined) claims.push(claim);
    }
    return claims;
  }

  waitForWork(signal: AbortSignal): Promise<void> {
    return this.work.wait(signal);
  }

  async renew(claim: Claim): Promise<RenewResult> {
    const result = await this.run('renew', [claim.job.id, claim.token, this.leaseMs]);
    return result === R.OK ? 'held' : result === R.CANCEL_REQUESTED ? 'cancel-requested' : 'lost';
  }

  async progress(claim: Claim, progress: JobProgress): Promise<void> {
    const json = JSON.stringify(progress);
    await this.run('progress', [claim.job.id, claim.token, this.options.now(), json]);
  }

  finish(claim: Claim, outcome: Outcome, options: SubmitOptions): Promise<boolean> {
    this.lastOptions = options;
    const { id } = claim.job;
    return this.finishes.add({ id, token: claim.token, outcome, now: this.options.now(), options });
  }

  async retry(claim: Claim, error: JobError, delayMs: number): Promise<boolean> {
    const args = [claim.job.id, claim.token, this.options.now(), JSON.stringify(error), delayMs];
    return (await this.run('retry', args)) === R.OK;
  }

  async release(claim: Claim): Promise<boolean> {
    const args = [claim.job.id, claim.token, this.options.now(), this.lastOptions.recordTtlMs];
    return (await this.run('release', args)) === R.OK;
  }

  async cancel(id: string, options: SubmitOptions): Promise<CancelOutcome> {
    this.lastOptions = options;
    void this.submits.flush(); // a cancel never overtakes a submit made before it
    const args = [id, this.options.now(), options.recordTtlMs];
    const [code, flat] = (await this.run('cancel', args)) as [number, unknown[]?];
    if (code === R.JOB_NOT_FOUND) throw scriptError(code, `no job with id "${id}"`, id);
    const job = this.decode(id, flat ?? [], false);
    if (code === R.OK) return { outcome: 'cancelled', job };
    if (code === R.CANCEL_REQUESTED) return { outcome: 'cancel-requested', job };
    return { outcome: 'already-finished', job };
  }

  /**
   * The record, or undefined when there is none or it expired. A malformed record rejects with
   * MALFORMED_RECORD, unless the job already ended with that error (then the record is shown
   * without the field that does not decode).
   */
  async get(id: string): Promise<Job | undefined> {
    const record = await this.link.run((client) => client.hgetall(this.keys.job(id)));
    const stored = decodeRecord(id, rawFromFlat(Object.entries(record).flat()));
    if (stored === undefined) return undefined;
    if (stored.expiresAt !== undefined && stored.expiresAt <= this.options.now()) return undefined;
    if (stored.problem !== undefined && stored.job.error?.code !== 'MALFORMED_RECORD') {
      throw stored.problem;
    }
    return stored.job;
  }

  async stats(): Promise<QueueStats> {
    const [low, normal, high] = await this.link.run((client) =>
      client.hmget(this.keys.counts, '0', '1', '2'),
    );
    return { high: Number(high ?? 0), normal: Number(normal ?? 0), low: Number(low ?? 0) };
  }

  async publish(event: JobEvent): Promise<void> {
    await this.link.run((client) => client.publish(this.keys.events, JSON.stringify(event)));
  }

  subscribe(listener: JobEventListener): () => void {
    return this.hub.add(listener);
  }

  /**
   * Sends what is still pending, lets the events already published reach this process's
   * listeners, then drops the connections; bounded even when Redis is unreachable. Jobs still
   * queued stay in Redis for other processes.
   */
  async close(): Promise<void> {
    clearInterval(this.reaper);
    this.work.close();
    await this.link.close(async () => {
      await Promise.all([this.submits.flush(), this.finishes.flush()]);
    });
  }

  private onMessage(message: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(message);
    } catch (cause) {
      const text = `an event on ${this.keys.events} is not JSON: ${message.slice(0, 80)}`;
      this.options.onError(new DispatchError('MALFORMED_RECORD', text, { cause }));
      return;
    }
    for (const event of Array.isArray(parsed) ? parsed : [parsed]) this.hub.emit(event as JobEvent);
  }

  private run(name: ScriptName, args: (string | number)[]): Promise<unknown> {
    return this.link.run((client) => runScript(client, name, this.keys, args));
  }

  private runClaim(
    max: number,
    remaining: ReadonlyMap<string, number>,
    now = this.options.now(),
  ): Promise<unknown> {
    const { leaseMs, capacityPerLevel, agingNormalMs, agingLowMs } = this.options;
    const args: (string | number)[] = [now, max, leaseMs, capacityPerLevel];
    args.push(this.lastOptions.recordTtlMs, agingNormalMs, agingLowMs);
    for (const [type, left] of remaining) args.push(type, Math.max(0, left));
    return this.run('claim', args);
  }

  /**
   * In a process that runs workers: reclaims expired leases and moves due retries every quarter
   * lease, even while no worker claims (all busy, or all idle and blocked).
   */
  private startReaper(): void {
    if (this.reaper !== undefined || !this.link.isOpen) return;
    const interval = Math.min(5000, Math.max(50, Math.floor(this.leaseMs / 4)));
    let failing = false;
    this.reaper = setInterval(() => {
      this.runClaim(0, new Map()).then(
        () => (failing = false),
        (error: unknown) => {
          if (!failing && this.link.isOpen) this.options.onError(error);
          failing = true;
        },
      );
    }, interval).unref();
  }

  private sendSubmits(items: readonly SubmitItem[]): Promise<SubmitReply[]> {
    return groupRuns(items, async (group, { now, options }) => {
      const args: (string | number)[] = [now, this.options.capacityPerLevel];
      args.push(options.recordTtlMs, options.dedupTtlMs);
      for (const { job, params } of group) {
        args.push(job.id, job.name, job.priority, job.createdAt);
        args.push(params, encodeOptional(job.description));
        args.push(encodeOptional(job.dedupKey));
      }
      return (await this.run('submit', args)) as SubmitReply[];
    });
  }

  private sendFinishes(items: readonly FinishItem[]): Promise<boolean[]> {
    return groupRuns(items, async (group, { now, options }) => {
      const args: (string | number)[] = [now, options.recordTtlMs, options.dedupTtlMs];
      for (const { id, token, outcome } of group) args.push(id, token, ...encodeOutcome(outcome));
      const replies = (await this.run('finish', args)) as number[];
      return replies.map((reply) => reply === R.OK);
    });
  }

  private decode(id: string, flat: readonly unknown[], strict: boolean): Job {
    const stored = decodeRecord(id, rawFromFlat(flat));
    if (stored === undefined) throw new DispatchError('JOB_NOT_FOUND', `no job with id "${id}"`);
    if (stored.problem !== undefined) {
      if (strict) throw stored.problem;
      this.options.onError(stored.problem);
    }
    return stored.job;
  }

  /**
   * The claimed job: its record as it was, with what the claim changed. A record that does not
   * decode fails with MALFORMED_RECORD instead of running.
   */
  private decodeClaim(
    id: string,
    token: string,
    values: readonly unknown[],
    start: number,
    attempts: number,
    now: number,
  ): Claim | undefined {
    let problem: DispatchError | undefined;
    try {
      const raw = rawFromClaim(values, start);
      raw['status'] = JobStatus.Running;
      raw['attempts'] = String(attempts);
      raw['startedAt'] = raw['updatedAt'] = String(now);
      const stored = decodeRecord(id, raw);
      if (stored !== undefined && stored.problem === undefined) return { job: stored.job, token };
      problem = stored?.problem;
    } catch (error) {
      if (!(error instanceof DispatchError)) throw error;
      problem = error;
    }
    problem ??= new DispatchError('MALFORMED_RECORD', `the record of job "${id}" is empty`);
    this.options.onError(problem);
    const outcome: Outcome = {
      status: 'failed',
      error: { code: 'MALFORMED_RECORD', message: problem.message },
    };
    const write = { id, token, outcome, now: this.options.now(), options: this.lastOptions };
    this.finishes.add(write).catch(this.options.onError);
    return undefined;
  }
}

/** A finish's status and payload arguments; a result that JSON cannot hold fails the job. */
function encodeOutcome(outcome: Outcome): [string, string] {
  if (outcome.status !== 'completed') return [outcome.status, `=${JSON.stringify(outcome.error)}`];
  try {
    return ['completed', encodeOptionalJson('result', outcome.result)];
  } catch (error) {
    const message = `the result could not be stored as JSON: ${(error as Error).message}`;
    return ['failed', `=${JSON.stringify({ code: 'JOB_FAILED', message })}`];
  }
}

/** Calls `send` once per run of consecutive items with the same clock reading and options. */
async function groupRuns<I extends Write, O>(
  items: readonly I[],
  send: (group: readonly I[], first: I) => Promise<O[]>,
): Promise<O[]> {
  const sends: Promise<O[]>[] = [];
  let start = 0;
  for (let i = 1; i <= items.length; i++) {
    const first = items[start]!;
    const next = items[i];
    if (next !== undefined && next.now === first.now && next.options === first.options) continue;
    sends.push(send(items.slice(start, i), first));
    start = i;
  }
  return (await Promise.all(sends)).flat();
}
