/**
 * RedisBackend: the queue, scheduled jobs, job records and their retention, indexes, dedup, pauses,
 * leases and events of one queue live in Redis, so any number of processes can submit and run its
 * jobs with the semantics of the in-process backend. Every operation that changes state is one Lua
 * script (scripts/*.lua), so priority order, capacity, dedup, promotion and the indexes hold
 * atomically across processes; list() and counts() read the indexes (keys.ts), never scan keys.
 *
 * Claims carry a lease and a fencing token: a worker that stops renewing (crash, SIGKILL,
 * partition) loses its jobs to the next claim or reaper tick after `leaseMs`, at the front of their
 * level with the attempt counted, and anything it writes later is refused. Events are appended by
 * the scripts to the queue's event log (a Stream, keys.ts) that every process reads from
 * (event-log.ts), so every process sees every job's progress and outcome, and a reader that lost
 * its connection resumes where it was.
 */
import type {
  Backend,
  CancelOutcome,
  Claim,
  ClaimRequest,
  JobCounts,
  JobPage,
  ListRequest,
  ListableStatus,
  Outcome,
  PausedState,
  RenewResult,
  StoredSchedule,
  SubmitResult,
} from '../../backend.js';
import {
  DispatchError,
  duplicateId,
  invalidArgument,
  invalidState,
  jobNotFound,
  queueFull,
} from '../../errors.js';
import type { EventPage, JobSnapshot } from '../../event-log.js';
import { EventHub, type JobEvent, type JobEventListener, type NewJobEvent } from '../../events.js';
import {
  type Job,
  type JobError,
  type JobPriority,
  type JobProgress,
  JobStatus,
} from '../../job.js';
import type { QueueStats } from '../../priority-queue.js';
import { Batcher } from './batch.js';
import { RedisLink } from './connection.js';
import { redisFailure } from './redis-errors.js';
import { EMPTY_LOG, EventReader, entryFields, readLog } from './event-log.js';
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
import { R, type ScriptName, runScript } from './scripts.js';
import { decodeSchedules, pushLimits } from './schedules.js';
import { WorkSignal } from './wake.js';

export {
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_LEASE_MS,
  DEFAULT_QUEUE,
  DEFAULT_REDIS_URL,
  type RedisBackendOptions,
} from './options.js';
export type { RedisConnection } from './client.js';

/** Most jobs one submit or finish script handles (keeps each script call short). */
const MAX_BATCH = 500;
/** Most expired leases one reaper tick puts back. */
const REAP_LIMIT = 100;
/** Most due jobs one promote call queues (the rest follow at once, see WorkSignal). */
const PROMOTE_LIMIT = 500;
/**
 * The scripts whose events a caller may look for as soon as the call resolves: the call resolves
 * only once they have reached this process's listeners (see `run`). Not the claim and the finish,
 * the hot path, called by the dispatcher's workers and never by a user: their `started` and end
 * events follow a moment after they resolve, so that a slot takes its next job without waiting
 * for them. Nothing a user sees depends on it: listeners get every event in log order all the
 * same (a job's end comes before the `started` of the job claimed after it), `wait()` resolves on
 * the end event itself, and `close()` waits for every event written so far.
 */
const FENCED: ReadonlySet<ScriptName> = new Set<ScriptName>([
  'submit',
  'retry',
  'release',
  'cancel',
  'progress',
  'requeue',
  'remove',
  'priority',
]);
/** How long a call waits for its own events to reach the listeners (reader down) before it resolves anyway. */
const FENCE_WAIT_MS = 1000;
/** Scripts take numbers: "no limit" becomes one no clock or count reaches. */
const NO_LIMIT = 1e15;
const FINISHED_STATUSES: ReadonlySet<string> = new Set([
  'completed',
  'failed',
  'cancelled',
  'duplicated',
]);

