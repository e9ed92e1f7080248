/**
 * The memory backend's event log: a ring of the newest `maxCount` events, each given the next
 * value of a counter as its id. Ids are the counter in decimal, zero-padded to 16 digits, so that
 * string order is numeric order too (and `compareEventIds` agrees). The counter starts at 1; the
 * empty log's position is 0.
 *
 * Invariant: the ring holds exactly the events numbered `next - size` to `next - 1`; every older
 * one was trimmed, so a read after an id below `next - size - 1` reports a gap whose newest
 * missing id is `next - size - 1`.
 *
 * Storage: the ring keeps an event's fields in columns (one array per field, one slot per event),
 * not the event object and its id string. Every event the log keeps would otherwise be a young
 * object that lives through the next few thousand jobs: the scavenger copies it, promotes it, and
 * the full collector frees it, which cost about a fifth of a no-op job's CPU at the default
 * 10,000 events. The object is built from its slot when it is handed out: once for the live
 * listeners (`event`, only when there are any) and again by each `read`, by one function, so a
 * replayed event equals the live one field for field. An event whose fields do not fit the
 * columns (one published from outside the backend) is kept whole in `refs`.
 */
import type { EventPage } from '../../event-log.js';
import { invalidArgument } from '../../errors.js';
import {
  JOB_EVENT_TYPES,
  type JobEvent,
  type JobEventFields,
  type JobEventType,
  type NewJobEvent,
} from '../../events.js';
import type { JobError, JobPriority, JobProgress } from '../../job.js';

const ID_DIGITS = 16;
const ZEROS = '0'.repeat(ID_DIGITS);

/** Event types by their code in a slot's tag (bits 0-3). */
const TYPES = JOB_EVENT_TYPES;
const TYPE_CODE = new Map<JobEventType, number>(TYPES.map((type, code) => [type, code]));

/** Which field a slot's `nums` entry is (tag bits 5-7). */
export const NumField = { None: 0, WaitMs: 1, DelayMs: 2, RunAt: 3, FromPriority: 4 } as const;
export type NumField = (typeof NumField)[keyof typeof NumField];
/** Which field a slot's `refs` entry is (tag bits 8-9). */
export const RefField = { None: 0, Error: 1, Progress: 2, DuplicateOf: 3 } as const;
export type RefField = (typeof RefField)[keyof typeof RefField];

const HAS_ATTEMPT = 1 << 4;
/** The slot's `refs` entry is the whole event (see the header). */
const WHOLE = 1 << 10;

/** An event being built: its common fields, then the optional ones its tag names. */
type EventFields = { -readonly [K in keyof JobEventFields]?: JobEventFields[K] } & {
  readonly id: string;
  readonly type: JobEventType;
  readonly jobId: string;
  readonly name: string;
  readonly priority: JobPriority;
  readonly at: number;
};

export class EventRing {
  // The columns: slot i of each is one event's (see the header).
  private readonly tags: number[] = [];
  private readonly jobIds: string[] = [];
  private readonly names: string[] = [];
  private readonly priorities: JobPriority[] = [];
  private readonly ats: number[] = [];
  private readonly attempts: number[] = [];
  private readonly nums: number[] = [];
  private readonly refs: unknown[] = [];
  /** The number the next event gets. */
  private next = 1;
  /** The slot the next event goes into once the ring is full. */
  private slot = 0;

  constructor(private readonly maxCount: number) {}

  /** The id of the newest event (the empty log's position, 0, before the first). */
  get position(): string {
    return encodeId(this.next - 1);
  }

  /**
   * Appends an event of the backend's own, given field by field: its type, job and time; its
   * `attempt` when it has one; at most one other numeric field and one other field, named by
   * `num` and `ref`. Returns its number (see `event`).
   */
  add(
    type: JobEventType,
    job: { readonly id: string; readonly name: string; readonly priority: JobPriority },
    at: number,
    attempt: number | undefined,
    ref: RefField = RefField.None,
    refValue: unknown = undefined,
    num: NumField = NumField.None,
    numValue = 0,
  ): number {
    const tag =
      (TYPE_CODE.get(type) as number) |
      (attempt === undefined ? 0 : HAS_ATTEMPT) |
      (num << 5) |
      (ref << 8);
    return this.put(tag, job.id, job.name, job.priority, at, attempt ?? 0, numValue, refValue);
  }

