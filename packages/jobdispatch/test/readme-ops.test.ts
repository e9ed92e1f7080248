import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');

it("runs the README's metrics and tracing example as written, printing what its comments say", async () => {
  const readme = await readFile(join(root, 'README.md'), 'utf8');
  const match = /<!-- ops-example[^>]*-->\s*```ts\n([\s\S]*?)```/.exec(readme);
  assert.ok(match, 'the README has an ops-example block');
  // Written inside the package so that 'jobdispatch/...' resolves as it does for a user.
  const dir = join(here, '..', '.tmp');
  await mkdir(dir, { recursive: true });
  const file = join(dir, `ops-example-${process.pid}.mts`);
  await writeFile(file, match[1]!);
  try {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', file],
      { cwd: dir, timeout: 60_000 },
    );
    assert.deepEqual(stdout.trim().split('\n'), ["{ q: 'Lisbon' }", 'true']);
  } finally {
    await rm(file, { force: true });
  }
});
