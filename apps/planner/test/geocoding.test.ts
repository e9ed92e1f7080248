import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { isPlannerError } from '../src/errors.js';
import { distanceMeters } from '../src/places/geo.js';
import { Gazetteer, type CityRecord } from '../src/places/gazetteer.js';
import { Geocoder } from '../src/places/geocoding.js';

const geocoder = new Geocoder();

function near(
  actual: { lat: number; lon: number },
  lat: number,
  lon: number,
  toleranceKm = 5,
): void {
  const km = distanceMeters(actual, { lat, lon }) / 1000;
  assert.ok(
    km < toleranceKm,
    `expected near ${lat},${lon} but got ${actual.lat},${actual.lon} (${km.toFixed(1)} km)`,
  );
}

function unknownLocation(query: string): { message: string; suggestions: readonly string[] } {
  try {
    geocoder.geocode(query);
  } catch (error) {
    assert.ok(
      isPlannerError(error, 'UNKNOWN_LOCATION'),
      `expected UNKNOWN_LOCATION, got ${String(error)}`,
    );
    return { message: error.message, suggestions: error.suggestions };
  }
  assert.fail(`expected ${query} to be unknown`);
}

describe('geocoding', () => {
  before(() => {
    geocoder.geocode('Paris'); // loads the gazetteer once for the whole file
  });

  it('resolves "San Jose, CA, USA" near 37.34, -121.89', () => {
    const city = geocoder.geocode('San Jose, CA, USA');
    assert.equal(city.name, 'San Jose');
    assert.equal(city.country, 'US');
    assert.equal(city.adminCode, 'CA');
    near(city, 37.34, -121.89);
  });

  it('resolves "Paris, France" near 48.86, 2.35 and "Tokyo, JP" near 35.69, 139.69', () => {
    near(geocoder.geocode('Paris, France'), 48.86, 2.35);
    const tokyo = geocoder.geocode('Tokyo, JP');
    assert.equal(tokyo.country, 'JP');
    near(tokyo, 35.69, 139.69);
  });

  it('accepts a country by name, alias or ISO code, and an admin area by code or name', () => {
    const id = geocoder.geocode('San Jose, CA, USA').id;
    for (const query of [
      'San Jose, California, USA',
      'San Jose, CA, US',
      'San Jose, CA, United States',
      'san jose, california, united states of america',
      'San José, CA, USA',
    ]) {
      assert.equal(geocoder.geocode(query).id, id, query);
    }
    assert.equal(geocoder.geocode('Paris, FR').id, geocoder.geocode('Paris, France').id);
    assert.equal(
      geocoder.geocode('Toronto, Ontario, Canada').id,
      geocoder.geocode('Toronto, ON, CA').id,
    );
  });

  it('uses an admin name it cannot check as a preference only', () => {
    // The data has numeric admin codes in France: "Ile-de-France" cannot filter, so it is ignored.
    assert.equal(
      geocoder.geocode('Paris, Ile-de-France, France').id,
      geocoder.geocode('Paris, France').id,
    );
    assert.equal(geocoder.geocode('Paris, 11, FR').id, geocoder.geocode('Paris, France').id);
  });

  it('finds cities by their common English names and by names typed without accents', () => {
    const cases: [string, string][] = [
      ['Seville', 'Sevilla, Spain'],
      ['Ghent', 'Gent, Belgium'],
      ['Cologne', 'Köln, Germany'],
      ['Koln', 'Köln, Germany'],
      ['Sao Paulo', 'São Paulo, Brazil'],
      ['Antwerp', 'Antwerpen, Belgium'],
      ['Nuremberg', 'Nürnberg, Germany'],
      ['Geneva', 'Genève, Switzerland'],
      ['Gothenburg, Sweden', 'Göteborg, Sweden'],
      ['Zurich', 'Zürich, Switzerland'],
    ];
    for (const [query, label] of cases) assert.equal(geocoder.geocode(query).label, label, query);
  });

  it('takes the most populous city when several match', () => {
    assert.equal(geocoder.geocode('Paris').country, 'FR');
    assert.equal(geocoder.geocode('San Jose').country, 'US'); // over San José, Costa Rica
    const parisUsa = geocoder.geocode('Paris, USA');
    assert.equal(parisUsa.adminCode, 'TX'); // the largest of the American Parises
    assert.equal(geocoder.geocode('Paris, TX').adminCode, 'TX');
    assert.equal(geocoder.geocode('Vancouver, CA').country, 'CA'); // Canada, not a Californian town
  });

  it('matches names regardless of case, diacritics and "St." abbreviations', () => {
    assert.equal(geocoder.geocode('zurich').name, 'Zürich');
    assert.equal(geocoder.geocode('St. Petersburg, FL, USA').adminCode, 'FL');
    assert.equal(geocoder.geocode('Saint Petersburg').country, 'RU');
    assert.equal(geocoder.geocode('New York').name, 'New York City');
  });

  it('reports an unknown place with up to three close names', () => {
    const { message, suggestions } = unknownLocation('San Jsoe, CA, USA');
    assert.match(message, /"San Jsoe, CA, USA"/);
    assert.ok(suggestions.length >= 1 && suggestions.length <= 3);
    assert.equal(suggestions[0], 'San Jose, CA, United States');
    assert.match(message, /did you mean "San Jose, CA, United States"/);
    const tokio = unknownLocation('Tokio');
    assert.ok(tokio.suggestions.length <= 3);
    assert.equal(tokio.suggestions[0], 'Tokyo, Japan');
  });

  it('reports an unknown country or admin area by name', () => {
    assert.match(
      unknownLocation('Paris, Frnace, Europe').message,
      /"Europe" is not a known country/,
    );
    assert.match(
      unknownLocation('San Jose, Califrnia, USA').message,
      /"Califrnia" is not an admin area of United States/,
    );
    assert.match(
      unknownLocation('Paris, Atlantis').message,
      /"Atlantis" is not a known country or admin area/,
    );
  });

  it('rejects a malformed location as an invalid request naming the field', () => {
    for (const query of ['a, b, c, d', 'Paris,,France', '']) {
      assert.throws(
        () => geocoder.geocode(query),
        (error: unknown) =>
          isPlannerError(error, 'INVALID_REQUEST') && /^location must be/.test(error.message),
      );
    }
  });

  it('reverse geocodes coordinates to the nearest city', () => {
    assert.equal(geocoder.reverse({ lat: 37.3362, lon: -121.8906 }).name, 'San Jose');
    assert.equal(geocoder.reverse({ lat: 48.8566, lon: 2.3522 }).name, 'Paris');
    assert.equal(geocoder.reverse({ lat: 35.6812, lon: 139.7671 }).country, 'JP');
    const remote = geocoder.reverse({ lat: -48.9, lon: -123.4 }); // Point Nemo, far from any city
    assert.ok(distanceMeters(remote, { lat: -48.9, lon: -123.4 }) > 1_000_000);
    assert.throws(
      () => geocoder.reverse({ lat: 91, lon: 0 }),
      (e: unknown) => isPlannerError(e, 'INVALID_REQUEST'),
    );
  });

  it('lists nearby cities of more than 15,000 inhabitants within the radius, most populous first', () => {
    const sanJose = geocoder.geocode('San Jose, CA, USA');
    const nearby = geocoder.nearby(sanJose, 20_000);
    const names = nearby.map((c) => c.name);
    assert.ok(names.includes('Santa Clara') && names.includes('Sunnyvale'), names.join(', '));
    for (const city of nearby) {
      assert.ok(city.population > 15_000, city.name);
      assert.ok(distanceMeters(sanJose, city) <= 20_000, city.name);
    }
    const populations = nearby.map((c) => c.population);
    assert.deepEqual(
      populations,
      [...populations].sort((a, b) => b - a),
    );
  });
});