  /** Appends an event built elsewhere (`publish`): kept whole, with its id. */
  append(fields: NewJobEvent): JobEvent {
    const n = this.next;
    const event = { id: encodeId(n), ...fields } as JobEvent;
    this.put(WHOLE, fields.jobId, fields.name, fields.priority, fields.at, 0, 0, event);
    return event;
  }

  /** The event numbered `n`, which must be retained (a fresh object each call). */
  event(n: number): JobEvent {
    return this.build((n - 1) % this.maxCount, n);
  }

  read(after: string, limit: number, jobId?: string): EventPage {
    if (!/^\d{1,16}$/.test(after)) {
      throw invalidArgument('after', 'an event id of this queue (16 digits)', after);
    }
    const size = this.tags.length;
    const oldest = this.next - size; // the number of the oldest event kept
    let from = Number(after) + 1;
    let gap: EventPage['gap'];
    if (from < oldest) {
      gap = { id: encodeId(oldest - 1), ...(size > 0 && { oldest: encodeId(oldest) }) };
      from = oldest;
    }
    const to = Math.min(this.next - 1, from + limit - 1);
    const events: JobEvent[] = [];
    for (let n = from; n <= to; n++) {
      const slot = (n - 1) % this.maxCount;
      if (jobId === undefined || this.jobIds[slot] === jobId) events.push(this.build(slot, n));
    }
    const last = to >= from ? encodeId(to) : undefined;
    return { events, last, end: to >= this.next - 1, ...(gap !== undefined && { gap }) };
  }

  private put(
    tag: number,
    jobId: string,
    name: string,
    priority: JobPriority,
    at: number,
    attempt: number,
    num: number,
    ref: unknown,
  ): number {
    const n = this.next++;
    if (this.tags.length < this.maxCount) {
      this.tags.push(tag);
      this.jobIds.push(jobId);
      this.names.push(name);
      this.priorities.push(priority);
      this.ats.push(at);
      this.attempts.push(attempt);
      this.nums.push(num);
      this.refs.push(ref);
      return n;
    }
    const slot = this.slot;
    this.slot = slot + 1 === this.maxCount ? 0 : slot + 1;
    this.tags[slot] = tag;
    this.jobIds[slot] = jobId;
    this.names[slot] = name;
    this.priorities[slot] = priority;
    this.ats[slot] = at;
    this.attempts[slot] = attempt;
    this.nums[slot] = num;
    this.refs[slot] = ref;
    return n;
  }

  /** The event in `slot`, numbered `n`: one literal, then the fields its tag says it has. */
  private build(slot: number, n: number): JobEvent {
    const tag = this.tags[slot] as number;
    const ref = this.refs[slot];
    if ((tag & WHOLE) !== 0) return ref as JobEvent;
    const event = {
      id: encodeId(n),
      type: TYPES[tag & 15] as JobEventType,
      jobId: this.jobIds[slot] as string,
      name: this.names[slot] as string,
      priority: this.priorities[slot] as JobPriority,
      at: this.ats[slot] as number,
    } as EventFields;
    if ((tag & HAS_ATTEMPT) !== 0) event.attempt = this.attempts[slot] as number;
    switch ((tag >> 8) & 3) {
      case RefField.Error:
        event.error = ref as JobError;
        break;
      case RefField.Progress:
        event.progress = ref as JobProgress;
        break;
      case RefField.DuplicateOf:
        event.duplicateOf = ref as string;
        break;
      default:
        break;
    }
    const num = this.nums[slot] as number;
    switch ((tag >> 5) & 7) {
      case NumField.WaitMs:
        event.waitMs = num;
        break;
      case NumField.DelayMs:
        event.delayMs = num;
        break;
      case NumField.RunAt:
        event.runAt = num;
        break;
      case NumField.FromPriority:
        event.fromPriority = num as JobPriority;
        break;
      default:
        break;
    }
    return event as unknown as JobEvent;
  }
}

/** `n` in decimal, zero-padded to 16 digits (a sliced run of zeros and the digits, no padStart). */
function encodeId(n: number): string {
  const digits = String(n);
  return ZEROS.slice(digits.length) + digits;
}
