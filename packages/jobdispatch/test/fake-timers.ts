/**
 * A clock moved by hand, and schedule timers on it (`Dispatcher({ now, setTimer })`): advancing
 * the clock fires the timers that came due, in due order. Each `timer()` is one dispatcher's, and
 * counts its armings, so a test can wait for that dispatcher's next pass to have ended (a pass
 * always ends by arming its next timer).
 */
import type { ScheduleTimer } from '../src/index.js';

interface Pending {
  readonly at: number;
  readonly callback: () => void;
  cancelled: boolean;
}

export class FakeClock {
  private readonly pending: Pending[] = [];

  constructor(public current: number) {}

  readonly now = (): number => this.current;

  /** A timer of one dispatcher; `armed()` resolves at its next arming after the call. */
  timer(): { setTimer: ScheduleTimer; armed: () => Promise<void> } {
    let watchers: (() => void)[] = [];
    const setTimer: ScheduleTimer = (callback, ms) => {
      const entry: Pending = { at: this.current + ms, callback, cancelled: false };
      this.pending.push(entry);
      const woken = watchers;
      watchers = [];
      for (const watcher of woken) watcher();
      return () => {
        entry.cancelled = true;
      };
    };
    const armed = (): Promise<void> =>
      new Promise((resolve, reject) => {
        const limit = setTimeout(() => reject(new Error('no timer armed within 10 s')), 10_000);
        limit.unref();
        watchers.push(() => {
          clearTimeout(limit);
          resolve();
        });
      });
    return { setTimer, armed };
  }

  /** Moves the clock to `at` and fires every timer due by then (each once). */
  advanceTo(at: number): void {
    this.current = at;
    this.pending.sort((a, b) => a.at - b.at);
    while (this.pending.length > 0 && (this.pending[0] as Pending).at <= at) {
      const entry = this.pending.shift() as Pending;
      if (!entry.cancelled) entry.callback();
    }
  }
}
