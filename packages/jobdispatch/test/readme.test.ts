import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');

it("runs the README's library quick start as written", async () => {
  const readme = await readFile(join(root, 'README.md'), 'utf8');
  const match = /<!-- quick-start[^>]*-->\s*```ts\n([\s\S]*?)```/.exec(readme);
  assert.ok(match, 'the README has a quick-start block');
  // Written inside the package so that 'jobdispatch' resolves as it does for a user.
  const dir = join(here, '..', '.tmp');
  await mkdir(dir, { recursive: true });
  const file = join(dir, `quick-start-${process.pid}.mts`);
  await writeFile(file, match[1]!);
  try {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', file],
      { cwd: dir, timeout: 60_000 },
    );
    assert.deepEqual(stdout.trim().split('\n'), [
      '3 plans for San Jose at price level 2',
      'completed',
    ]);
  } finally {
    await rm(file, { force: true });
  }
});

it("runs the README's job store example as written, printing what its comments say", async () => {
  const readme = await readFile(join(root, 'README.md'), 'utf8');
  const match = /<!-- store-example[^>]*-->\s*```ts\n([\s\S]*?)```/.exec(readme);
  assert.ok(match, 'the README has a store-example block');
  const dir = join(here, '..', '.tmp');
  await mkdir(dir, { recursive: true });
  const file = join(dir, `store-example-${process.pid}.mts`);
  await writeFile(file, match[1]!);
  try {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', file],
      { cwd: dir, timeout: 60_000 },
    );
    // Each console.log has a comment with what it prints (after `: `, an explanation), on its line
    // or, for a long output, alone on the next line.
    const expected = [...match[1]!.matchAll(/console\.log\(.*\); \/\/ (.*)$|^\/\/ (\{.*\})$/gm)]
      .map((m) => m[1] ?? m[2])
      .map((comment) => comment!.replace(/: .*$/, '').trim())
      .filter((line) => line !== '');
    const printed = stdout.trim().split('\n');
    assert.deepEqual(printed, [
      'scheduled',
      'failed TypeError source offline',
      'report Q3 2',
      '{"queue":false,"types":["Email"]}',
      '{"scheduled":1,"queued":1,"running":0,"completed":0,"failed":0,"cancelled":0}',
      'Email:queued Email:scheduled Report:completed',
      'true',
      'sent',
    ]);
    assert.deepEqual(expected, printed, "the block's comments say what it prints");
  } finally {
    await rm(file, { force: true });
  }
});

it("runs the README's typed job definitions example as written, printing what its comments say", async () => {
  const readme = await readFile(join(root, 'README.md'), 'utf8');
  const match = /<!-- typed-jobs[^>]*-->\s*```ts\n([\s\S]*?)```/.exec(readme);
  assert.ok(match, 'the README has a typed-jobs block');
  const dir = join(here, '..', '.tmp');
  await mkdir(dir, { recursive: true });
  const file = join(dir, `typed-jobs-${process.pid}.mts`);
  const tsconfig = join(dir, `tsconfig.typed-jobs-${process.pid}.json`);
  await writeFile(file, match[1]!);
  try {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', file],
      { cwd: dir, timeout: 60_000 },
    );
    const printed = stdout.trim().split('\n');
    assert.deepEqual(printed, ['Lisbon, day 1 / Lisbon, day 2', 'Q3: 3 plans']);
    // The block also compiles under the repository's strict settings (its types are its point).
    await writeFile(
      tsconfig,
      JSON.stringify({
        extends: join(root, 'tsconfig.base.json'),
        compilerOptions: { noEmit: true },
        files: [file],
      }),
    );
    await promisify(execFile)(
      process.execPath,
      [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', tsconfig],
      { cwd: dir, timeout: 120_000 },
    );
    const commented = [...match[1]!.matchAll(/console\.log\(.*\); \/\/ (.*)$/gm)].map((m) => m[1]);
    assert.deepEqual(commented, printed, "the block's comments say what it prints");
  } finally {
    await rm(file, { force: true });
    await rm(tsconfig, { force: true });
  }
});
