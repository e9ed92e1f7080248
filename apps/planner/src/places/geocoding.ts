/**
 * Offline geocoding on the gazetteer: a place name ("San Jose, CA, USA", "Paris, France",
 * "Tokyo, JP") to one city, coordinates to the nearest city, and the larger cities around a
 * point. The rule for ambiguity is fixed: among the cities that match every part of the query,
 * the most populous wins. An unknown place is a `PlannerError` ('UNKNOWN_LOCATION') that names
 * the query and carries up to three close names.
 */
import { PlannerError, describeValue, invalidField } from '../errors.js';
import { isValidLatLon, type LatLon } from './geo.js';
import { loadGazetteer, type City, type Gazetteer } from './gazetteer.js';
import { editDistance, normalizeName } from './names.js';
import { adminCodesFor, hasAdminNames } from './regions.js';

/** The `nearby` option counts cities of more than this many inhabitants. */
export const NEARBY_MIN_POPULATION = 15_000;
export const MAX_SUGGESTIONS = 3;

/**
 * Common English names that the data spells otherwise: query key -> data keys. The alias is
 * looked up next to the name itself and the most populous match wins, so "Seville" is Sevilla,
 * Spain (700,000) rather than Seville, Ohio. Names typed without accents need no alias: names
 * are compared without diacritics ("Koln", "Sao Paulo").
 */
const CITY_ALIASES: Readonly<Record<string, readonly string[]>> = {
  seville: ['sevilla'],
  ghent: ['gent'],
  antwerp: ['antwerpen'],
  bruges: ['brugge'],
  louvain: ['leuven'],
  nuremberg: ['nurnberg'],
  hanover: ['hannover'],
  brunswick: ['braunschweig'],
  geneva: ['geneve'],
  lucerne: ['luzern'],
  basle: ['basel'],
  gothenburg: ['goteborg'],
  padua: ['padova'],
  leghorn: ['livorno'],
  marseilles: ['marseille'],
  lyons: ['lyon'],
  cracow: ['krakow'],
  peking: ['beijing'],
  calcutta: ['kolkata'],
  madras: ['chennai'],
  rangoon: ['yangon'],
  'new york': ['new york city'],
  nyc: ['new york city'],
  kiev: ['kyiv'],
  cologne: ['koln'],
  'washington dc': ['washington'],
  saigon: ['ho chi minh city'],
  bombay: ['mumbai'],
};

/** One way to read the parts of a query after the city name. */
interface Reading {
  readonly country?: string;
  readonly adminCodes?: readonly string[];
  /** The admin part is only a preference (a name the data cannot check): used if it matches. */
  readonly adminIsHint?: boolean;
}

export class Geocoder {
  private gazetteer: Gazetteer | undefined;

  /** `load` runs once, on the first lookup (the default loads the bundled gazetteer). */
  constructor(private readonly load: () => Gazetteer = loadGazetteer) {}

  /** The city a place name means. Throws `UNKNOWN_LOCATION` or `INVALID_REQUEST`. */
  geocode(query: string): City {
    const parts = query.split(',').map((part) => part.trim());
    if (parts.length > 3 || parts.some((part) => part === '')) {
      throw invalidField(
        'location',
        '"city", "city, country" or "city, admin area, country" with no empty part',
        query,
      );
    }
    const [cityPart = '', ...rest] = parts;
    const readings = this.readingsOf(query, rest);
    const keys = cityKeys(cityPart);
    let best: City | undefined;
    for (const reading of readings) {
      const match = this.bestMatch(keys, reading);
      if (match !== undefined && (best === undefined || match.population > best.population)) {
        best = match;
      }
    }
    if (best !== undefined) return best;
    const country = readings.length === 1 ? readings[0]?.country : undefined;
    const suggestions = this.suggest(cityPart, country);
    const hint =
      suggestions.length > 0
        ? `; did you mean ${suggestions.map((s) => `"${s}"`).join(', ')}?`
        : '';
    throw new PlannerError(
      'UNKNOWN_LOCATION',
      `location ${describeValue(query)} matches no known city${hint}`,
      {
        suggestions,
      },
    );
  }

  /** The city nearest to a point (for requests that give a precise location). */
  reverse(point: LatLon): City {
    if (!isValidLatLon(point.lat, point.lon)) {
      throw invalidField('location', 'a latitude -90..90 and a longitude -180..180', point);
    }
    const city = this.data().nearest(point);
    if (city === undefined) throw new PlannerError('UNKNOWN_LOCATION', 'the gazetteer is empty');
    return city;
  }

