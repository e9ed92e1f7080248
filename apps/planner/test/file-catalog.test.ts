import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isPlannerError } from '../src/errors.js';
import { parseCsv } from '../src/places/csv.js';
import { FileCatalog, loadPlacesFile, parsePlaces } from '../src/places/file-catalog.js';
import { distanceMeters } from '../src/places/geo.js';
import { makePlace } from './helpers.js';

const HEADER =
  'id,name,category,lat,lon,address,priceLevel,rating,ratingsCount,url,sun,mon,tue,wed,thu,fri,sat';

const GOOD_JSON = {
  id: 'louvre',
  name: 'Louvre Museum',
  category: 'Visit',
  lat: 48.8606,
  lon: 2.3376,
  address: 'Rue de Rivoli, Paris',
  priceLevel: 2,
  rating: 4.7,
  ratingsCount: 250000,
  url: 'https://www.louvre.fr',
  hours: { mon: '09:00-18:00', wed: '09:00-18:00, 18:00-21:45', tue: 'closed' },
};

describe('places file: JSON', () => {
  it('loads valid rows with their hours', () => {
    const { places, issues } = parsePlaces(JSON.stringify([GOOD_JSON]), 'json');
    assert.deepEqual(issues, []);
    assert.equal(places.length, 1);
    const louvre = places[0];
    assert.ok(louvre !== undefined);
    assert.equal(louvre.url, 'https://www.louvre.fr/');
    assert.deepEqual(louvre.hours[1], [{ open: 540, close: 1080 }]);
    assert.deepEqual(louvre.hours[2], []);
    assert.deepEqual(louvre.hours[3], [
      { open: 540, close: 1080 },
      { open: 1080, close: 1305 },
    ]);
    assert.deepEqual(louvre.hours[0], [], 'a day left out is closed');
  });

  it('reports each bad row with its line and field and skips it', () => {
    const text = [
      '[',
      `  ${JSON.stringify(GOOD_JSON)},`,
      `  ${JSON.stringify({ ...GOOD_JSON, id: 'bad-rating', rating: 'excellent' })},`,
      '  {',
      '    "id": "bad-price-and-hours",',
      `    "name": "x", "category": "Eatery", "lat": 1, "lon": 1, "priceLevel": 7, "rating": 4,`,
      '    "ratingsCount": 3, "hours": { "fri": "9am-5pm", "funday": "10:00-11:00" }',
      '  },',
      `  ${JSON.stringify({ ...GOOD_JSON, id: 'louvre' })},`,
      '  42',
      ']',
    ].join('\n');
    const { places, issues } = parsePlaces(text, 'json');
    assert.deepEqual(
      places.map((p) => p.id),
      ['louvre'],
    );
    assert.deepEqual(
      issues.map((i) => [i.line, i.field]),
      [
        [3, 'rating'],
        [4, 'priceLevel'],
        [4, 'hours.funday'],
        [4, 'hours.fri'],
        [9, 'id'],
        [10, 'row'],
      ],
    );
    assert.equal(issues[0]?.message, 'rating must be a number 0 to 5, got "excellent"');
    assert.equal(issues[1]?.message, 'priceLevel must be an integer 0-4, got 7');
    assert.match(issues[4]?.message ?? '', /id must be unique, got "louvre" \(first on line 2\)/);
  });

  it('refuses a file that is not a JSON array as a whole', () => {
    for (const text of ['{"places": []}', '[{"id": 1,]']) {
      assert.throws(
        () => parsePlaces(text, 'json'),
        (e: unknown) => isPlannerError(e, 'CATALOG_FILE'),
      );
    }
  });
});

