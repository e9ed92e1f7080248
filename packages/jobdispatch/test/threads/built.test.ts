/**
 * The built JavaScript path: the library compiled by its build config (into a scratch directory),
 * a plain `.mjs` app and handler module, run by plain `node` with no TypeScript loader. Every
 * other thread test runs from sources under tsx; this one proves the published form works too.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const run = promisify(execFile);

const HANDLER = `
import { threadId } from 'node:worker_threads';
import { UnrecoverableError } from './dist/index.js';

export default {
  jobType: 'Square',
  async execute(job, ctx) {
    if (job.params < 0) throw new UnrecoverableError('cannot square a negative here');
    await ctx.progress(50, 'half way');
    return { square: job.params * job.params, onMainThread: threadId === 0 };
  },
};
`;

// No close(): idle threads must not keep the process alive once the dispatcher has stopped.
const APP = `
import { Dispatcher, threadedHandler } from './dist/index.js';

const handler = threadedHandler({ jobType: 'Square', module: new URL('./handler.js', import.meta.url), threads: 1 });
const dispatcher = new Dispatcher({ workers: 2 });
dispatcher.register(handler, { retries: 2 });
await dispatcher.start();
const ok = await dispatcher.submit({ name: 'Square', params: 7 });
console.log(JSON.stringify(await dispatcher.wait(ok.id)));
console.log(JSON.stringify((await dispatcher.get(ok.id)).progress));
const bad = await dispatcher.submit({ name: 'Square', params: -1 });
const error = await dispatcher.wait(bad.id).catch((e) => e);
console.log(error.message, 'after', (await dispatcher.get(bad.id)).attempts, 'attempt');
await dispatcher.stop();
`;

it('runs a threaded handler from the built JavaScript under plain node, and the process exits without close()', async () => {
  const dir = join(packageDir, '.tmp', `built-${process.pid}`);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  try {
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    // --noCheck: this test is about the emitted files; type errors are the type-check's business.
    await run(
      process.execPath,
      [
        ...[tsc, '-p', 'tsconfig.build.json', '--outDir', join(dir, 'dist'), '--noCheck'],
        ...['--declaration', 'false', '--sourceMap', 'false'],
      ],
      { cwd: packageDir, timeout: 60_000 },
    );
    await writeFile(join(dir, 'package.json'), '{ "type": "module" }\n');
    await writeFile(join(dir, 'handler.js'), HANDLER);
    await writeFile(join(dir, 'app.js'), APP);
    const env = { ...process.env };
    delete env.NODE_OPTIONS;
    const { stdout } = await run(process.execPath, ['app.js'], {
      cwd: dir,
      env,
      timeout: 30_000,
    });
    assert.deepEqual(stdout.trim().split('\n'), [
      '{"square":49,"onMainThread":false}',
      '{"percent":50,"message":"half way"}',
      'cannot square a negative here after 1 attempt',
    ]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
