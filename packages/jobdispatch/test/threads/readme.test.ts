/** The README's threaded-handler example (a handler module and the app using it), run as written. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function block(readme: string, name: string): string {
  const match = new RegExp(`<!-- ${name}[^>]*-->\\s*\`\`\`ts\\n([\\s\\S]*?)\`\`\``).exec(readme);
  assert.ok(match, `the README has a ${name} block`);
  return match[1]!;
}

it("runs the README's threaded-handler example as written, from TypeScript sources", async () => {
  const readme = await readFile(join(packageDir, '..', '..', 'README.md'), 'utf8');
  // Inside the package, so that 'jobdispatch' resolves as it does for a user.
  const dir = join(packageDir, '.tmp', `readme-threads-${process.pid}`);
  await mkdir(dir, { recursive: true });
  try {
    await writeFile(join(dir, 'planning-handler.ts'), block(readme, 'threaded-handler-module'));
    await writeFile(join(dir, 'app.mts'), block(readme, 'threaded-handler-app'));
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', 'app.mts'],
      { cwd: dir, timeout: 60_000 },
    );
    assert.deepEqual(stdout.trim().split('\n'), [
      '8000000 combinations scored at price level 2',
      "{ percent: 100, message: 'slot 4 of 4' }",
    ]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
