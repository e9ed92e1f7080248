/**
 * OpenStreetMap's `opening_hours` tag to weekly hours, with the maintained `opening_hours` parser
 * (the syntax has dozens of forms: "Mo-Fr 09:00-18:00; Sa 10:00-14:00", "Tu-Su 10:00-18:00; Mo
 * off", "24/7", "12:00-15:00,18:30-23:00", ...). Each weekday's open intervals are read over the
 * seven days starting at `reference` (the fetch day, so seasonal rules apply as they do this
 * week), in local clock time: the parser and this code both use the process's local calendar, so
 * "09:00" stays 09:00 whatever the time zone. An interval that runs past midnight counts as open
 * until 24:00 that day, as in the places file. A value the parser rejects gives `undefined`.
 */
import OpeningHours from 'opening_hours';
import type { OpeningRange, WeeklyHours } from '../place.js';

const DAY_MINUTES = 24 * 60;

export function weeklyHoursOf(
  value: string,
  reference: Date = new Date(),
): WeeklyHours | undefined {
  let parsed: OpeningHours;
  try {
    parsed = new OpeningHours(value, null, 0);
  } catch {
    return undefined;
  }
  const days: OpeningRange[][] = [[], [], [], [], [], [], []];
  const start = new Date(reference.getFullYear(), reference.getMonth(), reference.getDate());
  for (let offset = 0; offset < 7; offset++) {
    const dayStart = new Date(start.getFullYear(), start.getMonth(), start.getDate() + offset);
    const dayEnd = new Date(start.getFullYear(), start.getMonth(), start.getDate() + offset + 1);
    const ranges: OpeningRange[] = [];
    for (const [from, to, unknown] of parsed.getOpenIntervals(dayStart, dayEnd)) {
      if (unknown) continue; // "open maybe": not planned on
      const open = from <= dayStart ? 0 : from.getHours() * 60 + from.getMinutes();
      const close = to >= dayEnd ? DAY_MINUTES : to.getHours() * 60 + to.getMinutes();
      if (close > open) ranges.push({ open, close });
    }
    days[dayStart.getDay()] = ranges;
  }
  const [sun = [], mon = [], tue = [], wed = [], thu = [], fri = [], sat = []] = days;
  return [sun, mon, tue, wed, thu, fri, sat];
}

/** Open every day, all day (a park or a viewpoint without an opening_hours tag). */
export const ALWAYS_OPEN: WeeklyHours = (() => {
  const day: readonly OpeningRange[] = [{ open: 0, close: DAY_MINUTES }];
  return [day, day, day, day, day, day, day];
})();