  /** Cities of more than `minPopulation` inhabitants within `radiusMeters`, most populous first. */
  nearby(center: LatLon, radiusMeters: number, minPopulation = NEARBY_MIN_POPULATION): City[] {
    return this.data()
      .within(center, radiusMeters)
      .filter((city) => city.population > minPopulation)
      .sort((a, b) => b.population - a.population || a.id - b.id);
  }

  private data(): Gazetteer {
    this.gazetteer ??= this.load();
    return this.gazetteer;
  }

  /** The readings of the parts after the city; throws when a country or admin area is unknown. */
  private readingsOf(query: string, rest: readonly string[]): Reading[] {
    const countries = this.data().countries;
    if (rest.length === 0) return [{}];
    if (rest.length === 1) {
      const text = rest[0] ?? '';
      const readings: Reading[] = [];
      const country = countries.codeOf(text);
      if (country !== undefined) readings.push({ country });
      for (const admin of adminCodesFor(text, undefined)) {
        readings.push({ country: admin.country, adminCodes: [admin.adminCode] });
      }
      if (readings.length === 0) {
        throw new PlannerError(
          'UNKNOWN_LOCATION',
          `location ${describeValue(query)}: ${describeValue(text)} is not a known country or admin area`,
        );
      }
      return readings;
    }
    const [adminText = '', countryText = ''] = rest;
    const country = countries.codeOf(countryText);
    if (country === undefined) {
      const close = countries.suggest(countryText);
      const hint =
        close.length > 0 ? `; did you mean ${close.map((n) => `"${n}"`).join(', ')}?` : '';
      throw new PlannerError(
        'UNKNOWN_LOCATION',
        `location ${describeValue(query)}: ${describeValue(countryText)} is not a known country name or ISO code${hint}`,
        { suggestions: close },
      );
    }
    return [this.adminReading(query, adminText, country)];
  }

  private adminReading(query: string, text: string, country: string): Reading {
    const named = adminCodesFor(text, country).map((match) => match.adminCode);
    if (named.length > 0) return { country, adminCodes: named };
    if (hasAdminNames(country)) {
      const countryName = this.data().countries.nameOf(country);
      throw new PlannerError(
        'UNKNOWN_LOCATION',
        `location ${describeValue(query)}: ${describeValue(text)} is not an admin area of ${countryName}`,
      );
    }
    // Elsewhere the data has codes, not names: a raw code filters, any other name is ignored.
    return { country, adminCodes: [text.toUpperCase()], adminIsHint: true };
  }

  private bestMatch(keys: readonly string[], reading: Reading): City | undefined {
    let best: City | undefined;
    let bestInAnyAdmin: City | undefined;
    for (const key of keys) {
      for (const city of this.data().named(key)) {
        if (reading.country !== undefined && city.country !== reading.country) continue;
        if (bestInAnyAdmin === undefined || city.population > bestInAnyAdmin.population) {
          bestInAnyAdmin = city;
        }
        if (reading.adminCodes?.includes(city.adminCode) === false) continue;
        if (best === undefined || city.population > best.population) best = city;
      }
    }
    return best ?? (reading.adminIsHint === true ? bestInAnyAdmin : undefined);
  }

  /** Up to three labels of cities whose names are close to `text`, closest then largest first. */
  private suggest(text: string, country: string | undefined): string[] {
    const target = normalizeName(text);
    const maxDistance = Math.max(2, Math.floor(target.length / 3));
    const scored: { city: City; distance: number }[] = [];
    for (const key of this.data().nameKeys()) {
      const distance = editDistance(target, key, maxDistance);
      if (distance > maxDistance) continue;
      const city = this.data()
        .named(key)
        .find((c) => country === undefined || c.country === country);
      if (city !== undefined) scored.push({ city, distance });
    }
    scored.sort((a, b) => a.distance - b.distance || b.city.population - a.city.population);
    const labels: string[] = [];
    for (const { city } of scored) {
      if (!labels.includes(city.label)) labels.push(city.label);
      if (labels.length === MAX_SUGGESTIONS) break;
    }
    return labels;
  }
}

function cityKeys(text: string): string[] {
  const key = normalizeName(text);
  return [key, ...(CITY_ALIASES[key] ?? [])];
}
