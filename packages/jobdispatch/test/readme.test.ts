import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { it } from 'node:test';
import { promisify } from 'node:util';
import { repoRoot, runReadmeBlock, scratchDir } from './readme-blocks.js';

it("runs the README's library quick start as written", async () => {
  const run = await runReadmeBlock('quick-start');
  try {
    assert.deepEqual(run.printed, ['3 plans for San Jose at price level 2', 'completed']);
  } finally {
    await run.cleanup();
  }
});

it("runs the README's job store example as written, printing what its comments say", async () => {
  const run = await runReadmeBlock('store-example');
  try {
    // Each console.log has a comment with what it prints (after `: `, an explanation), on its line
    // or, for a long output, alone on the next line.
    const expected = [...run.source.matchAll(/console\.log\(.*\); \/\/ (.*)$|^\/\/ (\{.*\})$/gm)]
      .map((m) => m[1] ?? m[2])
      .map((comment) => comment!.replace(/: .*$/, '').trim())
      .filter((line) => line !== '');
    assert.deepEqual(run.printed, [
      'scheduled',
      'failed TypeError source offline',
      'report Q3 2',
      '{"queue":false,"types":["Email"]}',
      '{"scheduled":1,"queued":1,"running":0,"completed":0,"failed":0,"cancelled":0}',
      'Email:queued Email:scheduled Report:completed',
      'true',
      'sent',
    ]);
    assert.deepEqual(expected, run.printed, "the block's comments say what it prints");
  } finally {
    await run.cleanup();
  }
});

it("runs the README's schedules and limits example as written, printing what its comments say", async () => {
  const run = await runReadmeBlock('controls-example');
  try {
    const expected = [...run.source.matchAll(/console\.log\(.*\); \/\/ (.*)$/gm)].map((m) => m[1]);
    assert.deepEqual(run.printed, ['daily-digest, heartbeat', 'true', '5', '2', 'true']);
    assert.deepEqual(expected, run.printed, "the block's comments say what it prints");
  } finally {
    await run.cleanup();
  }
});

it("runs the README's event log example as written: resuming after an id, watching a job", async () => {
  const run = await runReadmeBlock('event-log-example');
  try {
    assert.deepEqual(run.printed, [
      'queued started progress completed',
      'snapshot:queued started progress completed',
      'completed resized c.png',
    ]);
    const comments = [...run.source.matchAll(/console\.log\(.*\); \/\/ (.*)$/gm)].map((m) => m[1]);
    assert.deepEqual(comments, run.printed, "the block's comments say what it prints");
  } finally {
    await run.cleanup();
  }
});

it("runs the README's typed job definitions example as written, printing what its comments say", async () => {
  const run = await runReadmeBlock('typed-jobs');
  const tsconfig = join(scratchDir, `tsconfig.typed-jobs-${process.pid}.json`);
  try {
    assert.deepEqual(run.printed, ['Lisbon, day 1 / Lisbon, day 2', 'Q3: 3 plans']);
    // The block also compiles under the repository's strict settings (its types are its point).
    await writeFile(
      tsconfig,
      JSON.stringify({
        extends: join(repoRoot, 'tsconfig.base.json'),
        compilerOptions: { noEmit: true },
        files: [run.file],
      }),
    );
    await promisify(execFile)(
      process.execPath,
      [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', tsconfig],
      { cwd: scratchDir, timeout: 120_000 },
    );
    const commented = [...run.source.matchAll(/console\.log\(.*\); \/\/ (.*)$/gm)].map((m) => m[1]);
    assert.deepEqual(commented, run.printed, "the block's comments say what it prints");
  } finally {
    await run.cleanup();
    await rm(tsconfig, { force: true });
  }
});
