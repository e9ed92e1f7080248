/** PLACES_PROVIDER=file end to end: the service plans with the places of a CSV file. */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../src/config.js';
import type { Service } from '../src/service.js';
import { ADMIN_TOKEN, planningUrl, startTestService } from './http-helpers.js';

const DAYS = 'sun,mon,tue,wed,thu,fri,sat';
const ALL_DAY = Array.from({ length: 7 }, () => '08:00-23:00').join(',');

describe('planning with a places file', () => {
  let dir: string;
  let service: Service;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'planner-places-'));
    const rows = [
      `id,name,category,lat,lon,address,priceLevel,rating,ratingsCount,url,${DAYS}`,
      ...[0, 1, 2].map(
        (i) => `visit-${i},Visit ${i},Visit,48.85${i},2.34${i},,1,4.5,100,,${ALL_DAY}`,
      ),
      ...[0, 1, 2].map(
        (i) => `eat-${i},Eatery ${i},Eatery,48.86${i},2.35${i},,2,4.2,80,,${ALL_DAY}`,
      ),
    ];
    const file = join(dir, 'paris.csv');
    await writeFile(file, rows.join('\n'));
    const config = loadConfig({ ADMIN_TOKEN, PLACES_PROVIDER: 'file', PLACES_FILE: file });
    service = await startTestService({ places: config.places, placesFile: file });
  });
  after(async () => {
    await service.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers plans made of the file places, labelled with the file name', async () => {
    const response = await service.app.inject(
      planningUrl({ location: 'Paris, France', price: 2, numberResults: 3 }),
    );
    assert.equal(response.statusCode, 200, response.body);
    const body = response.json<{
      dataSource: string;
      notice?: string;
      travelPlans: { places: { id: string }[] }[];
    }>();
    assert.equal(body.dataSource, 'paris.csv');
    assert.equal(body.notice, undefined);
    const ids = body.travelPlans.flatMap((plan) => plan.places.map((place) => place.id));
    assert.ok(ids.length > 0);
    assert.ok(
      ids.every((id) => /^(visit|eat)-\d$/.test(id)),
      ids.join(', '),
    );
  });
});
