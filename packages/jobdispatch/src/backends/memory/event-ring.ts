/**
 * The memory backend's event log: a ring of the newest `maxCount` events, each given the next
 * value of a counter as its id. Ids are the counter in decimal, zero-padded to 16 digits, so that
 * string order is numeric order too (and `compareEventIds` agrees). The counter starts at 1; the
 * empty log's position is 0.
 *
 * Invariant: the ring holds exactly the events numbered `next - size` to `next - 1`; every older
 * one was trimmed, so a read after an id below `next - size - 1` reports a gap whose newest
 * missing id is `next - size - 1`.
 */
import type { EventPage } from '../../event-log.js';
import { invalidArgument } from '../../errors.js';
import type { JobEvent, NewJobEvent } from '../../events.js';

const ID_DIGITS = 16;

export class EventRing {
  private readonly ring: JobEvent[] = [];
  /** The number the next event gets. */
  private next = 1;

  constructor(private readonly maxCount: number) {}

  /** The id of the newest event (the empty log's position, 0, before the first). */
  get position(): string {
    return encodeId(this.next - 1);
  }

  append(fields: NewJobEvent): JobEvent {
    const n = this.next++;
    const event = { id: encodeId(n), ...fields } as JobEvent;
    if (this.ring.length < this.maxCount) this.ring.push(event);
    else this.ring[(n - 1) % this.maxCount] = event;
    return event;
  }

  read(after: string, limit: number, jobId?: string): EventPage {
    if (!/^\d{1,16}$/.test(after)) {
      throw invalidArgument('after', 'an event id of this queue (16 digits)', after);
    }
    const size = this.ring.length;
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
      const event = this.at(n);
      if (jobId === undefined || event.jobId === jobId) events.push(event);
    }
    const last = to >= from ? encodeId(to) : undefined;
    return { events, last, end: to >= this.next - 1, ...(gap !== undefined && { gap }) };
  }

  private at(n: number): JobEvent {
    return this.ring[(n - 1) % this.maxCount] as JobEvent;
  }
}

function encodeId(n: number): string {
  return String(n).padStart(ID_DIGITS, '0');
}
