import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { SAMPLE_DATA_NOTICE } from '../src/places/catalog.js';
import { distanceMeters } from '../src/places/geo.js';
import type { City } from '../src/places/gazetteer.js';
import { SampleCatalog } from '../src/places/sample-catalog.js';
import { SAMPLE_GENERATION, generateSamplePlaces } from '../src/places/sample-places.js';
import { makeCity } from './helpers.js';

const sanJose = makeCity({
  id: 5392171,
  name: 'San Jose',
  population: 1_026_908,
  lat: 37.33939,
  lon: -121.89496,
});
const village = makeCity({
  id: 42,
  name: 'Smallham',
  population: 1200,
  lat: 51.2,
  lon: -1.3,
  country: 'GB',
});
const nearestIs = (city: City) => ({ reverse: () => city });

describe('sample catalog', () => {
  it('generates the same places for the same city in every run', () => {
    assert.deepEqual(generateSamplePlaces(sanJose), generateSamplePlaces({ ...sanJose }));
    // A fixed fingerprint: any change to generation must bump SAMPLE_GENERATION (and this value).
    const fingerprint = createHash('sha256')
      .update(JSON.stringify(generateSamplePlaces(sanJose)))
      .digest('hex');
    assert.equal(SAMPLE_GENERATION, 1);
    assert.equal(fingerprint, '66cb45cdf816f3a602d0398939c17a1bfe8afa108fa9d48658cdeb48de80bea0');
  });

  it('generates different places for different cities', () => {
    const a = generateSamplePlaces(sanJose).map((p) => p.name);
    const b = generateSamplePlaces(makeCity({ ...sanJose, id: 2988507, name: 'Paris' })).map(
      (p) => p.name,
    );
    assert.notDeepEqual(a, b);
  });

  it('generates dozens of places per category, more for larger cities', () => {
    for (const [city, min, max] of [
      [village, 20, 40],
      [sanJose, 60, 200],
    ] as const) {
      const places = generateSamplePlaces(city);
      for (const category of ['Visit', 'Eatery'] as const) {
        const count = places.filter((p) => p.category === category).length;
        assert.ok(count >= min && count <= max, `${city.name} ${category}: ${count}`);
      }
    }
  });

  it('generates plausible places: spread, ratings, prices, hours, unique ids and names', () => {
    const places = generateSamplePlaces(sanJose);
    assert.equal(new Set(places.map((p) => p.id)).size, places.length);
    assert.equal(new Set(places.map((p) => p.name)).size, places.length);
    const distances = places.map((p) => distanceMeters(sanJose, p));
    assert.ok(Math.max(...distances) <= 12_500);
    assert.ok(
      distances.filter((d) => d > 2000).length > places.length / 3,
      'spread out, not all at the centre',
    );
    const rated = places.filter((p) => p.ratingsCount > 0);
    assert.ok(rated.length > places.length * 0.9);
    assert.ok(rated.every((p) => p.rating >= 2.5 && p.rating <= 5));
    const eateryLevels = new Set(
      places.filter((p) => p.category === 'Eatery').map((p) => p.priceLevel),
    );
    assert.deepEqual([...eateryLevels].sort(), [0, 1, 2, 3, 4]);
    for (const place of places) {
      assert.equal(place.hours.length, 7);
      for (const day of place.hours)
        for (const r of day) assert.ok(r.open < r.close && r.close <= 1440);
      assert.match(place.url, /^https:\/\/example\.com\/sample-places\//);
    }
    assert.ok(
      places.some((p) => p.hours[1].length === 0),
      'some places close on Mondays',
    );
  });

  it('answers queries with the nearest city places of one category within the radius', async () => {
    const catalog = new SampleCatalog(nearestIs(sanJose));
    const center = { lat: 37.34, lon: -121.9 };
    const found = await catalog.placesNear({ category: 'Eatery', center, radiusMeters: 3000 });
    const expected = generateSamplePlaces(sanJose).filter(
      (p) => p.category === 'Eatery' && distanceMeters(center, p) <= 3000,
    );
    assert.ok(found.length > 0);
    assert.deepEqual(found, expected);
  });

  it('labels itself as sample data', () => {
    const catalog = new SampleCatalog(nearestIs(sanJose));
    assert.equal(catalog.source.kind, 'sample');
    assert.ok(catalog.source.kind === 'sample' && catalog.source.notice === SAMPLE_DATA_NOTICE);
    assert.match(SAMPLE_DATA_NOTICE, /^Sample data/);
  });
});
