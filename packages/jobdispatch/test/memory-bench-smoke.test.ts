import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');

it('the memory benchmark runs both retention modes in smoke mode and prints its figures and targets', async () => {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', '--expose-gc', 'bench/memory.bench.ts', '--smoke'],
    { cwd: packageDir, timeout: 120_000 },
  );
  assert.match(stdout, /^Memory: 20,000 no-op jobs through a default Dispatcher/m);
  assert.match(
    stdout,
    /^run +jobs +retained +jobs\/s +heap MB +RSS MB +heap after GC MB +RSS after GC MB$/m,
  );
  const kept = stdout.match(/^default retention +20,000 +([\d,]+) /m);
  assert.equal(kept?.[1], '10,000', 'default retention keeps 10,000 completed records');
  assert.match(stdout, /^no records kept +20,000 +0 /m);
  assert.match(stdout, /^bytes per retained record: \([\d,]+ - [\d,]+\) \/ 10,000 = \d+$/m);
  assert.match(
    stdout,
    /^Targets: RSS after the run < 200 MB with default retention: (met|missed) \([\d.]+ MB\); heap per retained record <= 300 B: (met|missed) \(\d+ B\)$/m,
  );
});
