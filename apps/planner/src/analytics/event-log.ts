/**
 * The planning event log: one event per planning request a user made (city, country, price
 * level, time, and whether the answer came from the solution cache), the input of the Analytics
 * job. The in-memory log is a bounded ring: it keeps the newest `maxEvents` and never grows past.
 */
import type { PriceLevel } from '../places/place.js';
import type { PlanningResult } from '../planning/solution.js';

export interface PlanningEvent {
  /** The city's label, "San Jose, CA, United States". */
  readonly city: string;
  /** ISO 3166-1 alpha-2. */
  readonly country: string;
  readonly priceLevel: PriceLevel;
  /** Milliseconds since the epoch. */
  readonly at: number;
  readonly cacheHit: boolean;
}

export interface PlanningEventLog {
  record(event: PlanningEvent): Promise<void>;
  /** Events with `at >= sinceMs`, oldest first. */
  list(sinceMs: number): Promise<readonly PlanningEvent[]>;
}

/** The event for a request answered with `result` at time `at`. */
export function planningEventOf(result: PlanningResult, at: number): PlanningEvent {
  return {
    city: result.location.label,
    country: result.location.country,
    priceLevel: result.priceLevel,
    at,
    cacheHit: result.fromCache,
  };
}

export const DEFAULT_MAX_EVENTS = 100_000;

export class MemoryPlanningEventLog implements PlanningEventLog {
  private readonly ring: (PlanningEvent | undefined)[];
  private next = 0;
  private count = 0;

  constructor(readonly maxEvents: number = DEFAULT_MAX_EVENTS) {
    if (!(Number.isInteger(maxEvents) && maxEvents > 0)) {
      throw new RangeError(`maxEvents must be an integer > 0, got ${maxEvents}`);
    }
    this.ring = new Array<PlanningEvent | undefined>(maxEvents);
  }

  record(event: PlanningEvent): Promise<void> {
    this.ring[this.next] = { ...event };
    this.next = (this.next + 1) % this.maxEvents;
    this.count = Math.min(this.count + 1, this.maxEvents);
    return Promise.resolve();
  }

  list(sinceMs: number): Promise<readonly PlanningEvent[]> {
    const events: PlanningEvent[] = [];
    const start = (this.next - this.count + this.maxEvents) % this.maxEvents;
    for (let i = 0; i < this.count; i++) {
      const event = this.ring[(start + i) % this.maxEvents];
      if (event !== undefined && event.at >= sinceMs) events.push({ ...event });
    }
    // Events are recorded roughly in time order; sort so "oldest first" holds regardless.
    return Promise.resolve(events.sort((a, b) => a.at - b.at));
  }
}
