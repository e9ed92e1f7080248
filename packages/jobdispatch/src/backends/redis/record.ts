/**
 * Job records in Redis: one hash per job (`jd:{q}:j:<id>`), written only by the Lua scripts, read
 * and checked here. A record that does not decode (a missing field, a bad number, JSON that does
 * not parse) is reported as `MALFORMED_RECORD` naming the job and the field, never crashed on.
 *
 * Fields: name, params (JSON), description, status, priority, createdAt, updatedAt, dedupKey,
 * duplicateOf, attempts, progress (JSON), startedAt, finishedAt, cancelRequested ("1"), result
 * (JSON), error (JSON); and the backend's own: queuedAt, seq (set while in a queue list), token
 * (while running), expiresAt (once finished). Params and results cross processes as JSON: what
 * JSON cannot carry (a Date, a Map, undefined inside arrays) arrives as JSON makes it.
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
  'queued',
  'running',
  'completed',
  'failed',
  'duplicated',
  'cancelled',
]);

/**
 * A decoded record and when it logically expires (undefined while it is not finished). A JSON
 * field that does not parse (params, result, progress, error) is left out of `job` and reported in
 * `problem`; any other bad field makes the whole record undecodable (`decodeRecord` throws).
 */
export interface StoredJob {
  readonly job: Job;
  readonly expiresAt: number | undefined;
  readonly problem: DispatchError | undefined;
}

/** Decodes a record from the flat `[field, value, ...]` of HGETALL; undefined when empty. */
export function decodeRecord(id: string, flat: readonly unknown[]): StoredJob | undefined {
  if (flat.length === 0) return undefined;
  const fields = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) fields.set(String(flat[i]), String(flat[i + 1]));
  const bad = (field: string, rule: string): DispatchError =>
    new DispatchError(
      'MALFORMED_RECORD',
      `the record of job "${id}" in Redis is malformed: ${field} must be ${rule}, got ${JSON.stringify(fields.get(field) ?? null)}`,
      { jobId: id },
    );
  const text = (field: string): string | undefined => fields.get(field);
  const number = (field: string): number | undefined => {
    const value = fields.get(field);
    if (value === undefined) return undefined;
    const parsed = Number(value);
    if (value === '' || !Number.isFinite(parsed)) throw bad(field, 'a number');
    return parsed;
  };
  let problem: DispatchError | undefined;
  const json = (field: string): unknown => {
    const value = fields.get(field);
    if (value === undefined) return undefined;
    try {
      return JSON.parse(value) as unknown;
    } catch {
      problem ??= bad(field, 'JSON');
      return undefined;
    }
  };
  const name = text('name');
  if (name === undefined || name === '') throw bad('name', 'a non-empty string');
  const status = text('status');
  if (status === undefined || !STATUSES.has(status)) throw bad('status', 'a job status');
  const priority = number('priority');
  if (priority !== normalizePriority(priority)) throw bad('priority', '0, 1 or 2');
  const job: Mutable<Job> = {
    id,
    name,
    params: json('params'),
    status: status as JobStatus,
    priority: normalizePriority(priority),
    createdAt: number('createdAt') ?? throwing(bad('createdAt', 'a number')),
    updatedAt: number('updatedAt') ?? throwing(bad('updatedAt', 'a number')),
    attempts: number('attempts') ?? 0,
  };
  const description = text('description');
  if (description !== undefined) job.description = description;
  const dedupKey = text('dedupKey');
  if (dedupKey !== undefined) job.dedupKey = dedupKey;
  const duplicateOf = text('duplicateOf');
  if (duplicateOf !== undefined) job.duplicateOf = duplicateOf;
  const startedAt = number('startedAt');
  if (startedAt !== undefined) job.startedAt = startedAt;
  const finishedAt = number('finishedAt');
  if (finishedAt !== undefined) job.finishedAt = finishedAt;
  if (fields.get('cancelRequested') === '1') job.cancelRequested = true;
  const progress = json('progress');
  if (progress !== undefined) job.progress = checkProgress(progress, bad);
  const result = json('result');
  if (result !== undefined) job.result = result;
  const error = json('error');
  if (error !== undefined) job.error = checkError(error, bad);
  return { job, expiresAt: number('expiresAt'), problem };
}

function checkProgress(
  value: unknown,
  bad: (field: string, rule: string) => DispatchError,
): JobProgress {
  const progress = value as JobProgress | null;
  if (typeof progress?.percent !== 'number') throw bad('progress', '{ percent, message? }');
  return progress;
}

function checkError(value: unknown, bad: (field: string, rule: string) => DispatchError): JobError {
  const error = value as JobError | null;
  if (typeof error?.code !== 'string' || typeof error.message !== 'string') {
    throw bad('error', '{ code, message }');
  }
  return error;
}

function throwing(error: Error): never {
  throw error;
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
