import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { main } from '../bench/solver.bench.js';
import { main as storesMain } from '../bench/stores.bench.js';

describe('solver benchmark', () => {
  it('runs in smoke mode and prints its table', async () => {
    const lines: string[] = [];
    const rows = await main({ smoke: true, log: (line) => lines.push(line) });
    assert.deepEqual(
      rows.map((r) => r.combinations),
      [81, 256],
    );
    assert.ok(rows.every((r) => r.plans > 0 && r.medianMs >= 0));
    assert.match(lines[0] ?? '', /^candidates\/slot/);
    assert.ok(lines.some((line) => line.startsWith('one request, San Jose sample catalog')));
  });
});

describe('store sizes benchmark', () => {
  it('runs in smoke mode and measures a solution set and a place', async () => {
    const lines: string[] = [];
    const result = await storesMain({ smoke: true, log: (line) => lines.push(line) });
    assert.ok(result.solutionJsonBytes.min > 1000, `${result.solutionJsonBytes.min} bytes`);
    assert.ok(result.placeJsonBytes > 100, `${result.placeJsonBytes} bytes`);
    assert.match(lines[0] ?? '', /^store /);
    assert.ok(lines.some((line) => line.startsWith('solution cache')));
  });
});
