/**
 * The Redis backend's side of the event log (the `events` stream, keys.ts): the reader that hands
 * the log's entries to this process's listeners, and the reads `events({ after })` and `watch()`
 * make.
 *
 * The reader follows the stream with XREAD BLOCK on a connection of its own (named
 * `<prefix>:events` in CLIENT LIST), always from the id of the last entry it delivered. When that
 * connection drops, ioredis reconnects and sends the pending XREAD again with the same id, so the
 * listeners get every entry still retained once, in order: nothing lost, nothing twice.
 *
 * Invariant: `delivered` only grows, and an entry reaches the listeners only after every entry
 * before it. Entry ids are `0-<n>`, contiguous (see keys.ts): a read whose first entry is not the
 * one right after its position found a trimmed window, a gap.
 */
import type { EventPage } from '../../event-log.js';
import { DispatchError, invalidArgument } from '../../errors.js';
import { type JobEvent, type NewJobEvent, compareEventIds } from '../../events.js';
import type { RedisClient as Redis } from './client.js';

/** Entries one XREAD of the reader brings, at most. */
const READ_COUNT = 1000;
/** How long one XREAD blocks: a dead connection that never said so is noticed within this. */
const BLOCK_MS = 5000;
/** The position of an empty log. */
export const EMPTY_LOG = '0-0';

type StreamEntry = [id: string, fields: string[]];
type XreadReply = [key: string, entries: StreamEntry[]][] | null;

export class EventReader {
  private delivered = EMPTY_LOG;
  private client: Redis | undefined;
  private stopped = false;
  private readonly waiters: { id: string; resolve: () => void }[] = [];

  constructor(
    private readonly key: string,
    private readonly deliver: (events: JobEvent[]) => void,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** The id of the last entry delivered. */
  get position(): string {
    return this.delivered;
  }

  /** Starts after the newest entry (events from now on), on `client`, a connection of its own. */
  async start(client: Redis): Promise<void> {
    const version = /redis_version:(\d+)/.exec(String(await client.info('server')))?.[1];
    if (version !== undefined && Number(version) < 7) {
      throw new Error(
        `the event log needs Redis 7.0 or newer (stream ids 0-*), this server is ${version}.x`,
      );
    }
    const newest = (await client.xrevrange(this.key, '+', '-', 'COUNT', 1)) as StreamEntry[];
    this.delivered = newest[0]?.[0] ?? EMPTY_LOG;
    this.client = client;
    void this.follow(client);
  }

  /** Resolves once the entry `id` (and all before it) reached the listeners, or after `ms`. */
  reached(id: string, ms: number): Promise<void> {
    if (this.stopped || compareEventIds(this.delivered, id) >= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const waiter = { id, resolve: () => release() };
      const timer = setTimeout(() => release(), ms);
      const release = (): void => {
        clearTimeout(timer);
        const at = this.waiters.indexOf(waiter);
        if (at >= 0) this.waiters.splice(at, 1);
        resolve();
      };
      this.waiters.push(waiter);
    });
  }

  stop(): void {
    this.stopped = true;
    for (const waiter of [...this.waiters]) waiter.resolve();
  }

  private async follow(client: Redis): Promise<void> {
    let failing = false;
    while (!this.stopped && this.client === client) {
      let reply: XreadReply;
      try {
        reply = await client.xread(
          'COUNT',
          READ_COUNT,
          'BLOCK',
          BLOCK_MS,
          'STREAMS',
          this.key,
          this.delivered,
        );
        failing = false;
      } catch (error) {
        // Closed by the backend (status 'end'): the end of the loop, not an error.
        if (this.stopped || client.status === 'end') return;
        if (!failing) this.onError(error);
        failing = true;
        await new Promise((resolve) => setTimeout(resolve, 200).unref());
        continue;
      }
      const entries = reply?.[0]?.[1];
      if (entries === undefined || entries.length === 0 || this.stopped) continue;
      const events: JobEvent[] = [];
      for (const [id, fields] of entries) {
        const event = this.decode(id, fields);
        if (event !== undefined) events.push(event);
      }
      this.delivered = entries[entries.length - 1]![0];
      this.deliver(events);
      for (const waiter of [...this.waiters]) {
        if (compareEventIds(this.delivered, waiter.id) >= 0) waiter.resolve();
      }
    }
  }

