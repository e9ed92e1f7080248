/**
 * The memory backend's schedules (see "Schedules" in backend.ts): key -> definition and next run
 * time, in this process. Every operation is synchronous, so the compare-and-set of
 * `advance` is atomic among the dispatchers sharing the backend.
 */
import type { StoredSchedule } from '../../backend.js';

export class ScheduleTable {
  private readonly byKey = new Map<string, StoredSchedule>();

  put(key: string, definition: string, nextRunAt: number): StoredSchedule {
    const stored = this.byKey.get(key);
    if (stored !== undefined && stored.definition === definition) return stored;
    const schedule = { key, definition, nextRunAt };
    this.byKey.set(key, schedule);
    return schedule;
  }

  remove(key: string): boolean {
    return this.byKey.delete(key);
  }

  list(): StoredSchedule[] {
    return [...this.byKey.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  advance(key: string, expected: number, next: number): boolean {
    const stored = this.byKey.get(key);
    if (stored === undefined || stored.nextRunAt !== expected) return false;
    this.byKey.set(key, { ...stored, nextRunAt: next });
    return true;
  }
}