describe('gazetteer index', () => {
  const record = (
    cityId: number,
    name: string,
    lat: number,
    lon: number,
    population = 5000,
  ): CityRecord => ({
    cityId,
    name,
    country: 'FJ',
    adminCode: '01',
    population,
    loc: { coordinates: [lon, lat] },
  });

  it('finds the nearest city across the antimeridian', () => {
    const gazetteer = new Gazetteer([
      record(1, 'East', -17, 179.95),
      record(2, 'West', -17, 177.5),
    ]);
    assert.equal(gazetteer.nearest({ lat: -17, lon: -179.95 })?.name, 'East');
  });

  it('prefers the more populous city when two are equally near', () => {
    const gazetteer = new Gazetteer([
      record(1, 'Small', 10, 10, 2000),
      record(2, 'Large', 10, 10, 90_000),
    ]);
    assert.equal(gazetteer.nearest({ lat: 10.1, lon: 10 })?.name, 'Large');
  });

  it('answers within-radius queries like a scan of every city', () => {
    const cities = Array.from({ length: 400 }, (_, i) =>
      record(i, `C${i}`, ((i * 37) % 170) - 85, ((i * 71) % 359) - 179.5),
    );
    const gazetteer = new Gazetteer(cities);
    for (const center of [
      { lat: 0, lon: 0 },
      { lat: 80, lon: 179 },
      { lat: -60, lon: -179.9 },
    ]) {
      for (const radius of [100_000, 1_500_000, 5_000_000]) {
        const expected = cities
          .filter(
            (c) =>
              distanceMeters(center, {
                lat: c.loc.coordinates[1] ?? 0,
                lon: c.loc.coordinates[0] ?? 0,
              }) <= radius,
          )
          .map((c) => c.cityId)
          .sort((a, b) => a - b);
        const actual = gazetteer
          .within(center, radius)
          .map((c) => c.id)
          .sort((a, b) => a - b);
        assert.deepEqual(actual, expected, `${JSON.stringify(center)} r=${radius}`);
      }
    }
  });
});
