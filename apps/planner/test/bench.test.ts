import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { main } from '../bench/solver.bench.js';

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