describe('places file: CSV', () => {
  it('loads rows, with quoted fields holding commas, quotes and line breaks', () => {
    const text = [
      HEADER,
      'cafe-1,"Café ""Le Coin""",Eatery,48.85,2.35,"12 Rue X,\nParis",1,4.5,120,,closed,08:00-15:00,08:00-15:00,08:00-15:00,08:00-15:00,08:00-15:00,',
      'park-1,Parc,visit,48.86,2.34,,0,4.2,800,https://example.org/parc,06:00-22:00,06:00-22:00,06:00-22:00,06:00-22:00,06:00-22:00,06:00-22:00,06:00-22:00',
    ].join('\r\n');
    const { places, issues } = parsePlaces(text, 'csv');
    assert.deepEqual(issues, []);
    assert.deepEqual(
      places.map((p) => [p.id, p.name, p.category, p.address]),
      [
        ['cafe-1', 'Café "Le Coin"', 'Eatery', '12 Rue X,\nParis'],
        ['park-1', 'Parc', 'Visit', ''],
      ],
    );
    assert.deepEqual(places[0]?.hours[0], []);
    assert.deepEqual(places[0]?.hours[6], [], 'an empty day cell is closed');
  });

  it('reports bad rows with line and field, counting lines inside quoted fields', () => {
    const text = [
      HEADER,
      'a,"Two\nlines",Visit,1,1,,0,4,10,,,,,,,,',
      'b,B,Visit,95,1,,0,4,10,,,,,,,,',
      'c,C,Shop,1,1,,0,4,10,,,,,,,,',
      'd,D,Visit,1,1,,0,4,,,,,,,,,',
      'e,E,Visit,1,1,,0,4,10,ftp://x,,,,,,,',
      'f,F,Visit,1,1',
      'g,G,Visit,1,1,,0,4,10,,,25:00-26:00,,,,,',
      'h,H,Visit,1,1,,2.5,4,10,,,,,,,,',
    ].join('\n');
    const { places, issues } = parsePlaces(text, 'csv');
    assert.deepEqual(
      places.map((p) => p.id),
      ['a'],
    );
    assert.deepEqual(
      issues.map((i) => `${i.line}:${i.field}`),
      ['4:lat', '5:category', '6:ratingsCount', '7:url', '8:row', '9:mon', '10:priceLevel'],
    );
    assert.equal(issues[0]?.message, 'lat must be a number -90 to 90, got "95"');
    assert.equal(issues[2]?.message, 'ratingsCount must be an integer >= 0, got ""');
  });

  it('refuses a header without the required columns, or an unclosed quote', () => {
    assert.throws(
      () => parsePlaces('id,name,category\nx,y,Visit', 'csv'),
      (e: unknown) => isPlannerError(e, 'CATALOG_FILE') && /missing lat, lon/.test(e.message),
    );
    assert.throws(
      () => parsePlaces(`${HEADER}\n"x`, 'csv'),
      (e: unknown) => isPlannerError(e, 'CATALOG_FILE'),
    );
  });

  it('parses CSV records like a reference split for quote-free text', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.stringMatching(/^[a-z0-9 ]{0,5}$/), { minLength: 2, maxLength: 4 }), {
          maxLength: 6,
        }),
        (rows) => {
          const text = rows.map((r) => r.join(',')).join('\n');
          const parsed = parseCsv(text);
          assert.ok(parsed.ok);
          const expected = rows
            .map((values, i) => ({ line: i + 1, values }))
            .filter((r) => !(r.values.length === 1 && r.values[0] === ''));
          assert.deepEqual(parsed.records, expected);
        },
      ),
    );
  });
});

describe('file catalog', () => {
  it('loads a file named by path, reporting bad rows and keeping the good ones', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'planner-places-'));
    try {
      const path = join(dir, 'places.csv');
      await writeFile(
        path,
        `${HEADER}\nok,OK,Visit,1,1,,0,4,10,,,,,,,,\nbad,Bad,Visit,1,1,,0,six,10,,,,,,,,\n`,
      );
      const { catalog, issues } = await loadPlacesFile(path);
      assert.equal(catalog.size, 1);
      assert.deepEqual(
        issues.map((i) => [i.line, i.field]),
        [[3, 'rating']],
      );
      assert.ok(catalog.source.kind === 'file' && catalog.source.name === 'places.csv');
      assert.match(catalog.source.id, /^file-[0-9a-f]{12}$/);
      await assert.rejects(loadPlacesFile(join(dir, 'missing.json')), (e: unknown) =>
        isPlannerError(e, 'CATALOG_FILE'),
      );
      await assert.rejects(loadPlacesFile(join(dir, 'places.txt')), (e: unknown) =>
        isPlannerError(e, 'CATALOG_FILE'),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('answers radius queries like a scan of every place', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            lat: fc.double({ min: -60, max: 60, noNaN: true }),
            lon: fc.double({ min: -10, max: 10, noNaN: true }),
          }),
          {
            maxLength: 60,
          },
        ),
        fc.record({
          lat: fc.double({ min: -60, max: 60, noNaN: true }),
          lon: fc.double({ min: -10, max: 10, noNaN: true }),
        }),
        fc.integer({ min: 1000, max: 2_000_000 }),
        async (points, center, radiusMeters) => {
          const places = points.map((p, i) =>
            makePlace({ id: `p${i}`, ...p, category: i % 2 === 0 ? 'Visit' : 'Eatery' }),
          );
          const catalog = new FileCatalog(places, { kind: 'file', id: 'f', name: 'f' });
          const found = await catalog.placesNear({ category: 'Visit', center, radiusMeters });
          const expected = places.filter(
            (p) => p.category === 'Visit' && distanceMeters(center, p) <= radiusMeters,
          );
          assert.deepEqual(found.map((p) => p.id).sort(), expected.map((p) => p.id).sort());
        },
      ),
    );
  });
});
