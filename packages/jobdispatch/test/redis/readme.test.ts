import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { REDIS_URL, deleteQueues, randomQueue, redisSuite } from './redis-env.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..', '..');
const queue = randomQueue('readme');

describe("the README's Redis example", redisSuite(), () => {
  after(() => deleteQueues([queue]));

  it('runs as written: a worker and a producer share a queue on Redis', async () => {
    const readme = await readFile(join(root, 'README.md'), 'utf8');
    const match = /<!-- redis-example[^>]*-->\s*```ts\n([\s\S]*?)```/.exec(readme);
    assert.ok(match, 'the README has a redis-example block');
    const source = match[1]!.replaceAll("queue: 'planning'", `queue: '${queue}'`);
    assert.notEqual(source, match[1], 'the example names its queue');
    // Written inside the package so that 'jobdispatch' resolves as it does for a user.
    const dir = join(here, '..', '..', '.tmp');
    await mkdir(dir, { recursive: true });
    const file = join(dir, `redis-example-${process.pid}.mts`);
    await writeFile(file, source);
    try {
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ['--conditions=source', '--import', 'tsx', file],
        { cwd: dir, timeout: 60_000, env: { ...process.env, REDIS_URL } },
      );
      assert.deepEqual(stdout.trim().split('\n'), ['plans at price level 2', 'completed']);
    } finally {
      await rm(file, { force: true });
    }
  });
});
