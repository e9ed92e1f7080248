/**
 * Job records in Redis: one hash per job (`jd:{q}:j:<id>`), written only by the Lua scripts, read
 * and checked here. A record that does not decode (a missing field, a bad number, JSON that does
 * not parse) is reported as `MALFORMED_RECORD` naming the job and the field, never crashed on.
 *
 * Fields: name, description, status, priority, createdAt, updatedAt, dedupKey,
 * duplicateOf, attempts, runAt, timeoutMs, retries, attemptsAtRequeue, progress (JSON), startedAt,
 * finishedAt, cancelRequested ("1"), result (JSON), error (JSON {code, message, name?, stack?});
 * and the backend's own: queuedAt, seq (the score of its queue entry while queued; while
 * running, the claim's fencing token). A record has no TTL: retention drops it from the indexes
 * (see keys.ts and lib.lua).
 *
 * Params (JSON) are not a field of the hash but a string key of their own, `jd:{q}:p:<id>`,
 * written with the record and deleted with it: a payload over 64 bytes in the hash would turn the
 * whole hash from Redis's listpack encoding into a hashtable, which more than doubles what a
 * waiting job costs (keys.ts has the figures). The scripts and `get` hand the params to this
 * decoder as the field `params`, as before; a record stored before the change still has that
 * field in its hash, and it wins. Params and results cross
 * processes as JSON: what JSON cannot carry (a Date, a Map, undefined inside arrays) arrives as
 * JSON makes it.
 */
import { DispatchError, invalidArgument } from '../../errors.js';
import {
  type Job,
  type JobError,
  type JobProgress,
  type JobStatus,
  normalizePriority,
} from '../../job.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const STATUSES: ReadonlySet<string> = new Set([
  'scheduled',
  'queued',
  'running',
  'completed',
  'failed',
  'duplicated',
  'cancelled',
]);

/**
 * A decoded record. A JSON field that does not parse (params, result, progress, error) is left out
 * of `job` and reported in `problem`; any other bad field makes the whole record undecodable
 * (`decodeRecord` throws).
 */
export interface StoredJob {
  readonly job: Job;
  readonly problem: DispatchError | undefined;
}

/** The raw fields of a record, by name. */
export interface RawRecord {
  [field: string]: string | undefined;
}

