/**
 * The file catalog: real places loaded from a JSON or CSV file (`PLACES_FILE=path`). Loading
 * validates row by row: a bad row is reported with its line and field and skipped, and the load
 * goes on; only a file that cannot be read as a whole (missing, not a JSON array, no CSV header)
 * is an error. Once loaded the catalog is immutable; each category is kept sorted by latitude so
 * a radius query reads one latitude band.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { PlannerError } from '../errors.js';
import type { CatalogQuery, DataSource, PlaceProvider } from './catalog.js';
import { parseCsv } from './csv.js';
import { boundingDegrees, distanceMeters } from './geo.js';
import { arrayElementLines } from './json-rows.js';
import type { Place, PlaceCategory } from './place.js';
import { CSV_COLUMNS, REQUIRED_CSV_COLUMNS, placeFromRow, type RowIssue } from './place-rows.js';

export type PlacesFormat = 'json' | 'csv';

export interface ParsedPlaces {
  readonly places: readonly Place[];
  /** Every problem found, in file order; the rows they belong to were skipped. */
  readonly issues: readonly RowIssue[];
}

export class FileCatalog implements PlaceProvider {
  private readonly byCategory = new Map<PlaceCategory, readonly Place[]>();

  constructor(
    places: readonly Place[],
    readonly source: DataSource,
  ) {
    for (const category of ['Visit', 'Eatery'] as const) {
      const list = places.filter((p) => p.category === category).sort((a, b) => a.lat - b.lat);
      this.byCategory.set(category, list);
    }
  }

  get size(): number {
    let total = 0;
    for (const list of this.byCategory.values()) total += list.length;
    return total;
  }

  placesNear(query: CatalogQuery): Promise<readonly Place[]> {
    const list = this.byCategory.get(query.category) ?? [];
    const { dLat } = boundingDegrees(query.center, query.radiusMeters);
    const found: Place[] = [];
    for (let i = firstAtOrAbove(list, query.center.lat - dLat); i < list.length; i++) {
      const place = list[i];
      if (place === undefined || place.lat > query.center.lat + dLat) break;
      if (distanceMeters(query.center, place) <= query.radiusMeters) found.push(place);
    }
    return Promise.resolve(found);
  }
}

/** Reads, validates and indexes a places file; the format follows the extension (.json, .csv). */
export async function loadPlacesFile(
  path: string,
): Promise<{ catalog: FileCatalog; issues: readonly RowIssue[] }> {
  const format = formatOf(path);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new PlannerError('CATALOG_FILE', `PLACES_FILE ${JSON.stringify(path)} cannot be read`, {
      cause,
    });
  }
  const { places, issues } = parsePlaces(text, format);
  const id = `file-${createHash('sha256').update(text).digest('hex').slice(0, 12)}`;
  return { catalog: new FileCatalog(places, { kind: 'file', id, name: basename(path) }), issues };
}

export function formatOf(path: string): PlacesFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.json') return 'json';
  if (ext === '.csv') return 'csv';
  throw new PlannerError(
    'CATALOG_FILE',
    `PLACES_FILE must end in .json or .csv, got ${JSON.stringify(path)}`,
  );
}

/** Parses a whole places file's text; pure, for tests and tools. */
export function parsePlaces(text: string, format: PlacesFormat): ParsedPlaces {
  const rows = format === 'json' ? jsonRows(text) : csvRows(text);
  const places: Place[] = [];
  const issues: RowIssue[] = [...rows.issues];
  const firstLineOfId = new Map<string, number>();
  for (const { line, row } of rows.rows) {
    const result = placeFromRow(row, line, format);
    if ('issues' in result) {
      issues.push(...result.issues);
      continue;
    }
    const first = firstLineOfId.get(result.place.id);
    if (first !== undefined) {
      const message = `id must be unique, got ${JSON.stringify(result.place.id)} (first on line ${first})`;
      issues.push({ line, field: 'id', message });
      continue;
    }
    firstLineOfId.set(result.place.id, line);
    places.push(result.place);
  }
  issues.sort((a, b) => a.line - b.line);
  return { places, issues };
}

interface Rows {
  readonly rows: { line: number; row: Readonly<Record<string, unknown>> }[];
  readonly issues: RowIssue[];
}

function jsonRows(text: string): Rows {
  let data: unknown;
  try {
    data = JSON.parse(text.startsWith('\uFEFF') ? text.slice(1) : text);
  } catch (cause) {
    throw new PlannerError(
      'CATALOG_FILE',
      `places file is not valid JSON: ${(cause as Error).message}`,
      { cause },
    );
  }
  if (!Array.isArray(data)) {
    throw new PlannerError('CATALOG_FILE', 'places file must hold a JSON array of place objects');
  }
  const lines = arrayElementLines(text);
  const result: Rows = { rows: [], issues: [] };
  data.forEach((element: unknown, index) => {
    const line = lines[index] ?? 0;
    if (typeof element === 'object' && element !== null && !Array.isArray(element)) {
      result.rows.push({ line, row: element as Record<string, unknown> });
    } else {
      result.issues.push({
        line,
        field: 'row',
        message: `row must be an object, got ${JSON.stringify(element)}`,
      });
    }
  });
  return result;
}

function csvRows(text: string): Rows {
  const parsed = parseCsv(text);
  if (!parsed.ok) {
    throw new PlannerError(
      'CATALOG_FILE',
      `places file is not valid CSV: line ${parsed.line}: ${parsed.message}`,
    );
  }
  const [header, ...records] = parsed.records;
  const columns = header?.values.map((name) => name.trim()) ?? [];
  const missing = REQUIRED_CSV_COLUMNS.filter((name) => !columns.includes(name));
  if (missing.length > 0) {
    throw new PlannerError(
      'CATALOG_FILE',
      `places CSV header must name the columns ${CSV_COLUMNS.join(',')}; missing ${missing.join(', ')}`,
    );
  }
  const result: Rows = { rows: [], issues: [] };
  for (const record of records) {
    if (record.values.length !== columns.length) {
      const message = `row must have ${columns.length} fields like the header, got ${record.values.length}`;
      result.issues.push({ line: record.line, field: 'row', message });
      continue;
    }
    const row: Record<string, string> = {};
    columns.forEach((name, i) => (row[name] = record.values[i] ?? ''));
    result.rows.push({ line: record.line, row });
  }
  return result;
}

/** Index of the first place whose latitude is >= lat (binary search on the sorted list). */
function firstAtOrAbove(list: readonly Place[], lat: number): number {
  let low = 0;
  let high = list.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((list[mid]?.lat ?? Infinity) < lat) low = mid + 1;
    else high = mid;
  }
  return low;
}
