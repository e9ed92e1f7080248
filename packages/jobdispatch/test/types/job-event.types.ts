/**
 * Type tests of `JobEvent`, checked by the typecheck of `npm test` (never run): the file must
 * compile, and each `@ts-expect-error` line must be an error, or the typecheck fails.
 */
import {
  type FinalJobEvent,
  type GapEvent,
  type Job,
  type StreamEvent,
  type WatchEvent,
  type JobError,
  type JobEvent,
  type JobPriority,
  type JobProgress,
  isFinalEvent,
} from '../../src/index.js';

declare const event: JobEvent;

type Equal<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const expectType = <T extends true>(value: T): T => value;

// Narrowing on `type` makes the fields of that type present.
if (event.type === 'progress') {
  const progress: JobProgress = event.progress;
  expectType<Equal<typeof event.progress, JobProgress>>(true);
  void progress;
}
if (event.type === 'failed') {
  const error: JobError = event.error;
  void error;
}
if (event.type === 'retrying') {
  const delay: number = event.delayMs;
  const error: JobError = event.error;
  void delay;
  void error;
}
if (event.type === 'duplicated') {
  const original: string = event.duplicateOf;
  void original;
}
if (event.type === 'promoted') {
  const from: JobPriority = event.fromPriority;
  void from;
}
if (event.type === 'scheduled') {
  const runAt: number = event.runAt;
  void runAt;
}
if (event.type === 'stuck') {
  const error: JobError = event.error;
  void error;
}

// Without narrowing, a field is read as possibly absent (existing consumers keep compiling).
expectType<Equal<typeof event.progress, JobProgress | undefined>>(true);
const percent: number | undefined = event.progress?.percent;
void percent;

// @ts-expect-error -- not narrowed: progress may be absent
const notNarrowed: JobProgress = event.progress;
void notNarrowed;

if (event.type === 'queued') {
  // @ts-expect-error -- a queued event carries no progress
  const none: JobProgress = event.progress;
  void none;
  expectType<Equal<typeof event.progress, undefined>>(true);
}

if (event.type === 'completed') {
  // @ts-expect-error -- a completed event has no delay
  const delay: number = event.delayMs;
  void delay;
}

// A variant must carry its required fields.
// @ts-expect-error -- a progress event without progress
const missing: JobEvent = { type: 'progress', id: '1', jobId: 'a', name: 'T', priority: 1, at: 0 };
void missing;

// ...and may not carry another type's.
// @ts-expect-error -- duplicateOf belongs to duplicated events
const wrong: JobEvent = {
  type: 'queued',
  id: '1',
  jobId: 'a',
  name: 'T',
  priority: 1,
  at: 0,
  duplicateOf: 'b',
};
void wrong;

const unknownType: JobEvent = {
  // @ts-expect-error -- not an event type
  type: 'exploded',
  id: '1',
  jobId: 'a',
  name: 'T',
  priority: 1,
  at: 0,
};
void unknownType;

// isFinalEvent narrows to the final events.
if (isFinalEvent(event)) {
  const final: FinalJobEvent = event;
  expectType<
    Equal<typeof event.type, 'completed' | 'failed' | 'cancelled' | 'duplicated' | 'removed'>
  >(true);
  void final;
} else {
  // @ts-expect-error -- a non-final event is never completed
  const done: 'completed' = event.type;
  void done;
}

// Every event carries its log id.
expectType<Equal<typeof event.id, string>>(true);

// @ts-expect-error -- an event without its id is not a JobEvent
const noId: JobEvent = { type: 'queued', jobId: 'a', name: 'T', priority: 1, at: 0 };
void noId;

// What events() yields: narrowing on 'gap' gives the gap's fields; otherwise a job event.
declare const streamed: StreamEvent;
if (streamed.type === 'gap') {
  const gap: GapEvent = streamed;
  const after: string = streamed.after;
  void gap;
  void after;
} else {
  const jobId: string = streamed.jobId;
  void jobId;
}

// What watch() yields: a snapshot holds the record.
declare const watched: WatchEvent;
if (watched.type === 'snapshot') {
  const job: Job = watched.job;
  void job;
}
