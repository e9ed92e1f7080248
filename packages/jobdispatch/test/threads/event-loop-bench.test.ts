/** The event-loop benchmark's smoke mode runs here, so that the benchmark cannot rot. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

it('the event-loop benchmark runs in smoke mode and prints a row for inline and for threaded handlers', async () => {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', 'bench/event-loop.bench.ts', '--smoke'],
    { cwd: packageDir, timeout: 60_000 },
  );
  assert.match(stdout, /mode +threads +wall ms +loop p50 ms +loop p99 ms +loop max ms +samples/);
  assert.match(stdout, /^inline +- +\d+ +[\d.]+ +[\d.]+ +[\d.]+ +\d+$/m);
  assert.match(stdout, /^threaded +\d+ +\d+ +[\d.]+ +[\d.]+ +[\d.]+ +\d+$/m);
  assert.match(stdout, /target loop p99 < 20 ms with threads: (met|missed)/);
});