/** A submit, checked and encoded before it joins a batch (a bad one fails alone). */
interface SubmitItem {
  readonly now: number;
  readonly args: readonly (string | number)[];
}
interface FinishItem {
  readonly now: number;
  readonly id: string;
  readonly token: string;
  readonly outcome: Outcome;
}
/** R.OK or R.SCHEDULED alone, or a code with details (see submit.lua). */
type SubmitReply = number | [number, ...unknown[]];
/**
 * dueInMs, limitInMs (claim.lua), then flat, per claim: id, token, attempt, the CLAIM_FIELDS of
 * its record before the claim.
 */
type ClaimReply = [number, number, ...unknown[]];
/** Values per claim in a ClaimReply. */
const CLAIM_STRIDE = 3 + CLAIM_FIELDS.length;

/** Where a list page stopped: its status, level (queued), score and job id. */
type Position = readonly [status: ListableStatus, level: number | null, score: number, id: string];

/** What a script could not read and moved aside (the `corrupt` list, newest first). */
export interface CorruptEntry {
  readonly at: number;
  readonly key: string;
  readonly reason: string;
  readonly movedTo?: string;
}

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
  /** The ARGV every script reads first (lib.lua), with the clock reading at index 1. */
  private readonly common: (string | number)[];
  private reaper: NodeJS.Timeout | undefined;
  private readonly reader: EventReader;

  constructor(options: RedisBackendOptions = {}) {
    const resolved = resolveOptions(options);
    // What reaches onError is a DispatchError too, never a raw client error (redis-errors.ts).
    const report = resolved.onError;
    this.options = { ...resolved, onError: (error) => report(redisFailure(resolved.url, error)) };
    this.leaseMs = this.options.leaseMs;
    this.keys = queueKeys(this.options.queue);
    this.link = new RedisLink({
      url: this.options.url,
      source: this.options.source,
      name: this.keys.prefix,
      connectTimeoutMs: this.options.connectTimeoutMs,
      onError: this.options.onError,
      startEvents: (client) => this.reader.start(client),
      drainEvents: () => this.drainEvents(),
    });
    this.reader = new EventReader(
      this.keys.events,
      (events) => this.onEvents(events),
      this.options.onError,
    );
    this.work = new WorkSignal(
      () => this.link.blocking(),
      this.keys.wake,
      this.options.onError,
      () => this.promoteDue(),
      this.options.now,
      this.options.setTimer,
    );
    this.submits = new Batcher((items) => this.sendSubmits(items), MAX_BATCH);
    this.finishes = new Batcher((items) => this.sendFinishes(items), MAX_BATCH);
    const { capacityPerLevel, dedupTtlMs, retention, leaseMs } = this.options;
    const rule = (r: { maxAgeMs: number; maxCount: number }): number[] => [
      Math.min(r.maxAgeMs, NO_LIMIT),
      Math.min(r.maxCount, NO_LIMIT),
    ];
    this.common = [this.keys.prefix, 0, capacityPerLevel, Math.min(dedupTtlMs, NO_LIMIT)];
    this.common.push(...rule(retention.completed), ...rule(retention.failed));
    this.common.push(...rule(retention.cancelled), leaseMs);
    this.common.push(this.options.agingNormalMs, this.options.agingLowMs);
    this.common.push(this.options.events.maxCount);
  }

  /** The queue's key prefix, `jd:{queue}:`: every key of this queue starts with it. */
  get keyPrefix(): string {
    return this.keys.prefix;
  }

  open(): Promise<void> {
    return this.link.open();
  }

  async submit(job: Job): Promise<SubmitResult> {
    const now = this.options.now();
    // Encoded here, before batching: a job whose params JSON cannot hold fails on its own.
    const args: (string | number)[] = [job.id, job.name, job.priority, job.createdAt];
    args.push(job.runAt === undefined ? '' : `=${job.runAt}`);
    args.push(encodeOptionalJson('params', job.params), encodeOptional(job.description));
    args.push(encodeOptional(job.dedupKey));
    args.push(job.timeoutMs === undefined ? '' : `=${job.timeoutMs}`);
    args.push(job.retries === undefined ? '' : `=${job.retries}`);
    const answer = await this.submits.add({ now, args });
    if (answer === R.OK || answer === R.SCHEDULED) {
      const status = answer === R.OK ? JobStatus.Queued : JobStatus.Scheduled;
      return { kind: status, job: { ...job, status, updatedAt: now } };
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
    if (code === R.QUEUE_FULL) throw queueFull(job.priority, Number(reply[1]), job.id);
    throw duplicateId(job.id);
  }

  async claim(request: ClaimRequest): Promise<Claim[]> {
    this.work.claimBegan();
    const now = this.options.now();
    const args: (string | number)[] = [request.max];
    pushLimits(args, request.limits);
    for (const [type, left] of request.remaining) args.push(type, Math.max(0, left));
    const reply = (await this.run('claim', args, now)) as ClaimReply;
    this.work.claimEnded(reply[0]);
    this.work.limitFreesIn(reply[1]);
    this.startReaper();
    const claims: Claim[] = [];
    for (let at = 2; at + CLAIM_STRIDE <= reply.length; at += CLAIM_STRIDE) {
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
    const result = await this.run('renew', [claim.job.id, claim.token]);
    return result === R.OK ? 'held' : result === R.CANCEL_REQUESTED ? 'cancel-requested' : 'lost';
  }

  async progress(claim: Claim, progress: JobProgress): Promise<void> {
    await this.run('progress', [claim.job.id, claim.token, JSON.stringify(progress)]);
  }

  finish(claim: Claim, outcome: Outcome): Promise<boolean> {
    const { id } = claim.job;
    return this.finishes.add({ id, token: claim.token, outcome, now: this.options.now() });
  }

  async retry(claim: Claim, error: JobError, delayMs: number): Promise<boolean> {
    const args = [claim.job.id, claim.token, JSON.stringify(error), Math.max(0, delayMs)];
    return (await this.run('retry', args)) === R.OK;
  }

  async release(claim: Claim): Promise<boolean> {
    return (await this.run('release', [claim.job.id, claim.token])) === R.OK;
  }

  async cancel(id: string): Promise<CancelOutcome> {
    void this.submits.flush(); // a cancel never overtakes a submit made before it
    const [code, flat] = (await this.run('cancel', [id])) as [number, unknown[]?];
    if (code === R.JOB_NOT_FOUND) throw jobNotFound(id);
    const job = this.decode(id, flat ?? [], false);
    if (code === R.OK) return { outcome: 'cancelled', job };
    if (code === R.CANCEL_REQUESTED) return { outcome: 'cancel-requested', job };
    return { outcome: 'already-finished', job };
  }

  /**
   * The record, or undefined when there is none or it is past its retention. A malformed record
   * rejects with MALFORMED_RECORD, unless the job already ended with that error (then the record is
   * shown without the field that does not decode).
   */
  async get(id: string): Promise<Job | undefined> {
    // The record and its params key (keys.ts) in one transaction: both or neither.
    const replies = await this.link.run((client) =>
      client.multi().hgetall(this.keys.job(id)).get(this.keys.params(id)).exec(),
    );
    const [[recordError, record], [, params]] = replies as [
      [Error | null, Record<string, string>],
      [Error | null, string | null | undefined],
    ];
    if (recordError) throw notAHash(id, recordError);
    return this.stored(id, record, params);
  }

  /**
   * A record as HGETALL returned it and its params key as GET did, decoded (see `get`). A params
   * key that is not a string reads as '' (malformed), as the scripts read it.
   */
  private stored(
    id: string,
    record: Record<string, string>,
    params: string | null | undefined,
  ): Job | undefined {
    if (record['params'] === undefined && Object.keys(record).length > 0) {
      if (typeof params === 'string') record['params'] = params;
      else if (params !== null) record['params'] = '';
    }
    const stored = decodeRecord(id, rawFromFlat(Object.entries(record).flat()));
    if (stored === undefined || !this.kept(stored.job, this.options.now())) return undefined;
    if (stored.problem !== undefined && stored.job.error?.code !== 'MALFORMED_RECORD') {
      throw stored.problem;
    }
    return stored.job;
  }

  /**
   * One page, status after status: each status is one read-only script call that reads at most
   * what is left of the page (plus one, to know whether more follow) from its index.
   */
  async list(request: ListRequest): Promise<JobPage> {
    const start = this.readCursor(request);
    const now = this.options.now();
    const want = request.limit + 1;
    const found: { job: Job; at: Position }[] = [];
    const from = start === undefined ? 0 : request.statuses.indexOf(start[0]);
    for (let i = from; i < request.statuses.length && found.length < want; i++) {
      const status = request.statuses[i]!;
      const at = i === from ? start : undefined;
      const args: (string | number)[] = [status, encodeOptional(request.name)];
      args.push(want - found.length, at?.[1] ?? '', at === undefined ? '' : at[2]);
      args.push(at === undefined ? '' : `=${at[3]}`);
      const flat = (await this.run('list', args, now)) as unknown[];
      for (let j = 0; j + 3 < flat.length; j += 4) {
        const id = String(flat[j]);
        const level = flat[j + 2] === '' ? null : Number(flat[j + 2]);
        const job = this.decode(id, flat[j + 3] as unknown[], false);
        found.push({ job, at: [status, level, Number(flat[j + 1]), id] });
      }
    }
    const page = found.slice(0, request.limit);
    const jobs = page.map((entry) => entry.job);
    const last = page.at(-1);
    if (found.length <= request.limit || last === undefined) return { jobs };
    return { jobs, cursor: Buffer.from(JSON.stringify(last.at)).toString('base64url') };
  }

  async counts(name?: string): Promise<JobCounts> {
    const [scheduled, queued, running, completed, failed, cancelled, corrupt] = (await this.run(
      'counts',
      [encodeOptional(name)],
    )) as number[];
    return {
      scheduled: scheduled!,
      queued: queued!,
      running: running!,
      completed: completed!,
      failed: failed!,
      cancelled: cancelled!,
      // The queue's, with or without a name: a corrupt entry may have no readable type.
      ...(corrupt! > 0 && { corrupt: corrupt! }),
    };
  }

  /**
   * What the scripts found unreadable and moved aside since the queue began (`count`), and the
   * notes of the latest (at most `limit`, newest first): see `corrupt` in keys.ts.
   */
  async corrupt(limit = 20): Promise<{ count: number; recent: CorruptEntry[] }> {
    const [count, notes] = await this.link.run((client) =>
      Promise.all([
        client.hget(this.keys.counts, 'corrupt'),
        client.lrange(this.keys.corrupt, 0, Math.max(0, limit - 1)),
      ]),
    );
    const recent: CorruptEntry[] = [];
    for (const note of notes) {
      try {
        recent.push(JSON.parse(note) as CorruptEntry);
      } catch {
        recent.push({ at: 0, key: this.keys.corrupt, reason: `an unreadable note: ${note}` });
      }
    }
    return { count: Number(count ?? 0), recent };
  }

  async requeue(id: string): Promise<Job> {
    void this.submits.flush();
    const [code, detail] = (await this.run('requeue', [id])) as [number, unknown?];
    if (code === R.OK) return this.decode(id, detail as unknown[], false);
    throw this.adminError(code, detail, id, 'retry', 'failed or cancelled');
  }

  async remove(id: string): Promise<boolean> {
    void this.submits.flush();
    const reply = (await this.run('remove', [id])) as number | [number, unknown?];
    if (reply === R.OK) return true;
    const [code, detail] = reply as [number, unknown?];
    if (code === R.JOB_NOT_FOUND) return false;
    throw this.adminError(code, detail, id, 'remove', 'queued, scheduled or finished');
  }

  async setPriority(id: string, priority: JobPriority): Promise<Job> {
    void this.submits.flush();
    const [code, detail] = (await this.run('priority', [id, priority])) as [number, unknown?];
    if (code === R.OK) return this.decode(id, detail as unknown[], false);
    const operation = 'change the priority of';
    throw this.adminError(code, detail, id, operation, 'queued or scheduled', priority);
  }

  async pause(name?: string): Promise<void> {
    await this.run('pause', ['1', name === undefined ? 'queue' : `type:${name}`]);
  }

  async resume(name?: string): Promise<void> {
    await this.run('pause', ['0', name === undefined ? 'queue' : `type:${name}`]);
  }

  async paused(): Promise<PausedState> {
    const flags = await this.link.run((client) => client.hkeys(this.keys.pause));
    const types = flags.filter((f) => f.startsWith('type:')).map((f) => f.slice(5));
    return { queue: flags.includes('queue'), types: types.sort() };
  }

  async putSchedule(key: string, definition: string, nextRunAt: number): Promise<StoredSchedule> {
    const reply = (await this.run('schedule', ['put', key, definition, nextRunAt])) as string[];
    return { key, definition: String(reply[0]), nextRunAt: Number(reply[1]) };
  }

  async removeSchedule(key: string): Promise<boolean> {
    return (await this.run('schedule', ['remove', key])) === 1;
  }

  async schedules(): Promise<StoredSchedule[]> {
    return decodeSchedules((await this.run('schedule', ['list'])) as unknown[]);
  }

  async advanceSchedule(key: string, expected: number, next: number): Promise<boolean> {
    return (await this.run('schedule', ['advance', key, expected, next])) === 1;
  }

  async stats(): Promise<QueueStats> {
    const [low, normal, high] = await this.link.run((client) =>
      client.hmget(this.keys.counts, '0', '1', '2'),
    );
    return { high: Number(high ?? 0), normal: Number(normal ?? 0), low: Number(low ?? 0) };
  }

  async publish(event: NewJobEvent): Promise<void> {
    const max = this.options.events.maxCount;
    await this.link.run((client) =>
      client.xadd(this.keys.events, 'MAXLEN', '~', max, '0-*', ...entryFields(event)),
    );
  }

  subscribe(listener: JobEventListener): () => void {
    return this.hub.add(listener);
  }

  readEvents(after: string, limit: number, jobId?: string): Promise<EventPage> {
    const { events } = this.keys;
    return this.link.run((client) =>
      readLog(client, events, after, limit, jobId, this.options.onError),
    );
  }

  /** The record and the newest log entry, in one MULTI: the record reflects exactly the log up to it. */
  async snapshot(id: string): Promise<JobSnapshot> {
    const replies = await this.link.run((client) =>
      client
        .multi()
        .hgetall(this.keys.job(id))
        .get(this.keys.params(id))
        .xrevrange(this.keys.events, '+', '-', 'COUNT', 1)
        .exec(),
    );
    const [[recordError, record], [, params], [logError, newest]] = replies as [
      [Error | null, Record<string, string>],
      [Error | null, string | null | undefined],
      [Error | null, [string, string[]][]],
    ];
    if (recordError) throw notAHash(id, recordError);
    if (logError) throw logError;
    return { job: this.stored(id, record, params), position: newest[0]?.[0] ?? EMPTY_LOG };
  }

  /**
   * Sends what is still pending, lets the events already published reach this process's
   * listeners, then drops the connections; bounded even when Redis is unreachable. Jobs still
   * queued or scheduled stay in Redis for other processes.
   */
  async close(): Promise<void> {
    clearInterval(this.reaper);
    this.work.close();
    await this.link.close(async () => {
      await Promise.all([this.submits.flush(), this.finishes.flush()]);
    });
    this.reader.stop();
  }

  /** Resolves once every event in the log now has reached this process's listeners. */
  private async drainEvents(): Promise<void> {
    const newest = await this.link.run((client) =>
      client.xrevrange(this.keys.events, '+', '-', 'COUNT', 1),
    );
    const id = newest[0]?.[0];
    if (id !== undefined) await this.reader.reached(id, FENCE_WAIT_MS);
  }

  private onEvents(events: readonly JobEvent[]): void {
    for (const event of events) {
      // A job due later, announced by any process: this one's idle workers wake up for it too.
      if (event.type === 'scheduled' && typeof event.runAt === 'number') {
        this.work.dueIn(event.runAt - this.options.now());
      } else if (
        event.type === 'retrying' &&
        typeof event.delayMs === 'number' &&
        event.delayMs > 0
      ) {
        this.work.dueIn(event.at + event.delayMs - this.options.now());
      }
      this.hub.emit(event);
    }
  }

  /**
   * Runs a script. A script in FENCED resolves only once the events it wrote have reached this
   * process's listeners, as they would in process: its reply carries the id of the last entry it
   * appended (`fenced()` in lib.lua), and the call waits for the reader to deliver that entry,
   * only if it has not already (its XREAD reply often comes first). Bounded by FENCE_WAIT_MS
   * should the reader be down.
   */
  private run(
    name: ScriptName,
    args: (string | number)[],
    now = this.options.now(),
  ): Promise<unknown> {
    return this.runRaw(name, args, now).catch((error: unknown) => {
      throw scriptFailure(error);
    });
  }

  private async runRaw(name: ScriptName, args: (string | number)[], now: number): Promise<unknown> {
    const common = this.common.slice();
    common[1] = now;
    const reply = await this.link.run((client) => runScript(client, name, this.keys, common, args));
    if (!isFencedReply(reply)) return reply;
    const [, id, result] = reply;
    // Closed (a one-shot connection, no reader): nothing to wait for.
    if (FENCED.has(name) && id !== '' && this.link.isOpen) {
      await this.reader.reached(id, FENCE_WAIT_MS);
    }
    return result;
  }

  /** True while a record is kept: not finished, or finished within its status's retention age. */
  private kept(job: Job, now: number): boolean {
    if (!FINISHED_STATUSES.has(job.status) || job.finishedAt === undefined) return true;
    const rule =
      job.status === 'failed'
        ? this.options.retention.failed
        : job.status === 'cancelled'
          ? this.options.retention.cancelled
          : this.options.retention.completed;
    return job.finishedAt + rule.maxAgeMs > now;
  }

  private readCursor(request: ListRequest): Position | undefined {
    const { cursor } = request;
    if (cursor === undefined) return undefined;
    const rule = 'a cursor returned by list() for one of the statuses asked for';
    let position: unknown;
    try {
      position = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    } catch {
      throw invalidArgument('cursor', rule, cursor);
    }
    if (
      !Array.isArray(position) ||
      position.length !== 4 ||
      !request.statuses.includes(position[0] as ListableStatus) ||
      !(position[1] === null || position[1] === 0 || position[1] === 1 || position[1] === 2) ||
      (position[0] === 'queued') !== (position[1] !== null) ||
      typeof position[2] !== 'number' ||
      !Number.isFinite(position[2]) ||
      typeof position[3] !== 'string'
    ) {
      throw invalidArgument('cursor', rule, cursor);
    }
    return position as unknown as Position;
  }

  private adminError(
    code: number,
    detail: unknown,
    id: string,
    operation: string,
    allowed: string,
    priority?: number,
  ): DispatchError {
    if (code === R.JOB_NOT_FOUND) return jobNotFound(id);
    if (code === R.INVALID_STATE) return invalidState(operation, id, String(detail), allowed);
    if (code === R.QUEUE_FULL) {
      return queueFull(priority ?? 1, Number(detail), id);
    }
    return new DispatchError('BACKEND_UNAVAILABLE', `unexpected script result ${code}`);
  }

  /** Moves due jobs now (the due timer fired while no worker of this process was waiting). */
  private promoteDue(): void {
    if (!this.link.isOpen) return;
    this.run('promote', [PROMOTE_LIMIT]).then(
      (reply) => this.work.claimEnded((reply as [number, number])[1]),
      (error: unknown) => {
        if (this.link.isOpen) this.options.onError(error);
        this.work.dueIn(1000);
      },
    );
  }

  /**
   * In a process that runs workers: reclaims expired leases every quarter lease, even while no
   * worker claims (all busy, or all idle and blocked); the same call queues due jobs whose event
   * this process missed and sweeps records past their age.
   */
  private startReaper(): void {
    if (this.reaper !== undefined || !this.link.isOpen) return;
    const interval = Math.min(5000, Math.max(50, Math.floor(this.leaseMs / 4)));
    let failing = false;
    this.reaper = setInterval(() => {
      this.run('reap', [REAP_LIMIT, PROMOTE_LIMIT]).then(
        (reply) => {
          failing = false;
          this.work.claimEnded((reply as [number, number])[1]);
        },
        (error: unknown) => {
          if (!failing && this.link.isOpen) this.options.onError(error);
          failing = true;
        },
      );
    }, interval).unref();
  }

  private sendSubmits(items: readonly SubmitItem[]): Promise<SubmitReply[]> {
    return groupRuns(items, async (group, now) => {
      const args = group.flatMap((item) => item.args);
      return (await this.run('submit', args, now)) as SubmitReply[];
    });
  }

  private sendFinishes(items: readonly FinishItem[]): Promise<boolean[]> {
    return groupRuns(items, async (group, now) => {
      const args: (string | number)[] = [];
      for (const { id, token, outcome } of group) args.push(id, token, ...encodeOutcome(outcome));
      const replies = (await this.run('finish', args, now)) as number[];
      return replies.map((reply) => reply === R.OK);
    });
  }

  private decode(id: string, flat: readonly unknown[], strict: boolean): Job {
    const stored = decodeRecord(id, rawFromFlat(flat));
    if (stored === undefined) throw jobNotFound(id);
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
    this.finishes.add({ id, token, outcome, now: this.options.now() }).catch(this.options.onError);
    return undefined;
  }
}

function notAHash(id: string, error: unknown): unknown {
  if (!(error instanceof Error) || !error.message.startsWith('WRONGTYPE')) return error;
  const message = `the record of job "${id}" in Redis is not a hash`;
  return new DispatchError('MALFORMED_RECORD', message, { jobId: id, cause: error });
}

/**
 * A script's refusal to touch a record it cannot read (an error reply starting with
 * MALFORMED_RECORD, written before anything else) as the DispatchError it stands for; any other
 * error as it is.
 */
function scriptFailure(error: unknown): unknown {
  const message = error instanceof Error ? error.message : '';
  const at = message.indexOf('MALFORMED_RECORD ');
  if (at < 0) return error;
  return new DispatchError('MALFORMED_RECORD', message.slice(at + 'MALFORMED_RECORD '.length), {
    cause: error,
  });
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

/** Calls `send` once per run of consecutive items with the same clock reading. */
async function groupRuns<I extends { readonly now: number }, O>(
  items: readonly I[],
  send: (group: readonly I[], now: number) => Promise<O[]>,
): Promise<O[]> {
  const sends: Promise<O[]>[] = [];
  let start = 0;
  for (let i = 1; i <= items.length; i++) {
    const first = items[start]!;
    const next = items[i];
    if (next !== undefined && next.now === first.now) continue;
    sends.push(send(items.slice(start, i), first.now));
    start = i;
  }
  return (await Promise.all(sends)).flat();
}

/** A fenced script's reply that reached done(): `['fenced', last event id or '', reply]` (lib.lua). */
function isFencedReply(reply: unknown): reply is [tag: 'fenced', id: string, reply: unknown] {
  return Array.isArray(reply) && reply.length === 3 && reply[0] === 'fenced';
}
