import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { parsePlaces } from '../src/places/file-catalog.js';

const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');

function block(language: string): string {
  const match = new RegExp('```' + language + '\\n([\\s\\S]*?)```').exec(readme);
  assert.ok(match?.[1] !== undefined, `README has a ${language} block`);
  return match[1];
}

describe('README places file examples', () => {
  it('the JSON example loads without issues', () => {
    const { places, issues } = parsePlaces(block('json'), 'json');
    assert.deepEqual(issues, []);
    assert.deepEqual(
      places.map((p) => p.id),
      ['louvre'],
    );
    assert.deepEqual(places[0]?.hours[2], [], 'closed on Tuesdays');
  });

  it('the CSV example loads without issues, the same Louvre as the JSON example', () => {
    const { places, issues } = parsePlaces(block('csv'), 'csv');
    assert.deepEqual(issues, []);
    assert.deepEqual(
      places.map((p) => p.id),
      ['louvre', 'chez-marie'],
    );
    assert.deepEqual(places[0], parsePlaces(block('json'), 'json').places[0]);
    assert.deepEqual(places[1]?.hours[5], [
      { open: 720, close: 870 },
      { open: 1140, close: 1380 },
    ]);
  });
});