/** A Redis reply value as a field value: bulk strings stay, integers become their digits. */
function text(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * The fields the claim script returns for each job it claims, in this order: what a queued record
 * holds that the claimed job needs, except what the claim itself sets (status, attempts, startedAt,
 * updatedAt; progress is cleared). scripts.ts renders the list into the scripts' prelude, so both
 * sides use this one.
 */
export const CLAIM_FIELDS = [
  'name',
  'priority',
  'createdAt',
  'params',
  'description',
  'dedupKey',
  'error',
  'runAt',
  'timeoutMs',
  'retries',
  'attemptsAtRequeue',
] as const;

/**
 * The fields the claim script reads (HMGET) for each candidate: CLAIM_FIELDS, then those it only
 * checks or uses itself (the entry's validity, the attempt count, the wait, a progress to clear).
 */
export const CLAIM_READ_FIELDS = [
  ...CLAIM_FIELDS,
  'status',
  'seq',
  'attempts',
  'queuedAt',
  'progress',
] as const;

/** The raw record from the flat `[field, value, ...]` of HGETALL; undefined when empty. */
export function rawFromFlat(flat: readonly unknown[]): RawRecord | undefined {
  if (flat.length === 0) return undefined;
  const raw = Object.create(null) as RawRecord;
  for (let i = 0; i + 1 < flat.length; i += 2) raw[text(flat[i])] = text(flat[i + 1]);
  return raw;
}

/**
 * The raw record from the values of CLAIM_FIELDS at `values[start...]` (null where a field is
 * absent).
 */
export function rawFromClaim(values: readonly unknown[], start: number): RawRecord {
  const raw = Object.create(null) as RawRecord;
  for (let i = 0; i < CLAIM_FIELDS.length; i++) {
    const value = values[start + i];
    if (value !== null && value !== undefined) raw[CLAIM_FIELDS[i]!] = text(value);
  }
  return raw;
}

/** Decodes a raw record; undefined when there is none. */
export function decodeRecord(id: string, raw: RawRecord | undefined): StoredJob | undefined {
  if (raw === undefined) return undefined;
  const name = raw['name'];
  if (name === undefined || name === '') throw malformed(id, raw, 'name', 'a non-empty string');
  const status = raw['status'];
  if (status === undefined || !STATUSES.has(status)) {
    throw malformed(id, raw, 'status', 'a job status');
  }
  const priority = Number(raw['priority']);
  if (priority !== normalizePriority(priority)) throw malformed(id, raw, 'priority', '0, 1 or 2');
  const decoder = new JsonFields(id, raw);
  const job: Mutable<Job> = {
    id,
    name,
    params: decoder.parse('params'),
    status: status as JobStatus,
    priority: normalizePriority(priority),
    createdAt: requiredNumber(id, raw, 'createdAt'),
    updatedAt: requiredNumber(id, raw, 'updatedAt'),
    attempts: optionalNumber(id, raw, 'attempts') ?? 0,
  };
  if (raw['description'] !== undefined) job.description = raw['description'];
  if (raw['dedupKey'] !== undefined) job.dedupKey = raw['dedupKey'];
  if (raw['duplicateOf'] !== undefined) job.duplicateOf = raw['duplicateOf'];
  const startedAt = optionalNumber(id, raw, 'startedAt');
  if (startedAt !== undefined) job.startedAt = startedAt;
  const finishedAt = optionalNumber(id, raw, 'finishedAt');
  if (finishedAt !== undefined) job.finishedAt = finishedAt;
  for (const field of ['runAt', 'timeoutMs', 'retries', 'attemptsAtRequeue'] as const) {
    const value = optionalNumber(id, raw, field);
    if (value !== undefined) job[field] = value;
  }
  if (raw['cancelRequested'] === '1') job.cancelRequested = true;
  const progress = decoder.parse('progress');
  if (progress !== undefined) job.progress = checkProgress(progress, id, raw);
  const result = decoder.parse('result');
  if (result !== undefined) job.result = result;
  const error = decoder.parse('error');
  if (error !== undefined) job.error = checkError(error, id, raw);
  return { job, problem: decoder.problem };
}

/** Parses JSON fields; one that does not parse is left out and remembered as the problem. */
class JsonFields {
  problem: DispatchError | undefined;

  constructor(
    private readonly id: string,
    private readonly raw: RawRecord,
  ) {}

  parse(field: string): unknown {
    const value = this.raw[field];
    if (value === undefined) return undefined;
    try {
      return JSON.parse(value) as unknown;
    } catch {
      this.problem ??= malformed(this.id, this.raw, field, 'JSON');
      return undefined;
    }
  }
}

function malformed(id: string, raw: RawRecord, field: string, rule: string): DispatchError {
  return new DispatchError(
    'MALFORMED_RECORD',
    `the record of job "${id}" in Redis is malformed: ${field} must be ${rule}, got ${JSON.stringify(raw[field] ?? null)}`,
    { jobId: id },
  );
}

function optionalNumber(id: string, raw: RawRecord, field: string): number | undefined {
  const value = raw[field];
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (value === '' || !Number.isFinite(parsed)) throw malformed(id, raw, field, 'a number');
  return parsed;
}

function requiredNumber(id: string, raw: RawRecord, field: string): number {
  const value = optionalNumber(id, raw, field);
  if (value === undefined) throw malformed(id, raw, field, 'a number');
  return value;
}

function checkProgress(value: unknown, id: string, raw: RawRecord): JobProgress {
  const progress = value as JobProgress | null;
  if (typeof progress?.percent !== 'number') {
    throw malformed(id, raw, 'progress', '{ percent, message? }');
  }
  return progress;
}

function checkError(value: unknown, id: string, raw: RawRecord): JobError {
  const error = value as JobError | null;
  if (
    typeof error?.code !== 'string' ||
    typeof error.message !== 'string' ||
    (error.name !== undefined && typeof error.name !== 'string') ||
    (error.stack !== undefined && typeof error.stack !== 'string')
  ) {
    throw malformed(id, raw, 'error', '{ code, message, name?, stack? }');
  }
  return error;
}

/** A value as JSON for a record field: '' when undefined (absent), else '=' + JSON. */
export function encodeOptionalJson(field: string, value: unknown): string {
  if (value === undefined) return '';
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (cause) {
    throw invalidArgument(field, 'JSON-serialisable', (cause as Error).message);
  }
  return json === undefined ? '' : `=${json}`;
}

/** An optional string for a script argument: '' when absent, else '=' + the string. */
export function encodeOptional(value: string | undefined): string {
  return value === undefined ? '' : `=${value}`;
}