  private decode(id: string, fields: string[]): JobEvent | undefined {
    return decodeEntry(this.key, id, fields, this.onError);
  }
}

/**
 * An entry's event, with the entry id as its id; undefined (reported) when it cannot be read.
 * Fields (keys.ts): t type, j jobId, n name, p priority, a at, x the other fields as a JSON
 * object's inside (`"attempt":1,"error":{...}`), empty when none.
 */
export function decodeEntry(
  key: string,
  id: string,
  fields: readonly string[],
  onError: (error: unknown) => void,
): JobEvent | undefined {
  const value = (name: string): string | undefined => {
    for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
    return undefined;
  };
  const [type, jobId, name, priority, at, extra] = ['t', 'j', 'n', 'p', 'a', 'x'].map(value);
  try {
    if (type === undefined || jobId === undefined || name === undefined) {
      throw new Error('a field t, j or n is missing');
    }
    const rest = extra === undefined || extra === '' ? {} : (JSON.parse(`{${extra}}`) as object);
    return {
      type,
      id,
      jobId,
      name,
      priority: Number(priority ?? 1),
      at: Number(at ?? 0),
      ...rest,
    } as JobEvent;
  } catch (cause) {
    const text = `the event ${id} of ${key} cannot be read: ${fields.join(' ').slice(0, 120)}`;
    onError(new DispatchError('MALFORMED_RECORD', text, { cause }));
    return undefined;
  }
}

/** The fields of an event's log entry (see `decodeEntry`). */
export function entryFields(event: NewJobEvent): string[] {
  const { type, jobId, name, priority, at, ...rest } = event;
  const extra = JSON.stringify(rest).slice(1, -1);
  return ['t', type, 'j', jobId, 'n', name, 'p', String(priority), 'a', String(at), 'x', extra];
}

/** `0-<n>` ids only: what this queue's log gives out. */
const ID = /^0-(\d{1,19})$/;

/**
 * One page of the log after `after`: XRANGE from just after it. The first entry tells whether a
 * window was trimmed (ids are contiguous). With `jobId`, an entry of another job is skipped by its
 * `j` field, never decoded.
 */
export async function readLog(
  client: Redis,
  key: string,
  after: string,
  limit: number,
  jobId: string | undefined,
  onError: (error: unknown) => void,
): Promise<EventPage> {
  const match = ID.exec(after);
  if (match === null) throw invalidArgument('after', 'an event id of this queue (0-<n>)', after);
  const entries = (await client.xrange(key, `(${after}`, '+', 'COUNT', limit)) as StreamEntry[];
  const events: JobEvent[] = [];
  const first = entries[0]?.[0];
  let gap: EventPage['gap'];
  if (first !== undefined) {
    const next = BigInt(match[1]!) + 1n;
    const firstN = BigInt(first.slice(2));
    if (firstN > next) gap = { id: `0-${String(firstN - 1n)}`, oldest: first };
  }
  for (const [id, fields] of entries) {
    // lib.lua and `publish` write j second: a cheap look before the general one.
    if (jobId !== undefined && fields[3] !== jobId && fields[fields.indexOf('j') + 1] !== jobId) {
      continue;
    }
    const event = decodeEntry(key, id, fields, onError);
    if (event !== undefined && (jobId === undefined || event.jobId === jobId)) events.push(event);
  }
  return {
    events,
    last: entries.at(-1)?.[0],
    end: entries.length < limit,
    ...(gap !== undefined && { gap }),
  };
}
