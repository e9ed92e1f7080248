/**
 * The places file format, one row at a time: turns a row (a JSON object, or a CSV record keyed
 * by its header) into a `Place`, or into the list of what is wrong with it, each problem naming
 * the line, the field, the rule and the value. A row with any problem is skipped whole; the
 * README's "Places file format" section documents these same rules.
 */
import { describeValue } from '../errors.js';
import {
  PLACE_CATEGORIES,
  WEEKDAY_KEYS,
  isPriceLevel,
  parseDayHours,
  type OpeningRange,
  type Place,
  type PlaceCategory,
  type WeeklyHours,
} from './place.js';

export interface RowIssue {
  /** 1-based line of the file where the row starts. */
  readonly line: number;
  /** The field at fault (`hours.mon` for a day of the JSON hours object; `row` for the row). */
  readonly field: string;
  /** `<field> must be <rule>, got <value>`. */
  readonly message: string;
}

/** CSV header columns, in the documented order; `url` and the seven days may be left empty. */
export const CSV_COLUMNS = [
  'id',
  'name',
  'category',
  'lat',
  'lon',
  'address',
  'priceLevel',
  'rating',
  'ratingsCount',
  'url',
  ...WEEKDAY_KEYS,
] as const;
export const REQUIRED_CSV_COLUMNS = CSV_COLUMNS.slice(0, 9);

type RawRow = Readonly<Record<string, unknown>>;
type FieldResult<T> = { readonly value: T } | { readonly rule: string };

/** Validates one row; CSV rows have every value as a string and numbers are parsed from text. */
export function placeFromRow(
  row: RawRow,
  line: number,
  format: 'json' | 'csv',
): { place: Place } | { issues: RowIssue[] } {
  const issues: RowIssue[] = [];
  const take = <T>(field: string, result: FieldResult<T>, fallback: T): T => {
    if ('value' in result) return result.value;
    issues.push({
      line,
      field,
      message: `${field} must be ${result.rule}, got ${describeValue(row[field])}`,
    });
    return fallback;
  };
  const number = (field: string): unknown =>
    format === 'csv' ? csvNumber(row[field]) : row[field];
  const place: Place = {
    id: take('id', text(row.id, 200, true), ''),
    name: take('name', text(row.name, 300, true), ''),
    category: take('category', category(row.category), 'Visit'),
    lat: take('lat', ranged(number('lat'), -90, 90, false), 0),
    lon: take('lon', ranged(number('lon'), -180, 180, false), 0),
    address: take('address', text(row.address ?? '', 500, false), ''),
    priceLevel: take('priceLevel', priceLevel(number('priceLevel')), 0),
    rating: take('rating', ranged(number('rating'), 0, 5, false), 0),
    ratingsCount: take(
      'ratingsCount',
      ranged(number('ratingsCount'), 0, Number.MAX_SAFE_INTEGER, true),
      0,
    ),
    url: take('url', url(row.url), ''),
    hours: hoursOf(row, line, format, issues),
  };
  return issues.length > 0 ? { issues } : { place };
}

function text(value: unknown, max: number, required: boolean): FieldResult<string> {
  const rule = `${required ? 'a non-empty' : 'a'} string of at most ${max} characters`;
  if (typeof value !== 'string') return { rule };
  const trimmed = value.trim();
  if ((required && trimmed === '') || trimmed.length > max) return { rule };
  return { value: trimmed };
}

function category(value: unknown): FieldResult<PlaceCategory> {
  const match = PLACE_CATEGORIES.find(
    (c) => typeof value === 'string' && c.toLowerCase() === value.trim().toLowerCase(),
  );
  return match === undefined ? { rule: '"Visit" or "Eatery"' } : { value: match };
}

function ranged(value: unknown, min: number, max: number, integer: boolean): FieldResult<number> {
  const rule = integer
    ? `an integer ${min === 0 && max > 1e9 ? '>= 0' : `${min}-${max}`}`
    : `a number ${min} to ${max}`;
  if (typeof value !== 'number' || !Number.isFinite(value)) return { rule };
  if (value < min || value > max || (integer && !Number.isInteger(value))) return { rule };
  return { value };
}

function priceLevel(value: unknown): FieldResult<Place['priceLevel']> {
  return isPriceLevel(value) ? { value } : { rule: 'an integer 0-4' };
}

function url(value: unknown): FieldResult<string> {
  if (value === undefined || value === null || value === '') return { value: '' };
  const rule = 'empty or an http(s) URL';
  if (typeof value !== 'string') return { rule };
  try {
    const parsed = new URL(value.trim());
    return parsed.protocol === 'http:' || parsed.protocol === 'https:'
      ? { value: parsed.href }
      : { rule };
  } catch {
    return { rule };
  }
}

/** CSV cells are text: an empty cell is missing, anything else must read fully as a number. */
function csvNumber(value: unknown): unknown {
  if (typeof value !== 'string' || value.trim() === '') return value;
  const parsed = Number(value.trim());
  return Number.isNaN(parsed) ? value : parsed;
}

function hoursOf(
  row: RawRow,
  line: number,
  format: 'json' | 'csv',
  issues: RowIssue[],
): WeeklyHours {
  let source: RawRow = row;
  let prefix = '';
  if (format === 'json') {
    prefix = 'hours.';
    const hours = row.hours ?? {};
    if (typeof hours !== 'object' || hours === null || Array.isArray(hours)) {
      issues.push({
        line,
        field: 'hours',
        message: `hours must be an object with keys ${WEEKDAY_KEYS.join(', ')}, got ${describeValue(hours)}`,
      });
      return closedWeek();
    }
    source = hours as RawRow;
    const unknown = Object.keys(source).find(
      (key) => !(WEEKDAY_KEYS as readonly string[]).includes(key),
    );
    if (unknown !== undefined) {
      issues.push({
        line,
        field: `hours.${unknown}`,
        message: `hours keys must be ${WEEKDAY_KEYS.join(', ')}, got ${describeValue(unknown)}`,
      });
    }
  }
  const days = WEEKDAY_KEYS.map((key): readonly OpeningRange[] => {
    const value = source[key] ?? '';
    const parsed =
      typeof value === 'string'
        ? parseDayHours(value)
        : `must be a string, got ${describeValue(value)}`;
    if (typeof parsed !== 'string') return parsed;
    issues.push({ line, field: `${prefix}${key}`, message: `${prefix}${key} ${parsed}` });
    return [];
  });
  const [sun = [], mon = [], tue = [], wed = [], thu = [], fri = [], sat = []] = days;
  return [sun, mon, tue, wed, thu, fri, sat];
}

function closedWeek(): WeeklyHours {
  return [[], [], [], [], [], [], []];
}
